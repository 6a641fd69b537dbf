package order

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ordo/ordo/internal/apperr"
)

func validOrder() Order {
	return Order{CustomerName: "Ada", CustomerEmail: "ada@example.com", Currency: "EUR",
		Items: []Item{{Name: "Widget", Quantity: 3, UnitPrice: 1999, TaxRateBP: 2000}, {Name: "Gadget", Quantity: 1, UnitPrice: 5, TaxRateBP: 1000}}}
}

func TestComputeRounding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                      string
		items                     []Item
		discount                  int64
		wantSub, wantTax, wantTot int64
	}{
		// 3 × 19.99 = 59.97; 20 % = 11.994 → 11.99. 0.05 at 10 % = 0.005 → 0.01 (half up).
		{"half up per line", validOrder().Items, 0, 5997 + 5, 1199 + 1, 5997 + 5 + 1199 + 1},
		{"discount after tax", []Item{{Name: "A", Quantity: 1, UnitPrice: 1000, TaxRateBP: 1900}}, 190, 1000, 190, 1000},
		{"zero price", []Item{{Name: "Free", Quantity: 2, UnitPrice: 0}}, 0, 0, 0, 0},
		{"just below half", []Item{{Name: "B", Quantity: 1, UnitPrice: 4, TaxRateBP: 1249}}, 0, 4, 0, 4}, // 0.4996 → 0
		// The largest line at 100 % tax: no overflow.
		{"largest line", []Item{{Name: "Big", Quantity: 10_000, UnitPrice: MaxUnitPrice, TaxRateBP: MaxTaxRateBP}}, 0, MaxLineTotal, MaxLineTotal, 2 * MaxLineTotal},
		{"split rounding", []Item{{Name: "C", Quantity: 1, UnitPrice: 12_345, TaxRateBP: 1_950}}, 0, 12_345, 2_407, 14_752}, // 2407.275 → 2407
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validOrder()
			o.Items, o.Discount = tt.items, tt.discount
			if err := Validate(&o); err != nil {
				t.Fatal(err)
			}
			if o.Subtotal != tt.wantSub || o.Tax != tt.wantTax || o.Total != tt.wantTot {
				t.Errorf("got subtotal %d tax %d total %d, want %d %d %d", o.Subtotal, o.Tax, o.Total, tt.wantSub, tt.wantTax, tt.wantTot)
			}
		})
	}
}

func TestValidateNamesFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		mod   func(o *Order)
		field string
	}{
		{"no items", func(o *Order) { o.Items = nil }, "items"},
		{"currency lower", func(o *Order) { o.Currency = "eur" }, "currency"},
		{"currency unknown", func(o *Order) { o.Currency = "XYZ" }, "currency"},
		{"quantity", func(o *Order) { o.Items[1].Quantity = 0 }, "items[1].quantity"},
		{"negative price", func(o *Order) { o.Items[0].UnitPrice = -1 }, "items[0].unit_price"},
		{"tax rate", func(o *Order) { o.Items[0].TaxRateBP = 10001 }, "items[0].tax_rate_bp"},
		{"overflowing line", func(o *Order) { o.Items[0].Quantity, o.Items[0].UnitPrice = MaxQuantity, MaxUnitPrice }, "items[0].unit_price"},
		{"discount too big", func(o *Order) { o.Discount = 1_000_000 }, "discount"},
		{"metadata array", func(o *Order) { o.Metadata = json.RawMessage(`[1]`) }, "metadata"},
		{"metadata big", func(o *Order) { o.Metadata = json.RawMessage(`{"a":"` + string(make([]byte, 5000)) + `"}`) }, "metadata"},
		{"bad utf8", func(o *Order) { o.Notes = "\xff" }, "notes"},
		{"country", func(o *Order) { o.ShippingAddress = &Address{Country: "France"} }, "shipping_address.country"},
		{"name required", func(o *Order) { o.CustomerName = " " }, "customer_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validOrder()
			tt.mod(&o)
			err := Validate(&o)
			e, ok := apperr.As(err)
			if !ok || !errors.Is(err, apperr.ErrInvalid) {
				t.Fatalf("want a validation error, got %v", err)
			}
			found := false
			for _, f := range e.Fields {
				found = found || f.Field == tt.field
			}
			if !found {
				t.Errorf("want field %s, got %+v", tt.field, e.Fields)
			}
		})
	}
}

func TestStatusMachine(t *testing.T) {
	t.Parallel()
	all := []Status{StatusPending, StatusProcessing, StatusShipped, StatusDelivered, StatusCancelled}
	allowed := map[[2]Status]bool{
		{StatusPending, StatusProcessing}: true, {StatusProcessing, StatusShipped}: true, {StatusShipped, StatusDelivered}: true,
		{StatusPending, StatusCancelled}: true, {StatusProcessing, StatusCancelled}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := CanTransition(from, to); got != allowed[[2]Status{from, to}] {
				t.Errorf("%s → %s: got %v", from, to, got)
			}
		}
	}
}

func TestMoneyFormat(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		minor int64
		code  string
		want  string
	}{{123456, "EUR", "1,234.56 EUR"}, {5, "USD", "0.05 USD"}, {1500, "JPY", "1,500 JPY"}, {0, "GBP", "0.00 GBP"},
		{1234567, "KWD", "1,234.567 KWD"}, {-1250, "PLN", "-12.50 PLN"}, {12345, "CLF", "1.2345 CLF"}, {100, "IQD", "0.100 IQD"}} {
		if got := FormatMoney(tt.minor, tt.code); got != tt.want {
			t.Errorf("FormatMoney(%d, %s) = %q, want %q", tt.minor, tt.code, got, tt.want)
		}
	}
	// Parsing typed amounts: TestParseAmount.
}
