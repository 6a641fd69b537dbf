package export

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ordo/ordo/internal/fpdf"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/typeset"
)

// ErrTooManyOrders is returned by a PDF writer asked to hold more than
// PDFMaxOrders orders; check the count before choosing PDF.
var ErrTooManyOrders = errors.New("export: too many orders for a PDF (at most " + strconv.Itoa(PDFMaxOrders) + ")")

// ReportHeader is what a PDF report says about itself on every page.
// Zero fields are left out.
type ReportHeader struct {
	Tenant      string
	Filters     Filters
	GeneratedAt time.Time
}

// Landscape A4, in millimetres.
const (
	pdfPageW  = 297.0
	pdfPageH  = 210.0
	pdfMargin = 10.0
	pdfBottom = 14.0 // room for the footer
	pdfRowH   = 6.0
)

// One row per order; the widths add up to the page width less margins.
var pdfCols = []struct {
	title string
	width float64
	align string
}{
	{"Number", 24, "L"},
	{"Reference", 34, "L"},
	{"Created (UTC)", 28, "L"},
	{"Customer", 62, "L"},
	{"E-mail", 58, "L"},
	{"Status", 22, "L"},
	{"Items", 12, "R"},
	{"Total", 37, "R"},
}

// pdfWriter lays orders out as a paged table. fpdf keeps the document in
// memory until Close (the page count in "Page N of M" is only known then),
// which is why a PDF is capped at PDFMaxOrders, unlike the streaming CSV
// and XLSX writers.
type pdfWriter struct {
	out    io.Writer
	pdf    *fpdf.Fpdf
	tw     *typeset.Writer
	h      ReportHeader
	rows   int64
	closed bool
}

// NewPDFWriter returns a writer of a PDF report of orders on w, with h
// printed at the top of every page. Text is shaped and set by
// internal/typeset, so names print in any script it has fonts for (see
// there; CJK needs Noto Sans CJK in ORDO_FONT_DIR or a system font
// directory). Nothing reaches w before Close.
func NewPDFWriter(w io.Writer, h ReportHeader) (Writer, error) {
	lib, err := typeset.Default()
	if err != nil {
		return nil, fmt.Errorf("export: fonts: %w", err)
	}
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(true, pdfBottom)
	pdf.SetCatalogSort(true)
	if !h.GeneratedAt.IsZero() {
		// Fixed dates make the same export render to the same bytes.
		pdf.SetCreationDate(h.GeneratedAt)
		pdf.SetModificationDate(h.GeneratedAt)
	}
	title := "Orders"
	if h.Tenant != "" {
		title = h.Tenant + " – orders"
	}
	pdf.SetTitle(title, true)
	pdf.SetCreator("Ordo", true)

	p := &pdfWriter{out: w, pdf: pdf, tw: lib.NewWriter(pdf), h: h}
	pdf.SetHeaderFuncMode(p.pageHeader, false)
	pdf.SetFooterFunc(p.pageFooter)
	pdf.AddPage()
	if err := pdf.Error(); err != nil {
		p.tw.Close()
		return nil, fmt.Errorf("export: start PDF: %w", err)
	}
	return p, nil
}

func (p *pdfWriter) font(style string, size float64) { p.tw.SetFont(style == "B", size) }

// pageHeader prints the report's title, filters and time, then the
// table's header, on every page.
func (p *pdfWriter) pageHeader() {
	pdf := p.pdf
	width := pdfPageW - 2*pdfMargin
	pdf.SetXY(pdfMargin, pdfMargin)
	pdf.SetTextColor(20, 20, 20)
	p.font("B", 13)
	title := "Orders"
	if p.h.Tenant != "" {
		title = p.h.Tenant + " · Orders"
	}
	p.tw.Cell(width-70, 7, p.tw.Fit(title, width-70), "L", false, 0)
	p.font("", 8.5)
	pdf.SetTextColor(100, 100, 100)
	generated := ""
	if !p.h.GeneratedAt.IsZero() {
		generated = "Generated " + p.h.GeneratedAt.UTC().Format("2006-01-02 15:04") + " UTC"
	}
	p.tw.Cell(70, 7, generated, "R", false, 1)
	pdf.SetX(pdfMargin)
	p.tw.Cell(width, 5, p.tw.Fit("Filters: "+filterSummary(p.h.Filters), width), "L", false, 1)
	pdf.Ln(2)

	p.font("B", 8.5)
	pdf.SetFillColor(40, 60, 90)
	pdf.SetTextColor(255, 255, 255)
	pdf.SetX(pdfMargin)
	for _, c := range pdfCols {
		p.tw.Cell(c.width, 6.5, c.title, c.align, true, 0)
	}
	pdf.Ln(6.5)
	pdf.SetTextColor(20, 20, 20)
}

