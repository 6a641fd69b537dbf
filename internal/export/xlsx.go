package export

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ordo/ordo/internal/order"
)

// The XLSX writer writes SpreadsheetML (ECMA-376) itself, straight into a
// zip stream, so that memory stays flat and rows are cheap:
//
//   - xl/worksheets/sheet1.xml (Orders) is deflated into the zip as orders
//     arrive.
//   - xl/worksheets/sheet2.xml (Items) cannot be written at the same time
//     (a zip holds one open entry), so its rows are deflated into a
//     temporary file, which Close copies into the zip as is. When a sheet
//     is full, the items go on in a new one ("Items 2", sheet3.xml, in a
//     temporary file of its own), so that a million orders of a few items
//     each still make one file; an order's items stay on one sheet.
//   - xl/styles.xml comes next: it holds one money format per currency,
//     and currencies are only known once every order has been seen.
//   - [Content_Types].xml, the relationships and xl/workbook.xml come last,
//     when the number of Items sheets is known (the parts of a package
//     may be in any order).
//
// Text is written as inline strings (no shared strings table to keep in
// memory), numbers as plain <v> values, dates as serial numbers.

// Style indexes into cellXfs of styles.xml.
const (
	styleBold       = 1
	styleDate       = 2
	styleMoneyPlain = 3 // amounts past maxMoneyStyles currencies
	styleMoneyBase  = 4 // then one per currency, in the order first seen

	// maxMoneyStyles bounds the money formats; currencies are ISO 4217
	// codes, so it is never reached in practice.
	maxMoneyStyles = 1000
)

// xlsxDeflateLevel trades file size for speed: the sheets are repetitive
// XML that even the fastest level shrinks about tenfold.
const xlsxDeflateLevel = flate.BestSpeed

// sheetFlushAt is how much sheet XML is gathered before it is deflated.
const sheetFlushAt = 32 << 10

// maxCellChars is the most UTF-16 code units a cell holds.
const maxCellChars = 32767

// maxSheetRows is the most rows a worksheet holds, its header included;
// Excel does not load rows beyond it.
const maxSheetRows = 1 << 20

// XLSXMaxRows is the most orders an XLSX export holds: a sheet's rows
// less its header. (Items go on over as many sheets as they need.)
const XLSXMaxRows = maxSheetRows - 1

// ErrTooManyRows is returned by an XLSX writer's WriteOrder when the order
// does not fit in the Orders sheet (more than 1,048,575 orders). The order
// is not written, and Close still finishes a valid file of the orders
// before it.
var ErrTooManyRows = errors.New("export: an XLSX sheet holds at most 1,048,575 orders; export as CSV")

var (
	ordersHead = sheetHead([]string{"14", "12", "18", "28", "30", "10", "14", "14", "14", "14"},
		"Number", "Status", "Created", "Customer", "E-mail", "Currency", "Subtotal", "Tax", "Discount", "Total")
	itemsHead = sheetHead([]string{"14", "16", "32", "10", "14", "10", "14"},
		"Order", "SKU", "Item", "Quantity", "Unit price", "Tax %", "Line total")
)

const sheetTail = `</sheetData></worksheet>`

const xmlDecl = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// packageParts are the parts that say what is in the package, for a
// workbook of Orders and n ≥ 1 Items sheets (sheet1.xml, then sheet2.xml
// and on).
func packageParts(n int) []struct{ name, body string } {
	const sheetType = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
	const relSheet = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
	var types, sheets, rels strings.Builder
	for i := 1; i <= n+1; i++ {
		id := strconv.Itoa(i)
		types.WriteString(`<Override PartName="/xl/worksheets/sheet` + id + `.xml" ContentType="` + sheetType + `"/>`)
		rels.WriteString(`<Relationship Id="rId` + id + `" Type="` + relSheet + `" Target="worksheets/sheet` + id + `.xml"/>`)
		sheets.WriteString(`<sheet name="` + sheetName(i) + `" sheetId="` + id + `" r:id="rId` + id + `"/>`)
	}
	styles := strconv.Itoa(n + 2)
	return []struct{ name, body string }{
		{"[Content_Types].xml", xmlDecl + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			types.String() +
			`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
			`</Types>`},
		{"_rels/.rels", xmlDecl + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
			`</Relationships>`},
		{"xl/workbook.xml", xmlDecl + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<bookViews><workbookView/></bookViews><sheets>` + sheets.String() + `</sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", xmlDecl + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			rels.String() +
			`<Relationship Id="rId` + styles + `" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
			`</Relationships>`},
	}
}

