package order

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/language"

	"github.com/ordo/ordo/internal/apperr"
)

func TestLocaleFor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		tag          string
		decimal, grp rune
	}{
		{"en", '.', ','}, {"en-US", '.', ','}, {"de", ',', '.'}, {"fr", ',', '\u202f'}, {"de-CH", '.', '’'},
		{"pl", ',', '\u00a0'}, {"sv", ',', '\u00a0'}, {"es", ',', '.'}, {"ja", '.', ','},
		// Arabic uses its own digits by default; people type Latin ones
		// into a web form, and the Latin-digit separators apply.
		{"ar-EG", '.', ','},
	} {
		l := LocaleFor(language.MustParse(tt.tag))
		// fr's grouping is NNBSP in recent CLDR, NBSP in older: either.
		if tt.tag == "fr" && l.Group == '\u00a0' {
			l.Group = '\u202f'
		}
		if l.Decimal != tt.decimal || l.Group != tt.grp {
			t.Errorf("LocaleFor(%s) = decimal %q group %q, want %q %q", tt.tag, l.Decimal, l.Group, tt.decimal, tt.grp)
		}
	}
}

// TestParseAmount is the table of issue 16 (2): how each input is read in
// en, de, fr and de-CH. want -1 means refused; msg is then a part of the
// field error the person sees.
func TestParseAmount(t *testing.T) {
	t.Parallel()
	locs := map[string]Locale{}
	for _, tag := range []string{"en", "de", "fr", "de-CH"} {
		locs[tag] = LocaleFor(language.MustParse(tag))
	}
	type want struct {
		en, de, fr, deCH int64
	}
	const no = -1
	for _, tt := range []struct {
		in, code string
		want     want
		msg      string // part of the en error, if en refuses
	}{
		// "12,50": a decimal comma in de and fr; in de-CH the comma is no
		// separator at all and two digits follow, so it can only be a
		// decimal mark; in en the comma groups thousands, and "12,50" is
		// not a valid group: refused, never read as 1250.00.
		{"12,50", "EUR", want{no, 1250, 1250, 1250}, "wrong place"},
		{"1.234,50", "EUR", want{no, 123450, no, no}, "misplaced"},
		{"1,234.50", "EUR", want{123450, no, no, no}, ""},
		// Spaces (plain, NBSP, NNBSP) and apostrophes group in every locale.
		// In de-CH the comma is no separator and two digits follow it: a
		// decimal mark. In en the comma groups, and a space too: mixed.
		{"1 234,50", "EUR", want{no, 123450, 123450, 123450}, "mixes"},
		{"1\u00a0234,50", "EUR", want{no, 123450, 123450, 123450}, ""},
		{"1\u202f234,50", "EUR", want{no, 123450, 123450, 123450}, ""},
		{"1'234.50", "CHF", want{123450, no, 123450, 123450}, ""},
		{"1’234.50", "CHF", want{123450, no, 123450, 123450}, ""},
		{"1 234.50", "EUR", want{123450, no, 123450, 123450}, ""},
		// "12.5": en, de-CH decimal point; fr does not use "." at all and
		// one digit follows, so it is a decimal mark; in de the point
		// groups, and ".5" is no group of three.
		{"12.5", "EUR", want{1250, no, 1250, 1250}, ""},
		{"12", "EUR", want{1200, 1200, 1200, 1200}, ""},
		{"0,5", "EUR", want{no, 50, 50, 50}, "wrong place"},
		{"0.05", "USD", want{5, no, 5, 5}, ""},
		// Too many decimals for EUR: refused, not rounded.
		{"12,505", "EUR", want{12505 * 100, no, no, no}, ""},
		{"12.505", "EUR", want{no, 12505 * 100, no, no}, "more than 2 decimals, the most EUR has"},
		{"12,500", "EUR", want{12500 * 100, no, no, no}, ""},
		// JPY has no minor unit. "1.000" is one thousand where the point
		// groups (de); where it is the decimal mark (en, de-CH) it is
		// refused rather than guessed to be a thousand; in fr a point
		// before three digits could be either: refused as ambiguous.
		{"1.000", "JPY", want{no, 1000, no, no}, "JPY has no minor unit"},
		{"1,000", "JPY", want{1000, no, no, no}, ""},
		{"1000", "JPY", want{1000, 1000, 1000, 1000}, ""},
		{"1 000", "JPY", want{1000, 1000, 1000, 1000}, ""},
		{"12,5", "JPY", want{no, no, no, no}, ""},
		// KWD has three decimals.
		{"1.250", "KWD", want{1250, 1250000, no, 1250}, ""},
		{"1,250", "KWD", want{1250000, 1250, 1250, no}, ""},
		{"0,0005", "KWD", want{no, no, no, no}, ""},
		{"1.234.567,89", "EUR", want{no, 123456789, no, no}, ""},
		{"1,234,567.89", "EUR", want{123456789, no, no, no}, ""},
		{"1.234.567", "EUR", want{no, 123456700, no, no}, ""},
		// Bad grouping, mixed separators, two decimal marks.
		{"1,23,456.50", "EUR", want{no, no, no, no}, "wrong place"},
		{"1234,567.89", "EUR", want{no, no, no, no}, ""},
		{"1 234'567", "EUR", want{no, no, no, no}, "mixes"},
		{"1.2.3", "EUR", want{no, no, no, no}, ""},
		{"12..5", "EUR", want{no, no, no, no}, ""},
		{"1,2,", "EUR", want{no, no, no, no}, ""},
		// Negative, empty, not a number.
		{"-12,50", "EUR", want{no, no, no, no}, "must not be negative"},
		{"−5", "EUR", want{no, no, no, no}, "must not be negative"},
		{"", "EUR", want{no, no, no, no}, "is required"},
		{"   ", "EUR", want{no, no, no, no}, "is required"},
		{"abc", "EUR", want{no, no, no, no}, "is not an amount"},
		{"€12", "EUR", want{no, no, no, no}, ""},
		{"1e3", "EUR", want{no, no, no, no}, ""},
		{"+5", "EUR", want{no, no, no, no}, ""},
		{",5", "EUR", want{no, no, no, no}, ""},
		{"12,", "EUR", want{no, no, no, no}, ""},
		{"١٢", "EUR", want{no, no, no, no}, ""},
		{"99999999999999999999", "JPY", want{no, no, no, no}, "too large"},
		{" 7 ", "EUR", want{700, 700, 700, 700}, ""},
	} {
		for tag, w := range map[string]int64{"en": tt.want.en, "de": tt.want.de, "fr": tt.want.fr, "de-CH": tt.want.deCH} {
			got, err := ParseAmount(tt.in, tt.code, locs[tag])
			if w == no {
				var ae *AmountError
				if err == nil || !errors.As(err, &ae) {
					t.Errorf("%s: ParseAmount(%q, %s) = %d, %v; want an AmountError", tag, tt.in, tt.code, got, err)
				} else if tag == "en" && tt.msg != "" && !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("%s: ParseAmount(%q, %s) error %q, want it to say %q", tag, tt.in, tt.code, err, tt.msg)
				}
				continue
			}
			if err != nil || got != w {
				t.Errorf("%s: ParseAmount(%q, %s) = %d, %v; want %d", tag, tt.in, tt.code, got, err, w)
			}
		}
	}
	if _, err := ParseAmount("", "EUR", English); !errors.Is(err, ErrAmountEmpty) {
		t.Errorf("empty input: %v, want ErrAmountEmpty", err)
	}
	// The zero Locale reads as English.
	if got, err := ParseAmount("1,234.50", "EUR", Locale{}); err != nil || got != 123450 {
		t.Errorf("zero locale: %d, %v", got, err)
	}
}

