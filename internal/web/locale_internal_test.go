package web

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequestLocale(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		header           string
		decimal, grp     rune
		acceptNBSPForGrp bool
	}{
		{"", '.', ',', false},
		{"de-DE,de;q=0.9,en;q=0.8", ',', '.', false},
		{"en;q=0.1, de;q=0.9", ',', '.', false}, // the highest q wins, not the first listed
		{"de-CH", '.', '’', false},
		{"fr-FR,fr;q=0.9", ',', '\u202f', true},
		{"en-GB", '.', ',', false},
		{"de-u-nu-arab-x-foo", ',', '.', false},
		{"*", '.', ',', false},
		{"not a header;;;", '.', ',', false},
		{strings.Repeat("de,", 600), '.', ',', false}, // too long: not read
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", tt.header)
		l := requestLocale(r)
		g := l.Group
		if tt.acceptNBSPForGrp && g == '\u00a0' {
			g = '\u202f'
		}
		if l.Decimal != tt.decimal || g != tt.grp {
			t.Errorf("Accept-Language %.40q: decimal %q group %q, want %q %q", tt.header, l.Decimal, l.Group, tt.decimal, tt.grp)
		}
	}
}
