package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/ratelimit"
)

// totpCode is the code an authenticator app shows for secret at t.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	require.NoError(t, err)
	return c
}

// wrongCode is a six-digit code that is not secret's now nor a step
// either side.
func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	now := time.Now()
	near := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		near[totpCode(t, secret, now.Add(d))] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !near[c] {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// enrolTOTP turns TOTP on for c's user and returns the secret and the
// recovery codes.
func enrolTOTP(t *testing.T, c *client) (string, []string) {
	t.Helper()
	st := c.do("POST", "/api/v1/me/totp", nil).must(t, 200)
	secret := st.str("secret")
	require.NotEmpty(t, secret)
	require.True(t, strings.HasPrefix(st.str("otpauth_url"), "otpauth://totp/Ordo:"), st.str("otpauth_url"))
	require.Contains(t, st.str("otpauth_url"), "secret="+secret)
	c.do("POST", "/api/v1/me/totp/confirm", map[string]any{"code": wrongCode(t, secret)}).must(t, 422)
	r := c.do("POST", "/api/v1/me/totp/confirm", map[string]any{"code": totpCode(t, secret, time.Now())}).must(t, 200)
	var codes []string
	for _, v := range r.body["recovery_codes"].([]any) {
		codes = append(codes, v.(string))
	}
	return secret, codes
}

// loginMethods are the sign-in methods of the auth.login entries the
// audit log shows c.
func loginMethods(t *testing.T, c *client) []string {
	t.Helper()
	var methods []string
	for _, e := range c.do("GET", "/api/v1/audit-log?action=auth.login", nil).must(t, 200).list() {
		m, _ := e["metadata"].(map[string]any)
		if v, ok := m["method"].(string); ok {
			methods = append(methods, v)
		}
	}
	return methods
}

func problemKind(r resp) string {
	typ, _ := r.body["type"].(string)
	return typ[strings.LastIndexByte(typ, '/')+1:]
}

var recoveryCodeRE = regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)

