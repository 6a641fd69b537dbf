package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/sso"
)

// getURL is get for an absolute URL (a callback the provider made).
func (c *client) getURL(t *testing.T, u string) page {
	t.Helper()
	res, err := c.http.Get(u)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, url: res.Request.URL.Path, body: string(b)}
}

// ssoUntilCallback starts a sign-in in the browser and stops where the
// provider sends it back to Ordo: it returns that callback URL.
func (c *client) ssoUntilCallback(t *testing.T, start string) string {
	t.Helper()
	stop := *c.http
	stop.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == sso.CallbackPath {
			return http.ErrUseLastResponse
		}
		return nil
	}
	res, err := stop.Get(c.a.url + start)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusFound, res.StatusCode)
	loc := res.Header.Get("Location")
	require.Contains(t, loc, sso.CallbackPath)
	return loc
}

// signedIn reports who the browser is signed in as ("" for nobody), and
// in which tenant with which role.
func (c *client) signedIn(t *testing.T) (userID, tenantID, role string) {
	t.Helper()
	me := c.do("GET", "/api/v1/me", nil)
	if me.status == http.StatusUnauthorized {
		return "", "", ""
	}
	me.must(t, 200)
	return me.str("principal", "id"), me.str("tenant", "id"), me.str("role")
}

// auditActions lists the actions of the tenant's audit log.
func (a *app) auditActions(t *testing.T, tenantID string) []string {
	t.Helper()
	es, err := a.store.AuditList(t.Context(), uuid.MustParse(tenantID), audit.Filter{Limit: 200})
	require.NoError(t, err)
	var out []string
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

// TestSSO signs in through real OpenID Connect flows, over HTTP on
// loopback, against a provider the test controls: the platform's
// provider (from the environment) and a tenant's own, on SQLite and
// PostgreSQL.
func TestSSO(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			op := newTestOP(t)
			a := newAppOpts(t, b, appOpts{oidc: sso.Platform{Issuer: op.issuer(), ClientID: op.client, ClientSecret: op.secret, Name: "TestID"}})
			testSSOPlatform(t, a, op)
			testSSOThreats(t, a, op)
			testSSOTenant(t, a)
		})
	}
}

func testSSOPlatform(t *testing.T, a *app, op *testOP) {
	ctx := context.Background()
	t.Run("LoginPageOffersIt", func(t *testing.T) {
		p := a.browser().get(t, "/login")
		require.Equal(t, 200, p.status)
		require.Contains(t, p.body, "Sign in with TestID")
		require.Contains(t, p.body, `action="/login/sso"`)
	})

	t.Run("NewUserCreated", func(t *testing.T) {
		email, sub := uniqueEmail("sso-new"), uuid.NewString()
		op.as(opUser{Sub: sub, Email: email, Name: "New Person", Verified: true})
		c := a.browser()
		p := c.get(t, "/login/sso")
		require.Equal(t, 200, p.status, p.body)
		require.Equal(t, "/app", p.url)
		uid, _, _ := c.signedIn(t)
		u, err := a.store.UserGetByEmail(ctx, email)
		require.NoError(t, err)
		require.Equal(t, u.ID.String(), uid)
		require.NotNil(t, u.EmailVerifiedAt, "the provider vouched for the address")
		require.Empty(t, u.PasswordHash, "no password")
		require.Equal(t, "New Person", u.Name)
		// The session list says how it signed in.
		host := strings.TrimPrefix(op.issuer(), "http://")
		require.Contains(t, c.get(t, "/app/account").body, "Single sign-on ("+host+")")

		// The same subject signs in the same user again, whatever
		// address it has now.
		op.as(opUser{Sub: sub, Email: uniqueEmail("sso-renamed"), Verified: true})
		c2 := a.browser()
		require.Equal(t, "/app", c2.get(t, "/login/sso").url)
		uid2, _, _ := c2.signedIn(t)
		require.Equal(t, uid, uid2)
	})

	t.Run("LinksVerifiedExistingUser", func(t *testing.T) {
		email := uniqueEmail("sso-link")
		_, uid, tid := a.signup(t, email)
		sub := uuid.NewString()
		op.as(opUser{Sub: sub, Email: strings.ToUpper(email), Verified: true})
		c := a.browser()
		require.Equal(t, "/app", c.get(t, "/login/sso").url)
		gotU, gotT, _ := c.signedIn(t)
		require.Equal(t, uid, gotU, "linked to the user with the address")
		require.Equal(t, tid, gotT, "in their tenant")
		id, err := a.store.SSOIdentityGet(ctx, op.issuer(), sub)
		require.NoError(t, err)
		require.Equal(t, uid, id.UserID.String())
		require.Subset(t, a.auditActions(t, tid), []string{"sso.linked", "sso.login"})
	})

	t.Run("UnverifiedEmailNeverLinked", func(t *testing.T) {
		email := uniqueEmail("sso-unverified")
		_, _, tid := a.signup(t, email)
		sub := uuid.NewString()
		op.as(opUser{Sub: sub, Email: email, Verified: false})
		c := a.browser()
		p := c.get(t, "/login/sso")
		require.Equal(t, http.StatusForbidden, p.status)
		require.Contains(t, p.body, "did not confirm your e-mail address")
		uid, _, _ := c.signedIn(t)
		require.Empty(t, uid, "not signed in")
		_, err := a.store.SSOIdentityGet(ctx, op.issuer(), sub)
		require.ErrorIs(t, err, apperr.ErrNotFound, "not linked")
		require.NotContains(t, a.auditActions(t, tid), "sso.linked")

		// Nor is an account made for an unverified new address.
		fresh := uniqueEmail("sso-unverified-new")
		op.as(opUser{Sub: uuid.NewString(), Email: fresh, Verified: false})
		require.Equal(t, http.StatusForbidden, a.browser().get(t, "/login/sso").status)
		_, err = a.store.UserGetByEmail(ctx, fresh)
		require.ErrorIs(t, err, apperr.ErrNotFound)
	})
}

