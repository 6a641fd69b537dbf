package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/ratelimit"
	"github.com/ordo/ordo/internal/testkit"
	"github.com/ordo/ordo/internal/web"
)

func sessionCookie(t *testing.T, c *client) string {
	t.Helper()
	u, _ := url.Parse(c.a.url)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "ordo_session" {
			return ck.Value
		}
	}
	return ""
}

func TestSignupLoginLogout(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		email := uniqueEmail("ann")
		c := a.browser()
		c.do("POST", "/api/v1/auth/signup", map[string]any{"email": email, "password": password, "name": "Ann"}).must(t, 202)
		c.do("GET", "/api/v1/me", nil).must(t, 401) // no session before the address is confirmed
		c.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 401)

		// The e-mailed link verifies the address.
		tok := a.outbox.token(t, email, "Confirm your e-mail")
		v := a.browser().do("POST", "/api/v1/auth/verify-email", map[string]any{"token": tok}).must(t, 200)
		require.NotEmpty(t, v.str("user", "email_verified_at"))
		a.browser().do("POST", "/api/v1/auth/verify-email", map[string]any{"token": tok}).must(t, 422) // single use

		me := c.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
		require.Equal(t, v.str("user", "id"), me.str("principal", "id"))
		require.NotEmpty(t, me.str("tenant", "id"))
		require.Equal(t, "owner", me.str("role"))
		require.Equal(t, me.str("tenant", "id"), c.do("GET", "/api/v1/me", nil).must(t, 200).str("tenant", "id"))

		c.do("POST", "/api/v1/auth/logout", nil).must(t, 204)
		c.do("GET", "/api/v1/me", nil).must(t, 401)

		// Session fixation: an attacker plants their own live session token
		// in the victim's browser; logging in must replace it.
		attacker, _, _ := a.signup(t, uniqueEmail("attacker"))
		planted := sessionCookie(t, attacker)
		require.NotEmpty(t, planted)
		c2 := a.browser()
		u, _ := url.Parse(a.url)
		c2.http.Jar.SetCookies(u, []*http.Cookie{{Name: "ordo_session", Value: planted, Path: "/"}})
		c2.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "wrong password!"}).must(t, 401)
		c2.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
		after := sessionCookie(t, c2)
		require.NotEmpty(t, after)
		require.NotEqual(t, planted, after, "login must issue a new session token")
		me2 := c2.do("GET", "/api/v1/me", nil).must(t, 200)
		require.Equal(t, email, me2.str("principal", "email"))
		// The planted token never carries the victim's login (scs even
		// drops it when it renews the token).
		attackerMe := attacker.do("GET", "/api/v1/me", nil)
		require.NotEqual(t, email, attackerMe.str("principal", "email"))
	})
}

func TestSignupValidation(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	email := uniqueEmail("dup")
	a.signup(t, email)
	tests := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"email": "not-an-address", "password": password}, "email"},
		{map[string]any{"email": uniqueEmail("x"), "password": "short"}, "password"},
		{map[string]any{"email": uniqueEmail("x"), "password": "password123"}, "password"}, // common
		{map[string]any{"email": uniqueEmail("x"), "password": password, "extra": 1}, "extra"},
		{map[string]any{"email": 42, "password": password}, "email"},
	}
	for _, tt := range tests {
		r := a.browser().do("POST", "/api/v1/auth/signup", tt.body)
		require.Equal(t, 422, r.status, "%v: %s", tt.body, r.raw)
		require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
		errs := r.body["errors"].([]any)
		require.Equal(t, tt.field, errs[0].(map[string]any)["field"], "%v", tt.body)
	}
	// Malformed JSON is a 422 problem too, not a 500.
	req, _ := http.NewRequest("POST", a.url+"/api/v1/auth/signup", stringsReader(`{"email":`))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 422, res.StatusCode)
}

