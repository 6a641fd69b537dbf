package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/order"
)

// Form errors: domain code names a field by its API path
// (items[0].unit_price) and a rule (apperr.Rule…) with its limits; a form
// shows each error in the person's words and language, next to its field
// and in a summary at the top. The API keeps the paths and English
// details.

// fieldErr is one entry of a form's error summary: the message and the id
// of the field it links to.
type fieldErr struct{ ID, Msg string }

// fieldID is the id of the form control for an API field path:
// items[1].quantity is f-items-1-quantity, shipping_address.city is
// f-ship_city (the order form's names). Fields a form carries hidden
// (an item's description and metadata) point at the row's name.
func fieldID(path string) string {
	if rest, ok := strings.CutPrefix(path, "shipping_address."); ok {
		return "f-ship_" + rest
	}
	if path == "items" {
		return "f-items-0-name"
	}
	if strings.HasPrefix(path, "items[") {
		i, sub, _ := strings.Cut(strings.TrimPrefix(path, "items["), "].")
		switch sub {
		case "description", "metadata":
			sub = "name"
		}
		return "f-items-" + i + "-" + sub
	}
	return "f-" + path
}

// itemPath splits items[3].quantity into 3 and "quantity".
func itemPath(path string) (int, string, bool) {
	rest, ok := strings.CutPrefix(path, "items[")
	if !ok {
		return 0, "", false
	}
	i, sub, ok := strings.Cut(rest, "].")
	n, err := strconv.Atoi(i)
	return n, sub, ok && err == nil
}

// orderLabel names an order form field in r's language, as error
// messages start: "Customer name", "Item 2: quantity". "" for a field the
// form does not know.
func (s *Server) orderLabel(r *http.Request, path string) string {
	if i, sub, ok := itemPath(path); ok {
		var what string
		switch sub {
		case "name":
			what = s.tr(r, "name")
		case "sku":
			what = s.tr(r, "SKU")
		case "quantity":
			what = s.tr(r, "quantity")
		case "unit_price":
			what = s.tr(r, "unit price")
		case "tax_rate_bp":
			what = s.tr(r, "tax rate")
		case "description":
			what = s.tr(r, "description")
		case "metadata":
			what = s.tr(r, "metadata")
		default:
			return ""
		}
		return s.tr(r, "Item %d: %s", i+1, what)
	}
	switch path {
	case "customer_name":
		return s.tr(r, "Customer name")
	case "customer_email":
		return s.tr(r, "Customer e-mail")
	case "customer_phone":
		return s.tr(r, "Phone")
	case "currency":
		return s.tr(r, "Currency")
	case "discount":
		return s.tr(r, "Discount")
	case "notes":
		return s.tr(r, "Notes")
	case "external_ref":
		return s.tr(r, "Your reference")
	case "metadata":
		return s.tr(r, "Metadata")
	case "items":
		return s.tr(r, "Items")
	case "shipping_address.name":
		return s.tr(r, "Recipient")
	case "shipping_address.line1", "shipping_address.line2":
		return s.tr(r, "Street")
	case "shipping_address.city":
		return s.tr(r, "City")
	case "shipping_address.region":
		return s.tr(r, "Region")
	case "shipping_address.postal_code":
		return s.tr(r, "Postal code")
	case "shipping_address.country":
		return s.tr(r, "Country")
	}
	return ""
}