// TestTwoFactorTOTP: a user turns TOTP on; log-in then asks for the code
// (401 mfa-required), refuses a wrong or replayed one (mfa-invalid),
// takes each recovery code once, records how each session signed in,
// and audits it all; turning it off takes a code.
func TestTwoFactorTOTP(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *app) {
		email := uniqueEmail("totp")
		owner, _, _ := a.signup(t, email)
		tf := owner.do("GET", "/api/v1/me/two-factor", nil).must(t, 200)
		require.Equal(t, false, tf.body["totp"])

		secret, codes := enrolTOTP(t, owner)
		require.Len(t, codes, 10)
		seen := map[string]bool{}
		for _, c := range codes {
			require.Regexp(t, recoveryCodeRE, c)
			require.False(t, seen[c], "codes are distinct")
			seen[c] = true
		}
		tf = owner.do("GET", "/api/v1/me/two-factor", nil).must(t, 200)
		require.Equal(t, true, tf.body["totp"])
		require.EqualValues(t, 10, tf.body["recovery_codes_left"])
		owner.do("POST", "/api/v1/me/totp", nil).must(t, 409)
		owner.do("POST", "/api/v1/me/totp/confirm", map[string]any{"code": totpCode(t, secret, time.Now())}).must(t, 409)

		// The password alone: the code is asked for, and nobody is
		// logged in.
		b := a.browser()
		r := b.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 401)
		require.Equal(t, "mfa-required", problemKind(r))
		b.do("GET", "/api/v1/me", nil).must(t, 401)
		// A wrong password with a right code is the usual answer.
		r = b.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "not the password", "code": totpCode(t, secret, time.Now())}).must(t, 401)
		require.Equal(t, "unauthorized", problemKind(r))
		// The code that confirmed the set-up was used: replayed, refused.
		r = b.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password, "code": totpCode(t, secret, time.Now())}).must(t, 401)
		require.Equal(t, "mfa-invalid", problemKind(r))
		r = b.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password, "code": wrongCode(t, secret)}).must(t, 401)
		require.Equal(t, "mfa-invalid", problemKind(r))
		b.do("GET", "/api/v1/me", nil).must(t, 401)

		// The next step's code (an app a little ahead) signs in, once.
		next := totpCode(t, secret, time.Now().Add(30*time.Second))
		b.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password, "code": next}).must(t, 200)
		r = a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password, "code": next}).must(t, 401)
		require.Equal(t, "mfa-invalid", problemKind(r), "a code works once")
		require.Equal(t, "password+totp", currentMethod(t, b))

		// A recovery code signs in once, typed any which way.
		rc := a.browser()
		rc.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password, "code": " " + strings.ToUpper(codes[0]) + " "}).must(t, 200)
		r = a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password, "code": codes[0]}).must(t, 401)
		require.Equal(t, "mfa-invalid", problemKind(r))
		require.EqualValues(t, 9, owner.do("GET", "/api/v1/me/two-factor", nil).must(t, 200).body["recovery_codes_left"])

		// Audited: the method of each log-in, and the failed codes.
		methods := loginMethods(t, owner)
		require.Contains(t, methods, "password+totp")
		require.Contains(t, methods, "password+recovery_code")
		require.NotEmpty(t, owner.do("GET", "/api/v1/audit-log?action=user.two_factor_enabled", nil).must(t, 200).list())
		require.GreaterOrEqual(t, len(owner.do("GET", "/api/v1/audit-log?action=auth.login_failed", nil).must(t, 200).list()), 3)

		// New recovery codes take a code from the app, not a recovery code.
		owner.do("POST", "/api/v1/me/totp/recovery-codes", map[string]any{"code": codes[1]}).must(t, 422)
		// Turning it off takes a code: a wrong one is refused, a recovery
		// code (the device may be lost) does.
		r = owner.do("POST", "/api/v1/me/totp/disable", map[string]any{"code": wrongCode(t, secret)}).must(t, 422)
		require.Equal(t, "code", r.body["errors"].([]any)[0].(map[string]any)["field"])
		owner.do("POST", "/api/v1/me/totp/disable", map[string]any{"code": codes[2]}).must(t, 204)
		require.Equal(t, false, owner.do("GET", "/api/v1/me/two-factor", nil).must(t, 200).body["totp"])
		a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
		owner.do("POST", "/api/v1/me/totp/disable", map[string]any{"code": codes[3]}).must(t, 409)
		require.NotEmpty(t, owner.do("GET", "/api/v1/audit-log?action=user.two_factor_disabled", nil).must(t, 200).list())
	})
}

// TestTwoFactorCodeGuessingLimited: wrong codes count against the same
// limits as wrong passwords; past them even the right code is refused
// for a while.
func TestTwoFactorCodeGuessingLimited(t *testing.T) {
	t.Parallel()
	st, err := ratelimit.NewMemoryStore(1000)
	require.NoError(t, err)
	a := newApp(t, backends[0], loginLimits(t, st, 3, 100, 100))
	email := uniqueEmail("totpguess")
	owner, _, _ := a.signup(t, email)
	secret, _ := enrolTOTP(t, owner)
	b := a.browser()
	for range 3 {
		b.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password, "code": wrongCode(t, secret)}).must(t, 401)
	}
	r := b.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password, "code": totpCode(t, secret, time.Now().Add(30*time.Second))}).must(t, 429)
	require.NotEmpty(t, r.header.Get("Retry-After"))
}

