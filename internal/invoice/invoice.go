// Package invoice is orders' PDF invoices: the invoice record (record.go),
// the PDF layout (this file), and the service (service.go) through which a
// request, or an order moving to shipped, marks the invoice pending and
// enqueues its job in one transaction; the job renders the PDF with the
// tenant's branding (branding.go), stores it, and announces it in the
// events outbox.
//
// Text is shaped and set by internal/typeset: Latin, Greek and Cyrillic in
// the Go fonts; Arabic, Hebrew, Devanagari and Thai in embedded Noto
// fonts; Chinese, Japanese and Korean in Noto Sans CJK when it is found
// (ORDO_FONT_DIR or the system's font directories), else as visible
// placeholders. Each font is embedded as a subset of the glyphs used.
// Branding.RTL mirrors the layout for right-to-left tenants.
package invoice

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ordo/ordo/internal/fpdf"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/typeset"
)

// Branding is how a tenant's invoices look and what they say about the
// seller.
type Branding struct {
	Name    string
	Address string // may hold several lines, separated by "\n"
	TaxID   string
	Footer  string // e.g. bank details or terms; at most three lines print
	// AccentColor is "#RRGGBB"; anything else falls back to a dark blue.
	AccentColor string
	// Logo is a PNG or JPEG image. An image that does not decode, or one
	// larger than MaxLogoPixels, is left out and the invoice is rendered
	// without it: a broken logo must not stop invoicing.
	Logo []byte
	// LogoType is "png" or "jpg". It is only a hint: the bytes' own
	// signature decides, so a mislabelled logo still prints.
	LogoType string
	// RTL lays the invoice out right to left, mirrored: the seller and
	// "Bill to" on the right, the item table's description column on the
	// right, text aligned right and paragraphs read right to left.
	RTL bool
}

// Invoice is one invoice for one order. The amounts are the order's own
// (subtotal, tax, discount and total as order.Compute left them); the
// invoice does no tax arithmetic of its own.
type Invoice struct {
	Number string
	// IssuedAt is printed as a date in its own location, and is the PDF's
	// creation date, so the same invoice renders to the same bytes.
	IssuedAt time.Time
	Order    order.Order
	Branding Branding
}

// MaxLogoPixels caps a logo's width × height. Images with transparency are
// decompressed in full while rendering, so a small file of huge dimensions
// could otherwise cost gigabytes.
const MaxLogoPixels = 4096 * 4096

// Layout, in millimetres on A4 portrait.
const (
	pageW        = 210.0
	pageH        = 297.0
	margin       = 15.0
	contentW     = pageW - 2*margin
	bottomMargin = 30.0 // room for the footer
	footerTop    = pageH - 24

	lineH      = 4.4 // 9 pt text
	smallLineH = 3.6 // 7.5 pt text
	cellPad    = 1.8
	// maxSubLines caps an item's SKU and description lines so that one
	// row always fits on a page (descriptions may hold 2000 characters).
	maxSubLines = 30
)

// defaultAccent is used when the branding's colour is missing or invalid.
var defaultAccent = rgb{0x1f, 0x4e, 0x79}

// Item table columns: description, quantity, unit price, tax rate, amount.
var (
	colW     = [...]float64{84, 18, 32, 14, 32}
	colTitle = [...]string{"Description", "Qty", "Unit price", "Tax", "Amount"}
	colAlign = [...]string{"L", "R", "R", "R", "R"}
)

type rgb struct{ r, g, b int }

// parseColor reads "#RRGGBB".
func parseColor(s string) (rgb, bool) {
	if len(s) != 7 || s[0] != '#' {
		return rgb{}, false
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return rgb{}, false
	}
	return rgb{int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)}, true
}

// Render writes inv as a PDF to w. Nothing is written if rendering fails.
func Render(w io.Writer, inv Invoice) error {
	if strings.TrimSpace(inv.Number) == "" {
		return errors.New("invoice: number is required")
	}
	lib, err := typeset.Default()
	if err != nil {
		return fmt.Errorf("invoice %s: fonts: %w", inv.Number, err)
	}
	return RenderWith(w, inv, lib)
}

// RenderWith is Render with the fonts of lib.
func RenderWith(w io.Writer, inv Invoice, lib *typeset.Library) error {
	if strings.TrimSpace(inv.Number) == "" {
		return errors.New("invoice: number is required")
	}
	r := newRenderer(inv, lib)
	defer r.tw.Close()
	r.document()
	if err := r.pdf.Error(); err != nil {
		return fmt.Errorf("invoice %s: render: %w", inv.Number, err)
	}
	if err := r.pdf.Output(w); err != nil {
		return fmt.Errorf("invoice %s: write: %w", inv.Number, err)
	}
	return nil
}

