package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

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
