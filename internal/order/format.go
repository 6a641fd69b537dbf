package order

import (
	"strconv"
	"strings"
)

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
