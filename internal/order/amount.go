package order

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// Amounts typed by a person (the order form's prices and discount) are
// read by the rules of the person's locale and checked against the
// currency's minor unit. Nothing is guessed: an amount that could be read
// two ways is refused with a message that says how to write it. The JSON
// API never comes here: it takes integer minor units.
//
// The rules, for a locale with decimal mark D and grouping separator G
// (from CLDR: en "." and ",", de "," and ".", fr "," and narrow NBSP,
// de-CH "." and "’"):
//
//   - Digits are ASCII 0-9. A leading "-" or "−" is refused (prices and
//     discounts are never negative); empty input is ErrAmountEmpty.
//   - D is the decimal mark: at most once, after every grouping
//     separator, followed by 1 to scale digits (EUR 2, JPY 0, KWD 3).
//     More digits than the currency has are refused, even zeros.
//   - G, a space, NBSP, narrow NBSP, thin space, "'" and "’" group the
//     whole part: one kind per amount, first group 1-3 digits, every
//     other group exactly 3 ("1.234,50" in de, "1 234,50" in fr,
//     "1'234.50" anywhere).
//   - The other one of "." and "," (call it O) is a grouping separator
//     when the locale groups with it (en ",", de "."). Where it does not
//     (fr ".", de-CH ","), O is read as the decimal mark only when it
//     cannot be anything else: it appears once, D does not appear, and
//     the digits after it are not exactly 3. "12.50" in fr is 12,50;
//     "1.000" in fr could be a thousand written the German way, so it is
//     refused as ambiguous.
//
// So JPY "1.000" is one thousand in de (the point groups) and refused in
// en (the point is the decimal mark and JPY has no minor unit: reading it
// as a thousand would be a guess).

// Locale is how a person writes numbers.
type Locale struct {
	Tag     string // BCP 47 tag, e.g. "de-CH"
	Decimal rune   // decimal mark, e.g. ','
	Group   rune   // grouping separator, e.g. '.'
}

// English is the locale used when a request names none.
var English = Locale{Tag: "en", Decimal: '.', Group: ','}

// LocaleFor returns the number conventions of tag per CLDR, with Latin
// digits whatever the locale's own numbering system. It formats a number
// to find them: callers that need it per request cache the answer.
func LocaleFor(tag language.Tag) Locale {
	l := English
	l.Tag = tag.String()
	latn, err := tag.SetTypeForKey("nu", "latn")
	if err != nil {
		latn = tag
	}
	// 1234567.5 shows both separators in every locale (some group a
	// four-digit number not at all); the first non-digit after the
	// leading "1" is the grouping separator, the last the decimal mark.
	s := message.NewPrinter(latn).Sprint(number.Decimal(1234567.5, number.Scale(1)))
	var seps []rune
	for _, r := range s {
		if r < '0' || r > '9' {
			seps = append(seps, r)
		}
	}
	if len(seps) >= 2 && seps[0] != seps[len(seps)-1] {
		l.Group, l.Decimal = seps[0], seps[len(seps)-1]
	}
	return l
}

// Example writes 1234.56 (or 1234 for a scale of 0) the locale's way, for
// hints next to a field.
func (l Locale) Example(scale int) string {
	s := "1" + string(l.Group) + "234"
	if scale > 0 {
		s += string(l.Decimal) + "567890"[:scale]
	}
	return s
}

// FormatAmount writes minor units as the locale writes a plain amount,
// without grouping and without the currency code ("1250,00" in de,
// "1250.00" in en), so that ParseAmount reads it back.
func FormatAmount(minor int64, code string, l Locale) string {
	s := FormatMoney(minor, code)
	s = strings.TrimSuffix(s, " "+code)
	s = strings.ReplaceAll(s, ",", "")
	if l.Decimal != 0 && l.Decimal != '.' {
		s = strings.Replace(s, ".", string(l.Decimal), 1)
	}
	return s
}

// FormatMoneyIn is FormatMoney with the locale's separators: 123450 EUR
// is "1,234.50 EUR" in en, "1.234,50 EUR" in de, "1’234.50 EUR" in de-CH.
func FormatMoneyIn(minor int64, code string, l Locale) string {
	s := FormatMoney(minor, code)
	if l.Decimal == 0 || l.Decimal == '.' && l.Group == ',' {
		return s
	}
	num, cur, _ := strings.Cut(s, " ")
	var b strings.Builder
	for _, r := range num {
		switch r {
		case ',':
			b.WriteRune(l.Group)
		case '.':
			b.WriteRune(l.Decimal)
		default:
			b.WriteRune(r)
		}
	}
	return b.String() + " " + cur
}

