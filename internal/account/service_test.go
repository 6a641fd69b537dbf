package account_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/auth/authtest"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/page"
)

const password = "a long enough password 123"

// forEngine runs body on a fresh environment of each engine.
func forEngine(t *testing.T, body func(t *testing.T, env *authtest.Env)) {
	for _, e := range authtest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			body(t, authtest.New(t, e.Open(t)))
		})
	}
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// signUp signs someone up and confirms the address.
func signUp(t *testing.T, env *authtest.Env, email string) account.User {
	t.Helper()
	ctx := context.Background()
	_, _, err := env.Accounts.SignUp(ctx, account.SignUpInput{Email: email, Password: password, Name: "Ada"}, access.Meta{})
	require.NoError(t, err)
	u, err := env.Accounts.VerifyEmail(ctx, env.LastToken(t, email), access.Meta{})
	require.NoError(t, err)
	return u
}

func TestSignUpValidation(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *authtest.Env) {
		ctx := context.Background()
		_, _, err := env.Accounts.SignUp(ctx, account.SignUpInput{Email: "nope", Password: "short", TenantName: string(make([]byte, 201))}, access.Meta{})
		e, ok := apperr.As(err)
		require.True(t, ok, "%v", err)
		require.Equal(t, apperr.KindInvalid, e.Kind)
		var fields []string
		for _, f := range e.Fields {
			fields = append(fields, f.Field)
		}
		require.ElementsMatch(t, []string{"email", "password", "tenant_name"}, fields)
		require.Empty(t, env.Jobs(), "nothing was sent")
	})
}

// Sign-up, then confirmation, then a password reset: each e-mailed link
// works once, a reset ends the other open reset link and every session,
// and each step is audited in the new tenant.
func TestSignUpVerifyReset(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *authtest.Env) {
		ctx := context.Background()
		m := access.Meta{IP: "192.0.2.1"}
		u, tenantID, err := env.Accounts.SignUp(ctx, account.SignUpInput{Email: " Ada@Example.com", Password: password, Name: "Ada"}, m)
		require.NoError(t, err)
		require.Equal(t, "ada@example.com", u.Email)
		require.Nil(t, u.EmailVerifiedAt)
		trsP, err := env.Tenants.ListTenants(ctx, u.ID, page.Request{})
		trs := trsP.Rows
		require.NoError(t, err)
		require.Len(t, trs, 1)
		require.Equal(t, tenantID, trs[0].Tenant.ID)
		require.Equal(t, "Ada's team", trs[0].Tenant.Name)
		require.Equal(t, access.RoleOwner, trs[0].Role)
		require.Equal(t, []string{"tenant.created"}, env.AuditActions(t, tenantID))
		require.Equal(t, []string{event.MemberAdded}, env.EventTypes(t, tenantID))

		_, _, err = env.Auth.Login(ctx, "ada@example.com", password, "", m)
		require.ErrorIs(t, err, auth.ErrBadCredentials, "not confirmed yet")
		verify := env.LastToken(t, "ada@example.com")
		v, err := env.Accounts.VerifyEmail(ctx, verify, m)
		require.NoError(t, err)
		require.NotNil(t, v.EmailVerifiedAt)
		_, err = env.Accounts.VerifyEmail(ctx, verify, m)
		require.Equal(t, 422, apperr.HTTPStatus(err), "single use: %v", err)
		_, _, err = env.Auth.Login(ctx, "ada@example.com", password, "", m)
		require.NoError(t, err)

		// Two reset requests: two open links. The request is only a job
		// (the same for an unknown address); its worker sends the link.
		var links []string
		for range 2 {
			require.NoError(t, env.Accounts.RequestPasswordReset(ctx, "ADA@example.com", m))
			jobs := env.Jobs()
			a, ok := jobs[len(jobs)-1].(account.PasswordResetArgs)
			require.True(t, ok, "%T", jobs[len(jobs)-1])
			require.Equal(t, "ada@example.com", a.Email)
			require.NoError(t, env.Accounts.SendPasswordReset(ctx, a.Email, access.Meta{IP: a.IP}))
			links = append(links, env.LastToken(t, "ada@example.com"))
		}
		require.NotEqual(t, links[0], links[1])
		n := len(env.Mails(t))
		require.NoError(t, env.Accounts.RequestPasswordReset(ctx, "nobody@example.com", m))
		require.NoError(t, env.Accounts.SendPasswordReset(ctx, "nobody@example.com", m))
		require.Len(t, env.Mails(t), n, "no mail for an unknown address")

		p, err := env.Auth.Resolve(ctx, u.ID, 0, tenantID, "password") // the session's epoch, cached now
		require.NoError(t, err)
		require.True(t, p.InTenant())
		const next = "another long password 456"
		_, err = env.Accounts.ResetPassword(ctx, links[1], "short", m)
		require.Equal(t, 422, apperr.HTTPStatus(err), "a weak password: %v", err)
		r, err := env.Accounts.ResetPassword(ctx, links[1], next, m)
		require.NoError(t, err, "a refused password does not use the link up")
		require.NotZero(t, r.SessionEpoch)
		_, err = env.Accounts.ResetPassword(ctx, links[1], "a third long password 789", m)
		require.Equal(t, 422, apperr.HTTPStatus(err), "single use: %v", err)
		_, err = env.Accounts.ResetPassword(ctx, links[0], "a third long password 789", m)
		require.Equal(t, 422, apperr.HTTPStatus(err), "the other open link ended with the reset: %v", err)
		_, err = env.Auth.Resolve(ctx, u.ID, 0, tenantID, "password")
		require.ErrorIs(t, err, apperr.ErrUnauthorized, "every session ended, the cached epoch too")
		_, _, err = env.Auth.Login(ctx, "ada@example.com", password, "", m)
		require.ErrorIs(t, err, auth.ErrBadCredentials)
		_, _, err = env.Auth.Login(ctx, "ada@example.com", next, "", m)
		require.NoError(t, err)
		require.Contains(t, env.AuditActions(t, tenantID), "user.email_verified")
		require.Contains(t, env.AuditActions(t, tenantID), "auth.password_reset_requested")
		require.Contains(t, env.AuditActions(t, tenantID), "auth.password_reset")
	})
}

