package export

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/ordo/ordo/internal/order"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixture is a fixed order set: non-ASCII names, a formula-injection
// attempt, an order without items, two currencies.
func fixture() []order.Order {
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	mk := func(n int64, name, email, cur string, items []order.Item) order.Order {
		o := order.Order{ID: uuid.MustParse("01900000-0000-7000-8000-00000000000" + string(rune('0'+n))), Number: n, Status: order.StatusPending,
			CustomerName: name, CustomerEmail: email, Currency: cur, ExternalRef: "PO-" + string(rune('0'+n)), Items: items, CreatedAt: at.Add(time.Duration(n) * time.Hour),
			Metadata: json.RawMessage(`{}`)}
		order.Compute(&o)
		return o
	}
	return []order.Order{
		mk(1, "Zoë Ångström", "zoe@example.com", "EUR", []order.Item{{SKU: "W-1", Name: "Widget, large", Quantity: 3, UnitPrice: 1999, TaxRateBP: 2000}, {Name: "Gadget \"deluxe\"", Quantity: 1, UnitPrice: 5, TaxRateBP: 1000}}),
		mk(2, "=HYPERLINK(\"http://evil\")", "@attacker", "USD", []order.Item{{SKU: "+1", Name: "-2+3", Quantity: 1, UnitPrice: 100}}),
		mk(3, "山田 太郎", "taro@example.jp", "JPY", nil),
	}
}

func render(t *testing.T, f Format, os []order.Order) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(f, &buf)
	require.NoError(t, err)
	for _, o := range os {
		require.NoError(t, w.WriteOrder(o))
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	require.Equal(t, string(want), string(got))
}

func TestCSVGolden(t *testing.T) {
	golden(t, "orders.csv", render(t, FormatCSV, fixture()))
	golden(t, "empty.csv", render(t, FormatCSV, nil))
}

func TestXLSXReadBack(t *testing.T) {
	data := render(t, FormatXLSX, fixture())
	f, err := excelize.OpenReader(bytes.NewReader(data))
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []string{"Orders", "Items"}, f.GetSheetList())

	rows, err := f.GetRows("Orders")
	require.NoError(t, err)
	require.Len(t, rows, 4, "header and three orders, the one without items too")
	require.Equal(t, "Number", rows[0][0])
	require.Equal(t, "Zoë Ångström", rows[1][3])
	require.Equal(t, "=HYPERLINK(\"http://evil\")", rows[2][3], "kept as text, not a formula")
	formula, err := f.GetCellFormula("Orders", "D3")
	require.NoError(t, err)
	require.Empty(t, formula, "no formula in the file")

	// A number cell has no type attribute (numbers are the default), and
	// its raw value is the amount in major units.
	typ, err := f.GetCellType("Orders", "J2")
	require.NoError(t, err)
	require.Contains(t, []excelize.CellType{excelize.CellTypeUnset, excelize.CellTypeNumber}, typ, "money is a number, not text")
	v, err := f.GetCellValue("Orders", "J2", excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	require.Equal(t, "72.02", v)
	ntyp, _ := f.GetCellType("Orders", "D2")
	require.NotEqual(t, typ, ntyp, "names are text")
	style, err := f.GetCellStyle("Orders", "J2")
	require.NoError(t, err)
	st, err := f.GetStyle(style)
	require.NoError(t, err)
	require.NotNil(t, st.CustomNumFmt)
	require.Contains(t, *st.CustomNumFmt, `"EUR"`)
	jpy, err := f.GetCellValue("Orders", "J4")
	require.NoError(t, err)
	require.Contains(t, jpy, "JPY")

	dstyle, err := f.GetCellStyle("Orders", "C2")
	require.NoError(t, err)
	ds, err := f.GetStyle(dstyle)
	require.NoError(t, err)
	require.NotNil(t, ds.CustomNumFmt, "dates carry a date format")

	items, err := f.GetRows("Items")
	require.NoError(t, err)
	require.Len(t, items, 4, "header and three items")
	require.Equal(t, "Widget, large", items[1][2])

	empty, err := excelize.OpenReader(bytes.NewReader(render(t, FormatXLSX, nil)))
	require.NoError(t, err)
	er, _ := empty.GetRows("Orders")
	require.Len(t, er, 1, "an empty export has its header")
}

func TestAppendFixed(t *testing.T) {
	for _, c := range []struct {
		minor int64
		scale int
		want  string
	}{
		{1250, 2, "12.50"}, {5, 2, "0.05"}, {-5, 2, "-0.05"}, {0, 2, "0.00"}, {100, 2, "1.00"},
		{-123456, 2, "-1234.56"}, {7, 0, "7"}, {-7, 0, "-7"}, {1234, 3, "1.234"}, {12, 3, "0.012"},
		{math.MaxInt64, 2, "92233720368547758.07"}, {math.MinInt64, 2, "-92233720368547758.08"},
	} {
		require.Equal(t, c.want, string(appendFixed([]byte("x"), c.minor, c.scale))[1:], "%d, %d", c.minor, c.scale)
	}
}