// sheetName is the name of worksheet i (sheet<i>.xml): Orders, Items,
// Items 2, Items 3…
func sheetName(i int) string {
	switch i {
	case 1:
		return "Orders"
	case 2:
		return "Items"
	}
	return "Items " + strconv.Itoa(i-1)
}

// sheetHead is a worksheet up to and including its bold header row: the
// first row frozen, then the column widths.
func sheetHead(widths []string, names ...string) []byte {
	b := []byte(xmlDecl + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>` +
		`</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>`)
	for i, w := range widths {
		n := strconv.Itoa(i + 1)
		b = append(b, `<col min="`+n+`" max="`+n+`" width="`+w+`" customWidth="1"/>`...)
	}
	b = append(b, `</cols><sheetData>`...)
	s := sheetXML{buf: b}
	s.startRow()
	for i, n := range names {
		s.text(byte('A'+i), styleBold, n)
	}
	s.buf = append(s.buf, `</row>`...)
	return s.buf
}

// xlsxWriter streams an Orders sheet and an Items sheet; see the top of
// this file.
type xlsxWriter struct {
	zw      *zip.Writer
	orders  sheetXML // into the zip
	items   sheetXML // into spool, once there is an item
	spool   *spool
	full    []*spool // Items sheets finished before the current one
	rows    int64
	maxRows int64 // per sheet, header included: maxSheetRows but in tests
	err     error // sticky: once set, the file is lost
	closed  bool

	money   map[string]moneyFormat
	curs    []string // currencies by style, from styleMoneyBase
	lastCur string
	lastFmt moneyFormat
	num     []byte // scratch for the order number
}

// moneyFormat is how a currency's amounts are written.
type moneyFormat struct {
	style int
	scale int
}

func newXLSX(w io.Writer) (*xlsxWriter, error) {
	x := &xlsxWriter{zw: zip.NewWriter(w), maxRows: maxSheetRows, money: map[string]moneyFormat{}}
	// A zip has one entry open at a time, and closes its compressor
	// before the next one starts: one deflate state serves them all.
	var fw *flate.Writer
	x.zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		if fw == nil {
			var err error
			fw, err = flate.NewWriter(w, xlsxDeflateLevel)
			return fw, err
		}
		fw.Reset(w)
		return fw, nil
	})
	sw, err := x.zw.CreateHeader(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate})
	if err != nil {
		return nil, err
	}
	x.orders = sheetXML{w: sw, buf: make([]byte, 0, sheetFlushAt+4<<10), row: 1}
	x.orders.buf = append(x.orders.buf, ordersHead...)
	return x, nil
}

func (x *xlsxWriter) writePart(name string, body []byte) error {
	w, err := x.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	if err != nil {
		return err
	}
	_, err = w.Write(body)
	return err
}

// moneyFormat is cur's format, made the first time cur is seen.
func (x *xlsxWriter) moneyFormat(cur string) moneyFormat {
	if cur == x.lastCur && x.lastFmt.style != 0 {
		return x.lastFmt
	}
	m, ok := x.money[cur]
	if !ok {
		m = moneyFormat{style: styleMoneyPlain, scale: order.Scale(cur)}
		if len(x.curs) < maxMoneyStyles {
			m.style = styleMoneyBase + len(x.curs)
			x.curs = append(x.curs, cur)
			x.money[cur] = m
		}
	}
	x.lastCur, x.lastFmt = cur, m
	return m
}

func (x *xlsxWriter) WriteOrder(o order.Order) error {
	if x.err != nil {
		return x.err
	}
	if x.closed {
		return errWriterClosed
	}
	if x.orders.row >= x.maxRows || 1+int64(len(o.Items)) > x.maxRows {
		return ErrTooManyRows // (the second only with a tiny maxRows in tests)
	}
	if err := x.writeOrder(&o); err != nil {
		x.fail(err)
		return err
	}
	x.rows += 1 + int64(len(o.Items)) // its row on Orders, and its items'
	return nil
}

var errWriterClosed = errors.New("export: writer is closed")

func (x *xlsxWriter) writeOrder(o *order.Order) error {
	m := x.moneyFormat(o.Currency)
	x.num = appendOrderNumber(x.num[:0], o)
	s := &x.orders
	s.startRow()
	s.textBytes('A', 0, x.num)
	s.text('B', 0, string(o.Status))
	s.date('C', styleDate, o.CreatedAt)
	s.text('D', 0, o.CustomerName)
	s.text('E', 0, o.CustomerEmail)
	s.text('F', 0, o.Currency)
	s.decimal('G', m.style, o.Subtotal, m.scale)
	s.decimal('H', m.style, o.Tax, m.scale)
	s.decimal('I', m.style, o.Discount, m.scale)
	s.decimal('J', m.style, o.Total, m.scale)
	if err := s.endRow(); err != nil {
		return err
	}
	if len(o.Items) == 0 {
		return nil
	}
	if x.spool != nil && x.items.row+int64(len(o.Items)) > x.maxRows {
		// This sheet is full: the order's items start the next one.
		if err := x.endItems(); err != nil {
			return err
		}
	}
	if x.spool == nil {
		if err := x.openSpool(); err != nil {
			return err
		}
	}
	s = &x.items
	for i := range o.Items {
		it := &o.Items[i]
		s.startRow()
		s.textBytes('A', 0, x.num)
		s.text('B', 0, it.SKU)
		s.text('C', 0, it.Name)
		s.decimal('D', 0, it.Quantity, 0)
		s.decimal('E', m.style, it.UnitPrice, m.scale)
		s.decimal('F', 0, it.TaxRateBP, 2)
		s.decimal('G', m.style, it.LineTotal, m.scale)
		if err := s.endRow(); err != nil {
			return err
		}
	}
	return nil
}

// openSpool starts the Items sheet in a temporary file.
func (x *xlsxWriter) openSpool() error {
	sp, err := newSpool()
	if err != nil {
		return err
	}
	x.spool = sp
	x.items = sheetXML{w: sp, buf: make([]byte, 0, sheetFlushAt+4<<10), row: 1}
	x.items.buf = append(x.items.buf, itemsHead...)
	return nil
}

// endItems finishes the current Items sheet, keeping its temporary file
// for Close.
func (x *xlsxWriter) endItems() error {
	x.items.buf = append(x.items.buf, sheetTail...)
	if err := x.items.flush(); err != nil {
		return err
	}
	x.full = append(x.full, x.spool)
	x.spool = nil
	return nil
}

func (x *xlsxWriter) Rows() int64 { return x.rows }

// Close finishes the file. The temporary file is gone afterwards, whether
// or not Close succeeds.
func (x *xlsxWriter) Close() error {
	if x.closed {
		return errWriterClosed
	}
	x.closed = true
	if x.err != nil {
		return x.err
	}
	err := x.finish()
	x.fail(err)
	return err
}

func (x *xlsxWriter) finish() error {
	x.orders.buf = append(x.orders.buf, sheetTail...)
	if err := x.orders.flush(); err != nil {
		return err
	}
	if x.spool != nil {
		if err := x.endItems(); err != nil {
			return err
		}
	}
	if len(x.full) == 0 {
		body := append(append([]byte(nil), itemsHead...), sheetTail...)
		if err := x.writePart("xl/worksheets/sheet2.xml", body); err != nil {
			return err
		}
	}
	for i, sp := range x.full {
		if err := sp.copyTo(x.zw, "xl/worksheets/sheet"+strconv.Itoa(i+2)+".xml"); err != nil {
			return err
		}
	}
	if err := x.writePart("xl/styles.xml", x.styles()); err != nil {
		return err
	}
	for _, p := range packageParts(max(1, len(x.full))) {
		if err := x.writePart(p.name, []byte(p.body)); err != nil {
			return err
		}
	}
	return x.zw.Close()
}

// fail records err, if any, and drops the temporary file.
func (x *xlsxWriter) fail(err error) {
	if err != nil && x.err == nil {
		x.err = err
	}
	if err != nil || x.closed {
		if x.spool != nil {
			x.spool.remove()
			x.spool = nil
		}
		for _, sp := range x.full {
			sp.remove()
		}
		x.full = nil
	}
}

// styles is xl/styles.xml: the default style, a bold header, the date
// format and one money format per currency.
func (x *xlsxWriter) styles() []byte {
	b := []byte(xmlDecl + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="`)
	b = strconv.AppendInt(b, int64(len(x.curs)+2), 10)
	b = append(b, `"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/><numFmt numFmtId="165" formatCode="#,##0.00"/>`...)
	for i, cur := range x.curs {
		b = append(b, `<numFmt numFmtId="`...)
		b = strconv.AppendInt(b, int64(166+i), 10)
		b = append(b, `" formatCode="#,##0`...)
		if sc := order.Scale(cur); sc > 0 {
			b = append(b, '.')
			for range min(sc, 18) {
				b = append(b, '0')
			}
		}
		b = append(b, ` &quot;`...)
		for _, c := range []byte(cur) { // an ISO code; anything else is left out
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
				b = append(b, c)
			}
		}
		b = append(b, `&quot;"/>`...)
	}
	b = append(b, `</numFmts>`+
		`<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>`+
		`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>`+
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>`+
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>`+
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="`...)
	b = strconv.AppendInt(b, int64(styleMoneyBase+len(x.curs)), 10)
	b = append(b, `"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>`+
		`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>`...)
	b = appendXf(b, 164) // styleDate
	b = appendXf(b, 165) // styleMoneyPlain
	for i := range x.curs {
		b = appendXf(b, 166+i)
	}
	b = append(b, `</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`...)
	return b
}