func TestPasswordResetEndsSessions(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		email := uniqueEmail("reset")
		c, _, _ := a.signup(t, email)

		// Same answer for a registered and an unknown address.
		known := a.browser().do("POST", "/api/v1/auth/password-reset", map[string]any{"email": email}).must(t, 202)
		unknown := a.browser().do("POST", "/api/v1/auth/password-reset", map[string]any{"email": uniqueEmail("nobody")}).must(t, 202)
		require.Equal(t, known.raw, unknown.raw)

		tok := a.outbox.token(t, email, "Reset your Ordo password")
		a.browser().do("POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": tok, "password": "short"}).must(t, 422)
		a.browser().do("POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": tok, "password": "a brand new passphrase"}).must(t, 204)
		a.browser().do("POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": tok, "password": "another new passphrase"}).must(t, 422)

		c.do("GET", "/api/v1/me", nil).must(t, 401) // the old session ended
		a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 401)
		a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "a brand new passphrase"}).must(t, 200)
	})
}

func TestChangePasswordAndEmail(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		email := uniqueEmail("change")
		c, _, _ := a.signup(t, email)
		other := a.browser()
		other.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)

		c.do("POST", "/api/v1/auth/password", map[string]any{"current_password": "wrong", "new_password": "new passphrase here"}).must(t, 422)
		c.do("POST", "/api/v1/auth/password", map[string]any{"current_password": password, "new_password": "new passphrase here"}).must(t, 204)
		c.do("GET", "/api/v1/me", nil).must(t, 200)     // this session continues
		other.do("GET", "/api/v1/me", nil).must(t, 401) // the other one ended

		next := uniqueEmail("next")
		c.do("POST", "/api/v1/auth/email", map[string]any{"email": next, "password": "new passphrase here"}).must(t, 202)
		tok := a.outbox.token(t, next, "Confirm your new e-mail")
		r := a.browser().do("POST", "/api/v1/auth/email/confirm", map[string]any{"token": tok}).must(t, 200)
		require.Equal(t, next, r.str("user", "email"))
		require.Contains(t, a.outbox.wait(t, email, "was changed").Text, next, "the old address is told")
	})
}

func TestLogoutEverywhere(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		email := uniqueEmail("every")
		c1, _, _ := a.signup(t, email)
		c2 := a.browser()
		c2.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
		c1.do("POST", "/api/v1/auth/logout-everywhere", nil).must(t, 204)
		c1.do("GET", "/api/v1/me", nil).must(t, 401)
		c2.do("GET", "/api/v1/me", nil).must(t, 401)
	})
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, tid := a.signup(t, uniqueEmail("keys"))
		r := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "ci", "role": "member"}).must(t, 201)
		key, id := r.str("key"), r.str("id")
		require.Regexp(t, `^ordo_[0-9a-f]{12}_`, key)

		k := a.withKey(key)
		me := k.do("GET", "/api/v1/me", nil).must(t, 200)
		require.Equal(t, "api_key", me.str("principal", "type"))
		require.Equal(t, tid, me.str("tenant", "id"))
		require.Equal(t, "member", me.str("role"))

		list := owner.do("GET", "/api/v1/api-keys", nil).must(t, 200).list()
		require.Len(t, list, 1)
		require.Nil(t, list[0]["key"], "the secret is shown once only")
		require.NotNil(t, list[0]["last_used_at"], "use is recorded")

		// A member key cannot mint keys, and nobody mints one above their role.
		k.do("POST", "/api/v1/api-keys", map[string]any{"name": "x", "role": "viewer"}).must(t, 403)
		past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "x", "role": "viewer", "expires_at": past}).must(t, 422)

		owner.do("DELETE", "/api/v1/api-keys/"+id, nil).must(t, 204)
		k.do("GET", "/api/v1/me", nil).must(t, 401) // revoked: rejected on the next request
		a.withKey(key+"x").do("GET", "/api/v1/me", nil).must(t, 401)
		a.withKey("garbage").do("GET", "/api/v1/me", nil).must(t, 401)
	})
}

