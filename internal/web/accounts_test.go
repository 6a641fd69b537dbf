package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/account"
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
		c, uid, tid := a.signup(t, email)
		me := c.do("GET", "/api/v1/me", nil).must(t, 200)
		require.Equal(t, uid, me.str("principal", "id"))
		require.Equal(t, tid, me.str("tenant", "id"))
		require.Equal(t, "owner", me.str("role"))

		// The e-mailed link verifies the address.
		tok := a.outbox.token(t, email, "Confirm your e-mail")
		v := a.browser().do("POST", "/api/v1/auth/verify-email", map[string]any{"token": tok}).must(t, 200)
		require.NotEmpty(t, v.str("user", "email_verified_at"))
		a.browser().do("POST", "/api/v1/auth/verify-email", map[string]any{"token": tok}).must(t, 422) // single use

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
		{map[string]any{"email": email, "password": password}, "email"},                    // taken
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
		g.do("GET", "/api/v1/members", nil).must(t, 404)
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
	require.Len(t, owner.do("GET", "/api/v1/audit-log?action=auth.login", nil).must(t, 200).list(), 1)
}

func TestLoginRateLimited(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], &web.Limits{LoginPerAccount: memLimiter(t, 3, time.Hour, 3), LoginPerIP: memLimiter(t, 100, time.Minute, 100)})
	email := uniqueEmail("limited")
	a.signup(t, email)
	for range 3 {
		a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "wrong password!"}).must(t, 401)
	}
	r := a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 429)
	require.NotEmpty(t, r.header.Get("Retry-After"))
	require.Equal(t, "0", r.header.Get("RateLimit-Remaining"))
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
	// Another account from the same address is not affected.
	other := uniqueEmail("other")
	a.signup(t, other)
	a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": other, "password": password}).must(t, 200)
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
	member, memberID := a.joinAs(t, owner, account.RoleMember)
	member.do("GET", "/api/v1/members", nil).must(t, 200)
	_, cachedRole, err := a.cache.Get(ctx, "auth:member:"+tid+":"+memberID)
	require.NoError(t, err)
	require.True(t, cachedRole, "the membership is served from the cache")
	owner.do("DELETE", "/api/v1/members/"+memberID, nil).must(t, 204)
	member.do("GET", "/api/v1/members", nil).must(t, 404)

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