// appendXf appends a cell format with number format id.
func appendXf(b []byte, id int) []byte {
	b = append(b, `<xf numFmtId="`...)
	b = strconv.AppendInt(b, int64(id), 10)
	return append(b, `" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`...)
}

// sheetXML is a worksheet being written: rows are appended to buf, which
// goes to w once it passes sheetFlushAt.
type sheetXML struct {
	w   io.Writer
	buf []byte
	row int64 // the last row started; the header is row 1
}

func (s *sheetXML) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	_, err := s.w.Write(s.buf)
	s.buf = s.buf[:0]
	return err
}

func (s *sheetXML) startRow() {
	s.row++
	s.buf = append(s.buf, `<row r="`...)
	s.buf = strconv.AppendInt(s.buf, s.row, 10)
	s.buf = append(s.buf, `">`...)
}

func (s *sheetXML) endRow() error {
	s.buf = append(s.buf, `</row>`...)
	if len(s.buf) >= sheetFlushAt {
		return s.flush()
	}
	return nil
}

// cell opens cell col of the current row, with a style unless it is 0.
func (s *sheetXML) cell(col byte, style int) {
	s.buf = append(s.buf, `<c r="`...)
	s.buf = append(s.buf, col)
	s.buf = strconv.AppendInt(s.buf, s.row, 10)
	if style != 0 {
		s.buf = append(s.buf, `" s="`...)
		s.buf = strconv.AppendInt(s.buf, int64(style), 10)
	}
	s.buf = append(s.buf, '"')
}

