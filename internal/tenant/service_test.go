package tenant_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/auth/authtest"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/tenant"
)

// fixture is a tenant with an owner, an admin, a member and a viewer, and
// a second tenant with its own owner.
type fixture struct {
	env                          *authtest.Env
	t                            tenant.Tenant
	owner, admin, member, viewer access.Principal
	other                        access.Principal // owner of the other tenant
}

const password = "a long enough password 123"

func newUser(t *testing.T, env *authtest.Env, email string) account.User {
	t.Helper()
	u, err := env.Accounts.CreateUser(context.Background(), email, password, "User "+email)
	require.NoError(t, err)
	return u
}

func setup(t *testing.T, env *authtest.Env) fixture {
	t.Helper()
	ctx := context.Background()
	f := fixture{env: env}
	ou := newUser(t, env, "owner@example.com")
	var err error
	f.t, err = env.Tenants.CreateTenant(ctx, ou.Principal(), "Acme", access.Meta{})
	require.NoError(t, err)
	f.owner = as(ou, f.t.ID, access.RoleOwner)
	add := func(email string, role access.Role) access.Principal {
		u := newUser(t, env, email)
		require.NoError(t, env.Store.MembershipCreate(ctx, account.Membership{TenantID: f.t.ID, UserID: u.ID, Role: role, CreatedAt: env.Now(), UpdatedAt: env.Now()}))
		return as(u, f.t.ID, role)
	}
	f.admin, f.member, f.viewer = add("admin@example.com", access.RoleAdmin), add("member@example.com", access.RoleMember), add("viewer@example.com", access.RoleViewer)
	xu := newUser(t, env, "other@example.com")
	xt, err := env.Tenants.CreateTenant(ctx, xu.Principal(), "Other", access.Meta{})
	require.NoError(t, err)
	f.other = as(xu, xt.ID, access.RoleOwner)
	return f
}

func as(u account.User, tenantID uuid.UUID, role access.Role) access.Principal {
	p := u.Principal()
	p.TenantID, p.Role = tenantID, role
	return p
}

// forEngine runs body on a fresh environment of each engine.
func forEngine(t *testing.T, body func(t *testing.T, env *authtest.Env)) {
	for _, e := range authtest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			body(t, authtest.New(t, e.Open(t)))
		})
	}
}