func TestInvitationsAndMembers(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, ownerID, tid := a.signup(t, uniqueEmail("owner"))
		guest := uniqueEmail("guest")
		inv := owner.do("POST", "/api/v1/invitations", map[string]any{"email": guest, "role": "viewer"}).must(t, 201)
		require.Equal(t, "pending", inv.str("status"))
		owner.do("POST", "/api/v1/invitations", map[string]any{"email": guest, "role": "viewer"}).must(t, 422) // one open per address

		// Resend invalidates the first link.
		first := a.outbox.token(t, guest, "invited")
		owner.do("POST", "/api/v1/invitations/"+inv.str("id")+"/resend", nil).must(t, 200)
		var second string
		require.Eventually(t, func() bool {
			second = a.outbox.token(t, guest, "invited")
			return second != first
		}, 10*time.Second, 50*time.Millisecond)
		g := a.browser()
		g.do("POST", "/api/v1/invitations/accept", map[string]any{"token": first, "password": password}).must(t, 422)
		me := g.do("POST", "/api/v1/invitations/accept", map[string]any{"token": second, "password": password, "name": "Guest"}).must(t, 200)
		require.Equal(t, tid, me.str("tenant", "id"))
		require.Equal(t, "viewer", me.str("role"))
		guestID := me.str("principal", "id")

		invs := owner.do("GET", "/api/v1/invitations", nil).must(t, 200).list()
		require.Equal(t, "accepted", invs[0]["status"])
		require.Len(t, owner.do("GET", "/api/v1/members", nil).must(t, 200).list(), 2)

		// A viewer may read members but not manage them.
		g.do("GET", "/api/v1/members", nil).must(t, 200)
		g.do("PATCH", "/api/v1/members/"+ownerID, map[string]any{"role": "viewer"}).must(t, 403)

		// The last owner can neither be demoted nor leave.
		owner.do("PATCH", "/api/v1/members/"+ownerID, map[string]any{"role": "admin"}).must(t, 409)
		owner.do("DELETE", "/api/v1/members/"+ownerID, nil).must(t, 409)

		// Removing a member ends their access at once.
		owner.do("DELETE", "/api/v1/members/"+guestID, nil).must(t, 204)
		g.do("GET", "/api/v1/members", nil).must(t, 403)
		me = g.do("GET", "/api/v1/me", nil).must(t, 200)
		require.Nil(t, me.body["tenant"])

		// Revoke: a revoked invitation cannot be accepted.
		other := uniqueEmail("other")
		inv2 := owner.do("POST", "/api/v1/invitations", map[string]any{"email": other, "role": "member"}).must(t, 201)
		tok := a.outbox.token(t, other, "invited")
		owner.do("DELETE", "/api/v1/invitations/"+inv2.str("id"), nil).must(t, 204)
		a.browser().do("POST", "/api/v1/invitations/accept", map[string]any{"token": tok, "password": password}).must(t, 422)

		// An existing user accepts while logged in, and may switch tenants.
		exEmail := uniqueEmail("existing")
		ex, _, exTenant := a.signup(t, exEmail)
		owner.do("POST", "/api/v1/invitations", map[string]any{"email": exEmail, "role": "admin"}).must(t, 201)
		tok = a.outbox.token(t, exEmail, "invited")
		a.browser().do("POST", "/api/v1/invitations/accept", map[string]any{"token": tok, "password": password}).must(t, 422) // must log in
		me = ex.do("POST", "/api/v1/invitations/accept", map[string]any{"token": tok}).must(t, 200)
		require.Equal(t, tid, me.str("tenant", "id"))
		require.Len(t, ex.do("GET", "/api/v1/tenants", nil).must(t, 200).list(), 2)
		me = ex.do("POST", "/api/v1/tenants/"+exTenant+"/switch", nil).must(t, 200)
		require.Equal(t, "owner", me.str("role"))

		// The audit log recorded it all.
		entries := owner.do("GET", "/api/v1/audit-log", nil).must(t, 200).list()
		actions := map[string]bool{}
		for _, e := range entries {
			actions[e["action"].(string)] = true
		}
		for _, want := range []string{"tenant.created", "invitation.created", "invitation.resent", "invitation.accepted", "invitation.revoked", "member.removed"} {
			require.True(t, actions[want], "audit log lacks %s: %v", want, actions)
		}
	})
}

func TestLoginAudited(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	email := uniqueEmail("audit")
	owner, _, _ := a.signup(t, email)
	a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "not the password"}).must(t, 401)
	a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
	entries := owner.do("GET", "/api/v1/audit-log?action=auth.login_failed", nil).must(t, 200).list()
	require.Len(t, entries, 1)
	require.Equal(t, "127.0.0.1", entries[0]["ip"])
	require.Len(t, owner.do("GET", "/api/v1/audit-log?action=auth.login", nil).must(t, 200).list(), 2, "signup's and this one")
}

