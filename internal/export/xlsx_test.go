package export

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/ordo/ordo/internal/order"
)

// The independent reader: archive/zip and encoding/xml only, following
// ECMA-376 rather than any spreadsheet library.

type xCell struct {
	R  string    `xml:"r,attr"`
	S  int       `xml:"s,attr"`
	T  string    `xml:"t,attr"`
	V  string    `xml:"v"`
	F  *struct{} `xml:"f"`
	IS *struct {
		T string `xml:"t"`
	} `xml:"is"`
}

type xSheet struct {
	Pane struct {
		YSplit      string `xml:"ySplit,attr"`
		TopLeftCell string `xml:"topLeftCell,attr"`
		State       string `xml:"state,attr"`
		ActivePane  string `xml:"activePane,attr"`
	} `xml:"sheetViews>sheetView>pane"`
	Cols []struct {
		Min   int     `xml:"min,attr"`
		Width float64 `xml:"width,attr"`
	} `xml:"cols>col"`
	Rows []struct {
		R     int     `xml:"r,attr"`
		Cells []xCell `xml:"c"`
	} `xml:"sheetData>row"`
}

type xStyles struct {
	NumFmts []struct {
		ID   int    `xml:"numFmtId,attr"`
		Code string `xml:"formatCode,attr"`
	} `xml:"numFmts>numFmt"`
	Fonts []struct {
		B *struct{} `xml:"b"`
	} `xml:"fonts>font"`
	Xfs []struct {
		NumFmtID int `xml:"numFmtId,attr"`
		FontID   int `xml:"fontId,attr"`
	} `xml:"cellXfs>xf"`
}

type xlsxFile struct {
	parts  map[string][]byte
	sheets map[string]xSheet // by sheet name, in workbook order
	order  []string
	styles xStyles
}

func readXLSX(t *testing.T, data []byte) xlsxFile {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	f := xlsxFile{parts: map[string][]byte{}, sheets: map[string]xSheet{}}
	for _, e := range zr.File {
		rc, err := e.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc) // checks size and CRC-32
		require.NoError(t, err, e.Name)
		require.NoError(t, rc.Close())
		f.parts[e.Name] = b
	}
	decode := func(name string, v any) {
		t.Helper()
		b, ok := f.parts[name]
		require.True(t, ok, "part %s missing", name)
		require.NoError(t, xml.Unmarshal(b, v), name)
	}

	var ct struct {
		Defaults []struct {
			Ext string `xml:"Extension,attr"`
		} `xml:"Default"`
		Overrides []struct {
			Part string `xml:"PartName,attr"`
			Type string `xml:"ContentType,attr"`
		} `xml:"Override"`
	}
	decode("[Content_Types].xml", &ct)
	types := map[string]string{}
	for _, o := range ct.Overrides {
		types[strings.TrimPrefix(o.Part, "/")] = o.Type
	}
	type rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	var root rels
	decode("_rels/.rels", &root)
	require.Len(t, root.Rel, 1)
	wbName := root.Rel[0].Target
	require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", types[wbName])

	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	decode(wbName, &wb)
	var wbRels rels
	decode(path.Join(path.Dir(wbName), "_rels", path.Base(wbName)+".rels"), &wbRels)
	targets := map[string]string{}
	for _, r := range wbRels.Rel {
		target := path.Join(path.Dir(wbName), r.Target)
		targets[r.ID] = target
		if strings.HasSuffix(r.Type, "/styles") {
			require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml", types[target])
			decode(target, &f.styles)
		}
	}
	for _, s := range wb.Sheets {
		target := targets[s.RID]
		require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml", types[target], s.Name)
		var sh xSheet
		decode(target, &sh)
		f.sheets[s.Name] = sh
		f.order = append(f.order, s.Name)
	}
	return f
}

// cell finds a cell by reference.
func (f xlsxFile) cell(t *testing.T, sheet, ref string) xCell {
	t.Helper()
	for _, r := range f.sheets[sheet].Rows {
		for _, c := range r.Cells {
			if c.R == ref {
				return c
			}
		}
	}
	t.Fatalf("%s!%s not found", sheet, ref)
	return xCell{}
}

// numFmt is the format code of a cell style ("" for the general format).
func (f xlsxFile) numFmt(style int) string {
	id := f.styles.Xfs[style].NumFmtID
	for _, n := range f.styles.NumFmts {
		if n.ID == id {
			return n.Code
		}
	}
	return ""
}