func TestPermissionsAndValidation(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *authtest.Env) {
		ctx := context.Background()
		f := setup(t, env)
		m := access.Meta{}
		cases := []struct {
			name   string
			call   func() error
			status int
		}{
			{"viewer renames", func() error { _, err := env.Tenants.RenameTenant(ctx, f.viewer, "X", nil, m); return err }, 403},
			{"member lists invitations", func() error { _, err := env.Tenants.ListInvitations(ctx, f.member, page.Request{}); return err }, 403},
			{"member invites", func() error {
				_, err := env.Tenants.Invite(ctx, f.member, "new@example.com", access.RoleViewer, m)
				return err
			}, 403},
			{"admin invites an owner", func() error {
				_, err := env.Tenants.Invite(ctx, f.admin, "new@example.com", access.RoleOwner, m)
				return err
			}, 403},
			{"admin makes an owner", func() error { return env.Tenants.ChangeRole(ctx, f.admin, f.member.UserID, access.RoleOwner, m) }, 403},
			{"admin removes the owner", func() error { return env.Tenants.RemoveMember(ctx, f.admin, f.owner.UserID, m) }, 403},
			{"member removes another", func() error { return env.Tenants.RemoveMember(ctx, f.member, f.viewer.UserID, m) }, 403},
			{"other tenant's owner changes a role here", func() error {
				return env.Tenants.ChangeRole(ctx, f.other, f.member.UserID, access.RoleViewer, m)
			}, 404},
			{"other tenant's owner removes a member here", func() error { return env.Tenants.RemoveMember(ctx, f.other, f.member.UserID, m) }, 404},
			{"API key without a user creates a tenant", func() error {
				_, err := env.Tenants.CreateTenant(ctx, access.Principal{APIKeyID: uuid.New(), TenantID: f.t.ID, Role: access.RoleOwner}, "K", m)
				return err
			}, 403},
			{"empty name", func() error { _, err := env.Tenants.RenameTenant(ctx, f.owner, "  ", nil, m); return err }, 422},
			{"bad role", func() error { return env.Tenants.ChangeRole(ctx, f.owner, f.member.UserID, "boss", m) }, 422},
			{"bad address", func() error {
				_, err := env.Tenants.Invite(ctx, f.owner, "not-an-address", access.RoleViewer, m)
				return err
			}, 422},
			{"invite a member", func() error {
				_, err := env.Tenants.Invite(ctx, f.owner, "member@example.com", access.RoleViewer, m)
				return err
			}, 422},
			{"bad status", func() error { return env.Tenants.SetTenantStatus(ctx, access.Operator(f.t.ID), "gone", access.Meta{}) }, 422},
		}
		for _, c := range cases {
			err := c.call()
			require.Error(t, err, c.name)
			require.Equal(t, c.status, apperr.HTTPStatus(err), "%s: %v", c.name, err)
		}
		// Nothing changed.
		msP, err := env.Tenants.ListMembers(ctx, f.viewer, page.Request{})
		ms := msP.Rows
		require.NoError(t, err)
		roles := map[uuid.UUID]access.Role{}
		for _, mb := range ms {
			roles[mb.User.ID] = mb.Membership.Role
		}
		require.Equal(t, map[uuid.UUID]access.Role{f.owner.UserID: access.RoleOwner, f.admin.UserID: access.RoleAdmin,
			f.member.UserID: access.RoleMember, f.viewer.UserID: access.RoleViewer}, roles, "the other tenant's owner is not listed")
		cur, err := env.Tenants.CurrentTenant(ctx, f.viewer)
		require.NoError(t, err)
		require.Equal(t, "Acme", cur.Name)
		require.NotContains(t, env.AuditActions(t, f.t.ID), "member.role_changed")
	})
}

// The last owner can be neither demoted nor removed, nor leave; once
// there is a second owner, either can.
func TestLastOwner(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *authtest.Env) {
		ctx := context.Background()
		f := setup(t, env)
		m := access.Meta{}
		err := env.Tenants.ChangeRole(ctx, f.owner, f.owner.UserID, access.RoleAdmin, m)
		require.Equal(t, 409, apperr.HTTPStatus(err), "%v", err)
		err = env.Tenants.RemoveMember(ctx, f.owner, f.owner.UserID, m)
		require.Equal(t, 409, apperr.HTTPStatus(err), "%v", err)

		require.NoError(t, env.Tenants.ChangeRole(ctx, f.owner, f.admin.UserID, access.RoleOwner, m))
		require.NoError(t, env.Tenants.RemoveMember(ctx, f.owner, f.owner.UserID, m), "leaving: another owner remains")
		tail := env.AuditActions(t, f.t.ID)
		require.Equal(t, []string{"member.role_changed", "member.left"}, tail[len(tail)-2:])
		require.Equal(t, event.MemberRemoved, last(env.EventTypes(t, f.t.ID)))
	})
}

