package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/store"
)

// Usage counts add up under concurrent transactions, per tenant and
// month; a tenant's plan and overrides read back as written.
func testPlanUsageAndLimits(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, owner := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	dec := plan.Month(time.Date(2026, 12, 17, 23, 0, 0, 0, time.UTC))
	jan := plan.Month(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))

	var wg sync.WaitGroup
	seen := make(chan int64, 8)
	for range 8 {
		wg.Go(func() {
			require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
				num, n, err := tx.OrderNextNumberCounted(ctx, a, dec)
				if num != n {
					return fmt.Errorf("order number %d counted as %d: a fresh tenant's are equal", num, n)
				}
				seen <- n
				return err
			}))
		})
	}
	wg.Wait()
	close(seen)
	got := map[int64]bool{}
	for n := range seen {
		got[n] = true
	}
	require.Len(t, got, 8, "each transaction saw its own count: %v", got)
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		n, err := tx.UsageAddOrders(ctx, b, jan, 2)
		require.Equal(t, int64(2), n)
		return err
	}))
	_, _, err := s.OrderNextNumberCounted(ctx, uuid.New(), dec)
	require.ErrorIs(t, err, apperr.ErrNotFound, "no such tenant")
	for _, c := range []struct {
		tenant uuid.UUID
		month  time.Time
		want   int64
	}{{a, dec, 8}, {a, jan, 0}, {b, dec, 0}, {b, jan, 2}} {
		n, err := s.UsageOrders(ctx, c.tenant, c.month)
		require.NoError(t, err)
		require.Equal(t, c.want, n, "%s %s", c.tenant, c.month)
	}

	var members, hooks int64
	require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: a, UserID: owner.ID, Role: access.RoleOwner, CreatedAt: now(), UpdatedAt: now()}))
	members, hooks, err = s.UsageCounts(ctx, a)
	require.NoError(t, err)
	require.Equal(t, int64(1), members)
	require.Zero(t, hooks)

	// Overrides: the plan's, then the tenant's. Plan overrides are
	// global: this test uses a limit name no other test sets on "pro".
	require.NoError(t, s.PlanLimitSet(ctx, "enterprise", plan.WebhookEndpoints, 7))
	require.NoError(t, s.PlanLimitSet(ctx, "enterprise", plan.WebhookEndpoints, 8)) // replaces
	require.NoError(t, s.TenantLimitSet(ctx, a, plan.Members, 2))
	require.NoError(t, s.TenantLimitSet(ctx, a, plan.Members, plan.Unlimited))
	p, po, to, err := s.PlanOf(ctx, a)
	require.NoError(t, err)
	require.Equal(t, "free", p)
	require.Equal(t, map[string]int64{string(plan.Members): plan.Unlimited}, to)
	_, ok := po[string(plan.WebhookEndpoints)]
	require.False(t, ok, "a free tenant does not see the enterprise plan's overrides")
	require.NoError(t, s.TenantLimitDelete(ctx, a, plan.Members))
	require.NoError(t, s.PlanLimitDelete(ctx, "enterprise", plan.WebhookEndpoints))
	_, _, to, err = s.PlanOf(ctx, a)
	require.NoError(t, err)
	require.Empty(t, to)
}