func (f xlsxFile) bold(style int) bool { return f.styles.Fonts[f.styles.Xfs[style].FontID].B != nil }

var xstringEscape = regexp.MustCompile(`_x[0-9A-Fa-f]{4}_`)

// text is an inline string cell's value, its _xHHHH_ escapes decoded as
// ECMA-376 (ST_Xstring) says.
func (c xCell) text(t *testing.T) string {
	t.Helper()
	require.Equal(t, "inlineStr", c.T, "%s is text", c.R)
	require.NotNil(t, c.IS, c.R)
	require.Nil(t, c.F, "%s has no formula", c.R)
	return xstringEscape.ReplaceAllStringFunc(c.IS.T, func(m string) string {
		n, _ := strconv.ParseUint(m[2:6], 16, 32)
		return string(rune(n))
	})
}

// number is a number cell's value.
func (c xCell) number(t *testing.T) float64 {
	t.Helper()
	require.Contains(t, []string{"", "n"}, c.T, "%s is a number", c.R)
	require.Nil(t, c.F, "%s has no formula", c.R)
	v, err := strconv.ParseFloat(c.V, 64)
	require.NoError(t, err, c.R)
	return v
}

func TestXLSXIndependentReader(t *testing.T) {
	t.Parallel()
	f := readXLSX(t, render(t, FormatXLSX, fixture()))
	require.Equal(t, []string{"Orders", "Items"}, f.order)

	for name, widths := range map[string][]float64{"Orders": {14, 12, 18, 28, 30, 10, 14, 14, 14, 14}, "Items": {14, 16, 32, 10, 14, 10, 14}} {
		sh := f.sheets[name]
		require.Equal(t, "1", sh.Pane.YSplit, name)
		require.Equal(t, "A2", sh.Pane.TopLeftCell, name)
		require.Equal(t, "frozen", sh.Pane.State, name)
		require.Equal(t, "bottomLeft", sh.Pane.ActivePane, name)
		require.Len(t, sh.Cols, len(widths), name)
		for i, c := range sh.Cols {
			require.Equal(t, i+1, c.Min, name)
			require.Equal(t, widths[i], c.Width, name)
		}
		for i, c := range sh.Rows[0].Cells {
			require.True(t, f.bold(c.S), "%s header %d is bold", name, i)
			require.Equal(t, string(rune('A'+i))+"1", c.R)
		}
		for i, r := range sh.Rows {
			require.Equal(t, i+1, r.R, "%s rows are numbered in order", name)
		}
	}

	orders := f.sheets["Orders"]
	require.Len(t, orders.Rows, 4, "header and three orders")
	var head []string
	for _, c := range orders.Rows[0].Cells {
		head = append(head, c.text(t))
	}
	require.Equal(t, []string{"Number", "Status", "Created", "Customer", "E-mail", "Currency", "Subtotal", "Tax", "Discount", "Total"}, head)

	require.Equal(t, "ORD-000001", f.cell(t, "Orders", "A2").text(t))
	require.Equal(t, "pending", f.cell(t, "Orders", "B2").text(t))
	require.Equal(t, "Zoë Ångström", f.cell(t, "Orders", "D2").text(t))
	require.Equal(t, `=HYPERLINK("http://evil")`, f.cell(t, "Orders", "D3").text(t), "kept as text, not a formula")
	require.Equal(t, "@attacker", f.cell(t, "Orders", "E3").text(t))
	require.Equal(t, "山田 太郎", f.cell(t, "Orders", "D4").text(t))

	created := f.cell(t, "Orders", "C2")
	require.Equal(t, "yyyy-mm-dd hh:mm", f.numFmt(created.S))
	// 2026-11-02 10:30 UTC: 46328 days after 1899-12-30, and 10.5 hours.
	require.Equal(t, 46328+10.5/24, created.number(t))

	for ref, want := range map[string]float64{"G2": 60.02, "H2": 12, "I2": 0, "J2": 72.02} {
		c := f.cell(t, "Orders", ref)
		require.Equal(t, want, c.number(t), ref)
		require.Equal(t, `#,##0.00 "EUR"`, f.numFmt(c.S), ref)
	}
	require.Equal(t, "72.02", f.cell(t, "Orders", "J2").V, "the decimal amount, not a float's noise")
	require.Equal(t, `#,##0.00 "USD"`, f.numFmt(f.cell(t, "Orders", "J3").S))
	require.Equal(t, `#,##0 "JPY"`, f.numFmt(f.cell(t, "Orders", "J4").S))

	items := f.sheets["Items"]
	require.Len(t, items.Rows, 4, "header and three items; the order without items has none")
	require.Equal(t, "ORD-000001", f.cell(t, "Items", "A2").text(t))
	require.Equal(t, "Widget, large", f.cell(t, "Items", "C2").text(t))
	require.Equal(t, `Gadget "deluxe"`, f.cell(t, "Items", "C3").text(t))
	require.Equal(t, "+1", f.cell(t, "Items", "B4").text(t))
	require.Equal(t, "-2+3", f.cell(t, "Items", "C4").text(t))
	q := f.cell(t, "Items", "D2")
	require.Equal(t, float64(3), q.number(t))
	require.Equal(t, "", f.numFmt(q.S), "a quantity has the general format")
	require.Equal(t, float64(20), f.cell(t, "Items", "F2").number(t), "tax rate in percent")
	price := f.cell(t, "Items", "E2")
	require.Equal(t, 19.99, price.number(t))
	require.Equal(t, `#,##0.00 "EUR"`, f.numFmt(price.S))
	require.Equal(t, 59.97, f.cell(t, "Items", "G2").number(t))
}

