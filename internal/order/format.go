package order

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/currency"
)

// Scale is the number of decimals of a currency's minor unit (2 for EUR,
// 0 for JPY).
func Scale(code string) int {
	u, err := currency.ParseISO(code)
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(u)
	return scale
}

// FormatMoney shows minor units as a decimal amount with the currency
// code, e.g. 1234 EUR → "12.34 EUR".
func FormatMoney(minor int64, code string) string {
	scale := Scale(code)
	neg := minor < 0
	if neg {
		minor = -minor
	}
	s := strconv.FormatInt(minor, 10)
	if scale > 0 {
		for len(s) <= scale {
			s = "0" + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	// Thousands separators in the whole part.
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	sign := ""
	if neg {
		sign = "-"
	}
	return sign + b.String() + " " + code
}

// ParseMoney reads a decimal amount ("12.5", "12.50", "1,234.5") in a
// currency's minor units.
func ParseMoney(s, code string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, nil
	}
	scale := Scale(code)
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > scale {
		return 0, fmt.Errorf("has more than %d decimals", scale)
	}
	for len(frac) < scale {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n < 0 || strings.HasPrefix(whole, "-") {
		return 0, fmt.Errorf("is not an amount")
	}
	return n, nil
}