// text writes v as an inline string: it is text whatever it holds, never
// a formula or a number.
func (s *sheetXML) text(col byte, style int, v string) {
	v = truncateCell(v)
	s.cell(col, style)
	s.buf = append(s.buf, ` t="inlineStr"><is><t`...)
	if v != "" && (isSpace(v[0]) || isSpace(v[len(v)-1])) {
		s.buf = append(s.buf, ` xml:space="preserve"`...)
	}
	s.buf = append(s.buf, '>')
	s.buf = appendText(s.buf, v)
	s.buf = append(s.buf, `</t></is></c>`...)
}

// textBytes is text for a value of safe ASCII (no escaping needed).
func (s *sheetXML) textBytes(col byte, style int, v []byte) {
	s.cell(col, style)
	s.buf = append(s.buf, ` t="inlineStr"><is><t>`...)
	s.buf = append(s.buf, v...)
	s.buf = append(s.buf, `</t></is></c>`...)
}

// decimal writes the number v / 10^scale.
func (s *sheetXML) decimal(col byte, style int, v int64, scale int) {
	s.cell(col, style)
	s.buf = append(s.buf, `><v>`...)
	s.buf = appendDecimal(s.buf, v, scale)
	s.buf = append(s.buf, `</v></c>`...)
}

// date writes t as a serial date-time number.
func (s *sheetXML) date(col byte, style int, t time.Time) {
	s.cell(col, style)
	s.buf = append(s.buf, `><v>`...)
	s.buf = strconv.AppendFloat(s.buf, serial(t), 'f', -1, 64)
	s.buf = append(s.buf, `</v></c>`...)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

var pow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// appendDecimal appends v / 10^scale exactly, without trailing zeros
// (7200, 2 → "72"; 7202, 2 → "72.02"; -5, 2 → "-0.05").
func appendDecimal(b []byte, v int64, scale int) []byte {
	if scale <= 0 {
		return strconv.AppendInt(b, v, 10)
	}
	scale = min(scale, len(pow10)-1)
	u := uint64(v)
	if v < 0 {
		b = append(b, '-')
		u = -u
	}
	ip, fp := u/pow10[scale], u%pow10[scale]
	b = strconv.AppendUint(b, ip, 10)
	if fp == 0 {
		return b
	}
	for fp%10 == 0 {
		fp /= 10
		scale--
	}
	b = append(b, '.')
	for p := pow10[scale-1]; p > fp && p > 1; p /= 10 {
		b = append(b, '0')
	}
	return strconv.AppendUint(b, fp, 10)
}

// Unix times of the day before Excel's serial day 1 (1900-01-01 is 1), and
// of 1900-03-01, before which Excel counts the 29 February 1900 that never
// was.
var (
	serialEpoch   = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).Unix()
	serialFirst   = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	serialLeapBug = time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// serial is t as an Excel (1900 date system) serial day number; times
// before 1900, which Excel cannot show, are 0.
func serial(t time.Time) float64 {
	sec := t.Unix()
	if sec < serialFirst {
		return 0
	}
	d := float64(sec-serialEpoch) / 86400
	if ns := t.Nanosecond(); ns != 0 {
		d = (float64(sec-serialEpoch) + float64(ns)/1e9) / 86400
	}
	if sec < serialLeapBug {
		d--
	}
	return d
}

// appendOrderNumber appends o.DisplayNumber() ("ORD-000042") without fmt.
func appendOrderNumber(b []byte, o *order.Order) []byte {
	n := o.Number
	if n < 0 {
		return append(b, o.DisplayNumber()...)
	}
	b = append(b, "ORD-"...)
	for p := int64(100000); p > n && p > 1; p /= 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, n, 10)
}

