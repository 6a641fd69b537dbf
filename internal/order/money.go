package order

import (
	"encoding/json"
	"fmt"
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

	// Longest texts, in characters.
	MaxNameLen        = 200 // customer name, reference, address lines
	MaxEmailLen       = 254
	MaxPhoneLen       = 50
	MaxNotesLen       = 5000
	MaxSKULen         = 100
	MaxItemNameLen    = 300
	MaxDescriptionLen = 2000
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
	text := func(field, s string, max int64, required bool) {
		switch {
		case !utf8.ValidString(s):
			v.AddRule(field, apperr.RuleUTF8, "must be valid UTF-8")
		case required && strings.TrimSpace(s) == "":
			v.AddRule(field, apperr.RuleRequired, "is required")
		case int64(utf8.RuneCountInString(s)) > max:
			v.AddRule(field, apperr.RuleTooLong, fmt.Sprintf("must be at most %d characters", max), max)
		}
	}
	text("customer_name", o.CustomerName, MaxNameLen, true)
	text("customer_email", o.CustomerEmail, MaxEmailLen, true)
	if o.CustomerEmail != "" && !strings.Contains(o.CustomerEmail, "@") {
		v.AddRule("customer_email", apperr.RuleFormat, "must be an e-mail address")
	}
	text("customer_phone", o.CustomerPhone, MaxPhoneLen, false)
	text("notes", o.Notes, MaxNotesLen, false)
	text("external_ref", o.ExternalRef, MaxNameLen, false)
	if !KnownCurrency(o.Currency) {
		v.AddRule("currency", apperr.RuleFormat, "must be an ISO 4217 currency code in capitals, such as EUR, USD or JPY")
	}
	checkMetadata(&v, "metadata", o.Metadata)
	for _, n := range []struct {
		name string
		a    *Address
	}{{"shipping_address", o.ShippingAddress}, {"billing_address", o.BillingAddress}} {
		a := n.a
		if a == nil {
			continue
		}
		for _, f := range []struct{ f, s string }{{"name", a.Name}, {"line1", a.Line1}, {"line2", a.Line2}, {"city", a.City}, {"region", a.Region}, {"postal_code", a.PostalCode}} {
			text(n.name+"."+f.f, f.s, MaxNameLen, false)
		}
		if a.Country != "" && (len(a.Country) != 2 || strings.ToUpper(a.Country) != a.Country) {
			v.AddRule(n.name+".country", apperr.RuleFormat, "must be a two-letter ISO 3166 code in capitals")
		}
	}
	if len(o.Items) == 0 {
		v.AddRule("items", apperr.RuleRequired, "must hold at least one item")
	}
	if len(o.Items) > MaxItems {
		v.AddRule("items", apperr.RuleTooMany, fmt.Sprintf("may hold at most %d items", MaxItems), MaxItems)
	}
	for i, it := range o.Items {
		p := "items[" + itoa(i) + "]."
		text(p+"sku", it.SKU, MaxSKULen, false)
		text(p+"name", it.Name, MaxItemNameLen, true)
		text(p+"description", it.Description, MaxDescriptionLen, false)
		okLine := true
		if it.Quantity < 1 || it.Quantity > MaxQuantity {
			v.AddRule(p+"quantity", apperr.RuleRange, fmt.Sprintf("must be from 1 to %d", MaxQuantity), 1, MaxQuantity)
			okLine = false
		}
		if it.UnitPrice < 0 || it.UnitPrice > MaxUnitPrice {
			v.AddRule(p+"unit_price", apperr.RuleRange, fmt.Sprintf("must be from 0 to %d minor units", int64(MaxUnitPrice)), 0, MaxUnitPrice)
			okLine = false
		}
		if it.TaxRateBP < 0 || it.TaxRateBP > MaxTaxRateBP {
			v.AddRule(p+"tax_rate_bp", apperr.RuleRange, fmt.Sprintf("must be from 0 to %d basis points", MaxTaxRateBP), 0, MaxTaxRateBP)
			okLine = false
		}
		// Each line is checked on its own: a bad line before it must not
		// hide this one's mistakes.
		if okLine && it.Quantity*it.UnitPrice > MaxLineTotal {
			v.AddRule(p+"unit_price", apperr.RuleTooLarge, "makes the line total too large", MaxLineTotal)
			okLine = false
		}
		checkMetadata(&v, p+"metadata", it.Metadata)
	}
	if o.Discount < 0 {
		v.AddRule("discount", apperr.RuleNegative, "must not be negative")
	}
	if err := v.Err(); err != nil {
		return err
	}
	Compute(o)
	if o.Total < 0 {
		v.AddRule("discount", apperr.RuleTooLarge, "must not exceed subtotal plus tax")
		return v.Err()
	}
	return nil
}

// checkMetadata accepts a JSON object of at most MaxMetadataSize bytes.
func checkMetadata(v *apperr.Validation, field string, m json.RawMessage) {
	if len(m) == 0 {
		return
	}
	if len(m) > MaxMetadataSize {
		v.AddRule(field, apperr.RuleTooLong, fmt.Sprintf("must be at most %d bytes of JSON", MaxMetadataSize), MaxMetadataSize)
		return
	}
	var obj map[string]any
	if err := json.Unmarshal(m, &obj); err != nil || obj == nil {
		v.AddRule(field, apperr.RuleFormat, "must be a JSON object")
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
