package order

import (
	"slices"
	"strings"
)

// The ISO 4217 currencies and their minor units, written out here rather
// than taken from golang.org/x/text/currency: that package follows CLDR's
// display digits, which are not ISO's minor units (it gives IQD 0 decimals
// where ISO says 3, LAK and RSD 0 where ISO says 2), and its list lags
// ISO's (it knows no VES, MRU, SLE, ZWG or XCG, yet accepts DEM and XXX).
// Amounts are stored in minor units, so the scale must be ISO's.
//
// Source: ISO 4217 list one (SIX Group, the maintenance agency), 2026:
// ANG gave way to XCG in 2025 and BGN to the euro on 2026-01-01.
// Codes whose minor unit is "N.A." (precious metals XAU XAG XPD XPT, the
// bond-market units XBA–XBD, XDR, XSU, XUA, the test code XTS and XXX) are
// left out: an amount in minor units means nothing for them.

// isoMinorUnits maps each active ISO 4217 code to its number of decimals.
var isoMinorUnits = map[string]int{
	"AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2, "AZN": 2,
	"BAM": 2, "BBD": 2, "BDT": 2, "BHD": 3, "BIF": 0, "BMD": 2, "BND": 2, "BOB": 2, "BOV": 2,
	"BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2,
	"CAD": 2, "CDF": 2, "CHE": 2, "CHF": 2, "CHW": 2, "CLF": 4, "CLP": 0, "CNY": 2, "COP": 2, "COU": 2,
	"CRC": 2, "CUC": 2, "CUP": 2, "CVE": 2, "CZK": 2,
	"DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2,
	"EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2,
	"FJD": 2, "FKP": 2,
	"GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2, "GNF": 0, "GTQ": 2, "GYD": 2,
	"HKD": 2, "HNL": 2, "HTG": 2, "HUF": 2,
	"IDR": 2, "ILS": 2, "INR": 2, "IQD": 3, "IRR": 2, "ISK": 0,
	"JMD": 2, "JOD": 3, "JPY": 0,
	"KES": 2, "KGS": 2, "KHR": 2, "KMF": 0, "KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2, "KZT": 2,
	"LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2, "LYD": 3,
	"MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2, "MVR": 2,
	"MWK": 2, "MXN": 2, "MXV": 2, "MYR": 2, "MZN": 2,
	"NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2, "NPR": 2, "NZD": 2,
	"OMR": 3,
	"PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "PYG": 0,
	"QAR": 2,
	"RON": 2, "RSD": 2, "RUB": 2, "RWF": 0,
	"SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2, "SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2,
	"SSP": 2, "STN": 2, "SVC": 2, "SYP": 2, "SZL": 2,
	"THB": 2, "TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2, "TZS": 2,
	"UAH": 2, "UGX": 0, "USD": 2, "USN": 2, "UYI": 0, "UYU": 2, "UYW": 4, "UZS": 2,
	"VED": 2, "VES": 2, "VND": 0, "VUV": 0,
	"WST": 2,
	"XAF": 0, "XCD": 2, "XCG": 2, "XOF": 0, "XPF": 0,
	"YER": 2,
	"ZAR": 2, "ZMW": 2, "ZWG": 2,
}

// withdrawnMinorUnits are codes ISO 4217 withdrew in recent years. Orders
// stored in them before must still show and save (the old check took
// whatever x/text knew), so they stay valid, but forms do not offer them.
var withdrawnMinorUnits = map[string]int{
	"ANG": 2, "BGN": 2, "BYR": 0, "CYP": 2, "EEK": 2, "HRK": 2, "LTL": 2, "LVL": 2, "MRO": 2, "MTL": 2, "SIT": 2, "SKK": 2,
	"SLL": 2, "STD": 2, "VEF": 2, "ZMK": 2, "ZWL": 2,
}

// MinorUnits is the number of decimals of code's minor unit per ISO 4217
// (EUR 2, JPY 0, KWD 3, CLF 4); ok is false for a code that is not one.
func MinorUnits(code string) (n int, ok bool) {
	if n, ok = isoMinorUnits[code]; ok {
		return n, true
	}
	n, ok = withdrawnMinorUnits[code]
	return n, ok
}

// KnownCurrency reports whether code is an ISO 4217 code (upper case) that
// has a minor unit.
func KnownCurrency(code string) bool {
	_, ok := MinorUnits(code)
	return ok
}

var activeCurrencies = func() []string {
	out := make([]string, 0, len(isoMinorUnits))
	for c := range isoMinorUnits {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}()

// Currencies lists the active ISO 4217 codes that have a minor unit, in
// alphabetical order. The caller must not change the slice.
func Currencies() []string { return activeCurrencies }

// Scale is the number of decimals of a currency's minor unit (2 for EUR,
// 0 for JPY, 3 for KWD); 2 for an unknown code, which Validate refuses.
func Scale(code string) int {
	if n, ok := MinorUnits(strings.ToUpper(code)); ok {
		return n
	}
	return 2
}
