package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ordo/ordo/internal/order"
)

// Writer writes orders to a file, one at a time; memory does not grow
// with their number.
type Writer interface {
	WriteOrder(o order.Order) error
	// Rows reports the data rows written so far.
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

// decimal shows minor units as a plain decimal (no thousands separator).
func decimal(minor int64, currency string) string {
	return strings.ReplaceAll(strings.TrimSuffix(order.FormatMoney(minor, currency), " "+currency), ",", "")
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
	base := []string{o.DisplayNumber(), string(o.Status), o.CreatedAt.UTC().Format(time.RFC3339), neutralise(o.CustomerName),
		neutralise(o.CustomerEmail), neutralise(o.CustomerPhone), o.Currency, decimal(o.Subtotal, o.Currency), decimal(o.Tax, o.Currency),
		decimal(o.Discount, o.Currency), decimal(o.Total, o.Currency), neutralise(o.ExternalRef)}
	items := o.Items
	if len(items) == 0 {
		items = []order.Item{{}}
	}
	for _, it := range items {
		row := append([]string(nil), base...)
		if it.Name == "" && it.Quantity == 0 {
			row = append(row, "", "", "", "", "", "")
		} else {
			row = append(row, neutralise(it.SKU), neutralise(it.Name), fmt.Sprint(it.Quantity), decimal(it.UnitPrice, o.Currency),
				fmt.Sprint(it.TaxRateBP), decimal(it.LineTotal, o.Currency))
		}
		if err := c.w.Write(row); err != nil {
			return err
		}
		c.rows++
	}
	return nil
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

// xlsxWriter streams an Orders sheet and an Items sheet with excelize's
// StreamWriter.
type xlsxWriter struct {
	out           io.Writer
	f             *excelize.File
	orders, items *excelize.StreamWriter
	oRow, iRow    int
	rows          int64
	bold, date    int
	money         map[string]int
}

func newXLSX(w io.Writer) (*xlsxWriter, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", "Orders"); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet("Items"); err != nil {
		return nil, err
	}
	x := &xlsxWriter{out: w, f: f, oRow: 1, iRow: 1, money: map[string]int{}}
	var err error
	if x.bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return nil, err
	}
	fmtDate := "yyyy-mm-dd hh:mm"
	if x.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &fmtDate}); err != nil {
		return nil, err
	}
	if x.orders, err = f.NewStreamWriter("Orders"); err != nil {
		return nil, err
	}
	if x.items, err = f.NewStreamWriter("Items"); err != nil {
		return nil, err
	}
	for i, wdt := range []float64{14, 12, 18, 28, 30, 10, 14, 14, 14, 14} {
		if err := x.orders.SetColWidth(i+1, i+1, wdt); err != nil {
			return nil, err
		}
	}
	for i, wdt := range []float64{14, 16, 32, 10, 14, 10, 14} {
		if err := x.items.SetColWidth(i+1, i+1, wdt); err != nil {
			return nil, err
		}
	}
	head := func(sw *excelize.StreamWriter, names ...string) error {
		cells := make([]any, len(names))
		for i, n := range names {
			cells[i] = excelize.Cell{StyleID: x.bold, Value: n}
		}
		return sw.SetRow("A1", cells)
	}
	if err := x.orders.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if err := x.items.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if err := head(x.orders, "Number", "Status", "Created", "Customer", "E-mail", "Currency", "Subtotal", "Tax", "Discount", "Total"); err != nil {
		return nil, err
	}
	if err := head(x.items, "Order", "SKU", "Item", "Quantity", "Unit price", "Tax %", "Line total"); err != nil {
		return nil, err
	}
	return x, nil
}

// moneyStyle is a number format with the currency's decimals and code.
func (x *xlsxWriter) moneyStyle(cur string) (int, error) {
	if id, ok := x.money[cur]; ok {
		return id, nil
	}
	pattern := "#,##0"
	if sc := order.Scale(cur); sc > 0 {
		pattern += "." + strings.Repeat("0", sc)
	}
	pattern += ` "` + cur + `"`
	id, err := x.f.NewStyle(&excelize.Style{CustomNumFmt: &pattern})
	if err != nil {
		return 0, err
	}
	x.money[cur] = id
	return id, nil
}

// major converts minor units to the nearest float of the decimal amount
// (one division, so 7202 EUR cents is exactly the double nearest 72.02).
func major(minor int64, cur string) float64 {
	return float64(minor) / math.Pow10(order.Scale(cur))
}

func (x *xlsxWriter) WriteOrder(o order.Order) error {
	ms, err := x.moneyStyle(o.Currency)
	if err != nil {
		return err
	}
	m := func(v int64) excelize.Cell { return excelize.Cell{StyleID: ms, Value: major(v, o.Currency)} }
	x.oRow++
	cell, _ := excelize.CoordinatesToCellName(1, x.oRow)
	if err := x.orders.SetRow(cell, []any{o.DisplayNumber(), string(o.Status), excelize.Cell{StyleID: x.date, Value: o.CreatedAt.UTC()},
		o.CustomerName, o.CustomerEmail, o.Currency, m(o.Subtotal), m(o.Tax), m(o.Discount), m(o.Total)}); err != nil {
		return err
	}
	x.rows++
	for _, it := range o.Items {
		x.iRow++
		cell, _ := excelize.CoordinatesToCellName(1, x.iRow)
		if err := x.items.SetRow(cell, []any{o.DisplayNumber(), it.SKU, it.Name, it.Quantity, m(it.UnitPrice),
			float64(it.TaxRateBP) / 100, m(it.LineTotal)}); err != nil {
			return err
		}
	}
	return nil
}

func (x *xlsxWriter) Rows() int64 { return x.rows }

func (x *xlsxWriter) Close() error {
	if err := x.orders.Flush(); err != nil {
		return err
	}
	if err := x.items.Flush(); err != nil {
		return err
	}
	if _, err := x.f.WriteTo(x.out); err != nil {
		return err
	}
	return x.f.Close()
}
