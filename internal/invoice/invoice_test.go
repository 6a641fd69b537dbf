package invoice

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/testkit"
)

// pages counts the pages in pdftotext's output.
func pages(text string) int { return strings.Count(text, "\f") }

// squash joins a line's words with single spaces, as layout may split
// or pad them.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func fixture(items int) Invoice {
	o := order.Order{
		Number:        42,
		Status:        order.StatusProcessing,
		CustomerName:  "Ærøskøbing Ψυχή Дмитрий",
		CustomerEmail: "dmitry@example.com",
		CustomerPhone: "+30 210 000 0000",
		BillingAddress: &order.Address{Name: "Ærøskøbing Ψυχή Дмитрий", Line1: "Οδός Αθηνάς 12", City: "Αθήνα",
			PostalCode: "105 51", Country: "GR"},
		ShippingAddress: &order.Address{Name: "Склад №3", Line1: "ул. Ленина, 1", City: "Москва", Country: "RU"},
		Currency:        "EUR",
		Discount:        500,
		ExternalRef:     "PO-7781",
		CreatedAt:       time.Date(2026, 11, 1, 16, 0, 0, 0, time.UTC),
	}
	base := []order.Item{
		{SKU: "W-1", Name: "Widget, large", Description: "Anodised aluminium, 40 cm.", Quantity: 3, UnitPrice: 1999, TaxRateBP: 2000},
		{SKU: "G-ΔΩ", Name: "Gadget «deluxe»", Quantity: 1, UnitPrice: 123456, TaxRateBP: 750},
		{Name: "Доставка", Quantity: 1, UnitPrice: 990, TaxRateBP: 0},
	}
	for i := range items {
		it := base[i%len(base)]
		if items > len(base) {
			it.Name = fmt.Sprintf("%s #%03d", it.Name, i+1)
		}
		o.Items = append(o.Items, it)
	}
	order.Compute(&o)
	return Invoice{
		Number:   "INV-2026-0042",
		IssuedAt: time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC),
		Order:    o,
		Branding: Branding{
			Name:        "Ακρόπολις Trading GmbH",
			Address:     "Hauptstraße 1\n10115 Berlin\nGermany",
			TaxID:       "DE123456789",
			Footer:      "IBAN DE89 3704 0044 0532 0130 00 · Payment due within 14 days.",
			AccentColor: "#7a1f5c",
		},
	}
}

// logoPNG makes a small opaque PNG, or one with transparency, which fpdf
// embeds differently (as a soft mask).
func logoPNG(t testing.TB, alpha bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 120, 40))
	for y := range 40 {
		for x := range 120 {
			a := uint8(255)
			if alpha && x > 60 {
				a = 80
			}
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x * 2), G: 80, B: uint8(y * 6), A: a})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// editIHDR rewrites a PNG's header chunk, keeping its checksum valid, to
// make PNGs Go's encoder cannot: interlaced, or of absurd dimensions.
func editIHDR(t testing.TB, pngData []byte, edit func(ihdr []byte)) []byte {
	t.Helper()
	out := bytes.Clone(pngData)
	require.Equal(t, "IHDR", string(out[12:16]))
	edit(out[16:29])
	binary.BigEndian.PutUint32(out[29:33], crc32.ChecksumIEEE(out[12:29]))
	return out
}

func render(t testing.TB, inv Invoice) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Render(&buf, inv))
	require.True(t, bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")), "a PDF")
	return buf.Bytes()
}

func TestRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		items     int
		edit      func(*testing.T, *Invoice)
		wantPages int
		wantLogo  bool
		want      []string
		wantNot   []string
	}{
		{
			name:      "one page",
			items:     3,
			wantPages: 1,
			want: []string{"INVOICE", "INV-2026-0042", "2026-11-02", "ORD-000042", "PO-7781", "Ακρόπολις Trading GmbH", "DE123456789",
				"Ærøskøbing Ψυχή Дмитрий", "dmitry@example.com", "Οδός Αθηνάς 12", "Склад №3", "Москва",
				"Widget, large", "SKU W-1", "Anodised aluminium, 40 cm.", "Gadget «deluxe»", "SKU G-ΔΩ", "Доставка",
				"19.99 EUR", "59.97 EUR", "1,234.56 EUR", "20%", "7.5%",
				"Subtotal", "1,304.43 EUR", "-5.00 EUR", "IBAN DE89 3704 0044 0532 0130 00"},
			wantNot: []string{"Page 1"},
		},
		{
			name:      "120 items page with the table header repeated",
			items:     120,
			wantPages: 7,
			want:      []string{"Widget, large #001", "Доставка #120", "Page 2 of 7", "Page 7 of 7"},
		},
		{
			name:      "opaque logo",
			items:     3,
			edit:      func(t *testing.T, inv *Invoice) { inv.Branding.Logo, inv.Branding.LogoType = logoPNG(t, false), "png" },
			wantPages: 1,
			wantLogo:  true,
			want:      []string{"INV-2026-0042"},
		},
		{
			name:      "logo with transparency, mislabelled as jpg",
			items:     3,
			edit:      func(t *testing.T, inv *Invoice) { inv.Branding.Logo, inv.Branding.LogoType = logoPNG(t, true), "jpg" },
			wantPages: 1,
			wantLogo:  true,
			want:      []string{"INV-2026-0042"},
		},
		{
			name:  "JPEG logo",
			items: 3,
			edit: func(t *testing.T, inv *Invoice) {
				img, err := png.Decode(bytes.NewReader(logoPNG(t, false)))
				require.NoError(t, err)
				var buf bytes.Buffer
				require.NoError(t, jpeg.Encode(&buf, img, nil))
				inv.Branding.Logo, inv.Branding.LogoType = buf.Bytes(), "jpg"
			},
			wantPages: 1,
			wantLogo:  true,
			want:      []string{"INV-2026-0042"},
		},
		{
			name:  "undecodable logo is left out",
			items: 3,
			edit: func(t *testing.T, inv *Invoice) {
				inv.Branding.Logo, inv.Branding.LogoType = []byte("\x89PNG\r\n\x1a\nnot really"), "png"
			},
			wantPages: 1,
			want:      []string{"INV-2026-0042", "Ακρόπολις Trading GmbH"},
		},
		{
			name:  "interlaced PNG, which fpdf cannot embed, is left out",
			items: 3,
			edit: func(t *testing.T, inv *Invoice) {
				inv.Branding.Logo = editIHDR(t, logoPNG(t, false), func(h []byte) { h[12] = 1 })
			},
			wantPages: 1,
			want:      []string{"INV-2026-0042", "Ακρόπολις Trading GmbH"},
		},
		{
			name:  "logo of absurd dimensions is left out",
			items: 3,
			edit: func(t *testing.T, inv *Invoice) {
				inv.Branding.Logo = editIHDR(t, logoPNG(t, false), func(h []byte) {
					binary.BigEndian.PutUint32(h[0:4], 100_000)
					binary.BigEndian.PutUint32(h[4:8], 100_000)
				})
			},
			wantPages: 1,
			want:      []string{"INV-2026-0042"},
		},
		{
			name:  "invalid accent colour and bare branding",
			items: 1,
			edit: func(t *testing.T, inv *Invoice) {
				inv.Branding = Branding{AccentColor: "tomato"}
				inv.Order.ShippingAddress, inv.Order.BillingAddress, inv.Order.Discount = nil, nil, 0
				order.Compute(&inv.Order)
			},
			wantPages: 1,
			want:      []string{"INV-2026-0042", "Ærøskøbing Ψυχή Дмитрий", "71.96 EUR"},
			wantNot:   []string{"Discount", "Ship to"},
		},
		{
			name:  "zero-decimal currency",
			items: 3,
			edit: func(t *testing.T, inv *Invoice) {
				inv.Order.Currency = "JPY"
				order.Compute(&inv.Order)
			},
			wantPages: 1,
			want:      []string{"123,456 JPY", "1,999 JPY"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inv := fixture(tt.items)
			if tt.edit != nil {
				tt.edit(t, &inv)
			}
			pdf := render(t, inv)
			require.Equal(t, tt.wantLogo, bytes.Contains(pdf, []byte("/Subtype /Image")), "logo embedded")
			text := testkit.PDFText(t, pdf)
			flat := squash(text)
			require.Equal(t, tt.wantPages, pages(text), "pages")
			for _, w := range tt.want {
				require.Contains(t, flat, w)
			}
			for _, it := range inv.Order.Items {
				require.Contains(t, flat, it.Name)
			}
			require.Contains(t, flat, order.FormatMoney(inv.Order.Total, inv.Order.Currency), "total")
			for _, w := range tt.wantNot {
				require.NotContains(t, flat, w)
			}
		})
	}
}

// TestRenderTableHeaderRepeats checks that every page of a long invoice
// has the item table's header, and that no item is lost at a break.
func TestRenderTableHeaderRepeats(t *testing.T) {
	t.Parallel()
	inv := fixture(120)
	text := testkit.PDFText(t, render(t, inv))
	pageTexts := strings.Split(strings.TrimSuffix(text, "\f"), "\f")
	require.Len(t, pageTexts, 7)
	for i, pt := range pageTexts {
		require.Contains(t, pt, "Unit price", "table header on page %d", i+1)
		if i > 0 {
			require.Contains(t, squash(pt), "Invoice INV-2026-0042", "running header on page %d", i+1)
		}
	}
	for i := range 120 {
		require.Equal(t, 1, strings.Count(text, fmt.Sprintf("#%03d", i+1)), "item %d printed once", i+1)
	}
	require.Contains(t, pageTexts[6], "Total", "totals at the end")
}

func TestRenderDeterministic(t *testing.T) {
	t.Parallel()
	inv := fixture(30)
	inv.Branding.Logo = logoPNG(t, true)
	require.Equal(t, render(t, inv), render(t, inv), "same invoice, same bytes")
}

func TestRenderNeedsNumber(t *testing.T) {
	t.Parallel()
	inv := fixture(1)
	inv.Number = " "
	var buf bytes.Buffer
	require.Error(t, Render(&buf, inv))
	require.Zero(t, buf.Len(), "nothing written")
}

func TestParseColor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want rgb
		ok   bool
	}{
		{"#7a1F5c", rgb{0x7a, 0x1f, 0x5c}, true},
		{"#000000", rgb{}, true},
		{"7a1f5c", rgb{}, false},
		{"#7a1f5", rgb{}, false},
		{"#7a1f5g", rgb{}, false},
		{"#+7a1f5", rgb{}, false},
		{"", rgb{}, false},
	}
	for _, tt := range tests {
		got, ok := parseColor(tt.in)
		require.Equal(t, tt.ok, ok, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
}

func BenchmarkRender(b *testing.B) {
	inv := fixture(3)
	inv.Branding.Logo = logoPNG(b, false)
	for b.Loop() {
		if err := Render(io.Discard, inv); err != nil {
			b.Fatal(err)
		}
	}
}
