package order

import (
	"math/big"
	"strings"
	"testing"

	"golang.org/x/text/language"
)

// FuzzParseAmount: an amount that parses, in any of a few locales, is
// never negative, is exactly the decimal the person wrote (grouping
// separators dropped, the decimal mark read as a point) scaled to minor
// units, and survives a round trip through FormatAmount.
func FuzzParseAmount(f *testing.F) {
	for _, s := range [][3]string{
		{"12.5", "EUR", "en"}, {"1,234.56", "USD", "en"}, {"1000", "JPY", "de"}, {"0.001", "KWD", "en"}, {"-1", "EUR", "en"}, {"-0", "EUR", "de"},
		{"+.5", "EUR", "en"}, {".", "EUR", "fr"}, {"1e3", "EUR", "en"}, {"9223372036854775807", "JPY", "en"}, {"92233720368547758.08", "EUR", "en"},
		{" 12,50 ", "eur", "de"}, {"1.2.3", "EUR", "de"}, {"١٢٣", "EUR", "ar"}, {"0x10", "EUR", "en"}, {"1_000", "EUR", "en"}, {"12.345", "XXX", "en"},
		{"1\u202f234,50", "EUR", "fr"}, {"1’234.50", "CHF", "de-CH"}, {"12,50", "CHF", "de-CH"}, {"1.000", "JPY", "fr"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, s, code, tag string) {
		lt, err := language.Parse(tag)
		if err != nil {
			lt = language.English
		}
		l := LocaleFor(lt)
		n, err := ParseAmount(s, code, l)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseAmount(%q, %q, %s) = %d, negative", s, code, tag, n)
		}
		// The exact decimal value, scaled, is n: keep the digits and the
		// one separator read as the decimal mark, which is the locale's
		// or, where the locale does not use it, the other of "." and ",".
		other := '.'
		if l.Decimal == '.' {
			other = ','
		}
		var clean strings.Builder
		for _, r := range strings.TrimSpace(s) {
			switch {
			case r >= '0' && r <= '9':
				clean.WriteRune(r)
			case r == l.Decimal || r == other && r != l.Group:
				clean.WriteByte('.')
			}
		}
		r, ok := new(big.Rat).SetString(clean.String())
		if !ok {
			t.Fatalf("ParseAmount(%q, %q, %s) = %d, but %q is no number", s, code, tag, n, clean.String())
		}
		want := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(Scale(code))), nil)))
		if !want.IsInt() || want.Num().Cmp(big.NewInt(n)) != 0 {
			t.Fatalf("ParseAmount(%q, %q, %s) = %d, want %s", s, code, tag, n, want.RatString())
		}
		// What the edit form shows parses back to the same amount.
		shown := FormatAmount(n, code, l)
		back, err := ParseAmount(shown, code, l)
		if err != nil || back != n {
			t.Fatalf("ParseAmount(FormatAmount(%d, %q, %s) = %q) = %d, %v", n, code, tag, shown, back, err)
		}
	})
}

// FuzzValidate: whatever numbers a client sends, an order that passes
// Validate has exact totals (checked in arbitrary precision, so an int64
// overflow would show) within the documented limits.
func FuzzValidate(f *testing.F) {
	f.Add(int64(1), int64(1999), int64(2000), int64(0), 3, "Zoë", "EUR")
	f.Add(int64(MaxQuantity), int64(MaxUnitPrice), int64(MaxTaxRateBP), int64(0), MaxItems, "x", "USD")
	f.Add(int64(1_000_000), int64(1_000_000_000), int64(10_000), int64(1)<<62, MaxItems, "x", "JPY")
	f.Add(int64(-1), int64(-1), int64(-1), int64(-1), 0, "", "eur")
	f.Add(int64(1)<<62, int64(1)<<62, int64(1)<<40, int64(0), 2, "\xff", "EUR")
	f.Add(int64(3), int64(7), int64(5), int64(1<<63-1), 1, "a", "EUR")
	f.Fuzz(func(t *testing.T, qty, price, bp, discount int64, n int, name, cur string) {
		if n < 0 || n > MaxItems+1 {
			return
		}
		o := Order{CustomerName: name, CustomerEmail: "a@example.com", Currency: cur, Discount: discount}
		for i := 0; i < n; i++ {
			// Vary the lines so that sums are not all alike.
			o.Items = append(o.Items, Item{Name: "item", Quantity: qty - int64(i%3), UnitPrice: price - int64(i%7), TaxRateBP: bp - int64(i%2)})
		}
		if err := Validate(&o); err != nil {
			return
		}
		sub, tax := new(big.Int), new(big.Int)
		for i, it := range o.Items {
			if it.Quantity < 1 || it.Quantity > MaxQuantity || it.UnitPrice < 0 || it.UnitPrice > MaxUnitPrice || it.TaxRateBP < 0 || it.TaxRateBP > MaxTaxRateBP {
				t.Fatalf("item %d out of limits was accepted: %+v", i, it)
			}
			line := new(big.Int).Mul(big.NewInt(it.Quantity), big.NewInt(it.UnitPrice))
			if line.Cmp(big.NewInt(it.LineTotal)) != 0 || it.Position != i+1 {
				t.Fatalf("item %d: line total %d, want %s", i, it.LineTotal, line)
			}
			sub.Add(sub, line)
			// Half up: (line×bp + 5000) / 10000.
			lt := new(big.Int).Mul(line, big.NewInt(it.TaxRateBP))
			lt.Add(lt, big.NewInt(5000)).Quo(lt, big.NewInt(10_000))
			tax.Add(tax, lt)
		}
		total := new(big.Int).Add(sub, tax)
		total.Sub(total, big.NewInt(o.Discount))
		if sub.Cmp(big.NewInt(o.Subtotal)) != 0 || tax.Cmp(big.NewInt(o.Tax)) != 0 || total.Cmp(big.NewInt(o.Total)) != 0 {
			t.Fatalf("totals %d/%d/%d, want %s/%s/%s", o.Subtotal, o.Tax, o.Total, sub, tax, total)
		}
		if o.Total < 0 || o.Discount < 0 {
			t.Fatalf("accepted a negative total or discount: %+v", o)
		}
	})
}