type renderer struct {
	pdf    *fpdf.Fpdf
	tw     *typeset.Writer
	inv    Invoice
	accent rgb
	logo   *fpdf.ImageInfoType
	// inTable makes the page header repeat the item table's header.
	inTable bool
}

func newRenderer(inv Invoice, lib *typeset.Library) *renderer {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, bottomMargin)
	pdf.SetCatalogSort(true)
	if !inv.IssuedAt.IsZero() {
		pdf.SetCreationDate(inv.IssuedAt)
		pdf.SetModificationDate(inv.IssuedAt)
	}
	pdf.SetTitle("Invoice "+inv.Number, true)
	pdf.SetAuthor(inv.Branding.Name, true)
	pdf.SetCreator("Ordo", true)

	r := &renderer{pdf: pdf, tw: lib.NewWriter(pdf), inv: inv, accent: defaultAccent}
	r.tw.Mirror = inv.Branding.RTL
	if c, ok := parseColor(inv.Branding.AccentColor); ok {
		r.accent = c
	}
	r.logo = registerLogo(pdf, inv.Branding.Logo)
	pdf.SetHeaderFuncMode(r.pageHeader, false)
	pdf.SetFooterFuncLpi(r.pageFooter)
	return r
}

// registerLogo adds the logo to pdf, or returns nil if it is not a PNG or
// JPEG fpdf can read.
func registerLogo(pdf *fpdf.Fpdf, data []byte) *fpdf.ImageInfoType {
	if len(data) == 0 || pdf.Err() {
		return nil
	}
	var cfg image.Config
	var typ string
	var err error
	if cfg, err = png.DecodeConfig(bytes.NewReader(data)); err == nil {
		typ = "png"
	} else if cfg, err = jpeg.DecodeConfig(bytes.NewReader(data)); err == nil {
		typ = "jpg"
	} else {
		return nil
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxLogoPixels {
		return nil
	}
	info := pdf.RegisterImageOptionsReader("logo", fpdf.ImageOptions{ImageType: typ}, bytes.NewReader(data))
	if pdf.Err() {
		// fpdf rejects some valid images (interlaced PNG, for one); the
		// error is the logo's alone, so drop it and go on without.
		pdf.ClearError()
		return nil
	}
	return info
}

func (r *renderer) font(style string, size float64) { r.tw.SetFont(style == "B", size) }
func (r *renderer) grey()                           { r.pdf.SetTextColor(100, 100, 100) }
func (r *renderer) black()                          { r.pdf.SetTextColor(20, 20, 20) }
func (r *renderer) accentText()                     { r.pdf.SetTextColor(r.accent.r, r.accent.g, r.accent.b) }

func (r *renderer) document() {
	p := r.pdf
	p.AddPage()
	r.letterhead()
	r.parties()
	r.items()
	r.totals()
}

// letterhead is the first page's top: the seller on the left, the
// invoice's number and dates on the right.
func (r *renderer) letterhead() {
	p, b, o := r.pdf, r.inv.Branding, r.inv.Order
	top := margin
	y := top
	if r.logo != nil {
		// At most 50 × 20 mm, keeping the aspect ratio.
		w, h := r.logo.Width(), r.logo.Height()
		scale := min(50/w, 20/h)
		p.ImageOptions("logo", r.tw.X(margin, w*scale), y, w*scale, h*scale, false, fpdf.ImageOptions{}, 0, "")
		y += h*scale + 3
	}
	left := 100.0
	p.SetXY(margin, y)
	if b.Name != "" {
		r.font("B", 15)
		r.accentText()
		r.tw.MultiCell(left, 7, b.Name, "L")
	}
	r.font("", 9)
	r.grey()
	for _, line := range strings.Split(strings.TrimSpace(b.Address), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			p.SetX(margin)
			r.tw.MultiCell(left, lineH, line, "L")
		}
	}
	if b.TaxID != "" {
		p.SetX(margin)
		r.tw.MultiCell(left, lineH, "Tax ID: "+b.TaxID, "L")
	}
	leftBottom := p.GetY()

	// The invoice block, right-aligned against the margin.
	x := pageW - margin - 75
	p.SetXY(x, top)
	r.font("B", 20)
	r.accentText()
	r.tw.Cell(75, 10, "INVOICE", "R", false, 2)
	p.SetY(p.GetY() + 2)
	rows := [][2]string{{"Invoice no.", r.inv.Number}}
	if !r.inv.IssuedAt.IsZero() {
		rows = append(rows, [2]string{"Issue date", r.inv.IssuedAt.Format("2006-01-02")})
	}
	rows = append(rows, [2]string{"Order no.", o.DisplayNumber()})
	if !o.CreatedAt.IsZero() {
		rows = append(rows, [2]string{"Order date", o.CreatedAt.In(r.location()).Format("2006-01-02")})
	}
	if o.ExternalRef != "" {
		rows = append(rows, [2]string{"Your reference", o.ExternalRef})
	}
	for _, row := range rows {
		p.SetX(x)
		r.font("", 9)
		r.grey()
		r.tw.Cell(28, lineH+0.6, row[0], "L", false, 0)
		r.font("B", 9)
		r.black()
		r.tw.Cell(47, lineH+0.6, r.tw.Fit(row[1], 47), "R", false, 1)
	}
	p.SetY(max(leftBottom, p.GetY()) + 8)
}