// testSSOThreats: each forged or misused answer is refused, no session
// starts and no account is made.
func testSSOThreats(t *testing.T, a *app, op *testOP) {
	ctx := context.Background()
	refused := func(t *testing.T, mis func(op *testOP)) {
		t.Helper()
		email := uniqueEmail("sso-threat")
		op.as(opUser{Sub: uuid.NewString(), Email: email, Verified: true})
		op.set(mis)
		c := a.browser()
		p := c.get(t, "/login/sso")
		require.Equal(t, http.StatusUnauthorized, p.status, p.body)
		require.Contains(t, p.body, "could not be completed")
		uid, _, _ := c.signedIn(t)
		require.Empty(t, uid)
		_, err := a.store.UserGetByEmail(ctx, email)
		require.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = a.store.UserGetByEmail(ctx, "attacker@evil.example")
		require.ErrorIs(t, err, apperr.ErrNotFound)
	}
	t.Run("TamperedIDToken", func(t *testing.T) { refused(t, func(op *testOP) { op.tamper = true }) })
	t.Run("WrongNonce", func(t *testing.T) { refused(t, func(op *testOP) { op.wrongNonce = true }) })
	t.Run("WrongAudience", func(t *testing.T) { refused(t, func(op *testOP) { op.wrongAudience = true }) })
	t.Run("ExpiredIDToken", func(t *testing.T) { refused(t, func(op *testOP) { op.expired = true }) })
	t.Run("KeyNotInJWKS", func(t *testing.T) { refused(t, func(op *testOP) { op.foreignKey = true }) })

	t.Run("StateReplayRefused", func(t *testing.T) {
		op.as(opUser{Sub: uuid.NewString(), Email: uniqueEmail("sso-replay"), Verified: true})
		c := a.browser()
		cb := c.ssoUntilCallback(t, "/login/sso")
		require.Equal(t, "/app", c.getURL(t, cb).url)
		uid, _, _ := c.signedIn(t)
		require.NotEmpty(t, uid)
		// The same callback again, in the same browser: the state was
		// used.
		again := c.getURL(t, cb)
		require.Equal(t, http.StatusUnauthorized, again.status)

		// A callback of a sign-in that another browser started (login
		// CSRF: an attacker's account slipped into a victim's browser).
		attacker := a.browser()
		op.as(opUser{Sub: uuid.NewString(), Email: uniqueEmail("sso-attacker"), Verified: true})
		forged := attacker.ssoUntilCallback(t, "/login/sso")
		victim := a.browser()
		require.Equal(t, http.StatusUnauthorized, victim.getURL(t, forged).status)
		vid, _, _ := victim.signedIn(t)
		require.Empty(t, vid)

		// A state changed in the URL.
		u, err := url.Parse(attacker.ssoUntilCallback(t, "/login/sso"))
		require.NoError(t, err)
		q := u.Query()
		q.Set("state", "x"+q.Get("state"))
		u.RawQuery = q.Encode()
		require.Equal(t, http.StatusUnauthorized, attacker.getURL(t, u.String()).status)
	})

	t.Run("RotatedSigningKey", func(t *testing.T) {
		op.as(opUser{Sub: uuid.NewString(), Email: uniqueEmail("sso-rot1"), Verified: true})
		require.Equal(t, "/app", a.browser().get(t, "/login/sso").url, "the first key, now cached")
		op.as(opUser{Sub: uuid.NewString(), Email: uniqueEmail("sso-rot1b"), Verified: true})
		before := op.fetches()
		require.Equal(t, "/app", a.browser().get(t, "/login/sso").url)
		require.Equal(t, before, op.fetches(), "a known key is not fetched again")
		op.rotate()
		op.as(opUser{Sub: uuid.NewString(), Email: uniqueEmail("sso-rot2"), Verified: true})
		c := a.browser()
		require.Equal(t, "/app", c.get(t, "/login/sso").url, "a token of the new key verifies once the key set is fetched again")
		uid, _, _ := c.signedIn(t)
		require.NotEmpty(t, uid)
		require.Greater(t, op.fetches(), before, "the unknown key id made it fetch the key set again")
	})

	t.Run("ProviderError", func(t *testing.T) {
		c := a.browser()
		cb := c.ssoUntilCallback(t, "/login/sso")
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Del("code")
		q.Set("error", "access_denied")
		q.Set("error_description", "<script>alert(1)</script>")
		u.RawQuery = q.Encode()
		p := c.getURL(t, u.String())
		require.Equal(t, http.StatusUnauthorized, p.status)
		require.NotContains(t, p.body, "<script>alert(1)")
	})
}

