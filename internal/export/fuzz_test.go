package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/ordo/ordo/internal/order"
)

// fuzzOrder is an order whose text fields all come from the fuzzer, as a
// client may set them (valid UTF-8 without NUL, as the API accepts).
func fuzzOrder(name, email, ref, item string) order.Order {
	o := order.Order{Number: 7, Status: order.StatusPending, CustomerName: name, CustomerEmail: email, CustomerPhone: name,
		Currency: "EUR", ExternalRef: ref, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Items: []order.Item{{SKU: item, Name: item + "x", Quantity: 2, UnitPrice: 150, TaxRateBP: 2000}, {Name: name, Quantity: 1, UnitPrice: 1}}}
	order.Compute(&o)
	return o
}

// acceptable is what the API lets into a text field.
func acceptable(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || utf8.RuneCountInString(s) > 5000 {
			return false
		}
	}
	return true
}

// FuzzCSVCells: whatever a customer field holds, the CSV re-parses to the
// same rows and columns, every text cell is the neutralised value (no cell
// starts with a formula character), and nothing leaks into other cells.
func FuzzCSVCells(f *testing.F) {
	for _, s := range []string{
		"Zoë Ångström", `=HYPERLINK("http://evil","x")`, "+1-555", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "a,b", `"quoted"`,
		"line\nbreak", "crlf\r\nrow", "trailing\r", " =lead space", "＝full width", "'already", "", "\u202eevil", "\x01\x1f", "🙂",
	} {
		f.Add(s, s+"@example.com", s, s)
	}
	f.Fuzz(func(t *testing.T, name, email, ref, item string) {
		if !acceptable(name, email, ref, item) {
			return
		}
		o := fuzzOrder(name, email, ref, item)
		var buf bytes.Buffer
		w, err := NewWriter(FormatCSV, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteOrder(o); err != nil {
			t.Fatalf("WriteOrder: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		rows, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
		if err != nil {
			t.Fatalf("CSV does not re-parse: %v\n%q", err, buf.String())
		}
		if len(rows) != 3 || w.Rows() != 2 {
			t.Fatalf("got %d rows (Rows() = %d), want header and 2", len(rows), w.Rows())
		}
		// encoding/csv reads \r\n inside a quoted field as \n; spreadsheet
		// programs keep it. Compare modulo that.
		norm := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		for _, r := range rows[1:] {
			if len(r) != len(csvHeader) {
				t.Fatalf("row has %d cells, want %d: %q", len(r), len(csvHeader), r)
			}
			for c, want := range map[string]string{"customer_name": name, "customer_email": email, "customer_phone": name, "external_ref": ref} {
				if got := r[col[c]]; got != norm(neutralise(want)) {
					t.Fatalf("%s = %q, want %q", c, got, neutralise(want))
				}
			}
			for _, cell := range r {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !isNumberCell(cell) {
					t.Fatalf("cell %q starts with a formula character", cell)
				}
			}
		}
		if got := rows[1][col["item_sku"]]; got != norm(neutralise(item)) {
			t.Fatalf("item_sku = %q, want %q", got, neutralise(item))
		}
		if got := rows[2][col["item_name"]]; got != norm(neutralise(name)) {
			t.Fatalf("item_name = %q, want %q", got, neutralise(name))
		}
	})
}

// isNumberCell is a number the writer made itself (a negative amount).
func isNumberCell(s string) bool {
	for i, r := range s {
		if !(r >= '0' && r <= '9' || r == '.' || r == '-' && i == 0) {
			return false
		}
	}
	return true
}

// FuzzXLSXCells: whatever a customer field holds, the XLSX opens and the
// cells read back as the text written, as text (never a formula), with
// excelize and with the independent reader of xlsx_test.go.
func FuzzXLSXCells(f *testing.F) {
	for _, s := range []string{
		"Zoë", `=HYPERLINK("http://evil","x")`, "<b>&amp;</b>", "]]>", "\x01\x08\x0b", "\ufffe\uffff", "_x0041_", "a\r\nb",
		strings.Repeat("x", 300), "🙂\u202e", "", " ", "\t",
	} {
		f.Add(s, s, s, s)
	}
	f.Fuzz(func(t *testing.T, name, email, ref, item string) {
		// Long strings add nothing here but slow every run down.
		if !acceptable(name, email, ref, item) || len(name)+len(email)+len(ref)+len(item) > 1000 {
			return
		}
		o := fuzzOrder(name, email, ref, item)
		var buf bytes.Buffer
		w, err := NewWriter(FormatXLSX, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteOrder(o); err != nil {
			t.Fatalf("WriteOrder: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		x, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("XLSX does not open: %v", err)
		}
		defer x.Close()
		rows, err := x.GetRows("Orders")
		if err != nil || len(rows) != 2 {
			t.Fatalf("Orders sheet: %d rows, %v", len(rows), err)
		}
		items, err := x.GetRows("Items")
		if err != nil || len(items) != 3 {
			t.Fatalf("Items sheet: %d rows, %v", len(items), err)
		}
		cell := func(r []string, i int) string {
			if i < len(r) {
				return r[i]
			}
			return ""
		}
		if got := cell(rows[1], 3); got != xmlSafe(name) {
			t.Fatalf("Customer = %q, want %q", got, xmlSafe(name))
		}
		if got := cell(rows[1], 4); got != xmlSafe(email) {
			t.Fatalf("E-mail = %q, want %q", got, xmlSafe(email))
		}
		if got := cell(items[1], 1); got != xmlSafe(item) {
			t.Fatalf("SKU = %q, want %q", got, xmlSafe(item))
		}
		for _, ref := range []string{"D2", "E2"} {
			if fm, err := x.GetCellFormula("Orders", ref); err != nil || fm != "" {
				t.Fatalf("%s has formula %q (%v)", ref, fm, err)
			}
		}
		// The independent reader (archive/zip and encoding/xml) agrees.
		ind := readXLSX(t, buf.Bytes())
		for _, c := range []struct{ sheet, ref, want string }{
			{"Orders", "D2", name}, {"Orders", "E2", email}, {"Items", "B2", item}, {"Items", "C2", item + "x"}, {"Items", "C3", name},
		} {
			if got := ind.cell(t, c.sheet, c.ref).text(t); got != xmlSafe(c.want) {
				t.Fatalf("independent reader: %s!%s = %q, want %q", c.sheet, c.ref, got, xmlSafe(c.want))
			}
		}
	})
}

// xmlSafe is what a cell can hold: XML 1.0 has no way to write most C0
// control characters, U+FFFE or U+FFFF; excelize writes U+FFFD instead.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r', r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}
