package tenant

import (
	"strings"
	"testing"
)

// Issue 16 (12): non-ASCII letters were dropped ("Łódź Trading" became
// "d-trading"); they are transliterated now.
func TestSlugify(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"Łódź Trading", "lodz-trading"},
		{"Acme Inc.", "acme-inc"},
		{"  --Ops  Inc--  ", "ops-inc"},
		{"Müller & Söhne GmbH", "muller-sohne-gmbh"},
		{"Straße 42", "strasse-42"},
		{"Ærøskøbing Æble", "aeroskobing-aeble"},
		{"Œuvre Þorp Đorđe", "oeuvre-thorp-dorde"},
		{"Crème Brûlée SARL", "creme-brulee-sarl"},
		{"Señor Niño", "senor-nino"},
		{"İstanbul Ağ Çözümleri", "istanbul-ag-cozumleri"},
		{"Ĳssel ﬁnance", "ijssel-finance"},
		{"Ａｃｍｅ", "acme"},
		{"Cafe\u0301 Noir", "cafe-noir"}, // a combining accent typed separately
		{"ООО Ромашка", "ooo-romashka"},
		{"Харків Трейд", "kharkiv-treyd"},
		{"Αθήνα Α.Ε.", "athina-a-e"},
		{"山田 Trading", "trading"},
		{"Zoë's Café", "zoe-s-cafe"},
	} {
		got := Slugify(tt.in)
		if got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !ValidSlug(got) {
			t.Errorf("Slugify(%q) = %q, not a valid slug", tt.in, got)
		}
	}

	// Nothing Latin, Cyrillic or Greek in the name: a hashed fallback,
	// never empty, stable, and different for different names.
	a, b := Slugify("山田商事"), Slugify("鈴木商事")
	for _, s := range []string{a, b, Slugify("!!!"), Slugify(""), Slugify("שלום"), Slugify("شركة")} {
		if !ValidSlug(s) || !strings.HasPrefix(s, "tenant-") || len(s) != len("tenant-")+8 {
			t.Errorf("fallback slug %q: want tenant- and 8 hex digits", s)
		}
	}
	if a == b || a != Slugify("山田商事") {
		t.Errorf("fallback slugs: %q, %q: want stable and distinct", a, b)
	}

	// Long names stop at 48 characters, without a trailing hyphen.
	long := Slugify(strings.Repeat("Łódź ", 20))
	if len(long) > 48 || !ValidSlug(long) {
		t.Errorf("long name: %q (%d)", long, len(long))
	}
	if s := Slugify(strings.Repeat("щ", 30)); len(s) > 48 || !ValidSlug(s) {
		t.Errorf("long transliteration: %q", s)
	}
}
