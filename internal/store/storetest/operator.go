package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store"
)

// testOperatorConsole covers the operator console's queries: operators,
// disabled users, the user search, the tenant overview and the platform
// audit log (with a tenant's entries anonymised by its purge's query).
func testOperatorConsole(t *testing.T, s store.Store) {
	ctx := context.Background()
	tid, u := seedTenantUser(t, s)
	at := now()
	require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: tid, UserID: u.ID, Role: access.RoleOwner, CreatedAt: at, UpdatedAt: at}))

	// Operators.
	is, err := s.OperatorIs(ctx, u.ID)
	require.NoError(t, err)
	require.False(t, is)
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.OperatorAdd(ctx, u.ID, at) }))
	require.NoError(t, s.OperatorAdd(ctx, u.ID, at), "adding twice is fine")
	is, err = s.OperatorIs(ctx, u.ID)
	require.NoError(t, err)
	require.True(t, is)
	ops, err := s.OperatorList(ctx)
	require.NoError(t, err)
	var found bool
	for _, o := range ops {
		if o.User.ID == u.ID {
			found = true
			require.Equal(t, u.Email, o.User.Email)
			require.WithinDuration(t, at, o.Since, time.Millisecond)
		}
	}
	require.True(t, found, "operator listed")
	require.NoError(t, s.OperatorRemove(ctx, u.ID))
	requireKind(t, s.OperatorRemove(ctx, u.ID), apperr.ErrNotFound)

	// Disabling, read back by every user query.
	require.NoError(t, s.UserSetDisabled(ctx, u.ID, &at, at))
	got, err := s.UserGetByID(ctx, u.ID)
	require.NoError(t, err)
	require.NotNil(t, got.DisabledAt)
	require.WithinDuration(t, at, *got.DisabledAt, time.Millisecond)
	us, err := s.UserSearch(ctx, u.ID.String(), page.Request{Limit: 10})
	require.NoError(t, err)
	require.Len(t, us, 1, "found by a part of the e-mail")
	require.NotNil(t, us[0].DisabledAt)
	us, err = s.UserSearch(ctx, u.ID.String(), page.Request{After: &u.ID, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, us, "nothing after the last")
	require.NoError(t, s.UserSetDisabled(ctx, u.ID, nil, at))
	got, err = s.UserGetByID(ctx, u.ID)
	require.NoError(t, err)
	require.Nil(t, got.DisabledAt)
	requireKind(t, s.UserSetDisabled(ctx, newID(), nil, at), apperr.ErrNotFound)

	// The tenant overview: one member, no orders, no storage; its audit
	// entry is its last activity.
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		return access.Operator(tid).Audit(ctx, tx, access.Meta{}, at, tid, "tenant.plan_changed", "tenant", tid.String(), nil)
	}))
	ov, err := s.TenantOverviewGet(ctx, tid)
	require.NoError(t, err)
	require.Equal(t, tid, ov.Tenant.ID)
	require.Equal(t, int64(1), ov.Members)
	require.Zero(t, ov.Orders)
	require.Zero(t, ov.StorageBytes)
	require.NotNil(t, ov.LastActivity)
	require.WithinDuration(t, at, *ov.LastActivity, time.Millisecond)
	list, err := s.TenantOverviewList(ctx, ov.Tenant.Slug, page.Request{Limit: 10})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, ov, list[0])
	_, err = s.TenantOverviewGet(ctx, newID())
	requireKind(t, err, apperr.ErrNotFound)

	// The platform log: the operator's audit wrote there too, with the
	// tenant; an entry on no tenant has none.
	require.NoError(t, s.PlatformAuditInsert(ctx, audit.Entry{ID: newID(), ActorType: "system", Action: "operator.added", EntityType: "user", EntityID: u.ID.String(), CreatedAt: at}))
	es, err := s.PlatformAuditList(ctx, &tid, page.Request{Limit: 10})
	require.NoError(t, err)
	require.Len(t, es, 1)
	require.Equal(t, "tenant.plan_changed", es[0].Action)
	require.Equal(t, tid, es[0].TenantID)
	es, err = s.PlatformAuditList(ctx, nil, page.Request{Limit: 500})
	require.NoError(t, err)
	var none bool
	for _, x := range es {
		if x.EntityID == u.ID.String() && x.Action == "operator.added" {
			none = x.TenantID == uuid.Nil
		}
	}
	require.True(t, none, "an entry on no tenant is listed without one")
	before := es[0].ID
	older, err := s.PlatformAuditList(ctx, nil, page.Request{After: &before, Limit: 1})
	require.NoError(t, err)
	require.Len(t, older, 1, "this test's two entries: one is older than the newest")
	for _, x := range older {
		require.Less(t, x.ID.String(), before.String())
	}
}