// An address that has an account is told so by e-mail; the answer is the
// one a new address gets, and nothing is created.
func TestSignUpTakenAddress(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *authtest.Env) {
		ctx := context.Background()
		have := signUp(t, env, "ada@example.com")
		n := len(env.Mails(t))
		u, tenantID, err := env.Accounts.SignUp(ctx, account.SignUpInput{Email: "ada@example.com", Password: password}, access.Meta{})
		require.NoError(t, err)
		_, err = env.Store.UserGetByID(ctx, u.ID)
		require.ErrorIs(t, err, apperr.ErrNotFound, "the answer's user was not stored")
		_, err = env.Store.TenantGetByID(ctx, tenantID)
		require.ErrorIs(t, err, apperr.ErrNotFound, "nor a tenant")
		ms := env.Mails(t)
		require.Len(t, ms, n+1)
		require.Contains(t, ms[n].Text, "/forgot-password")
		trsP, err := env.Tenants.ListTenants(ctx, have.ID, page.Request{})
		trs := trsP.Rows
		require.NoError(t, err)
		require.Len(t, trs, 1, "no second tenant")
	})
}

// A password change needs the current password, ends the other sessions
// and open reset links, and is audited with the change.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *authtest.Env) {
		ctx := context.Background()
		u := signUp(t, env, "ada@example.com")
		p := u.Principal()
		_, err := env.Accounts.ChangePassword(ctx, p, "wrong password here", "another long password 456", access.Meta{})
		require.True(t, auth.IsWrongPassword(err), "%v", err)
		require.True(t, account.IsWrongPassword(err))
		require.Equal(t, 422, apperr.HTTPStatus(err))
		_, err = env.Accounts.ChangePassword(ctx, p, password, "short", access.Meta{})
		require.Equal(t, 422, apperr.HTTPStatus(err))
		require.False(t, auth.IsWrongPassword(err), "a weak new password is not a guess")

		require.NoError(t, env.Accounts.SendPasswordReset(ctx, "ada@example.com", access.Meta{}))
		link := env.LastToken(t, "ada@example.com")
		env.FailAudit(true)
		_, err = env.Accounts.ChangePassword(ctx, p, password, "another long password 456", access.Meta{})
		require.ErrorIs(t, err, authtest.ErrAuditDown)
		env.FailAudit(false)
		_, _, err = env.Auth.Login(ctx, "ada@example.com", password, "", access.Meta{})
		require.NoError(t, err, "rolled back with its audit entry: the old password still works")

		epoch, err := env.Accounts.ChangePassword(ctx, p, password, "another long password 456", access.Meta{})
		require.NoError(t, err)
		require.NotZero(t, epoch)
		_, err = env.Accounts.ResetPassword(ctx, link, "a third long password 789", access.Meta{})
		require.Equal(t, 422, apperr.HTTPStatus(err), "the open reset link ended: %v", err)
		trsP, err := env.Tenants.ListTenants(ctx, u.ID, page.Request{})
		trs := trsP.Rows
		require.NoError(t, err)
		require.Equal(t, "auth.password_changed", last(env.AuditActions(t, trs[0].Tenant.ID)))
	})
}

