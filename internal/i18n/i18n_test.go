package i18n

import (
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"
)

func TestMatch(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	for _, tc := range []struct{ choice, accept, want string }{
		{"", "", "en"},
		{"", "de-CH,de;q=0.9,en;q=0.8", "de"},
		{"", "fr-FR,fr;q=0.9", "en"},
		{"", "fr-FR,de;q=0.5", "de"},
		{"en", "de-DE", "en"},
		{"de", "en-US", "de"},
		{"xx-nonsense", "de", "de"},
		{"", "q=;;garbage", "en"},
	} {
		require.Equal(t, tc.want, c.Match(tc.choice, tc.accept).String(), "%+v", tc)
	}
}

func TestTranslate(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	require.Equal(t, "Orders", c.T(language.English, "Orders"))
	require.Equal(t, "Unknown key", c.T(language.German, "Unknown key"), "an untranslated key falls back to English")
	require.Equal(t, "1,234 orders", c.T(language.English, "%d orders", 1234))
	require.Equal(t, "1.234 Bestellungen", c.T(language.German, "%d orders", 1234), "numbers follow the language")
	require.Equal(t, "1.234 widgets", c.T(language.German, "%d widgets", 1234), "numbers follow the language even where the text is not translated")
}
