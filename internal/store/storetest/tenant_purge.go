package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/tenant"
)

// A deleted tenant is listed for purging once its purge time has come,
// and purging removes its rows and nothing of another tenant's; an
// active tenant is never purged.
func testTenantPurge(t *testing.T, s store.Store) {
	ctx := context.Background()
	gone, _ := seedTenantUser(t, s)
	kept, _ := seedTenantUser(t, s)
	for _, id := range []uuid.UUID{gone, kept} {
		for range 3 {
			require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
				n, err := tx.OrderNextNumber(ctx, id)
				if err != nil {
					return err
				}
				return tx.OrderCreate(ctx, newOrder(id, n, now()))
			}))
		}
	}
	_, err := s.TenantPurgeRows(ctx, kept)
	require.ErrorIs(t, err, apperr.ErrConflict, "an active tenant is not purged")

	// Far in the past, so that no other test's tenant is due before it.
	at := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	tn, err := s.TenantGetByID(ctx, gone)
	require.NoError(t, err)
	tn.Status, tn.PurgeAfter, tn.UpdatedAt = tenant.StatusDeleted, &at, now()
	require.NoError(t, s.TenantUpdate(ctx, tn))
	got, err := s.TenantGetByID(ctx, gone)
	require.NoError(t, err)
	require.NotNil(t, got.PurgeAfter)
	require.True(t, at.Equal(*got.PurgeAfter), "purge_after kept: %v", got.PurgeAfter)

	due := func(now time.Time) []uuid.UUID {
		ts, err := s.TenantListPurgeDue(ctx, now, 1000)
		require.NoError(t, err)
		var ids []uuid.UUID
		for _, x := range ts {
			if x.ID == gone || x.ID == kept {
				ids = append(ids, x.ID)
			}
		}
		return ids
	}
	require.Empty(t, due(at.Add(-time.Second)), "not due before its time")
	require.Equal(t, []uuid.UUID{gone}, due(at), "due at its time")

	n, err := s.TenantPurgeRows(ctx, gone)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, int64(4), "three orders and the tenant at least")
	_, err = s.TenantGetByID(ctx, gone)
	require.ErrorIs(t, err, apperr.ErrNotFound)
	left, err := s.OrderList(ctx, order.ListParams{TenantID: gone, Sort: order.SortCreatedAt, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, left)
	other, err := s.OrderList(ctx, order.ListParams{TenantID: kept, Sort: order.SortCreatedAt, Limit: 10})
	require.NoError(t, err)
	require.Len(t, other, 3, "another tenant's orders stay")
	require.Empty(t, due(at.Add(time.Hour)))
}