func TestXLSXEmpty(t *testing.T) {
	t.Parallel()
	f := readXLSX(t, render(t, FormatXLSX, nil))
	require.Equal(t, []string{"Orders", "Items"}, f.order)
	require.Len(t, f.sheets["Orders"].Rows, 1, "the header only")
	require.Len(t, f.sheets["Items"].Rows, 1, "the header only")

	// Orders, none with items: the Items sheet is never spooled.
	o := fixture()[2]
	f = readXLSX(t, render(t, FormatXLSX, []order.Order{o, o}))
	require.Len(t, f.sheets["Orders"].Rows, 3)
	require.Len(t, f.sheets["Items"].Rows, 1)
}

// TestXLSXText: what a text cell holds comes back unchanged from both
// readers, except characters XML cannot carry, which become U+FFFD.
func TestXLSXText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"<b>&amp;</b> ]]>", "<b>&amp;</b> ]]>"},
		{"a\r\nb\tc\n", "a\r\nb\tc\n"},
		{" lead and trail ", " lead and trail "},
		{"\x01\x08\x0b\x1f", "\ufffd\ufffd\ufffd\ufffd"},
		{"\ufffe\uffff\ufffd", "\ufffd\ufffd\ufffd"},
		{"bad \xff utf-8", "bad \ufffd utf-8"},
		{"_x0041_", "_x0041_"},
		{"_x0041_x0042_", "_x0041_x0042_"},
		{"__x005F_x0041__", "__x005F_x0041__"},
		{"_xD800_ _x00e9_ _X0041_ _x41_", "_xD800_ _x00e9_ _X0041_ _x41_"},
		{"=1+1", "=1+1"},
		{"🙂\u202e", "🙂\u202e"},
	} {
		o := fuzzOrder(tc.in, "e", "r", "i")
		data := render(t, FormatXLSX, []order.Order{o})
		f := readXLSX(t, data)
		require.Equal(t, tc.want, f.cell(t, "Orders", "D2").text(t), "independent reader, %q", tc.in)
		x, err := excelize.OpenReader(bytes.NewReader(data))
		require.NoError(t, err)
		got, err := x.GetCellValue("Orders", "D2")
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "excelize, %q", tc.in)
		require.NoError(t, x.Close())
	}
}

func TestTruncateCell(t *testing.T) {
	t.Parallel()
	short := strings.Repeat("é", 1000)
	require.Equal(t, short, truncateCell(short))
	require.Len(t, []rune(truncateCell(strings.Repeat("a", maxCellChars+5))), maxCellChars)
	require.Len(t, []rune(truncateCell(strings.Repeat("é", maxCellChars+5))), maxCellChars)
	// An astral character takes two code units and is never split.
	got := truncateCell(strings.Repeat("🙂", maxCellChars))
	require.Len(t, []rune(got), maxCellChars/2)
}

