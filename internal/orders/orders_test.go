package orders_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
)

// An order's idempotency key makes a repeat return the first order for a
// day (whatever the HTTP layer remembers), and is free again after.
func TestCreateIdempotencyKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	b := setupAt(t, false, func() time.Time { mu.Lock(); defer mu.Unlock(); return at })
	svc, p, st, tenantID := b.svc, b.p, b.store, b.p.TenantID

	first, replayed, err := svc.Create(ctx, p, newOrder("EUR"), "key-1", access.Meta{})
	require.NoError(t, err)
	require.False(t, replayed)
	require.Equal(t, int64(1), first.Number)

	again, replayed, err := svc.Create(ctx, p, newOrder("EUR"), "key-1", access.Meta{})
	require.NoError(t, err)
	require.True(t, replayed)
	require.Equal(t, first.ID, again.ID)

	other, replayed, err := svc.Create(ctx, p, newOrder("EUR"), "key-2", access.Meta{})
	require.NoError(t, err)
	require.False(t, replayed)
	require.Equal(t, int64(2), other.Number, "the repeat used no number")

	mu.Lock()
	at = at.Add(25 * time.Hour)
	mu.Unlock()
	later, replayed, err := svc.Create(ctx, p, newOrder("EUR"), "key-1", access.Meta{})
	require.NoError(t, err)
	require.False(t, replayed, "a day later the key is free again")
	require.NotEqual(t, first.ID, later.ID)
	require.Equal(t, int64(3), later.Number)
	require.Empty(t, later.IdempotencyKey, "the key stays with the first order")
	got, err := st.OrderGetByIdempotencyKey(ctx, tenantID, "key-1")
	require.NoError(t, err)
	require.Equal(t, first.ID, got.ID)
}
