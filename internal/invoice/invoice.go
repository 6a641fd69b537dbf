// Package invoice is orders' PDF invoices: the invoice record (record.go),
// the PDF layout (this file), and the service (service.go) through which a
// request, or an order moving to shipped, marks the invoice pending and
// enqueues its job in one transaction; the job renders the PDF with the
// tenant's branding (branding.go), stores it, and announces it in the
// events outbox.
//
// Text is set in the Go fonts (golang.org/x/image/font/gofont), embedded in
// the binary and subset into each PDF, so names in Latin, Greek and
// Cyrillic scripts print as written. The Go fonts have no CJK, Arabic or
// Hebrew glyphs: such characters print as empty boxes (.notdef), though
// text extraction still reads them.
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

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/ordo/ordo/internal/fpdf"
	"github.com/ordo/ordo/internal/order"
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

	family     = "Go"
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
	r := newRenderer(inv)
	r.document()
	if err := r.pdf.Error(); err != nil {
		return fmt.Errorf("invoice %s: render: %w", inv.Number, err)
	}
	if err := r.pdf.Output(w); err != nil {
		return fmt.Errorf("invoice %s: write: %w", inv.Number, err)
	}
	return nil
}

// addFonts embeds the Go regular and bold fonts as family "Go", styles
// "" and "B". The core PDF fonts would need no embedding but cover only
// Latin-1, and customers' names are not all Latin.
func addFonts(pdf *fpdf.Fpdf) {
	pdf.AddUTF8FontFromBytes(family, "", goregular.TTF)
	pdf.AddUTF8FontFromBytes(family, "B", gobold.TTF)
}

type renderer struct {
	pdf    *fpdf.Fpdf
	inv    Invoice
	accent rgb
	logo   *fpdf.ImageInfoType
	// inTable makes the page header repeat the item table's header.
	inTable bool
}

func newRenderer(inv Invoice) *renderer {
	pdf := fpdf.New("P", "mm", "A4", "")
	addFonts(pdf)
	// After addFonts: the alias is replaced in the page text at the end.
	pdf.AliasNbPages("{nb}")
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

	r := &renderer{pdf: pdf, inv: inv, accent: defaultAccent}
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

func (r *renderer) font(style string, size float64) { r.pdf.SetFont(family, style, size) }
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
		p.ImageOptions("logo", margin, y, w*scale, h*scale, false, fpdf.ImageOptions{}, 0, "")
		y += h*scale + 3
	}
	left := 100.0
	p.SetXY(margin, y)
	if b.Name != "" {
		r.font("B", 15)
		r.accentText()
		p.MultiCell(left, 7, b.Name, "", "L", false)
	}
	r.font("", 9)
	r.grey()
	for _, line := range strings.Split(strings.TrimSpace(b.Address), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			p.SetX(margin)
			p.MultiCell(left, lineH, line, "", "L", false)
		}
	}
	if b.TaxID != "" {
		p.SetX(margin)
		p.MultiCell(left, lineH, "Tax ID: "+b.TaxID, "", "L", false)
	}
	leftBottom := p.GetY()

	// The invoice block, right-aligned against the margin.
	x := pageW - margin - 75
	p.SetXY(x, top)
	r.font("B", 20)
	r.accentText()
	p.CellFormat(75, 10, "INVOICE", "", 2, "R", false, 0, "")
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
		p.CellFormat(28, lineH+0.6, row[0], "", 0, "L", false, 0, "")
		r.font("B", 9)
		r.black()
		p.CellFormat(47, lineH+0.6, fit(p, row[1], 47), "", 1, "R", false, 0, "")
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
	p.CellFormat(w, lineH, strings.ToUpper(title), "", 2, "L", false, 0, "")
	if name != "" {
		r.font("B", 10)
		r.black()
		p.SetX(x)
		p.MultiCell(w, 5, name, "", "L", false)
	}
	r.font("", 9)
	r.black()
	for _, l := range lines {
		p.SetX(x)
		p.MultiCell(w, lineH, l, "", "L", false)
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
		p.CellFormat(colW[i], 7, title, "", 0, colAlign[i], true, 0, "")
	}
	p.Ln(7)
	r.black()
}

func (r *renderer) itemRow(it order.Item, cur string) {
	p := r.pdf
	r.font("", 9)
	name := p.SplitText(it.Name, colW[0])
	if len(name) == 0 {
		name = []string{""}
	}
	r.font("", 7.5)
	var sub []string
	if it.SKU != "" {
		sub = append(sub, p.SplitText("SKU "+it.SKU, colW[0])...)
	}
	if it.Description != "" {
		sub = append(sub, p.SplitText(it.Description, colW[0])...)
	}
	if len(sub) > maxSubLines {
		sub = append(sub[:maxSubLines-1], "…")
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
		p.CellFormat(colW[0], lineH, l, "", 2, "L", false, 0, "")
	}
	r.font("", 7.5)
	r.grey()
	for _, l := range sub {
		p.CellFormat(colW[0], smallLineH, l, "", 2, "L", false, 0, "")
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
		p.CellFormat(colW[i+1], lineH, c, "", 0, colAlign[i+1], false, 0, "")
	}
	p.SetDrawColor(220, 220, 220)
	p.SetLineWidth(0.2)
	p.Line(margin, y+h, margin+contentW, y+h)
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
		p.CellFormat(labelW, lineH+1, row[0], "", 0, "L", false, 0, "")
		r.black()
		p.CellFormat(valueW, lineH+1, row[1], "", 1, "R", false, 0, "")
	}
	y := p.GetY() + 1
	p.SetDrawColor(r.accent.r, r.accent.g, r.accent.b)
	p.SetLineWidth(0.5)
	p.Line(x, y, pageW-margin, y)
	p.SetXY(x, y+1.5)
	r.font("B", 11)
	r.accentText()
	p.CellFormat(labelW, 7, "Total", "", 0, "L", false, 0, "")
	p.CellFormat(valueW, 7, order.FormatMoney(o.Total, o.Currency), "", 1, "R", false, 0, "")
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
	p.CellFormat(contentW, 5, fit(p, r.inv.Branding.Name+"  ·  Invoice "+r.inv.Number, contentW), "", 1, "L", false, 0, "")
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
	p.Line(margin, footerTop, pageW-margin, footerTop)
	r.font("", 7.5)
	r.grey()
	textW := contentW - 30
	if f := strings.TrimSpace(r.inv.Branding.Footer); f != "" {
		lines := p.SplitText(f, textW)
		if len(lines) > 3 {
			lines = lines[:3]
		}
		p.SetXY(margin, footerTop+2)
		for _, l := range lines {
			p.CellFormat(textW, smallLineH, l, "", 2, "L", false, 0, "")
		}
	}
	// A one-page invoice needs no page number: page 1 is also the last.
	if p.PageNo() == 1 && lastPage {
		return
	}
	// Left-aligned: the "{nb}" alias is replaced after layout, so a right
	// alignment would be measured on the alias, not the number.
	p.SetXY(pageW-margin-24, footerTop+2)
	p.CellFormat(24, smallLineH, "Page "+strconv.Itoa(p.PageNo())+" of {nb}", "", 0, "L", false, 0, "")
}

// fit shortens s with an ellipsis to fit width w in the current font.
func fit(p *fpdf.Fpdf, s string, w float64) string {
	w -= 2 * p.GetCellMargin()
	if p.GetStringWidth(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && p.GetStringWidth(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}
