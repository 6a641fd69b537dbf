package order

import (
	"math/big"
	"strings"
	"testing"
)

// FuzzParseMoney: an amount that parses is never negative, is exactly the
// decimal the client wrote scaled to minor units, and survives a round
// trip through FormatMoney.
func FuzzParseMoney(f *testing.F) {
	for _, s := range [][2]string{
		{"12.5", "EUR"}, {"1,234.56", "USD"}, {"1000", "JPY"}, {"0.001", "KWD"}, {"-1", "EUR"}, {"-0", "EUR"},
		{"+.5", "EUR"}, {".", "EUR"}, {"1e3", "EUR"}, {"9223372036854775807", "JPY"}, {"92233720368547758.08", "EUR"},
		{" 12.50 ", "eur"}, {"1.2.3", "EUR"}, {"١٢٣", "EUR"}, {"0x10", "EUR"}, {"1_000", "EUR"}, {"12.345", "XXX"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, code string) {
		n, err := ParseMoney(s, code)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseMoney(%q, %q) = %d, negative", s, code, n)
		}
		// The exact decimal value, scaled, is n.
		clean := strings.ReplaceAll(strings.TrimSpace(s), ",", "")
		if r, ok := new(big.Rat).SetString(clean); ok && clean != "" {
			want := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(Scale(code))), nil)))
			if !want.IsInt() || want.Num().Cmp(big.NewInt(n)) != 0 {
				t.Fatalf("ParseMoney(%q, %q) = %d, want %s", s, code, n, want.RatString())
			}
		}
		// What FormatMoney shows parses back to the same amount.
		shown := strings.TrimSuffix(FormatMoney(n, code), " "+code)
		back, err := ParseMoney(shown, code)
		if err != nil || back != n {
			t.Fatalf("ParseMoney(FormatMoney(%d, %q) = %q) = %d, %v", n, code, shown, back, err)
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