// asciiEscape marks the ASCII bytes appendText must look at.
var asciiEscape = func() (t [utf8.RuneSelf]bool) {
	for c := range 0x20 {
		t[c] = c != '\t' && c != '\n'
	}
	for _, c := range "<>&_" {
		t[c] = true
	}
	return t
}()

// appendText appends s as XML character data, so that a reader gets s
// back:
//   - <, >, & are escaped, and \r too (XML would read it as \n);
//   - what XML 1.0 cannot hold (most C0 controls, U+FFFE, U+FFFF,
//     invalid UTF-8) becomes U+FFFD;
//   - a literal "_xHHHH_", which SpreadsheetML readers decode as the
//     character U+HHHH (ECMA-376 ST_Xstring), keeps its form by escaping
//     its underscore as "_x005F_".
func appendText(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		if c < utf8.RuneSelf {
			if !asciiEscape[c] {
				i++
				continue
			}
			switch c {
			case '<':
				esc = "&lt;"
			case '>':
				esc = "&gt;"
			case '&':
				esc = "&amp;"
			case '\r':
				esc = "&#xD;"
			case '_':
				if !isXstringEscape(s[i:]) {
					i++
					continue
				}
				esc = "_x005F_"
			default:
				esc = "\uFFFD"
			}
			b = append(b, s[start:i]...)
			b = append(b, esc...)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			start = i + size
		}
		i += size
	}
	return append(b, s[start:]...)
}

