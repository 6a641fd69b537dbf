package export

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/testkit"
)

func renderPDF(t testing.TB, h ReportHeader, orders []order.Order) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewPDFWriter(&buf, h)
	require.NoError(t, err)
	for _, o := range orders {
		require.NoError(t, w.WriteOrder(o))
	}
	require.Equal(t, int64(len(orders)), w.Rows())
	require.NoError(t, w.Close())
	require.True(t, bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")), "a PDF")
	return buf.Bytes()
}

func reportHeader() ReportHeader {
	after := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	return ReportHeader{
		Tenant:      "Ακρόπολις Trading GmbH",
		Filters:     Filters{Status: order.StatusPending, CreatedAfter: &after, Query: "Ψυχή"},
		GeneratedAt: time.Date(2026, 11, 3, 8, 15, 0, 0, time.UTC),
	}
}

func TestPDFWriter(t *testing.T) {
	t.Parallel()
	orders := fixture()
	orders[0].CustomerName = "Ærøskøbing Ψυχή Дмитрий"
	text := testkit.PDFText(t, renderPDF(t, reportHeader(), orders))
	flat := strings.Join(strings.Fields(text), " ")
	require.Equal(t, 1, strings.Count(text, "\f"), "one page")
	for _, want := range []string{
		"Ακρόπολις Trading GmbH",
		`Status: Pending · Created on or after 2026-11-01 · Search: "Ψυχή"`,
		"Generated 2026-11-03 08:15 UTC",
		"Ærøskøbing Ψυχή Дмитрий",
		"2026-11-02 10:30",
		"Page 1 of 1",
		"3 orders",
	} {
		require.Contains(t, flat, want)
	}
	for _, o := range orders {
		require.Contains(t, flat, o.DisplayNumber())
		require.Contains(t, flat, o.ExternalRef)
		require.Contains(t, flat, order.FormatMoney(o.Total, o.Currency))
	}
	require.Contains(t, flat, "0 JPY", "the order without items has a row too")
}

func TestPDFWriterEmpty(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		data func(t *testing.T) []byte
	}{
		{"NewWriter, no header", func(t *testing.T) []byte { return render(t, FormatPDF, nil) }},
		{"with header", func(t *testing.T) []byte { return renderPDF(t, reportHeader(), nil) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			text := testkit.PDFText(t, tt.data(t))
			require.Equal(t, 1, strings.Count(text, "\f"), "one page")
			require.Contains(t, text, "No orders match these filters.")
			require.Contains(t, text, "Number", "the table header")
			require.Contains(t, text, "Page 1 of 1")
		})
	}
	text := testkit.PDFText(t, render(t, FormatPDF, nil))
	require.Contains(t, text, "Filters: all orders")
}

func manyOrders(n int) []order.Order {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]order.Order, n)
	for i := range out {
		o := order.Order{Number: int64(i + 1), Status: order.StatusShipped, CustomerName: fmt.Sprintf("Customer %d Дмитрий", i+1),
			CustomerEmail: "c@example.com", Currency: "EUR", ExternalRef: fmt.Sprintf("PO-%05d", i+1), CreatedAt: at.Add(time.Duration(i) * time.Hour),
			Items: []order.Item{{Name: "Widget", Quantity: int64(i%5 + 1), UnitPrice: 1250, TaxRateBP: 2000}}}
		order.Compute(&o)
		out[i] = o
	}
	return out
}

func TestPDFWriterPages(t *testing.T) {
	t.Parallel()
	orders := manyOrders(300)
	text := testkit.PDFText(t, renderPDF(t, reportHeader(), orders))
	pages := strings.Split(strings.TrimSuffix(text, "\f"), "\f")
	require.Greater(t, len(pages), 5)
	require.Contains(t, text, "Page 2 of "+fmt.Sprint(len(pages)))
	require.Contains(t, text, fmt.Sprintf("Page %d of %d", len(pages), len(pages)))
	for i, p := range pages {
		require.Contains(t, p, "Ακρόπολις Trading GmbH", "tenant on page %d", i+1)
		require.Contains(t, p, "Created on or after 2026-11-01", "filters on page %d", i+1)
		require.Contains(t, p, "Reference", "table header on page %d", i+1)
	}
	for _, o := range orders {
		require.Equal(t, 1, strings.Count(text, o.ExternalRef), "%s printed once", o.ExternalRef)
	}
	require.Contains(t, pages[len(pages)-1], "300 orders")
}

func TestPDFWriterLimit(t *testing.T) {
	t.Parallel()
	w, err := NewPDFWriter(io.Discard, ReportHeader{})
	require.NoError(t, err)
	o := manyOrders(1)[0]
	for range PDFMaxOrders {
		require.NoError(t, w.WriteOrder(o))
	}
	require.ErrorIs(t, w.WriteOrder(o), ErrTooManyOrders)
	require.Equal(t, int64(PDFMaxOrders), w.Rows())
	require.NoError(t, w.Close())
}

func TestPDFWriterDeterministic(t *testing.T) {
	t.Parallel()
	require.Equal(t, renderPDF(t, reportHeader(), fixture()), renderPDF(t, reportHeader(), fixture()))
}

func TestFilterSummary(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	noon := time.Date(2026, 11, 2, 13, 30, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		f    Filters
		want string
	}{
		{"none", Filters{}, "all orders"},
		{"status", Filters{Status: order.StatusCancelled}, "Status: Cancelled"},
		{"range", Filters{CreatedAfter: &day, CreatedBefore: &noon}, "Created on or after 2026-11-01 and before 2026-11-02 12:30 UTC"},
		{"after", Filters{CreatedAfter: &noon}, "Created on or after 2026-11-02 12:30 UTC"},
		{"before", Filters{CreatedBefore: &day}, "Created before 2026-11-01"},
		{"customer and search", Filters{CustomerEmail: "a@b.c", Query: `bolt "M6"`}, `Customer e-mail: a@b.c · Search: "bolt \"M6\""`},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, filterSummary(tt.f), tt.name)
	}
}

func BenchmarkPDFWriter(b *testing.B) {
	orders := manyOrders(100)
	h := reportHeader()
	for b.Loop() {
		w, err := NewPDFWriter(io.Discard, h)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range orders {
			if err := w.WriteOrder(o); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPDFWriterScripts: customers named in every script print, and read
// back in logical order (right-to-left names word by word: pdftotext
// orders a line's runs visually); a name too long for its cell is cut
// with an ellipsis, never inside a cluster.
func TestPDFWriterScripts(t *testing.T) {
	t.Parallel()
	names := []string{"محمد بن سلمان", "שרה כהן", "राजेश क्षत्रिय", "สมชาย ใจดี", "Ψυχή Дмитрий"}
	orders := fixture()[:1]
	for i, n := range names {
		o := orders[0]
		o.Number = int64(100 + i)
		o.CustomerName = n
		orders = append(orders, o)
	}
	long := orders[0]
	long.Number = 200
	long.CustomerName = strings.Repeat("บริษัทสมชายใจดีจำกัด", 5)
	orders = append(orders, long)
	pdf := renderPDF(t, reportHeader(), orders)
	text := testkit.PDFText(t, pdf)
	for _, n := range names {
		for _, w := range strings.Fields(n) {
			require.Contains(t, text, w)
		}
	}
	require.Contains(t, text, "บริษัทสมชาย")
	require.Contains(t, text, "…", "the long name is cut")
	for _, f := range testkit.PDFFonts(t, pdf) {
		cols := strings.Fields(f)
		require.Equal(t, []string{"yes", "yes", "yes"}, cols[4:7], "embedded, subset, ToUnicode: %s", f)
	}
}