func TestAppendDecimal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v     int64
		scale int
		want  string
	}{
		{7202, 2, "72.02"}, {7200, 2, "72"}, {5, 2, "0.05"}, {-5, 2, "-0.05"}, {-7210, 2, "-72.1"}, {0, 2, "0"},
		{1234, 0, "1234"}, {-1234, 0, "-1234"}, {1001, 3, "1.001"}, {10, 3, "0.01"},
		{-9223372036854775808, 2, "-92233720368547758.08"}, {9223372036854775807, 4, "922337203685477.5807"},
	} {
		got := string(appendDecimal(nil, tc.v, tc.scale))
		require.Equal(t, tc.want, got, "%d scale %d", tc.v, tc.scale)
		if tc.v > -1<<53 && tc.v < 1<<53 {
			f, err := strconv.ParseFloat(got, 64)
			require.NoError(t, err)
			require.Equal(t, major(tc.v, tc.scale), f, "the same number as float division")
		}
	}
}

// major is how the excelize writer computed amounts.
func major(minor int64, scale int) float64 {
	p := 1.0
	for range scale {
		p *= 10
	}
	return float64(minor) / p
}

func TestSerial(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		t    time.Time
		want float64
	}{
		{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), 1},
		{time.Date(1900, 2, 28, 0, 0, 0, 0, time.UTC), 59},
		{time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC), 61},
		{time.Date(1899, 6, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC), 46328 + 9.5/24},
		{time.Date(2026, 11, 2, 11, 30, 0, 0, time.FixedZone("CET+2", 7200)), 46328 + 9.5/24},
		{time.Date(2026, 1, 1, 0, 0, 0, 500_000_000, time.UTC), 46023 + 0.5/86400},
	} {
		require.InDelta(t, tc.want, serial(tc.t), 1e-9, tc.t.String())
	}
}

func TestAppendOrderNumber(t *testing.T) {
	t.Parallel()
	for _, n := range []int64{0, 1, 42, 999999, 1000000, 123456789, -1, -12345} {
		o := order.Order{Number: n}
		require.Equal(t, o.DisplayNumber(), string(appendOrderNumber(nil, &o)))
	}
}

// TestXLSXSpoolRemoved: the Items sheet's temporary file is gone after
// Close, and after a failed write.
func TestXLSXSpoolRemoved(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	left := func() []string {
		es, err := os.ReadDir(dir)
		require.NoError(t, err)
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		return names
	}

	w, err := NewWriter(FormatXLSX, io.Discard)
	require.NoError(t, err)
	require.NoError(t, w.WriteOrder(fixture()[0]))
	require.NoError(t, w.Close())
	require.Empty(t, left())
	require.ErrorIs(t, w.Close(), errWriterClosed)
	require.ErrorIs(t, w.WriteOrder(fixture()[0]), errWriterClosed)

	// The output fails once the Orders sheet is flushed.
	w, err = NewWriter(FormatXLSX, failAfter{n: new(int), ok: 3})
	require.NoError(t, err)
	orders := benchOrders(2000)
	var werr error
	for _, o := range orders {
		if werr = w.WriteOrder(o); werr != nil {
			break
		}
	}
	require.ErrorIs(t, werr, errFull)
	require.ErrorIs(t, w.WriteOrder(orders[0]), errFull, "the error sticks")
	require.ErrorIs(t, w.Close(), errFull)
	require.Empty(t, left())

	// No temporary directory: the first item fails, nothing is left.
	t.Setenv("TMPDIR", filepath.Join(dir, "missing"))
	w, err = NewWriter(FormatXLSX, io.Discard)
	require.NoError(t, err)
	require.Error(t, w.WriteOrder(fixture()[0]))
	require.Error(t, w.Close())
}

