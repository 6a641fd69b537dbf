package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/sso"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/tenant"
)

// testSSO covers tenants' identity providers (saved, replaced, read,
// deleted, gone with their tenant), linked identities (unique per issuer
// and subject, gone with their user) and which tenants require SSO of a
// user.
func testSSO(t *testing.T, s store.Store) {
	ctx := context.Background()
	tid, u := seedTenantUser(t, s)
	_, err := s.SSOConfigGet(ctx, tid)
	require.ErrorIs(t, err, apperr.ErrNotFound)

	at := now().Add(-time.Hour)
	c := sso.TenantConfig{TenantID: tid, Issuer: "https://idp.example.com", ClientID: "ordo", ClientSecret: "sealed:v1:x",
		Domains: []string{"example.com", "example.org"}, JIT: true, DefaultRole: access.RoleViewer, Required: false, CreatedAt: at, UpdatedAt: at}
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.SSOConfigSave(ctx, c) }))
	got, err := s.SSOConfigGet(ctx, tid)
	require.NoError(t, err)
	require.Equal(t, c, got)

	// Saving again replaces every field but created_at.
	c2 := c
	c2.Issuer, c2.ClientID, c2.ClientSecret, c2.Domains, c2.JIT, c2.DefaultRole, c2.Required = "https://other.example.com", "ordo2", "", []string{"example.net"}, false, access.RoleMember, true
	c2.CreatedAt, c2.UpdatedAt = now(), now()
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.SSOConfigSave(ctx, c2) }))
	got, err = s.SSOConfigGet(ctx, tid)
	require.NoError(t, err)
	want := c2
	want.CreatedAt = at
	require.Equal(t, want, got)

	// Required: the member who is not an owner is named the tenant; an
	// owner is not, nor a member of a tenant that does not require it.
	tn, err := s.TenantGetByID(ctx, tid)
	require.NoError(t, err)
	owner := NewUser()
	require.NoError(t, s.UserCreate(ctx, owner))
	require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: tid, UserID: u.ID, Role: access.RoleMember, CreatedAt: now(), UpdatedAt: now()}))
	require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: tid, UserID: owner.ID, Role: access.RoleOwner, CreatedAt: now(), UpdatedAt: now()}))
	names, err := s.SSORequiredTenants(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, []string{tn.Name}, names)
	names, err = s.SSORequiredTenants(ctx, owner.ID)
	require.NoError(t, err)
	require.Empty(t, names)
	// A deleted tenant requires nothing any more.
	tn.Status, tn.UpdatedAt = tenant.StatusDeleted, now()
	require.NoError(t, s.TenantUpdate(ctx, tn))
	names, err = s.SSORequiredTenants(ctx, u.ID)
	require.NoError(t, err)
	require.Empty(t, names)

	// Identities: one user per issuer and subject.
	id := sso.Identity{ID: newID(), Issuer: c.Issuer, Subject: "sub-1", UserID: u.ID, Email: u.Email, CreatedAt: now()}
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.SSOIdentityCreate(ctx, id) }))
	gotID, err := s.SSOIdentityGet(ctx, c.Issuer, "sub-1")
	require.NoError(t, err)
	require.Equal(t, id, gotID)
	_, err = s.SSOIdentityGet(ctx, "https://other.example.com", "sub-1")
	require.ErrorIs(t, err, apperr.ErrNotFound, "a subject is the issuer's own")
	dup := id
	dup.ID, dup.UserID = newID(), owner.ID
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.SSOIdentityCreate(ctx, dup) })
	require.ErrorIs(t, err, apperr.ErrConflict)

	// Deleting the provider; again is not found.
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.SSOConfigDelete(ctx, tid) }))
	_, err = s.SSOConfigGet(ctx, tid)
	require.ErrorIs(t, err, apperr.ErrNotFound)
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.SSOConfigDelete(ctx, tid) })
	require.ErrorIs(t, err, apperr.ErrNotFound)

	// The user's deletion takes their identities.
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.UserDelete(ctx, u.ID) }))
	_, err = s.SSOIdentityGet(ctx, c.Issuer, "sub-1")
	require.ErrorIs(t, err, apperr.ErrNotFound)

	// The tenant's purge takes its provider.
	gone, _ := seedTenantUser(t, s)
	c.TenantID = gone
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.SSOConfigSave(ctx, c) }))
	g, err := s.TenantGetByID(ctx, gone)
	require.NoError(t, err)
	past := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	g.Status, g.PurgeAfter, g.UpdatedAt = tenant.StatusDeleted, &past, now()
	require.NoError(t, s.TenantUpdate(ctx, g))
	_, err = s.TenantPurgeRows(ctx, gone)
	require.NoError(t, err)
	_, err = s.SSOConfigGet(ctx, gone)
	require.ErrorIs(t, err, apperr.ErrNotFound)
}