// A role change reaches authentication at once, through its cache; a
// removed member's API keys are revoked with the membership, in its
// transaction, and a failed audit entry undoes both.
func TestRemoveMemberRevokesKeysInTheSameTransaction(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *authtest.Env) {
		ctx := context.Background()
		f := setup(t, env)
		m := access.Meta{}
		p, err := env.Auth.Resolve(ctx, f.member.UserID, 0, f.t.ID, "password") // cached now
		require.NoError(t, err)
		require.Equal(t, access.RoleMember, p.Role)
		require.NoError(t, env.Tenants.ChangeRole(ctx, f.admin, f.member.UserID, access.RoleAdmin, m))
		p, err = env.Auth.Resolve(ctx, f.member.UserID, 0, f.t.ID, "password")
		require.NoError(t, err)
		require.Equal(t, access.RoleAdmin, p.Role, "the cached membership was dropped")

		_, key, err := env.Auth.CreateAPIKey(ctx, p, "member's", access.RoleMember, nil, m)
		require.NoError(t, err)
		_, err = env.Auth.AuthenticateAPIKey(ctx, key) // cached now
		require.NoError(t, err)

		env.FailAudit(true)
		err = env.Tenants.RemoveMember(ctx, f.owner, f.member.UserID, m)
		require.ErrorIs(t, err, authtest.ErrAuditDown)
		env.FailAudit(false)
		_, err = env.Auth.AuthenticateAPIKey(ctx, key)
		require.NoError(t, err, "rolled back: the key still works")
		_, err = env.Store.MembershipGet(ctx, f.t.ID, f.member.UserID)
		require.NoError(t, err, "rolled back: still a member")

		require.NoError(t, env.Tenants.RemoveMember(ctx, f.owner, f.member.UserID, m))
		_, err = env.Auth.AuthenticateAPIKey(ctx, key)
		require.ErrorIs(t, err, apperr.ErrUnauthorized)
		keys, err := env.Store.APIKeyListByTenant(ctx, f.t.ID)
		require.NoError(t, err)
		require.Len(t, keys, 1)
		require.NotNil(t, keys[0].RevokedAt, "revoked, not only refused")
		tail := env.AuditActions(t, f.t.ID)
		require.Equal(t, []string{"api_key.revoked", "member.removed"}, tail[len(tail)-2:])
		p, err = env.Auth.Resolve(ctx, f.member.UserID, 0, f.t.ID, "password")
		require.NoError(t, err)
		require.False(t, p.InTenant())
		require.Equal(t, f.t.ID, p.RemovedFrom)
	})
}

func TestInvitationAccept(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *authtest.Env) {
		ctx := context.Background()
		f := setup(t, env)
		m := access.Meta{}
		inv, err := env.Tenants.Invite(ctx, f.admin, "New@Example.com", access.RoleMember, m)
		require.NoError(t, err)
		require.Equal(t, "new@example.com", inv.Email)
		tok := env.LastToken(t, "new@example.com")

		_, _, err = env.Tenants.AcceptInvitation(ctx, tenant.AcceptInput{Token: tok, Name: "New", Password: "short"}, m)
		require.Equal(t, 422, apperr.HTTPStatus(err), "a weak password: %v", err)
		_, _, err = env.Tenants.AcceptInvitation(ctx, tenant.AcceptInput{Token: tok, UserID: f.viewer.UserID}, m)
		require.Equal(t, 403, apperr.HTTPStatus(err), "another address: %v", err)

		u, tid, err := env.Tenants.AcceptInvitation(ctx, tenant.AcceptInput{Token: tok, Name: "New", Password: password}, m)
		require.NoError(t, err)
		require.Equal(t, f.t.ID, tid)
		require.NotNil(t, u.EmailVerifiedAt, "the link arrived at the address")
		mb, err := env.Store.MembershipGet(ctx, f.t.ID, u.ID)
		require.NoError(t, err)
		require.Equal(t, access.RoleMember, mb.Role)
		invsP, err := env.Tenants.ListInvitations(ctx, f.owner, page.Request{})
		invs := invsP.Rows
		require.NoError(t, err)
		require.Len(t, invs, 1)
		require.Equal(t, account.InvitationAccepted, invs[0].Status(env.Now()))
		require.Contains(t, env.AuditActions(t, f.t.ID), "invitation.created")
		require.Equal(t, "invitation.accepted", last(env.AuditActions(t, f.t.ID)))
		require.Equal(t, event.MemberAdded, last(env.EventTypes(t, f.t.ID)))
		got, _, err := env.Auth.Login(ctx, "new@example.com", password, "", m)
		require.NoError(t, err)
		require.Equal(t, u.ID, got.ID)

		_, _, err = env.Tenants.AcceptInvitation(ctx, tenant.AcceptInput{Token: tok, UserID: u.ID}, m)
		require.Equal(t, 422, apperr.HTTPStatus(err), "used: %v", err)
	})
}