// limiterStores runs fn with an in-process and a Redis rate-limit store.
func limiterStores(t *testing.T, fn func(t *testing.T, st ratelimit.Store)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		st, err := ratelimit.NewMemoryStore(1000)
		require.NoError(t, err)
		fn(t, st)
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		opts, err := redis.ParseURL(testkit.RedisURL(t))
		require.NoError(t, err)
		c := redis.NewClient(opts)
		t.Cleanup(func() { c.Close() })
		st, err := ratelimit.NewRedisStore(c, "ordo-test:"+uuid.NewString()+":")
		require.NoError(t, err)
		fn(t, st)
	})
}

// loginLimits are the failure limits with small numbers, on st.
func loginLimits(t *testing.T, st ratelimit.Store, perClientAccount, perClient, perAccount int) *web.Limits {
	mk := func(n int) *ratelimit.Limiter {
		l, err := ratelimit.New(st, ratelimit.Quota{Rate: n, Per: time.Hour, Burst: n})
		require.NoError(t, err)
		return l
	}
	return &web.Limits{LoginPerIP: mk(1000), LoginFailuresPerClientAccount: mk(perClientAccount),
		LoginFailuresPerClient: mk(perClient), LoginFailuresPerAccount: mk(perAccount)}
}

func login(c *client, email, pw string) resp {
	return c.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": pw})
}

// TestLoginRateLimited: a client that keeps failing for an account is
// refused for it (with the right password too), and only for it.
func TestLoginRateLimited(t *testing.T) {
	t.Parallel()
	limiterStores(t, func(t *testing.T, st ratelimit.Store) {
		a := newApp(t, backends[0], loginLimits(t, st, 3, 100, 100))
		email := uniqueEmail("limited")
		a.signup(t, email)
		c := a.browserFrom("127.0.0.2")
		for range 3 {
			login(c, email, "wrong password!").must(t, 401)
		}
		r := login(c, email, password).must(t, 429)
		require.NotEmpty(t, r.header.Get("Retry-After"))
		require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
		// Another account from the same address is not affected.
		other := uniqueEmail("other")
		a.signup(t, other)
		login(c, other, password).must(t, 200)
		// Successes spend nothing.
		for range 5 {
			login(a.browserFrom("127.0.0.3"), other, password).must(t, 200)
		}
	})
}

// TestLoginNotLockedOutByOthers is finding 3 of issue 17: failures for
// an account from other addresses must not refuse its owner's right
// password, at log-in or at a password or e-mail change; the attacker is
// refused, and once the account has many failures, each attacking
// address gets one guess at most.
func TestLoginNotLockedOutByOthers(t *testing.T) {
	t.Parallel()
	limiterStores(t, func(t *testing.T, st ratelimit.Store) {
		a := newApp(t, backends[0], loginLimits(t, st, 5, 8, 10))
		email := uniqueEmail("victim")
		owner, _, _ := a.signup(t, email)

		// One attacking address: refused for the account after 5, even
		// with the right password.
		attacker := a.browserFrom("127.0.0.2")
		for range 5 {
			login(attacker, email, "wrong password!").must(t, 401)
		}
		r := login(attacker, email, "wrong password!").must(t, 429)
		require.NotEmpty(t, r.header.Get("Retry-After"))
		login(attacker, email, password).must(t, 429)

		// The victim, elsewhere, logs in at once, through the API and the
		// page.
		login(a.browserFrom("127.0.0.9"), email, password).must(t, 200)
		p := a.browserFrom("127.0.0.9").post(t, "/login", url.Values{"email": {email}, "password": {password}})
		require.Equal(t, "/app", p.url)

		// A second address spends the account-wide limit (10 failures).
		second := a.browserFrom("127.0.0.3")
		for range 5 {
			login(second, email, "wrong password!").must(t, 401)
		}
		// Now an address that has not been failing still gets its try...
		third := a.browserFrom("127.0.0.4")
		login(third, email, "wrong password!").must(t, 401)
		// ...but one that has failed recently for the account does not.
		r = login(third, email, "wrong password!").must(t, 429)
		require.NotEmpty(t, r.header.Get("Retry-After"))
		login(third, email, password).must(t, 429)

		// The owner still logs in, and changes password and e-mail with
		// the right current password, from a clean address.
		victim := a.browserFrom("127.0.0.9")
		login(victim, email, password).must(t, 200)
		victim.do("POST", "/api/v1/auth/password", map[string]any{"current_password": password, "new_password": "new passphrase here"}).must(t, 204)
		victim.do("POST", "/api/v1/auth/email", map[string]any{"email": uniqueEmail("next"), "password": "new passphrase here"}).must(t, 202)
		// The session from 127.0.0.1 ended with the password change.
		owner.do("GET", "/api/v1/me", nil).must(t, 401)
	})
}

