package web_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUILanguage: the browser's language is the default, a choice made in
// the chooser wins over it and comes back to the page it was made on, and
// the chooser cannot be made to redirect off the site.
func TestUILanguage(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	c := a.browser()
	require.Contains(t, c.get(t, "/login").body, `<html lang="en">`)

	c.post(t, "/language", url.Values{"lang": {"de"}, "next": {"/signup"}})
	p := c.get(t, "/login")
	require.Contains(t, p.body, `<html lang="de">`)
	require.Contains(t, p.body, "Anmelden")

	p = c.post(t, "/language", url.Values{"lang": {"en"}, "next": {"//evil.example/x"}})
	require.Equal(t, "/login", p.url, "an off-site next goes home (which sends a visitor to log in)")
	require.Contains(t, p.body, `<html lang="en">`)

	p = c.post(t, "/language", url.Values{"lang": {"xx"}, "next": {"/login"}})
	require.Equal(t, 422, p.status, "a language Ordo does not speak is refused")
}
