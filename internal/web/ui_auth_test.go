package web_test

import (
	"html"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUIAuthPagesGerman: the pages a visitor sees before logging in speak
// the browser's language, headings, labels, buttons, titles and every
// error, worded like the order form's: a summary at the top linking to
// each field, and the error next to it in words ("E-Mail ist
// erforderlich"). What was typed is kept, except passwords.
func TestUIAuthPagesGerman(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	const de = "de-DE,de;q=0.9,en;q=0.8"
	c := a.browser()
	text := func(p page) string { return html.UnescapeString(p.body) }

	p := c.getLang(t, "/login", de)
	require.Equal(t, 200, p.status)
	for _, want := range []string{`<html lang="de">`, "<title>Anmelden · Ordo</title>", "<h1>Bei Ordo anmelden</h1>",
		`>Passwort</label>`, "Passwort vergessen?", "Konto anlegen"} {
		require.Contains(t, text(p), want)
	}
	require.NotContains(t, p.body, "Log in to Ordo")

	// An empty form: both fields are missing, said at each field and in
	// the summary, which links to them.
	p = c.postLang(t, "/login", de, url.Values{"email": {""}, "password": {""}})
	require.Equal(t, 422, p.status)
	for _, want := range []string{"Bitte korrigieren Sie diese 2 Punkte:", `<a href="#f-email">E-Mail ist erforderlich</a>`,
		`<a href="#f-password">Passwort ist erforderlich</a>`, `<p class="field-error" id="e-email">E-Mail ist erforderlich</p>`,
		`aria-describedby="e-password"`} {
		require.Contains(t, text(p), want)
	}

	// A wrong password: the one answer to every failed log-in, in German;
	// the address stays, the password does not.
	p = c.postLang(t, "/login", de, url.Values{"email": {"nobody@example.com"}, "password": {"not the password"}})
	require.Equal(t, 401, p.status)
	require.Contains(t, text(p), "E-Mail-Adresse oder Passwort falsch")
	require.Contains(t, p.body, `value="nobody@example.com"`)
	require.NotContains(t, p.body, `value="not the password"`)

	// Sign-up: the password's real limit, a malformed address, values kept.
	p = c.getLang(t, "/signup", de)
	require.Contains(t, text(p), "Mindestens 10 Zeichen.")
	p = c.postLang(t, "/signup", de, url.Values{"name": {"Jörg"}, "email": {"jörg@"}, "password": {"kurz"}, "tenant_name": {"Jörgs Laden"}})
	require.Equal(t, 422, p.status)
	for _, want := range []string{"Passwort muss mindestens 10 Zeichen lang sein", "E-Mail muss eine E-Mail-Adresse sein, etwa name@example.com",
		`value="Jörg"`, `value="jörg@"`, `value="Jörgs Laden"`, "<title>Registrieren · Ordo</title>"} {
		require.Contains(t, text(p), want)
	}
	require.NotContains(t, p.body, `value="kurz"`)
	p = c.postLang(t, "/signup", de, url.Values{"email": {""}, "password": {"password123"}})
	require.Contains(t, text(p), "E-Mail ist erforderlich")
	require.Contains(t, text(p), "Passwort gehört zu den häufigsten Passwörtern")

	// Forgot and reset.
	p = c.postLang(t, "/forgot-password", de, url.Values{"email": {""}})
	require.Equal(t, 422, p.status)
	require.Contains(t, text(p), "E-Mail ist erforderlich")
	p = c.postLang(t, "/forgot-password", de, url.Values{"email": {"nobody@example.com"}})
	require.Contains(t, text(p), "Falls nobody@example.com registriert ist, ist ein Link zum Zurücksetzen des Passworts unterwegs.")
	p = c.postLang(t, "/reset-password", de, url.Values{"token": {"stale"}, "password": {""}})
	require.Equal(t, 422, p.status)
	require.Contains(t, text(p), "Neues Passwort ist erforderlich")
	p = c.postLang(t, "/reset-password", de, url.Values{"token": {"stale"}, "password": {"a long enough passphrase"}})
	require.Contains(t, text(p), "Dieser Link ist ungültig, wurde schon verwendet oder ist abgelaufen.")

	// The pages of e-mailed links.
	p = c.getLang(t, "/verify-email?token=stale", de)
	require.Contains(t, text(p), "<h1>E-Mail-Adresse bestätigen</h1>")
	require.Contains(t, text(p), "Bestätigen Sie, dass diese Adresse Ihnen gehört.")
	p = c.postLang(t, "/verify-email", de, url.Values{"token": {"stale"}})
	require.Contains(t, text(p), `<a href="#f-token">Dieser Link ist ungültig`)
	p = c.postLang(t, "/invitations/accept", de, url.Values{"token": {"stale"}, "name": {"Jörg"}, "password": {""}})
	require.Equal(t, 422, p.status)
	for _, want := range []string{"Einem Team bei Ordo beitreten", "Passwort ist erforderlich", `value="Jörg"`} {
		require.Contains(t, text(p), want)
	}
	p = c.postLang(t, "/invitations/accept", de, url.Values{"token": {"stale"}, "name": {"Jörg"}, "password": {"a long enough passphrase"}})
	require.Equal(t, 422, p.status)
	require.Contains(t, text(p), "Diese Einladung ist ungültig, wurde schon verwendet oder ist abgelaufen.")

	// The same empty log-in in English.
	p = c.postLang(t, "/login", "en-US,en;q=0.9", url.Values{"email": {""}, "password": {""}})
	require.Contains(t, text(p), "E-mail is required")
	require.Contains(t, text(p), "Password is required")
}