// location is where dates are read: the issue time's, so that the order
// date and the issue date agree.
func (r *renderer) location() *time.Location {
	if r.inv.IssuedAt.IsZero() {
		return time.UTC
	}
	return r.inv.IssuedAt.Location()
}

// parties prints the customer: "Bill to" with the billing address, and
// "Ship to" when a shipping address is given.
func (r *renderer) parties() {
	p, o := r.pdf, r.inv.Order
	top := p.GetY()
	colWidth := contentW/2 - 5

	bill := []string{}
	if o.CustomerEmail != "" {
		bill = append(bill, o.CustomerEmail)
	}
	if o.CustomerPhone != "" {
		bill = append(bill, o.CustomerPhone)
	}
	bill = append(bill, addressLines(o.BillingAddress, o.CustomerName)...)
	bottom := r.party(margin, top, colWidth, "Bill to", o.CustomerName, bill)
	if o.ShippingAddress != nil {
		name := o.ShippingAddress.Name
		if name == "" {
			name = o.CustomerName
		}
		ship := addressLines(o.ShippingAddress, name)
		bottom = max(bottom, r.party(margin+contentW/2+5, top, colWidth, "Ship to", name, ship))
	}
	p.SetXY(margin, bottom+8)
}

// party prints a titled block of lines at x, y and returns its bottom.
func (r *renderer) party(x, y, w float64, title, name string, lines []string) float64 {
	p := r.pdf
	p.SetXY(x, y)
	r.font("B", 8)
	r.accentText()
	r.tw.Cell(w, lineH, strings.ToUpper(title), "L", false, 2)
	if name != "" {
		r.font("B", 10)
		r.black()
		p.SetX(x)
		r.tw.MultiCell(w, 5, name, "L")
	}
	r.font("", 9)
	r.black()
	for _, l := range lines {
		p.SetX(x)
		r.tw.MultiCell(w, lineH, l, "L")
	}
	return p.GetY()
}

// addressLines lays out an address; the addressee's name is left out
// when it is the name already printed above it.
func addressLines(a *order.Address, printedName string) []string {
	if a == nil {
		return nil
	}
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	if a.Name != printedName {
		add(a.Name)
	}
	add(a.Line1)
	add(a.Line2)
	add(strings.TrimSpace(a.PostalCode + " " + a.City))
	add(a.Region)
	add(a.Country)
	return out
}

// items prints the item table; rows never split across pages, and every
// page the table continues on repeats its header.
func (r *renderer) items() {
	p, o := r.pdf, r.inv.Order
	r.tableHeader()
	r.inTable = true
	for _, it := range o.Items {
		r.itemRow(it, o.Currency)
	}
	r.inTable = false
	p.SetY(p.GetY() + 4)
}

func (r *renderer) tableHeader() {
	p := r.pdf
	r.font("B", 8.5)
	p.SetFillColor(r.accent.r, r.accent.g, r.accent.b)
	p.SetTextColor(255, 255, 255)
	p.SetX(margin)
	for i, title := range colTitle {
		r.tw.Cell(colW[i], 7, title, colAlign[i], true, 0)
	}
	p.Ln(7)
	r.black()
}

