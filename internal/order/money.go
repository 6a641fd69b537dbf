package order

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/ordo/ordo/internal/apperr"
)

// Limits that keep every sum far from int64 overflow and bodies sane.
const (
	MaxItems        = 200
	MaxQuantity     = 1_000_000
	MaxUnitPrice    = 100_000_000_000 // 1e9 major units of a 2-decimal currency
	MaxLineTotal    = 1_000_000_000_000_000
	MaxTaxRateBP    = 10_000 // 100 %
	MaxMetadataSize = 4096   // bytes of JSON
)

// lineTax is a line's tax, rounded half away from zero (amounts are never
// negative here, so: half up).
func lineTax(lineTotal, bp int64) int64 {
	// lineTotal × bp can reach 1e19, past int64: split lineTotal so that
	// no product exceeds 1e15. (q·10000 + r)·bp/10000 = q·bp + r·bp/10000.
	q, r := lineTotal/10_000, lineTotal%10_000
	return q*bp + (r*bp+5_000)/10_000
}

// Compute fills the line totals and the order's subtotal, tax and total.
// It assumes Validate passed.
func Compute(o *Order) {
	var sub, tax int64
	for i := range o.Items {
		it := &o.Items[i]
		it.Position = i + 1
		it.LineTotal = it.Quantity * it.UnitPrice
		sub += it.LineTotal
		tax += lineTax(it.LineTotal, it.TaxRateBP)
	}
	o.Subtotal, o.Tax = sub, tax
	o.Total = sub + tax - o.Discount
}

// Validate checks what a client sent and computes the totals; the error
// names every field at fault, with JSON paths such as items[2].quantity.
func Validate(o *Order) error {
	var v apperr.Validation
	text := func(field, s string, max int, required bool) {
		switch {
		case !utf8.ValidString(s):
			v.Add(field, "must be valid UTF-8")
		case required && strings.TrimSpace(s) == "":
			v.Add(field, "is required")
		case utf8.RuneCountInString(s) > max:
			v.Add(field, "is too long")
		}
	}
	text("customer_name", o.CustomerName, 200, true)
	text("customer_email", o.CustomerEmail, 254, true)
	if o.CustomerEmail != "" && !strings.Contains(o.CustomerEmail, "@") {
		v.Add("customer_email", "must be an e-mail address")
	}
	text("customer_phone", o.CustomerPhone, 50, false)
	text("notes", o.Notes, 5000, false)
	text("external_ref", o.ExternalRef, 200, false)
	if !KnownCurrency(o.Currency) {
		v.Add("currency", "must be an ISO 4217 currency code in capitals, such as EUR, USD or JPY")
	}
	checkMetadata(&v, "metadata", o.Metadata)
	for name, a := range map[string]*Address{"shipping_address": o.ShippingAddress, "billing_address": o.BillingAddress} {
		if a == nil {
			continue
		}
		for f, s := range map[string]string{"name": a.Name, "line1": a.Line1, "line2": a.Line2, "city": a.City, "region": a.Region, "postal_code": a.PostalCode} {
			text(name+"."+f, s, 200, false)
		}
		if a.Country != "" && (len(a.Country) != 2 || strings.ToUpper(a.Country) != a.Country) {
			v.Add(name+".country", "must be a two-letter ISO 3166 code in capitals")
		}
	}
	if len(o.Items) == 0 {
		v.Add("items", "must hold at least one item")
	}
	if len(o.Items) > MaxItems {
		v.Add("items", "may hold at most 200 items")
	}
	okLines := true
	for i, it := range o.Items {
		p := "items[" + itoa(i) + "]."
		text(p+"sku", it.SKU, 100, false)
		text(p+"name", it.Name, 300, true)
		text(p+"description", it.Description, 2000, false)
		if it.Quantity < 1 || it.Quantity > MaxQuantity {
			v.Add(p+"quantity", "must be from 1 to 1000000")
			okLines = false
		}
		if it.UnitPrice < 0 || it.UnitPrice > MaxUnitPrice {
			v.Add(p+"unit_price", "must be from 0 to 100000000000 minor units")
			okLines = false
		}
		if it.TaxRateBP < 0 || it.TaxRateBP > MaxTaxRateBP {
			v.Add(p+"tax_rate_bp", "must be from 0 to 10000 basis points")
			okLines = false
		}
		if okLines && it.Quantity*it.UnitPrice > MaxLineTotal {
			v.Add(p+"unit_price", "makes the line total too large")
			okLines = false
		}
		checkMetadata(&v, p+"metadata", it.Metadata)
	}
	if o.Discount < 0 {
		v.Add("discount", "must not be negative")
	}
	if err := v.Err(); err != nil {
		return err
	}
	Compute(o)
	if o.Total < 0 {
		return apperr.Invalid("discount", "must not exceed subtotal plus tax")
	}
	return nil
}

// checkMetadata accepts a JSON object of at most MaxMetadataSize bytes.
func checkMetadata(v *apperr.Validation, field string, m json.RawMessage) {
	if len(m) == 0 {
		return
	}
	if len(m) > MaxMetadataSize {
		v.Add(field, "must be at most 4096 bytes of JSON")
		return
	}
	var obj map[string]any
	if err := json.Unmarshal(m, &obj); err != nil || obj == nil {
		v.Add(field, "must be a JSON object")
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