func TestInvitationExpiredResentRevoked(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *authtest.Env) {
		ctx := context.Background()
		f := setup(t, env)
		m := access.Meta{}
		inv, err := env.Tenants.Invite(ctx, f.owner, "late@example.com", access.RoleViewer, m)
		require.NoError(t, err)
		old := env.LastToken(t, "late@example.com")
		env.Advance(tenant.InvitationTTL)
		_, _, err = env.Tenants.AcceptInvitation(ctx, tenant.AcceptInput{Token: old, Password: password}, m)
		require.Equal(t, 422, apperr.HTTPStatus(err), "expired: %v", err)
		_, err = env.Store.UserGetByEmail(ctx, "late@example.com")
		require.ErrorIs(t, err, apperr.ErrNotFound, "no account was made")

		_, err = env.Tenants.ResendInvitation(ctx, f.owner, inv.ID, m)
		require.NoError(t, err)
		fresh := env.LastToken(t, "late@example.com")
		require.NotEqual(t, old, fresh)
		_, _, err = env.Tenants.AcceptInvitation(ctx, tenant.AcceptInput{Token: old, Password: password}, m)
		require.Equal(t, 422, apperr.HTTPStatus(err), "the old link stopped working: %v", err)

		require.NoError(t, env.Tenants.RevokeInvitation(ctx, f.owner, inv.ID, m))
		_, _, err = env.Tenants.AcceptInvitation(ctx, tenant.AcceptInput{Token: fresh, Password: password}, m)
		require.Equal(t, 422, apperr.HTTPStatus(err), "revoked: %v", err)
		_, err = env.Tenants.ResendInvitation(ctx, f.owner, inv.ID, m)
		require.Equal(t, 409, apperr.HTTPStatus(err), "%v", err)
		_, err = env.Tenants.ResendInvitation(ctx, f.other, inv.ID, m)
		require.Equal(t, 404, apperr.HTTPStatus(err), "another tenant's invitation: %v", err)
	})
}

// A rename and its audit entry commit together: when the entry cannot be
// written the name stays.
func TestRenameAuditsInTheSameTransaction(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *authtest.Env) {
		ctx := context.Background()
		f := setup(t, env)
		env.FailAudit(true)
		_, err := env.Tenants.RenameTenant(ctx, f.admin, "Renamed", nil, access.Meta{})
		require.ErrorIs(t, err, authtest.ErrAuditDown)
		env.FailAudit(false)
		cur, err := env.Tenants.CurrentTenant(ctx, f.admin)
		require.NoError(t, err)
		require.Equal(t, "Acme", cur.Name)

		got, err := env.Tenants.RenameTenant(ctx, f.admin, " Renamed ", nil, access.Meta{})
		require.NoError(t, err)
		require.Equal(t, "Renamed", got.Name)
		require.Equal(t, "tenant.renamed", last(env.AuditActions(t, f.t.ID)))
		trsP, err := env.Tenants.ListTenants(ctx, f.admin.UserID, page.Request{})
		trs := trsP.Rows
		require.NoError(t, err)
		require.Len(t, trs, 1)
		require.Equal(t, "Renamed", trs[0].Tenant.Name)
		require.Equal(t, access.RoleAdmin, trs[0].Role)
	})
}

// A suspended tenant is nobody's to act in, from the next request on.
func TestSetTenantStatus(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *authtest.Env) {
		ctx := context.Background()
		f := setup(t, env)
		p, err := env.Auth.Resolve(ctx, f.member.UserID, 0, f.t.ID, "password") // cached now
		require.NoError(t, err)
		require.True(t, p.InTenant())
		require.NoError(t, env.Tenants.SetTenantStatus(ctx, access.Operator(f.t.ID), tenant.StatusSuspended, access.Meta{}))
		p, err = env.Auth.Resolve(ctx, f.member.UserID, 0, f.t.ID, "password")
		require.NoError(t, err)
		require.False(t, p.InTenant())
		require.Equal(t, "tenant.status_changed", last(env.AuditActions(t, f.t.ID)))
		require.NoError(t, env.Tenants.SetTenantStatus(ctx, access.Operator(f.t.ID), tenant.StatusActive, access.Meta{}))
		p, err = env.Auth.Resolve(ctx, f.member.UserID, 0, f.t.ID, "password")
		require.NoError(t, err)
		require.True(t, p.InTenant())
	})
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}
