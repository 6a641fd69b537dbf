package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ordo/ordo/internal/order"
)

// Writer writes orders to a file, one at a time; memory does not grow
// with their number.
type Writer interface {
	WriteOrder(o order.Order) error
	// Rows reports the data rows written so far, headers excluded, across
	// every sheet of the file: what a reader of the file counts (CSV: one
	// per item, or one for an order without items; XLSX: one per order on
	// Orders and one per item on the Items sheets; PDF: one per order).
	Rows() int64
	// Close finishes the file.
	Close() error
}

// NewWriter returns a writer of format f on w.
func NewWriter(f Format, w io.Writer) (Writer, error) {
	switch f {
	case FormatCSV:
		return newCSV(w), nil
	case FormatXLSX:
		return newXLSX(w)
	case FormatPDF:
		return NewPDFWriter(w, ReportHeader{})
	}
	return nil, fmt.Errorf("export: unknown format %q", f)
}

// appendFixed appends minor / 10^scale with exactly scale decimals and no
// thousands separator (1250, 2 → "12.50"; -5, 2 → "-0.05").
func appendFixed(b []byte, minor int64, scale int) []byte {
	if scale <= 0 {
		return strconv.AppendInt(b, minor, 10)
	}
	u := uint64(minor)
	if minor < 0 {
		b = append(b, '-')
		u = -u
	}
	start := len(b)
	b = strconv.AppendUint(b, u, 10)
	// Pad to at least scale+1 digits, then put the point in.
	if n := len(b) - start; n <= scale {
		pad := scale + 1 - n
		b = append(b, make([]byte, pad)...)
		copy(b[start+pad:], b[start:start+n])
		for i := range pad {
			b[start+i] = '0'
		}
	}
	b = append(b, 0)
	point := len(b) - 1 - scale
	copy(b[point+1:], b[point:len(b)-1])
	b[point] = '.'
	return b
}

// neutralise keeps a text cell from being read as a formula by
// spreadsheet programs (OWASP CSV injection).
func neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

var csvHeader = []string{"order_number", "status", "created_at", "customer_name", "customer_email", "customer_phone", "currency",
	"subtotal", "tax", "discount", "total", "external_ref", "item_sku", "item_name", "item_quantity", "item_unit_price", "item_tax_rate_bp", "item_total"}

type csvWriter struct {
	w      *csv.Writer
	rows   int64
	header bool
	scales scales
	// Reused for every order: the row's cells, and the order's numbers
	// built in one buffer that becomes one string.
	row  []string
	num  []byte
	ends []int
}

func newCSV(w io.Writer) *csvWriter { return &csvWriter{w: csv.NewWriter(w)} }

// WriteOrder writes one row per item with the order's columns repeated; an
// order without items still gets one row.
func (c *csvWriter) WriteOrder(o order.Order) error {
	if !c.header {
		if err := c.w.Write(csvHeader); err != nil {
			return err
		}
		c.header = true
	}
	// Every number of the order and its items, formatted into one string
	// (one allocation per order), then sliced into cells.
	scale := c.scales.of(o.Currency)
	c.num, c.ends = c.num[:0], c.ends[:0]
	add := func(b []byte) { c.num = b; c.ends = append(c.ends, len(b)) }
	add(appendFixed(c.num, o.Subtotal, scale))
	add(appendFixed(c.num, o.Tax, scale))
	add(appendFixed(c.num, o.Discount, scale))
	add(appendFixed(c.num, o.Total, scale))
	for _, it := range o.Items {
		add(strconv.AppendInt(c.num, it.Quantity, 10))
		add(appendFixed(c.num, it.UnitPrice, scale))
		add(strconv.AppendInt(c.num, it.TaxRateBP, 10))
		add(appendFixed(c.num, it.LineTotal, scale))
	}
	nums, at, i := string(c.num), 0, 0
	next := func() string { v := nums[at:c.ends[i]]; at = c.ends[i]; i++; return v }

	row := append(c.row[:0], o.DisplayNumber(), string(o.Status), o.CreatedAt.UTC().Format(time.RFC3339), neutralise(o.CustomerName),
		neutralise(o.CustomerEmail), neutralise(o.CustomerPhone), o.Currency, next(), next(), next(), next(), neutralise(o.ExternalRef))
	base := len(row)
	if len(o.Items) == 0 {
		row = append(row, "", "", "", "", "", "")
		c.row = row
		if err := c.w.Write(row); err != nil {
			return err
		}
		c.rows++
		return nil
	}
	for _, it := range o.Items {
		row = append(row[:base], neutralise(it.SKU), neutralise(it.Name), next(), next(), next(), next())
		if err := c.w.Write(row); err != nil {
			return err
		}
		c.rows++
	}
	c.row = row
	return nil
}

// scales remembers the decimal places of the last currency seen: an
// export's orders are nearly always in one or two currencies, and looking
// one up is costly.
type scales struct {
	code  string
	scale int
}

func (s *scales) of(code string) int {
	if code != s.code || s.code == "" {
		s.code, s.scale = code, order.Scale(code)
	}
	return s.scale
}

func (c *csvWriter) Rows() int64 { return c.rows }

func (c *csvWriter) Close() error {
	if !c.header {
		if err := c.w.Write(csvHeader); err != nil {
			return err
		}
	}
	c.w.Flush()
	return c.w.Error()
}