// TestXLSXTooManyRows: items go on in a new sheet when one is full,
// never splitting an order's items; an order that does not fit the Orders
// sheet is refused, and the file keeps the orders before it.
func TestXLSXTooManyRows(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, err := newXLSX(&buf)
	require.NoError(t, err)
	w.maxRows = 5                               // a header and four rows
	orders := benchOrders(4)                    // 3 items each
	require.NoError(t, w.WriteOrder(orders[0])) // Items: rows 2-4
	require.NoError(t, w.WriteOrder(orders[1]), "rows 5-7 do not fit: Items 2, rows 2-4")
	one := orders[2]
	one.Items = one.Items[:1]
	require.NoError(t, w.WriteOrder(one), "Items 2, row 5")
	require.NoError(t, w.WriteOrder(fixture()[2]), "an order without items fills Orders")
	require.ErrorIs(t, w.WriteOrder(orders[3]), ErrTooManyRows, "Orders is full")
	require.ErrorIs(t, w.WriteOrder(fixture()[2]), ErrTooManyRows)
	big := orders[3]
	big.Items = append(big.Items, big.Items...)
	require.NoError(t, w.Close())
	require.Equal(t, int64(4+3+3+1), w.Rows(), "the rows of every sheet: 4 orders, 7 items")

	f := readXLSX(t, buf.Bytes())
	require.Equal(t, []string{"Orders", "Items", "Items 2"}, f.order)
	require.Len(t, f.sheets["Orders"].Rows, 5)
	require.Len(t, f.sheets["Items"].Rows, 4)
	require.Len(t, f.sheets["Items 2"].Rows, 5)
	require.Equal(t, "Order", f.cell(t, "Items 2", "A1").text(t), "every Items sheet has its header")
	num := string(appendOrderNumber(nil, &orders[1]))
	for _, ref := range []string{"A2", "A3", "A4"} {
		require.Equal(t, num, f.cell(t, "Items 2", ref).text(t), "the second order's items are together")
	}

	// An order with more items than a sheet holds cannot be written.
	w, err = newXLSX(io.Discard)
	require.NoError(t, err)
	w.maxRows = 5
	require.ErrorIs(t, w.WriteOrder(big), ErrTooManyRows)
	require.NoError(t, w.Close())
}

// The Items sheets of a large export, read back by excelize.
func TestXLSXManyItemSheets(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, err := newXLSX(&buf)
	require.NoError(t, err)
	w.maxRows = 160 // 159 rows a sheet: 53 orders' items
	orders := benchOrders(150)
	for _, o := range orders {
		require.NoError(t, w.WriteOrder(o))
	}
	require.NoError(t, w.Close())
	x, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	defer x.Close()
	// 450 items of 150 orders, 53 orders a sheet: 3 sheets of items.
	names := x.GetSheetList()
	require.Equal(t, []string{"Orders", "Items", "Items 2", "Items 3"}, names)
	total := 0
	for _, n := range names[1:] {
		rows, err := x.GetRows(n)
		require.NoError(t, err)
		require.LessOrEqual(t, len(rows), 160)
		total += len(rows) - 1
	}
	require.Equal(t, 450, total)
	rows, err := x.GetRows("Orders")
	require.NoError(t, err)
	require.Len(t, rows, 151)
}

var errFull = io.ErrShortWrite

// failAfter accepts ok writes, then fails.
type failAfter struct {
	n  *int
	ok int
}

func (f failAfter) Write(b []byte) (int, error) {
	if *f.n++; *f.n > f.ok {
		return 0, errFull
	}
	return len(b), nil
}

// TestXLSXMemory: the writer's live heap does not grow with the number
// of orders (the Items sheet goes to a temporary file). XLSX_MEMORY_ORDERS
// runs it bigger and logs the rate and the process's peak RSS.
func TestXLSXMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("XLSX_MEMORY_ORDERS"))
	if n <= 0 {
		n = 20_000
	}
	tmpl := benchOrders(1000)
	live := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base := live()
	start := time.Now()
	w, err := NewWriter(FormatXLSX, io.Discard)
	require.NoError(t, err)
	var early uint64
	for i := range n {
		o := tmpl[i%len(tmpl)]
		o.Number = int64(i + 1)
		require.NoError(t, w.WriteOrder(o))
		if i == n/10 {
			early = live()
		}
	}
	late := live()
	require.NoError(t, w.Close())
	el := time.Since(start)
	t.Logf("%d orders, %d rows in %v: %.0f rows/s; live heap before %.1f MiB, at %d orders %.1f MiB, at %d %.1f MiB; VmHWM %s",
		n, 4*n, el.Round(time.Millisecond), float64(4*n)/el.Seconds(), mib(base), n/10, mib(early), n, mib(late), vmHWM())
	require.Less(t, late, early+1<<20, "the live heap grew by more than 1 MiB from %d to %d orders", n/10, n)
	require.Less(t, late, base+16<<20, "the writer holds more than 16 MiB")
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// vmHWM is the process's peak resident set size, where Linux reports it.
func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