// TestFormatAmountRoundTrip: what the edit form shows for an amount, in
// the person's locale, parses back to the same amount.
func TestFormatAmountRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tag := range []string{"en", "de", "fr", "de-CH", "pl"} {
		l := LocaleFor(language.MustParse(tag))
		for _, code := range []string{"EUR", "JPY", "KWD", "CLF"} {
			for _, n := range []int64{0, 5, 1250, 123456, 1_000_000, 123_456_789_012} {
				s := FormatAmount(n, code, l)
				back, err := ParseAmount(s, code, l)
				if err != nil || back != n {
					t.Errorf("%s %s: FormatAmount(%d) = %q, parsed back as %d, %v", tag, code, n, s, back, err)
				}
			}
		}
	}
	if got := FormatAmount(1250, "EUR", LocaleFor(language.German)); got != "12,50" {
		t.Errorf("de 1250 EUR = %q, want 12,50", got)
	}
}

func TestCurrencies(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]int{"EUR": 2, "USD": 2, "PLN": 2, "CHF": 2, "SEK": 2, "JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3,
		"IQD": 3, "TND": 3, "CLF": 4, "UYW": 4, "VES": 2, "MRU": 2, "SLE": 2, "ZWG": 2, "XCG": 2, "XOF": 0, "LAK": 2, "ISK": 0} {
		got, ok := MinorUnits(code)
		if !ok || got != want {
			t.Errorf("MinorUnits(%s) = %d, %v; want %d", code, got, ok, want)
		}
		if Scale(code) != want {
			t.Errorf("Scale(%s) = %d, want %d", code, Scale(code), want)
		}
		o := validOrder()
		o.Currency = code
		if err := Validate(&o); err != nil {
			t.Errorf("Validate with currency %s: %v", code, err)
		}
	}
	// Not codes, lower case, no minor unit (gold, test, none), and a
	// code withdrawn long ago.
	for _, code := range []string{"", "EU", "EURO", "eur", "ABC", "XAU", "XTS", "XXX", "XDR", "DEM"} {
		if KnownCurrency(code) {
			t.Errorf("KnownCurrency(%q) = true", code)
		}
		o := validOrder()
		o.Currency = code
		if err := Validate(&o); !hasField(err, "currency") {
			t.Errorf("Validate with currency %q: %v, want a currency error", code, err)
		}
	}
	// Recently withdrawn: old orders keep validating; forms do not offer it.
	if !KnownCurrency("HRK") || Scale("HRK") != 2 {
		t.Errorf("HRK: known %v, scale %d", KnownCurrency("HRK"), Scale("HRK"))
	}
	cs := Currencies()
	if len(cs) < 160 {
		t.Errorf("Currencies() has %d codes, want every active ISO 4217 code", len(cs))
	}
	for i, c := range cs {
		if i > 0 && cs[i-1] >= c {
			t.Errorf("Currencies() not sorted at %s", c)
		}
		if c == "HRK" {
			t.Errorf("Currencies() offers the withdrawn HRK")
		}
	}
}

func hasField(err error, field string) bool {
	e, ok := apperr.As(err)
	if !ok {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}