// TestPasswordChecksShareLimits: a wrong current password at a password
// or e-mail change counts as a failure of that client for the account,
// and the right one spends nothing.
func TestPasswordChecksShareLimits(t *testing.T) {
	t.Parallel()
	limiterStores(t, func(t *testing.T, st ratelimit.Store) {
		a := newApp(t, backends[0], loginLimits(t, st, 3, 100, 100))
		email := uniqueEmail("thief")
		c, _, _ := a.signup(t, email)
		for range 3 {
			c.do("POST", "/api/v1/auth/password", map[string]any{"current_password": password + "!", "new_password": "new passphrase here"}).must(t, 422)
		}
		c.do("POST", "/api/v1/auth/email", map[string]any{"email": uniqueEmail("x"), "password": password}).must(t, 429)
		c.do("POST", "/api/v1/auth/password", map[string]any{"current_password": password, "new_password": "new passphrase here"}).must(t, 429)
		login(a.browser(), email, password).must(t, 429) // the same client, the same account
		// Another client is not refused.
		login(a.browserFrom("127.0.0.5"), email, password).must(t, 200)
	})
}

// TestLoginSprayLimited: a client failing across many accounts is
// refused for every account.
func TestLoginSprayLimited(t *testing.T) {
	t.Parallel()
	limiterStores(t, func(t *testing.T, st ratelimit.Store) {
		a := newApp(t, backends[0], loginLimits(t, st, 100, 4, 100))
		email := uniqueEmail("sprayed")
		a.signup(t, email)
		c := a.browserFrom("127.0.0.6")
		for range 4 {
			login(c, uniqueEmail("nobody"), "wrong password!").must(t, 401)
		}
		login(c, uniqueEmail("nobody"), "wrong password!").must(t, 429)
		login(c, email, password).must(t, 429)
		login(a.browserFrom("127.0.0.7"), email, password).must(t, 200)
	})
}