// An e-mail change takes the password, goes to the new address, and once
// confirmed tells the old one and ends the open links.
func TestEmailChange(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *authtest.Env) {
		ctx := context.Background()
		u := signUp(t, env, "ada@example.com")
		p := u.Principal()
		err := env.Accounts.RequestEmailChange(ctx, p, "new@example.com", "wrong password here", access.Meta{})
		require.True(t, auth.IsWrongPassword(err), "%v", err)
		err = env.Accounts.RequestEmailChange(ctx, p, "ada@example.com", password, access.Meta{})
		require.Equal(t, 422, apperr.HTTPStatus(err))

		require.NoError(t, env.Accounts.SendPasswordReset(ctx, "ada@example.com", access.Meta{}))
		reset := env.LastToken(t, "ada@example.com")
		require.NoError(t, env.Accounts.RequestEmailChange(ctx, p, "New@Example.com", password, access.Meta{}))
		got, err := env.Accounts.ConfirmEmailChange(ctx, env.LastToken(t, "new@example.com"), access.Meta{})
		require.NoError(t, err)
		require.Equal(t, "new@example.com", got.Email)
		ms := env.Mails(t)
		require.Equal(t, []string{"ada@example.com"}, ms[len(ms)-1].To, "the old address is told")
		_, err = env.Accounts.ResetPassword(ctx, reset, "another long password 456", access.Meta{})
		require.Equal(t, 422, apperr.HTTPStatus(err), "a reset link to the old address ended: %v", err)
		cur, err := env.Accounts.CurrentUser(ctx, p)
		require.NoError(t, err)
		require.Equal(t, "new@example.com", cur.Email)
		_, err = env.Accounts.CurrentUser(ctx, access.Principal{TenantID: u.ID, Role: access.RoleOwner})
		require.Equal(t, 404, apperr.HTTPStatus(err), "an API key has no user")
	})
}

// An operator's user is confirmed at once; a taken address is a field
// error.
func TestCreateUser(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *authtest.Env) {
		ctx := context.Background()
		u, err := env.Accounts.CreateUser(ctx, "Op@Example.com", password, " Op ")
		require.NoError(t, err)
		require.Equal(t, "op@example.com", u.Email)
		require.Equal(t, "Op", u.Name)
		require.NotNil(t, u.EmailVerifiedAt)
		_, _, err = env.Auth.Login(ctx, "op@example.com", password, "", access.Meta{})
		require.NoError(t, err)
		_, err = env.Accounts.CreateUser(ctx, "op@example.com", password, "Again")
		require.Equal(t, 422, apperr.HTTPStatus(err), "%v", err)
		_, err = env.Accounts.CreateUser(ctx, "x@example.com", "password123", "")
		require.Equal(t, 422, apperr.HTTPStatus(err), "a common password: %v", err)
	})
}