func (p *pdfWriter) pageFooter() {
	pdf := p.pdf
	pdf.SetY(-pdfBottom + 4)
	p.font("", 7.5)
	pdf.SetTextColor(100, 100, 100)
	// The page count is known only when the document is written.
	pdf.SetX(pdfPageW - pdfMargin - 30)
	p.tw.CellPageCount(30, 4, "Page "+strconv.Itoa(pdf.PageNo())+" of ", 0)
}

// WriteOrder adds the order's row; rows never split across pages, and
// auto page breaks repeat the header.
func (p *pdfWriter) WriteOrder(o order.Order) error {
	if p.closed {
		return errors.New("export: PDF writer is closed")
	}
	if p.rows >= PDFMaxOrders {
		return ErrTooManyOrders
	}
	pdf := p.pdf
	p.font("", 8.5)
	pdf.SetX(pdfMargin)
	fill := p.rows%2 == 1
	pdf.SetFillColor(242, 244, 247)
	cells := []string{
		o.DisplayNumber(),
		o.ExternalRef,
		"",
		o.CustomerName,
		o.CustomerEmail,
		statusLabel(o.Status),
		strconv.Itoa(len(o.Items)),
		order.FormatMoney(o.Total, o.Currency),
	}
	if !o.CreatedAt.IsZero() {
		cells[2] = o.CreatedAt.UTC().Format("2006-01-02 15:04")
	}
	for i, c := range pdfCols {
		p.tw.Cell(c.width, pdfRowH, p.tw.Fit(cells[i], c.width), c.align, fill, 0)
	}
	pdf.Ln(pdfRowH)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("export: PDF row for order %s: %w", o.DisplayNumber(), err)
	}
	p.rows++
	return nil
}

func (p *pdfWriter) Rows() int64 { return p.rows }

// Close ends the report with the order count and writes the document.
func (p *pdfWriter) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	defer p.tw.Close()
	pdf := p.pdf
	pdf.Ln(3)
	pdf.SetX(pdfMargin)
	p.font("B", 9)
	switch p.rows {
	case 0:
		p.tw.Cell(0, 6, "No orders match these filters.", "L", false, 1)
	case 1:
		p.tw.Cell(0, 6, "1 order", "L", false, 1)
	default:
		p.tw.Cell(0, 6, strconv.FormatInt(p.rows, 10)+" orders", "L", false, 1)
	}
	if err := pdf.Output(p.out); err != nil {
		return fmt.Errorf("export: write PDF: %w", err)
	}
	return nil
}

// filterSummary says in words which orders the filters select, e.g.
// `Status: shipped · Created on or after 2026-01-01 · Search: "bolt"`.
// Times are UTC; a time at midnight shows as a date.
func filterSummary(f Filters) string {
	var parts []string
	if f.Status != "" {
		parts = append(parts, "Status: "+statusLabel(f.Status))
	}
	switch {
	case f.CreatedAfter != nil && f.CreatedBefore != nil:
		parts = append(parts, "Created on or after "+summaryTime(*f.CreatedAfter)+" and before "+summaryTime(*f.CreatedBefore))
	case f.CreatedAfter != nil:
		parts = append(parts, "Created on or after "+summaryTime(*f.CreatedAfter))
	case f.CreatedBefore != nil:
		parts = append(parts, "Created before "+summaryTime(*f.CreatedBefore))
	}
	if f.CustomerEmail != "" {
		parts = append(parts, "Customer e-mail: "+f.CustomerEmail)
	}
	if f.Query != "" {
		parts = append(parts, "Search: "+strconv.Quote(f.Query))
	}
	if len(parts) == 0 {
		return "all orders"
	}
	return strings.Join(parts, " · ")
}

func summaryTime(t time.Time) string {
	t = t.UTC()
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04") + " UTC"
}

// statusLabel capitalises a status for people: "shipped" → "Shipped".
func statusLabel(s order.Status) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}