// fieldMessage words a field error in r's language, starting with label;
// ok is false when the rule is one it has no words for (the caller then
// shows the domain's English detail).
func (s *Server) fieldMessage(r *http.Request, fe apperr.FieldError, label, currency string, l order.Locale) (string, bool) {
	_, sub, isItem := itemPath(fe.Field)
	if !isItem {
		sub = fe.Field
	}
	arg := func(i int) int64 {
		if i < len(fe.Args) {
			return fe.Args[i]
		}
		return 0
	}
	// limit formats a limit as the field's values are written.
	limit := func(n int64) string {
		switch sub {
		case "unit_price", "discount":
			return order.FormatMoneyIn(n, currency, l)
		case "tax_rate_bp":
			return s.tr(r, "%s%%", formatBP(n, l))
		}
		return formatInt(n, l)
	}
	if code, ok := strings.CutPrefix(fe.Rule, "amount:"); ok {
		switch code {
		case order.AmountRequired:
			return s.tr(r, "%s is required", label), true
		case order.AmountNegative:
			return s.tr(r, "%s must not be negative", label), true
		case order.AmountAmbiguous:
			return s.tr(r, "%s could be read two ways; write it like %s", label, l.Example(order.Scale(currency))), true
		case order.AmountDecimals:
			if order.Scale(currency) == 0 {
				return s.tr(r, "%s must be a whole number: %s has no decimals", label, currency), true
			}
			return s.tr(r, "%s may have at most %d decimals in %s", label, order.Scale(currency), currency), true
		case order.AmountTooLarge:
			return s.tr(r, "%s must be at most %s", label, limit(order.MaxUnitPrice)), true
		}
		return s.tr(r, "%s is not an amount; write it like %s", label, l.Example(order.Scale(currency))), true
	}
	switch fe.Rule {
	case apperr.RuleRequired:
		if fe.Field == "items" {
			return s.tr(r, "Add at least one item"), true
		}
		return s.tr(r, "%s is required", label), true
	case apperr.RuleUTF8:
		return s.tr(r, "%s must be valid text", label), true
	case apperr.RuleTooLong:
		if sub == "password" || sub == "new_password" {
			// Passwords are limited in bytes (the hashing work), which
			// letters outside ASCII take more of.
			return s.tr(r, "%s must be at most %s bytes long; letters like ä take two", label, formatInt(arg(0), l)), true
		}
		return s.tr(r, "%s must be at most %s characters", label, formatInt(arg(0), l)), true
	case apperr.RuleTooShort:
		return s.tr(r, "%s must be at least %s characters", label, formatInt(arg(0), l)), true
	case apperr.RuleCommon:
		return s.tr(r, "%s is one of the most common passwords; choose one that is harder to guess", label), true
	case apperr.RuleSameAsEmail:
		return s.tr(r, "%s must not be your e-mail address", label), true
	case apperr.RuleExpired:
		return s.tr(r, "%s is invalid, used or expired. Ask for a new link.", label), true
	case apperr.RuleTaken:
		if fe.Field == "token" {
			// An invitation to an address that has an account already.
			return s.tr(r, "An account with this address exists already: log in first, then open the link again."), true
		}
		return s.tr(r, "%s is used by another account", label), true
	case apperr.RuleRange:
		return s.tr(r, "%s must be %s to %s", label, limit(arg(0)), limit(arg(1))), true
	case apperr.RuleTooMany:
		return s.tr(r, "An order may hold at most %s items", formatInt(arg(0), l)), true
	case apperr.RuleNegative:
		return s.tr(r, "%s must not be negative", label), true
	case apperr.RuleTooLarge:
		if sub == "discount" {
			return s.tr(r, "%s must not exceed the subtotal plus tax", label), true
		}
		return s.tr(r, "%s makes the line total larger than %s", label, order.FormatMoneyIn(arg(0), currency, l)), true
	case apperr.RuleFormat:
		switch sub {
		case "customer_email", "email":
			return s.tr(r, "%s must be an e-mail address, like name@example.com", label), true
		case "currency":
			return s.tr(r, "%s must be an ISO 4217 code such as EUR, USD or JPY", label), true
		case "shipping_address.country", "country":
			return s.tr(r, "%s must be a two-letter country code such as DE or US", label), true
		case "quantity":
			return s.tr(r, "%s must be a whole number", label), true
		case "metadata":
			return s.tr(r, "%s must be a JSON object", label), true
		case "accent_color":
			return s.tr(r, "%s must be a colour like #1f6feb", label), true
		}
		return s.tr(r, "%s is not valid", label), true
	}
	return "", false
}

// formatInt writes n with the locale's thousands separator: 1,000,000 in
// en, 1.000.000 in de.
func formatInt(n int64, l order.Locale) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	group := l.Group
	if group == 0 {
		group = ','
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(group)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatBP writes basis points as a percentage number in the locale:
// 2000 is 20, 550 is 5.5 (5,5 in de).
func formatBP(bp int64, l order.Locale) string {
	s := strconv.FormatFloat(float64(bp)/100, 'f', -1, 64)
	if l.Decimal != 0 && l.Decimal != '.' {
		s = strings.Replace(s, ".", string(l.Decimal), 1)
	}
	return s
}