// ErrAmountEmpty is ParseAmount's error for blank input, so that a
// caller can treat an optional field as zero.
var ErrAmountEmpty = &AmountError{Msg: "is required", Code: AmountRequired}

// AmountError says what is wrong with a typed amount; Msg reads after the
// field's name ("unit_price has more than 2 decimals …"). Code is one of
// the Amount… constants, for callers that word the message themselves.
type AmountError struct{ Msg, Code string }

// Codes of AmountError.
const (
	AmountRequired  = "required"
	AmountNegative  = "negative"
	AmountFormat    = "format"    // not an amount the locale's way
	AmountAmbiguous = "ambiguous" // could be read two ways
	AmountDecimals  = "decimals"  // more decimals than the currency has
	AmountTooLarge  = "too_large"
)

func (e *AmountError) Error() string { return e.Msg }

// groupOnly are grouping separators in every locale.
func groupOnly(r rune) bool {
	switch r {
	case ' ', '\u00a0', '\u202f', '\u2009', '\'', '\u2019':
		return true
	}
	return false
}

// ParseAmount reads an amount typed by a person in locale l as minor units
// of currency code (see the rules above).
func ParseAmount(s, code string, l Locale) (int64, error) {
	if l.Decimal == 0 {
		l = English
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrAmountEmpty
	}
	scale := Scale(code)
	howTo := "; write it like " + l.Example(scale)
	bad := func(msg string) (int64, error) { return 0, &AmountError{Msg: msg + howTo, Code: AmountFormat} }
	if r, _ := utf8.DecodeRuneInString(s); r == '-' || r == '\u2212' {
		return 0, &AmountError{Msg: "must not be negative", Code: AmountNegative}
	}

	// Split into runs of digits with one separator between runs.
	var runs []string
	var seps []rune
	cur := strings.Builder{}
	for _, r := range s {
		if r >= '0' && r <= '9' {
			cur.WriteRune(r)
			continue
		}
		if r != '.' && r != ',' && r != l.Decimal && r != l.Group && !groupOnly(r) {
			return bad("is not an amount")
		}
		if cur.Len() == 0 {
			return bad("is not an amount")
		}
		runs, seps = append(runs, cur.String()), append(seps, r)
		cur.Reset()
	}
	if cur.Len() == 0 {
		return bad("is not an amount")
	}
	runs = append(runs, cur.String())

	// Find the decimal mark, if any: it can only be the last separator.
	other := '.'
	if l.Decimal == '.' {
		other = ','
	}
	dec := -1 // index in seps of the decimal mark
	for i, r := range seps {
		switch {
		case r == l.Decimal:
			if dec >= 0 || i != len(seps)-1 {
				return bad("has a misplaced " + strconv.QuoteRune(r))
			}
			dec = i
		case r == other && r != l.Group:
			// Not this locale's decimal mark nor its grouping: a decimal
			// mark only where no other reading exists.
			if strings.ContainsRune(s, l.Decimal) || i != len(seps)-1 || strings.Count(s, string(r)) > 1 {
				return bad("has a misplaced " + strconv.QuoteRune(r))
			}
			if len(runs[i+1]) == 3 {
				return 0, &AmountError{Msg: "is ambiguous: " + strconv.QuoteRune(r) + " followed by three digits could group thousands or mark decimals" + howTo, Code: AmountAmbiguous}
			}
			dec = i
		}
	}
	whole, frac := runs, ""
	groups := seps
	if dec >= 0 {
		whole, frac, groups = runs[:dec+1], runs[dec+1], seps[:dec]
	}
	for i, g := range groups {
		if g != groups[0] {
			return bad("mixes thousands separators")
		}
		if i == 0 && len(whole[0]) > 3 || len(whole[i+1]) != 3 {
			return bad("has a thousands separator " + strconv.QuoteRune(g) + " in the wrong place")
		}
	}
	if len(frac) > scale {
		if scale == 0 {
			return 0, &AmountError{Msg: "must be a whole number: " + code + " has no minor unit" + howTo, Code: AmountDecimals}
		}
		return 0, &AmountError{Msg: "has more than " + strconv.Itoa(scale) + " decimals, the most " + code + " has" + howTo, Code: AmountDecimals}
	}
	digits := strings.Join(whole, "") + frac + strings.Repeat("0", scale-len(frac))
	n, err := strconv.ParseInt(digits, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return 0, &AmountError{Msg: "is too large", Code: AmountTooLarge}
	}
	if err != nil {
		return bad("is not an amount")
	}
	return n, nil
}