func (r *renderer) itemRow(it order.Item, cur string) {
	p := r.pdf
	r.font("", 9)
	name := r.tw.Split(it.Name, colW[0])
	if len(name) == 0 {
		name = []typeset.Line{{}}
	}
	r.font("", 7.5)
	var sub []typeset.Line
	if it.SKU != "" {
		sub = append(sub, r.tw.Split("SKU "+it.SKU, colW[0])...)
	}
	if it.Description != "" {
		sub = append(sub, r.tw.Split(it.Description, colW[0])...)
	}
	if len(sub) > maxSubLines {
		sub = append(sub[:maxSubLines-1], r.tw.Lines("…", 0)...)
	}
	h := float64(len(name))*lineH + float64(len(sub))*smallLineH + 2*cellPad
	if p.GetY()+h > pageH-bottomMargin {
		p.AddPage() // the page header repeats the table header
	}

	y := p.GetY()
	p.SetXY(margin, y+cellPad)
	r.font("", 9)
	r.black()
	for _, l := range name {
		r.tw.CellLine(colW[0], lineH, l, "L", false, 2)
	}
	r.font("", 7.5)
	r.grey()
	for _, l := range sub {
		r.tw.CellLine(colW[0], smallLineH, l, "L", false, 2)
	}

	r.font("", 9)
	r.black()
	p.SetXY(margin+colW[0], y+cellPad)
	cells := []string{
		strconv.FormatInt(it.Quantity, 10),
		order.FormatMoney(it.UnitPrice, cur),
		formatRate(it.TaxRateBP),
		order.FormatMoney(it.LineTotal, cur),
	}
	for i, c := range cells {
		r.tw.Cell(colW[i+1], lineH, c, colAlign[i+1], false, 0)
	}
	p.SetDrawColor(220, 220, 220)
	p.SetLineWidth(0.2)
	r.hline(margin, margin+contentW, y+h)
	p.SetXY(margin, y+h)
}

// formatRate shows basis points as a percentage: 2000 → "20%", 750 → "7.5%".
func formatRate(bp int64) string {
	return strconv.FormatFloat(float64(bp)/100, 'f', -1, 64) + "%"
}

// totals prints subtotal, tax, discount (if any) and total, right-aligned
// under the amount column.
func (r *renderer) totals() {
	p, o := r.pdf, r.inv.Order
	rows := [][2]string{
		{"Subtotal", order.FormatMoney(o.Subtotal, o.Currency)},
		{"Tax", order.FormatMoney(o.Tax, o.Currency)},
	}
	if o.Discount != 0 {
		rows = append(rows, [2]string{"Discount", order.FormatMoney(-o.Discount, o.Currency)})
	}
	need := float64(len(rows))*(lineH+1) + 12
	if p.GetY()+need > pageH-bottomMargin {
		p.AddPage()
	}
	labelW, valueW := 40.0, 45.0
	x := pageW - margin - labelW - valueW
	for _, row := range rows {
		p.SetX(x)
		r.font("", 9)
		r.grey()
		r.tw.Cell(labelW, lineH+1, row[0], "L", false, 0)
		r.black()
		r.tw.Cell(valueW, lineH+1, row[1], "R", false, 1)
	}
	y := p.GetY() + 1
	p.SetDrawColor(r.accent.r, r.accent.g, r.accent.b)
	p.SetLineWidth(0.5)
	r.hline(x, pageW-margin, y)
	p.SetXY(x, y+1.5)
	r.font("B", 11)
	r.accentText()
	r.tw.Cell(labelW, 7, "Total", "L", false, 0)
	r.tw.Cell(valueW, 7, order.FormatMoney(o.Total, o.Currency), "R", false, 1)
}

// pageHeader runs at the top of every page; from page 2 on it names the
// invoice and, inside the item table, repeats the table's header.
func (r *renderer) pageHeader() {
	p := r.pdf
	if p.PageNo() == 1 {
		return
	}
	p.SetXY(margin, margin-5)
	r.font("", 8)
	r.grey()
	r.tw.Cell(contentW, 5, r.tw.Fit(r.inv.Branding.Name+"  ·  Invoice "+r.inv.Number, contentW), "L", false, 1)
	p.SetY(margin + 3)
	if r.inTable {
		r.tableHeader()
	}
}

// pageFooter prints the branding's footer and, when the invoice runs to
// several pages, "Page N of M".
func (r *renderer) pageFooter(lastPage bool) {
	p := r.pdf
	p.SetDrawColor(200, 200, 200)
	p.SetLineWidth(0.2)
	r.hline(margin, pageW-margin, footerTop)
	r.font("", 7.5)
	r.grey()
	textW := contentW - 30
	if f := strings.TrimSpace(r.inv.Branding.Footer); f != "" {
		lines := r.tw.Split(f, textW)
		if len(lines) > 3 {
			lines = lines[:3]
		}
		p.SetXY(margin, footerTop+2)
		for _, l := range lines {
			r.tw.CellLine(textW, smallLineH, l, "L", false, 2)
		}
	}
	// A one-page invoice needs no page number: page 1 is also the last.
	if p.PageNo() == 1 && lastPage {
		return
	}
	// The page count is known only when the document is written.
	p.SetXY(pageW-margin-24, footerTop+2)
	r.tw.CellPageCount(24, smallLineH, "Page "+strconv.Itoa(p.PageNo())+" of ", 0)
}

// hline draws a horizontal line from x1 to x2 at y, mirrored with the
// page for right-to-left layouts.
func (r *renderer) hline(x1, x2, y float64) {
	r.pdf.Line(r.tw.X(x1, 0), y, r.tw.X(x2, 0), y)
}