func TestCrossOriginAndHeaders(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	c, _, _ := a.signup(t, uniqueEmail("csrf"))
	req, _ := http.NewRequest("POST", a.url+"/api/v1/tenants", stringsReader(`{"name":"Evil"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	res, err := c.http.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 403, res.StatusCode, "a cross-site cookie request is refused")
	require.Len(t, c.do("GET", "/api/v1/tenants", nil).must(t, 200).list(), 1, "and changed nothing")

	r := c.do("GET", "/api/v1/me", nil).must(t, 200)
	require.Contains(t, r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	require.NotContains(t, r.header.Get("Content-Security-Policy"), "unsafe-inline")
	require.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
	require.NotEmpty(t, r.header.Get("Referrer-Policy"))
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// Sessions end after the idle timeout without requests, and after the
// absolute lifetime however active they are.
func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			// The sessions last seconds, with a second's margin either side
			// for a loaded machine: signing up and a request may be slow.
			idle := newAppWith(t, b, nil, 2*time.Second, time.Hour)
			c, _, _ := idle.signup(t, uniqueEmail("idle"))
			c.do("GET", "/api/v1/me", nil).must(t, 200)
			time.Sleep(3 * time.Second)
			c.do("GET", "/api/v1/me", nil).must(t, 401)

			const lifetime = 3 * time.Second
			abs := newAppWith(t, b, nil, time.Hour, lifetime)
			// The session is created between these two instants, so it
			// ends between them plus its lifetime.
			before := time.Now()
			c, _, _ = abs.signup(t, uniqueEmail("abs"))
			after := time.Now()
			for first := true; first || time.Now().Before(before.Add(lifetime-time.Second)); first = false {
				c.do("GET", "/api/v1/me", nil).must(t, 200) // activity does not extend it
				time.Sleep(300 * time.Millisecond)
			}
			time.Sleep(time.Until(after.Add(lifetime + 500*time.Millisecond)))
			c.do("GET", "/api/v1/me", nil).must(t, 401)
		})
	}
}

// With the cache on, what authentication reads is served from Redis, and
// removing a member or revoking a key still takes effect on the very next
// request.
func TestAuthCacheInvalidation(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[2], nil) // postgres+redis: the cache is on
	require.NotNil(t, a.cache)
	ctx := context.Background()
	owner, _, tid := a.signup(t, uniqueEmail("cache"))
	member, memberID := a.joinAs(t, owner, access.RoleMember)
	member.do("GET", "/api/v1/members", nil).must(t, 200)
	_, cachedRole, err := a.cache.Get(ctx, "auth:membership:"+tid+":"+memberID)
	require.NoError(t, err)
	require.True(t, cachedRole, "the membership is served from the cache")
	owner.do("DELETE", "/api/v1/members/"+memberID, nil).must(t, 204)
	member.do("GET", "/api/v1/members", nil).must(t, 403)

	r := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "c", "role": "viewer"}).must(t, 201)
	key, id, prefix := r.str("key"), r.str("id"), r.str("prefix")
	a.withKey(key).do("GET", "/api/v1/me", nil).must(t, 200)
	a.withKey(key).do("GET", "/api/v1/me", nil).must(t, 200)
	_, cachedKey, err := a.cache.Get(ctx, "auth:apikey:"+prefix)
	require.NoError(t, err)
	require.True(t, cachedKey, "the key is served from the cache")
	owner.do("DELETE", "/api/v1/api-keys/"+id, nil).must(t, 204)
	a.withKey(key).do("GET", "/api/v1/me", nil).must(t, 401)
}

// A member who was removed (or left) is told so on the tenant's routes:
// 403 "no longer a member", on the API and on the pages, where someone who
// never belonged to the tenant still gets the 404 of a tenant that does not
// exist. Joining again restores access.
func TestRemovedMemberIsToldSo(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, tid := a.signup(t, uniqueEmail("rm-owner"))
		member, memberID := a.joinAs(t, owner, access.RoleMember)
		leaver, leaverID := a.joinAs(t, owner, access.RoleViewer)
		member.do("GET", "/api/v1/orders", nil).must(t, 200)

		owner.do("DELETE", "/api/v1/members/"+memberID, nil).must(t, 204)
		leaver.do("DELETE", "/api/v1/members/"+leaverID, nil).must(t, 204)
		for _, c := range []*client{member, leaver} {
			for _, path := range []string{"/api/v1/orders", "/api/v1/members", "/api/v1/tenant", "/api/v1/audit-log", "/api/v1/events"} {
				r := c.do("GET", path, nil).must(t, 403)
				require.Equal(t, "application/problem+json", r.header.Get("Content-Type"), path)
				require.Contains(t, r.str("detail"), "no longer a member", path)
			}
			c.do("POST", "/api/v1/orders", map[string]any{"customer_name": "X", "currency": "EUR",
				"items": []any{map[string]any{"name": "A", "quantity": 1, "unit_price": 100}}}).must(t, 403)
			// Switching back to it: the same answer.
			r := c.do("POST", "/api/v1/tenants/"+tid+"/switch", nil).must(t, 403)
			require.Contains(t, r.str("detail"), "no longer a member")
			// The pages: a 403 page that says so.
			for _, path := range []string{"/app", "/app/orders"} {
				r = c.do("GET", path, nil)
				require.Equal(t, 403, r.status, path)
				require.Contains(t, r.raw, "no longer a member", path)
			}
		}

		// Someone who never belonged to the tenant: 404, as for one that
		// does not exist.
		stranger, _, _ := a.signup(t, uniqueEmail("rm-stranger"))
		r := stranger.do("POST", "/api/v1/tenants/"+tid+"/switch", nil).must(t, 404)
		require.NotContains(t, r.raw, "member")
		stranger.do("POST", "/api/v1/tenants/"+uuid.NewString()+"/switch", nil).must(t, 404)

		// Invited again, the removed member is a member again.
		email := member.do("GET", "/api/v1/me", nil).must(t, 200).str("principal", "email")
		used := a.outbox.token(t, email, "invited")
		owner.do("POST", "/api/v1/invitations", map[string]any{"email": email, "role": "viewer"}).must(t, 201)
		var tok string
		require.Eventually(t, func() bool {
			tok = a.outbox.token(t, email, "invited")
			return tok != used
		}, 10*time.Second, 20*time.Millisecond, "the second invitation is sent")
		member.do("POST", "/api/v1/invitations/accept", map[string]any{"token": tok}).must(t, 200)
		member.do("POST", "/api/v1/tenants/"+tid+"/switch", nil).must(t, 200)
		member.do("GET", "/api/v1/orders", nil).must(t, 200)
	})
}

// TestCredentialChangesEndOpenLinks is finding 4 of issue 17: a password
// change, a confirmed e-mail change, "log out everywhere" and a reset each
// use up every open reset and e-mail-change link of the user.
func TestCredentialChangesEndOpenLinks(t *testing.T) {
	t.Parallel()
	const newPassword = "a brand new passphrase"
	actions := []struct {
		name string
		// act changes the user's credentials with their session c; it may
		// use up one of the links itself, and returns the links it left
		// open that must have stopped working.
		act func(t *testing.T, a *app, c *client, email, reset, change string) (deadReset, deadChange string)
	}{
		{"password change", func(t *testing.T, a *app, c *client, email, reset, change string) (string, string) {
			c.do("POST", "/api/v1/auth/password", map[string]any{"current_password": password, "new_password": newPassword}).must(t, 204)
			return reset, change
		}},
		{"log out everywhere", func(t *testing.T, a *app, c *client, email, reset, change string) (string, string) {
			c.do("POST", "/api/v1/auth/logout-everywhere", nil).must(t, 204)
			return reset, change
		}},
		{"reset", func(t *testing.T, a *app, c *client, email, reset, change string) (string, string) {
			a.browser().do("POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": reset, "password": newPassword}).must(t, 204)
			return "", change
		}},
		{"e-mail change", func(t *testing.T, a *app, c *client, email, reset, change string) (string, string) {
			// The confirmed change itself uses one e-mail-change link; a
			// reset link sent to the old address must die with it.
			a.browser().do("POST", "/api/v1/auth/email/confirm", map[string]any{"token": change}).must(t, 200)
			return reset, ""
		}},
	}
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			for _, ac := range actions {
				email := uniqueEmail("links")
				c, _, _ := a.signup(t, email)
				a.browser().do("POST", "/api/v1/auth/password-reset", map[string]any{"email": email}).must(t, 202)
				reset := a.outbox.token(t, email, "Reset your Ordo password")
				// A second open reset link: every action, a reset with the
				// first link included, must end it too.
				a.browser().do("POST", "/api/v1/auth/password-reset", map[string]any{"email": email}).must(t, 202)
				a.outbox.waitCount(t, email, "Reset your Ordo password", 2)
				otherReset := a.outbox.token(t, email, "Reset your Ordo password")
				require.NotEqual(t, reset, otherReset)
				next := uniqueEmail("moved")
				c.do("POST", "/api/v1/auth/email", map[string]any{"email": next, "password": password}).must(t, 202)
				change := a.outbox.token(t, next, "Confirm your new e-mail")

				deadReset, deadChange := ac.act(t, a, c, email, reset, change)
				if deadReset != "" {
					r := a.browser().do("POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": deadReset, "password": "the attacker's passphrase"})
					require.Equal(t, 422, r.status, "%s: the reset link still works: %s", ac.name, r.raw)
				}
				if deadChange != "" {
					r := a.browser().do("POST", "/api/v1/auth/email/confirm", map[string]any{"token": deadChange})
					require.Equal(t, 422, r.status, "%s: the e-mail-change link still works: %s", ac.name, r.raw)
				}
				r := a.browser().do("POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": otherReset, "password": "the attacker's passphrase"})
				require.Equal(t, 422, r.status, "%s: the other open reset link still works: %s", ac.name, r.raw)
			}
		})
	}
}

// waitCount waits up to 10 s for n e-mails to addr whose subject contains
// subject.
func (o *outbox) waitCount(t *testing.T, addr, subject string, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		got := 0
		for _, m := range o.msgs {
			if m.To[0] == addr && strings.Contains(m.Subject, subject) {
				got++
			}
		}
		return got >= n
	}, 10*time.Second, 20*time.Millisecond, "%d e-mails to %s about %q", n, addr, subject)
}

// TestSignupDoesNotTellRegisteredAddresses is finding 8 of issue 17: a
// sign-up with a registered address is answered exactly as one with a
// new address, through the API and the pages, changes nothing, and the
// registered address is e-mailed instead. Logging in with the password
// just chosen does not tell either, since an unconfirmed address cannot
// log in. An e-mail change to a registered address is answered like one
// to a free address too.
func TestSignupDoesNotTellRegisteredAddresses(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			taken := uniqueEmail("taken")
			owner, _, _ := a.signup(t, taken)
			const chosen = "the attacker's chosen password"

			signup := func(email string) resp {
				return a.browser().do("POST", "/api/v1/auth/signup", map[string]any{"email": email, "password": chosen, "name": "X"})
			}
			fresh := uniqueEmail("fresh")
			rNew, rTaken := signup(fresh), signup(taken)
			require.Equal(t, 202, rNew.status, rNew.raw)
			require.Equal(t, rNew.status, rTaken.status)
			require.Equal(t, rNew.raw, rTaken.raw)
			require.Equal(t, rNew.header.Get("Content-Type"), rTaken.header.Get("Content-Type"))
			require.Equal(t, rNew.header.Values("Set-Cookie"), rTaken.header.Values("Set-Cookie"))

			// The owner is told; the account is unchanged.
			m := a.outbox.wait(t, taken, "Someone tried to sign up")
			require.Contains(t, m.Text, "http://ordo.test/forgot-password")
			login(a.browser(), taken, password).must(t, 200)
			owner.do("GET", "/api/v1/me", nil).must(t, 200)

			// Logging in with the chosen password answers the same.
			lNew, lTaken := login(a.browser(), fresh, chosen), login(a.browser(), taken, chosen)
			require.Equal(t, 401, lNew.status)
			require.Equal(t, lNew.status, lTaken.status)
			require.Equal(t, lNew.body["detail"], lTaken.body["detail"])

			// The pages: the same redirect and page, but for the address.
			page := func(email string) page {
				return a.browser().post(t, "/signup", url.Values{"email": {email}, "password": {chosen}, "name": {"X"}, "tenant_name": {"T"}})
			}
			fresh2 := uniqueEmail("fresh2")
			pNew, pTaken := page(fresh2), page(taken)
			require.Equal(t, "/login", pNew.url)
			require.Equal(t, pNew.url, pTaken.url)
			require.Equal(t, pNew.status, pTaken.status)
			require.Contains(t, pNew.body, fresh2)
			require.Equal(t, strings.ReplaceAll(pNew.body, fresh2, "ADDRESS"), strings.ReplaceAll(pTaken.body, taken, "ADDRESS"))
			a.outbox.waitCount(t, taken, "Someone tried to sign up", 2)

			// An e-mail change to a registered address is answered like
			// one to a free address, and the owner of that address is told.
			other, _, _ := a.signup(t, uniqueEmail("other"))
			cFree := other.do("POST", "/api/v1/auth/email", map[string]any{"email": uniqueEmail("free"), "password": password})
			cTaken := other.do("POST", "/api/v1/auth/email", map[string]any{"email": taken, "password": password})
			require.Equal(t, 202, cFree.status, cFree.raw)
			require.Equal(t, cFree.raw, cTaken.raw)
			a.outbox.waitCount(t, taken, "Someone tried to sign up", 3)
			require.NotEqual(t, taken, other.do("GET", "/api/v1/me", nil).must(t, 200).str("principal", "email"))
		})
	}
}