// testSSOTenant: a tenant's own provider, set by its owner; JIT,
// domains, and SSO required.
func testSSOTenant(t *testing.T, a *app) {
	ctx := context.Background()
	op := newTestOP(t)
	ownerEmail := uniqueEmail("sso-owner")
	owner, ownerID, tid := a.signup(t, ownerEmail)
	slug := owner.do("GET", "/api/v1/me", nil).must(t, 200).str("tenant", "slug")
	domain := "acme-" + uuid.NewString()[:8] + ".test"
	settings := map[string]any{"issuer": op.issuer(), "client_id": op.client, "client_secret": op.secret, "domains": []string{domain}, "jit": true, "default_role": "viewer"}

	t.Run("Settings", func(t *testing.T) {
		got := owner.do("GET", "/api/v1/tenant/sso", nil).must(t, 200)
		require.Equal(t, false, got.body["configured"])
		require.Equal(t, a.url+sso.CallbackPath, got.str("redirect_uri"))

		// The field at fault is named; no 500 for bad input.
		bad := owner.do("PUT", "/api/v1/tenant/sso", map[string]any{"issuer": "not a url", "client_id": "", "domains": []string{"not_a_domain"}, "default_role": "owner"}).must(t, 422)
		var fields []string
		for _, e := range bad.body["errors"].([]any) {
			fields = append(fields, e.(map[string]any)["field"].(string))
		}
		require.ElementsMatch(t, []string{"issuer", "client_id", "domains", "default_role"}, fields)

		put := owner.do("PUT", "/api/v1/tenant/sso", settings).must(t, 200)
		require.Equal(t, true, put.body["client_secret_set"])
		require.NotContains(t, put.raw, op.secret, "the secret is never returned")
		require.Equal(t, []any{domain}, put.body["domains"])
		require.Contains(t, a.auditActions(t, tid), "tenant.sso_updated")
		c, err := a.store.SSOConfigGet(ctx, uuid.MustParse(tid))
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(c.ClientSecret, "sealed:v1:"), "stored sealed")
		require.NotContains(t, c.ClientSecret, op.secret)

		// Left out, the secret is kept.
		keep := map[string]any{}
		for k, v := range settings {
			keep[k] = v
		}
		delete(keep, "client_secret")
		require.Equal(t, true, owner.do("PUT", "/api/v1/tenant/sso", keep).must(t, 200).body["client_secret_set"])

		// Only owners.
		admin, _ := a.joinAs(t, owner, access.RoleAdmin)
		admin.do("GET", "/api/v1/tenant/sso", nil).must(t, 403)
		admin.do("PUT", "/api/v1/tenant/sso", settings).must(t, 403)

		// The settings page shows the redirect URI to register.
		p := owner.get(t, "/app/settings")
		require.Equal(t, 200, p.status)
		require.Contains(t, p.body, a.url+sso.CallbackPath)
	})

	t.Run("SettingsPageForm", func(t *testing.T) {
		// A mistake is shown on the page, with the values kept.
		bad := owner.post(t, "/app/settings/sso", url.Values{"issuer": {op.issuer()}, "client_id": {op.client}, "domains": {"no-dot"}, "default_role": {"viewer"}, "jit": {"on"}})
		require.Equal(t, http.StatusUnprocessableEntity, bad.status)
		require.Contains(t, bad.body, "must be e-mail domains")
		require.Contains(t, bad.body, `value="no-dot"`)
		// Saved; the secret field left empty keeps the stored secret.
		okp := owner.post(t, "/app/settings/sso", url.Values{"issuer": {op.issuer()}, "client_id": {op.client}, "domains": {domain + ", " + domain}, "default_role": {"viewer"}, "jit": {"on"}})
		require.Equal(t, 200, okp.status)
		require.Equal(t, "/app/settings", okp.url)
		require.Contains(t, okp.body, "Single sign-on saved.")
		got := owner.do("GET", "/api/v1/tenant/sso", nil).must(t, 200)
		require.Equal(t, true, got.body["client_secret_set"])
		require.Equal(t, []any{domain}, got.body["domains"])
		require.Equal(t, true, got.body["jit"])
		require.Equal(t, false, got.body["required"])
	})

	t.Run("JITAddsAllowedDomain", func(t *testing.T) {
		email := "bob-" + uuid.NewString()[:6] + "@" + domain
		op.as(opUser{Sub: uuid.NewString(), Email: email, Verified: true})
		c := a.browser()
		p := c.get(t, "/login/sso?tenant="+slug)
		require.Equal(t, "/app", p.url, p.body)
		uid, gotT, role := c.signedIn(t)
		require.NotEmpty(t, uid)
		require.Equal(t, tid, gotT)
		require.Equal(t, "viewer", role)
		require.Subset(t, a.auditActions(t, tid), []string{"member.added_by_sso", "sso.login"})

		// Removed by an owner, they are not added back by signing in.
		owner.do("DELETE", "/api/v1/members/"+uid, nil).must(t, 204)
		c.do("GET", "/api/v1/tenant", nil).must(t, 403)
		again := a.browser().get(t, "/login/sso?tenant="+slug)
		require.Equal(t, http.StatusForbidden, again.status)
		require.Contains(t, again.body, "you were removed from this workspace")
	})

	t.Run("SessionScopedToTheTenant", func(t *testing.T) {
		// A member with an account of their own (and a tenant of their
		// own) signs in through this tenant's provider, which the tenant's
		// owners run: that session acts in this tenant only, and cannot
		// change how the account signs in.
		email := "dora-" + uuid.NewString()[:6] + "@" + domain
		mine, _, ownTenant := a.signup(t, email)
		owner.do("POST", "/api/v1/invitations", map[string]any{"email": email, "role": "member"}).must(t, 201)
		mine.do("POST", "/api/v1/invitations/accept", map[string]any{"token": a.outbox.token(t, email, "invited")}).must(t, 200)

		op.as(opUser{Sub: uuid.NewString(), Email: email, Verified: true})
		c := a.browser()
		require.Equal(t, "/app", c.get(t, "/login/sso?tenant="+slug).url)
		_, gotT, _ := c.signedIn(t)
		require.Equal(t, tid, gotT)
		c.do("POST", "/api/v1/tenants/"+ownTenant+"/switch", nil).must(t, 403)
		_, gotT, _ = c.signedIn(t)
		require.Equal(t, tid, gotT, "still in the provider's tenant")
		c.do("POST", "/api/v1/me/totp", nil).must(t, 403)
		c.do("POST", "/api/v1/me/passkeys/options", nil).must(t, 403)

		// Signed in with the password, the account is whole again.
		c.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
		c.do("POST", "/api/v1/tenants/"+ownTenant+"/switch", nil).must(t, 200)
	})

	t.Run("DomainNotAllowedRefused", func(t *testing.T) {
		email := uniqueEmail("eve")
		op.as(opUser{Sub: uuid.NewString(), Email: email, Verified: true})
		p := a.browser().get(t, "/login/sso?tenant="+slug)
		require.Equal(t, http.StatusForbidden, p.status)
		require.Contains(t, p.body, "not in a domain this workspace allows")
		_, err := a.store.UserGetByEmail(ctx, email)
		require.ErrorIs(t, err, apperr.ErrNotFound)
		require.Contains(t, a.auditActions(t, tid), "sso.login_refused")
	})

	t.Run("ExistingNonMemberNotTakenOver", func(t *testing.T) {
		// An account made elsewhere, in an allowed domain: the tenant's
		// provider is its owners', who must not take it over.
		email := "carol-" + uuid.NewString()[:6] + "@" + domain
		a.browser().do("POST", "/api/v1/auth/signup", map[string]any{"email": email, "password": password}).must(t, 202)
		op.as(opUser{Sub: uuid.NewString(), Email: email, Verified: true})
		c := a.browser()
		p := c.get(t, "/login/sso?tenant="+slug)
		require.Equal(t, http.StatusForbidden, p.status)
		require.Contains(t, p.body, "exists already")
		uid, _, _ := c.signedIn(t)
		require.Empty(t, uid)
	})

	t.Run("NoJITRefusesNewPeople", func(t *testing.T) {
		noJIT := map[string]any{}
		for k, v := range settings {
			noJIT[k] = v
		}
		noJIT["jit"] = false
		owner.do("PUT", "/api/v1/tenant/sso", noJIT).must(t, 200)
		op.as(opUser{Sub: uuid.NewString(), Email: "dan-" + uuid.NewString()[:6] + "@" + domain, Verified: true})
		p := a.browser().get(t, "/login/sso?tenant="+slug)
		require.Equal(t, http.StatusForbidden, p.status)
		require.Contains(t, p.body, "not a member of this workspace")
		owner.do("PUT", "/api/v1/tenant/sso", settings).must(t, 200)
	})

	t.Run("UnknownWorkspace", func(t *testing.T) {
		p := a.browser().get(t, "/login/sso?tenant=no-such-"+uuid.NewString()[:8])
		require.Equal(t, http.StatusNotFound, p.status)
	})

	t.Run("RequiredRefusesPasswordButNotOwner", func(t *testing.T) {
		memberEmail := uniqueEmail("sso-member")
		_, memberID, _ := a.signup(t, memberEmail)
		now := time.Now().UTC().Truncate(time.Microsecond)
		require.NoError(t, a.store.MembershipCreate(ctx, account.Membership{TenantID: uuid.MustParse(tid), UserID: uuid.MustParse(memberID), Role: access.RoleMember, CreatedAt: now, UpdatedAt: now}))
		req := map[string]any{}
		for k, v := range settings {
			req[k] = v
		}
		req["required"] = true
		owner.do("PUT", "/api/v1/tenant/sso", req).must(t, 200)

		// The member, who owns a tenant of their own where SSO is not
		// required: refused all the same (a session would reach this
		// tenant too), by the API, with a problem that says why.
		r := a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": memberEmail, "password": password}).must(t, 403)
		require.True(t, strings.HasSuffix(r.str("type"), "/sso-required"), r.raw)
		require.Contains(t, r.str("detail"), "requires single sign-on")
		// And by the sign-in page.
		form := url.Values{"email": {memberEmail}, "password": {password}}
		jar, _ := cookiejar.New(nil)
		res, err := (&http.Client{Jar: jar}).PostForm(a.url+"/login", form)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusForbidden, res.StatusCode)
		require.Contains(t, string(body), "requires single sign-on")

		// The owner keeps the password (break-glass).
		me := a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": ownerEmail, "password": password}).must(t, 200)
		require.Equal(t, ownerID, me.str("principal", "id"))

		// Without the requirement, the member's password works again.
		req["required"] = false
		owner.do("PUT", "/api/v1/tenant/sso", req).must(t, 200)
		a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": memberEmail, "password": password}).must(t, 200)
		req["required"] = true
		owner.do("PUT", "/api/v1/tenant/sso", req).must(t, 200)
		owner.do("DELETE", "/api/v1/tenant/sso", nil).must(t, 204)
		a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": memberEmail, "password": password}).must(t, 200)
		require.Contains(t, a.auditActions(t, tid), "tenant.sso_deleted")
		owner.do("DELETE", "/api/v1/tenant/sso", nil).must(t, 404)
	})
}
