package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/webhook"
)

// walkPages reads a keyset-paged list two rows a page, forward to the end
// and back to the start, and returns the ids in the list's order. It
// fails when the walk back does not see the same rows, each once.
func walkPages[T any](t *testing.T, id func(T) uuid.UUID, read func(page.Request) ([]T, error)) []uuid.UUID {
	t.Helper()
	var fwd []uuid.UUID
	r := page.Request{Limit: 2}
	var last page.Page[T]
	for range 100 {
		p, err := page.Read(r, id, read)
		require.NoError(t, err)
		for _, row := range p.Rows {
			fwd = append(fwd, id(row))
		}
		last = p
		if p.Next == nil {
			break
		}
		r = page.Request{After: p.Next, Limit: 2}
	}
	back := slices.Clone(fwd[len(fwd)-len(last.Rows):])
	for prev := last.Prev; prev != nil; {
		p, err := page.Read(page.Request{Before: prev, Limit: 2}, id, read)
		require.NoError(t, err)
		ids := make([]uuid.UUID, len(p.Rows))
		for i, row := range p.Rows {
			ids[i] = id(row)
		}
		back = append(ids, back...)
		prev = p.Prev
	}
	require.Equal(t, fwd, back, "walking back sees the rows walking forward saw")
	return fwd
}

// testKeysetPages pages every list read through sqlshared.PageQuery
// that the conformance suite does not page elsewhere: in order, every row
// once, both ways, and never a row of another tenant even with its id as
// the cursor.
func testKeysetPages(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, owner := seedTenantUser(t, s)
	b, other := seedTenantUser(t, s)
	n := now()
	require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: a, UserID: owner.ID, Role: access.RoleOwner, CreatedAt: n, UpdatedAt: n}))

	var keys, users, eps []uuid.UUID
	for i := range 5 {
		k := account.APIKey{ID: newID(), TenantID: a, Name: "k", Prefix: "p" + newID().String()[24:], SecretHash: randomHash(), Role: access.RoleMember, CreatedAt: n}
		require.NoError(t, s.APIKeyCreate(ctx, k))
		keys = append(keys, k.ID)
		u := NewUser()
		require.NoError(t, s.UserCreate(ctx, u))
		require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: a, UserID: u.ID, Role: access.RoleViewer, CreatedAt: n, UpdatedAt: n}))
		users = append(users, u.ID)
		if i < 3 {
			eps = append(eps, createEndpoint(t, s, a).ID)
		}
	}
	theirKey := account.APIKey{ID: newID(), TenantID: b, Name: "k", Prefix: "p" + newID().String()[24:], SecretHash: randomHash(), Role: access.RoleMember, CreatedAt: n}
	require.NoError(t, s.APIKeyCreate(ctx, theirKey))
	theirEndpoint := createEndpoint(t, s, b)
	// The owner joined tenant b too: their tenants page across both.
	require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: b, UserID: owner.ID, Role: access.RoleViewer, CreatedAt: n, UpdatedAt: n}))

	slices.Reverse(keys) // newest first
	got := walkPages(t, func(k account.APIKey) uuid.UUID { return k.ID }, func(r page.Request) ([]account.APIKey, error) {
		return s.APIKeyPageByTenant(ctx, a, r)
	})
	require.Equal(t, keys, got)

	got = walkPages(t, func(m account.Membership) uuid.UUID { return m.UserID }, func(r page.Request) ([]account.Membership, error) {
		return s.MembershipPageByTenant(ctx, a, r)
	})
	require.Equal(t, append([]uuid.UUID{owner.ID}, users...), got, "members in the order of their user ids")

	got = walkPages(t, func(e webhook.Endpoint) uuid.UUID { return e.ID }, func(r page.Request) ([]webhook.Endpoint, error) {
		return s.WebhookEndpointPage(ctx, a, r)
	})
	require.Equal(t, eps, got, "endpoints oldest first")

	got = walkPages(t, func(m account.Membership) uuid.UUID { return m.TenantID }, func(r page.Request) ([]account.Membership, error) {
		return s.MembershipPageByUser(ctx, owner.ID, r)
	})
	require.Equal(t, []uuid.UUID{a, b}, got)

	// Another tenant's id as the cursor selects rows of this tenant only.
	for _, r := range []page.Request{{After: &theirKey.ID, Limit: 100}, {Before: &theirKey.ID, Limit: 100}} {
		ks, err := s.APIKeyPageByTenant(ctx, a, r)
		require.NoError(t, err)
		for _, k := range ks {
			require.Equal(t, a, k.TenantID)
		}
		es, err := s.WebhookEndpointPage(ctx, a, page.Request{After: &theirEndpoint.ID, Limit: 100})
		require.NoError(t, err)
		for _, e := range es {
			require.Equal(t, a, e.TenantID)
		}
		ms, err := s.MembershipPageByTenant(ctx, a, page.Request{After: &other.ID, Limit: 100})
		require.NoError(t, err)
		for _, m := range ms {
			require.Equal(t, a, m.TenantID)
		}
	}
}