// TestTwoFactorUI: the browser's log-in asks for the code on a page of its
// own after the password; the account page sets it up and shows how each
// session signed in.
func TestTwoFactorUI(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	email := uniqueEmail("totpui")
	owner, _, _ := a.signup(t, email)

	p := owner.get(t, "/app/account")
	require.Contains(t, p.body, `id="two-factor"`)
	p = owner.post(t, "/app/account/two-factor", nil)
	require.Equal(t, "/app/account/two-factor", p.url)
	require.Contains(t, p.body, `src="data:image/png;base64,`)
	m := regexp.MustCompile(`id="totp-secret" class="wrap">([A-Z2-7]+)<`).FindStringSubmatch(p.body)
	require.NotNil(t, m, p.body)
	secret := m[1]
	p = owner.post(t, "/app/account/two-factor/confirm", url.Values{"code": {wrongCode(t, secret)}})
	require.Equal(t, 422, p.status)
	require.Contains(t, p.body, `id="e-code"`)
	p = owner.post(t, "/app/account/two-factor/confirm", url.Values{"code": {totpCode(t, secret, time.Now())}})
	require.Equal(t, 200, p.status)
	require.Contains(t, p.body, `id="recovery-codes"`)
	require.Len(t, regexp.MustCompile(`<li><code>[a-z2-7-]{19}</code></li>`).FindAllString(p.body, -1), 10)
	p = owner.get(t, "/app/account")
	require.Contains(t, p.body, "Unused recovery codes: 10")

	b := a.browser()
	p = b.post(t, "/login", url.Values{"email": {email}, "password": {password}})
	require.Equal(t, "/login/two-factor", p.url)
	require.Equal(t, "/login", b.get(t, "/app").url, "not logged in before the code")
	p = b.post(t, "/login/two-factor", url.Values{"code": {wrongCode(t, secret)}})
	require.Equal(t, 401, p.status)
	require.Contains(t, p.body, "That code is wrong")
	p = b.post(t, "/login/two-factor", url.Values{"code": {totpCode(t, secret, time.Now().Add(30*time.Second))}})
	require.Equal(t, 200, p.status)
	require.Equal(t, "/app", p.url)
	p = b.get(t, "/app/account")
	require.Contains(t, p.body, "Password and authenticator code")
	// The pending step is gone once used.
	require.Equal(t, "/login", a.browser().get(t, "/login/two-factor").url)
}

// TestTenantRequiresTwoFactor: an owner who signed in with a second
// factor requires it of every member; a member's session without one is
// kept out of the tenant (403 two-factor-required, on every page and
// route of it) until they turn it on; an owner without it cannot lock
// themselves out.
func TestTenantRequiresTwoFactor(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, _ := a.signup(t, uniqueEmail("req2fa"))
		member, _ := a.joinAs(t, owner, access.RoleMember)
		admin, _ := a.joinAs(t, owner, access.RoleAdmin)

		r := owner.do("PUT", "/api/v1/tenant/security", map[string]any{"require_two_factor": true}).must(t, 409)
		require.Contains(t, r.str("detail"), "lock you out")
		admin.do("PUT", "/api/v1/tenant/security", map[string]any{"require_two_factor": true}).must(t, 403)
		owner.do("PUT", "/api/v1/tenant/security", map[string]any{}).must(t, 422)

		enrolTOTP(t, owner) // this session has now shown the second factor
		owner.do("PUT", "/api/v1/tenant/security", map[string]any{"require_two_factor": true}).must(t, 200)
		require.Equal(t, true, owner.do("GET", "/api/v1/tenant", nil).must(t, 200).body["require_two_factor"])
		owner.do("GET", "/api/v1/orders", nil).must(t, 200)

		r = member.do("GET", "/api/v1/orders", nil).must(t, 403)
		require.Equal(t, "two-factor-required", problemKind(r))
		member.do("GET", "/api/v1/me", nil).must(t, 200)
		p := member.get(t, "/app/orders")
		require.Equal(t, 403, p.status)
		require.Contains(t, p.body, `id="two-factor-required"`)

		// The member turns it on: this session has shown it, and gets in.
		enrolTOTP(t, member)
		member.do("GET", "/api/v1/orders", nil).must(t, 200)
		// So does the admin.
		enrolTOTP(t, admin)
		admin.do("GET", "/api/v1/orders", nil).must(t, 200)

		require.NotEmpty(t, owner.do("GET", "/api/v1/audit-log?action=tenant.two_factor_required", nil).must(t, 200).list())
		owner.do("PUT", "/api/v1/tenant/security", map[string]any{"require_two_factor": false}).must(t, 200)
	})
}
