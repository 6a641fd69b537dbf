package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// page is an HTML response.
type page struct {
	status int
	url    string
	body   string
}

func (c *client) get(t *testing.T, path string) page {
	t.Helper()
	res, err := c.http.Get(c.a.url + path)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, url: res.Request.URL.Path, body: string(b)}
}

// post submits a form as a same-origin browser would, following the
// redirect.
func (c *client) post(t *testing.T, path string, form url.Values) page {
	t.Helper()
	req, err := http.NewRequest("POST", c.a.url+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := c.http.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, url: res.Request.URL.Path, body: string(b)}
}

var keyRE = regexp.MustCompile(`ordo_[0-9a-f]{12}_[A-Za-z0-9_-]+`)

// TestUIAccounts walks the account pages as a browser without JavaScript
// would: every form posts and redirects.
func TestUIAccounts(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			owner := a.browser()
			require.Equal(t, "/login", owner.get(t, "/").url, "visitors land on the login page")
			require.Equal(t, "/login", owner.get(t, "/app/members").url)

			// Sign-up: a field error is shown next to its field, values kept.
			email := uniqueEmail("ui")
			p := owner.post(t, "/signup", url.Values{"name": {"Ann"}, "email": {email}, "password": {"short"}, "tenant_name": {"Acme"}})
			require.Equal(t, 422, p.status)
			require.Contains(t, p.body, `id="e-password"`)
			require.Contains(t, p.body, `value="`+email+`"`)
			p = owner.post(t, "/signup", url.Values{"name": {"Ann"}, "email": {email}, "password": {password}, "tenant_name": {"Acme <Corp>"}})
			require.Equal(t, "/login", p.url, "log in once the address is confirmed")
			require.Contains(t, p.body, "Check your e-mail")

			// The verification link shows a button; posting it verifies.
			tok := a.outbox.token(t, email, "Confirm your e-mail")
			anon := a.browser()
			p = anon.get(t, "/verify-email?token="+tok)
			require.Contains(t, p.body, `action="/verify-email"`)
			p = anon.post(t, "/verify-email", url.Values{"token": {tok}})
			require.Equal(t, 200, p.status)
			p = owner.post(t, "/login", url.Values{"email": {email}, "password": {password}})
			require.Equal(t, "/app", p.url)
			require.Contains(t, p.body, "Acme &lt;Corp&gt;", "user content is escaped")
			require.Contains(t, owner.get(t, "/app/account").body, "verified")

			// Invite a viewer; the invitation is listed with its status.
			guest := uniqueEmail("guest")
			p = owner.post(t, "/app/invitations", url.Values{"email": {guest}, "role": {"viewer"}})
			require.Equal(t, "/app/members", p.url)
			require.Contains(t, p.body, guest)
			require.Contains(t, p.body, `badge pending`)

			// The guest accepts as a new user and sees no management forms.
			gtok := a.outbox.token(t, guest, "invited")
			g := a.browser()
			require.Contains(t, g.get(t, "/invitations/accept?token="+gtok).body, `name="password"`)
			p = g.post(t, "/invitations/accept", url.Values{"token": {gtok}, "name": {"Guest"}, "password": {password}})
			require.Equal(t, "/app", p.url)
			p = g.get(t, "/app/members")
			require.NotContains(t, p.body, `action="/app/invitations"`, "a viewer gets no invite form")
			require.NotContains(t, p.body, "/role", "a viewer gets no role forms")
			require.Contains(t, owner.get(t, "/app/members").body, `badge accepted`)
			require.Equal(t, 403, g.get(t, "/app/api-keys").status)

			// API keys: the secret is shown once.
			p = owner.post(t, "/app/api-keys", url.Values{"name": {"deploy"}, "role": {"member"}, "expires_days": {"30"}})
			require.Equal(t, 201, p.status)
			key := keyRE.FindString(p.body)
			require.NotEmpty(t, key)
			a.withKey(key).do("GET", "/api/v1/me", nil).must(t, 200)
			p = owner.get(t, "/app/api-keys")
			require.NotContains(t, p.body, key)
			require.Contains(t, p.body, "deploy")

			// Log out, and the reset flow through the pages.
			owner.post(t, "/logout", nil)
			require.Equal(t, "/login", owner.get(t, "/app").url)
			p = anon.post(t, "/forgot-password", url.Values{"email": {email}})
			require.Contains(t, p.body, "is on its way")
			rtok := a.outbox.token(t, email, "Reset your Ordo password")
			p = anon.post(t, "/reset-password", url.Values{"token": {rtok}, "password": {"a new long passphrase"}})
			require.Equal(t, "/login", p.url)
			p = owner.post(t, "/login", url.Values{"email": {email}, "password": {password}})
			require.Equal(t, 401, p.status)
			require.Contains(t, p.body, "Wrong e-mail or password")
			p = owner.post(t, "/login?next=/app/members", url.Values{"email": {email}, "password": {"a new long passphrase"}})
			require.Equal(t, "/app/members", p.url)

			// Another tenant's ids get 404 from the pages too.
			other, otherUser, _ := a.signup(t, uniqueEmail("other"))
			_ = other
			p = owner.post(t, "/app/members/"+otherUser+"/remove", nil)
			require.Equal(t, 404, p.status)
		})
	}
}
