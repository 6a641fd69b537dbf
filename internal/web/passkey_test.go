package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/passkey/passkeytest"
)

// newAuthenticator is a software passkey authenticator on the app's
// relying party: its server listens on 127.0.0.1, and WebAuthn has no
// relying party on an IP address, so the harness names it localhost.
func newAuthenticator(t *testing.T, a *app) *passkeytest.Authenticator {
	t.Helper()
	u, err := url.Parse(a.url)
	require.NoError(t, err)
	return passkeytest.New("http://localhost:" + u.Port())
}

// registerPasskey adds a passkey of c's user through both API calls and
// returns its id.
func registerPasskey(t *testing.T, c *client, auth *passkeytest.Authenticator, name string) string {
	t.Helper()
	cred := beginRegistration(t, c, auth)
	return c.do("POST", "/api/v1/me/passkeys", map[string]any{"name": name, "credential": cred}).must(t, 201).str("id")
}

func beginRegistration(t *testing.T, c *client, auth *passkeytest.Authenticator) json.RawMessage {
	t.Helper()
	r := c.do("POST", "/api/v1/me/passkeys/options", nil).must(t, 200)
	cred, err := auth.Create([]byte(r.raw))
	require.NoError(t, err)
	return cred
}

// passkeyLogIn signs c in with auth's passkey (secondFactor: after the
// password, on the log-in waiting in c's session).
func passkeyLogIn(t *testing.T, c *client, auth *passkeytest.Authenticator, secondFactor bool) resp {
	t.Helper()
	r := c.do("POST", "/api/v1/auth/passkey/options", map[string]any{"second_factor": secondFactor}).must(t, 200)
	cred, err := auth.Get([]byte(r.raw))
	require.NoError(t, err)
	return c.do("POST", "/api/v1/auth/passkey", map[string]any{"credential": cred})
}

func currentMethod(t *testing.T, c *client) string {
	t.Helper()
	for _, s := range c.do("GET", "/api/v1/me/sessions", nil).must(t, 200).list() {
		if s["current"] == true {
			m, _ := s["method"].(string)
			return m
		}
	}
	return ""
}

// TestPasskeys registers passkeys through the API with a software
// authenticator, signs in with one alone and after the password (the
// browser's second step), and removes them; the challenge of a ceremony
// is answered once, an API log-in of a passkey user is mfa-required, and
// everything is audited.
func TestPasskeys(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		email := uniqueEmail("pk")
		owner, _, _ := a.signup(t, email)
		auth := newAuthenticator(t, a)

		require.Empty(t, owner.do("GET", "/api/v1/me/passkeys", nil).must(t, 200).list())
		// Finishing what was never started.
		r := owner.do("POST", "/api/v1/me/passkeys", map[string]any{"name": "x", "credential": map[string]any{}}).must(t, 409)
		require.Contains(t, r.raw, "start again")

		// A bad name is the client's, on its field; the ceremony is used
		// up by the attempt.
		cred := beginRegistration(t, owner, auth)
		r = owner.do("POST", "/api/v1/me/passkeys", map[string]any{"name": " ", "credential": cred}).must(t, 422)
		require.Equal(t, "name", r.body["errors"].([]any)[0].(map[string]any)["field"])
		owner.do("POST", "/api/v1/me/passkeys", map[string]any{"name": "Laptop", "credential": cred}).must(t, 409)

		id := registerPasskey(t, owner, auth, "Laptop")
		list := owner.do("GET", "/api/v1/me/passkeys", nil).must(t, 200).list()
		require.Len(t, list, 1)
		require.Equal(t, id, list[0]["id"])
		require.Equal(t, "Laptop", list[0]["name"])
		require.Nil(t, list[0]["last_used_at"])

		// The API's password log-in wants a second factor now, which it
		// cannot take as a passkey: mfa-required.
		r = a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 401)
		require.Equal(t, "mfa-required", problemKind(r))

		// Passwordless.
		b := a.browser()
		me := passkeyLogIn(t, b, auth, false).must(t, 200)
		require.Equal(t, email, me.str("principal", "email"))
		require.Equal(t, "passkey", currentMethod(t, b))
		require.NotNil(t, owner.do("GET", "/api/v1/me/passkeys", nil).must(t, 200).list()[0]["last_used_at"])
		// The ceremony was used: no second finish.
		c := a.browser()
		r = c.do("POST", "/api/v1/auth/passkey/options", map[string]any{}).must(t, 200)
		ans, err := auth.Get([]byte(r.raw))
		require.NoError(t, err)
		c.do("POST", "/api/v1/auth/passkey", map[string]any{"credential": ans}).must(t, 200)
		c.do("POST", "/api/v1/auth/passkey", map[string]any{"credential": ans}).must(t, 409)
		// Garbage is the client's fault.
		c.do("POST", "/api/v1/auth/passkey/options", map[string]any{}).must(t, 200)
		r = c.do("POST", "/api/v1/auth/passkey", map[string]any{"credential": map[string]any{"id": 1}}).must(t, 422)
		require.Equal(t, "credential", r.body["errors"].([]any)[0].(map[string]any)["field"])

		// A second factor with no log-in waiting.
		a.browser().do("POST", "/api/v1/auth/passkey/options", map[string]any{"second_factor": true}).must(t, 409)

		// The browser's log-in: the password, then the passkey.
		s := a.browser()
		p := s.post(t, "/login", url.Values{"email": {email}, "password": {password}})
		require.Contains(t, p.url, "/login/two-factor")
		require.Contains(t, p.body, `data-passkey="second-factor"`)
		require.NotContains(t, p.body, `name="code"`, "a user with passkeys only is asked for no code")
		passkeyLogIn(t, s, auth, true).must(t, 200)
		require.Equal(t, "password+passkey", currentMethod(t, s))

		// Audited: each sign-in with its method, the passkey added.
		methods := loginMethods(t, owner)
		require.Contains(t, methods, "passkey")
		require.Contains(t, methods, "password+passkey")
		require.NotEmpty(t, owner.do("GET", "/api/v1/audit-log?action=user.passkey_added", nil).must(t, 200).list())

		// Removed: the password alone signs in again.
		owner.do("DELETE", "/api/v1/me/passkeys/"+id, nil).must(t, 204)
		owner.do("DELETE", "/api/v1/me/passkeys/"+id, nil).must(t, 404)
		require.NotEmpty(t, owner.do("GET", "/api/v1/audit-log?action=user.passkey_removed", nil).must(t, 200).list())
		d := a.browser()
		r = passkeyLogIn(t, d, auth, false).must(t, 401)
		require.Contains(t, r.raw, "not accepted")
		a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
		require.False(t, strings.Contains(owner.get(t, "/app/account").body, "data-passkey-row"))
	})
}