// isXstringEscape reports whether s starts with "_xHHHH_".
func isXstringEscape(s string) bool {
	if len(s) < 7 || s[1] != 'x' || s[6] != '_' {
		return false
	}
	for _, c := range []byte(s[2:6]) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// truncateCell cuts s to the most a cell holds, maxCellChars UTF-16 code
// units, as Excel does; the API's field limits keep real values far below.
func truncateCell(s string) string {
	if len(s) <= maxCellChars { // a code unit takes at least a byte
		return s
	}
	n := 0
	for i, r := range s {
		w := 1
		if r > 0xFFFF {
			w = 2
		}
		if n+w > maxCellChars {
			return s[:i]
		}
		n += w
	}
	return s
}

// spool is a sheet deflated into a temporary file, with what its zip
// header needs.
type spool struct {
	f    *os.File
	bw   *bufio.Writer // to f
	fw   *flate.Writer // to bw
	crc  uint32        // of the XML
	n    int64         // XML bytes
	name string        // to remove at the end; "" once it is gone
}

func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", "ordo-xlsx-*.tmp")
	if err != nil {
		return nil, err
	}
	sp := &spool{f: f, bw: bufio.NewWriterSize(f, 64<<10), name: f.Name()}
	// Unlink it now where the OS allows it: the file then goes away with
	// the descriptor, even if the writer is dropped without Close.
	if os.Remove(sp.name) == nil {
		sp.name = ""
	}
	sp.fw, err = flate.NewWriter(sp.bw, xlsxDeflateLevel)
	if err != nil {
		sp.remove()
		return nil, err
	}
	return sp, nil
}

func (p *spool) Write(b []byte) (int, error) {
	p.crc = crc32.Update(p.crc, crc32.IEEETable, b)
	p.n += int64(len(b))
	return p.fw.Write(b)
}

// copyTo ends the deflate stream and stores it in zw as entry name,
// without inflating it again.
func (p *spool) copyTo(zw *zip.Writer, name string) error {
	if err := p.fw.Close(); err != nil {
		return err
	}
	if err := p.bw.Flush(); err != nil {
		return err
	}
	size, err := p.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	fh := &zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: p.crc, CompressedSize64: uint64(size), UncompressedSize64: uint64(p.n),
		CreatorVersion: 20, ReaderVersion: 20}
	if fh.UncompressedSize64 >= math.MaxUint32 || fh.CompressedSize64 >= math.MaxUint32 {
		fh.ReaderVersion = 45 // zip64
	}
	w, err := zw.CreateRaw(fh)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, io.LimitReader(p.f, size))
	return err
}

// remove closes and deletes the file.
func (p *spool) remove() {
	_ = p.f.Close()
	if p.name != "" {
		_ = os.Remove(p.name)
		p.name = ""
	}
}
