package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
)

func testOrderDailyStats(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	add := func(tenantID uuid.UUID, at time.Time, currency string, status order.Status) order.Order {
		t.Helper()
		var o order.Order
		require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
			n, err := tx.OrderNextNumber(ctx, tenantID)
			if err != nil {
				return err
			}
			o = newOrder(tenantID, n, at)
			o.Currency = currency
			if err := tx.OrderCreate(ctx, o); err != nil {
				return err
			}
			if status == order.StatusPending {
				return nil
			}
			o.Status, o.Version, o.Items = status, 2, nil
			return tx.OrderUpdate(ctx, o)
		}))
		return o
	}
	since := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return since.AddDate(0, 0, d) }

	add(a, since.Add(-time.Microsecond), "EUR", order.StatusPending) // just before since
	e1 := add(a, since, "EUR", order.StatusPending)                  // exactly since: counted
	e2 := add(a, day(0).Add(15*time.Hour), "EUR", order.StatusShipped)
	u1 := add(a, day(0).Add(16*time.Hour), "USD", order.StatusPending)
	add(a, day(0).Add(17*time.Hour), "EUR", order.StatusCancelled) // cancelled: left out
	e3 := add(a, day(2).Add(-time.Microsecond), "EUR", order.StatusDelivered)
	j1 := add(a, day(2), "JPY", order.StatusProcessing)
	add(b, day(0).Add(time.Hour), "EUR", order.StatusPending) // another tenant

	// since in another zone is the same instant.
	got, err := s.OrderDailyStats(ctx, a, since.In(time.FixedZone("UTC+2", 2*3600)))
	require.NoError(t, err)
	want := []order.DayStat{
		{Day: day(0), Currency: "EUR", Orders: 2, Revenue: e1.Total + e2.Total},
		{Day: day(0), Currency: "USD", Orders: 1, Revenue: u1.Total},
		{Day: day(1), Currency: "EUR", Orders: 1, Revenue: e3.Total},
		{Day: day(2), Currency: "JPY", Orders: 1, Revenue: j1.Total},
	}
	require.Len(t, got, len(want))
	for i := range want {
		require.Truef(t, want[i].Day.Equal(got[i].Day), "row %d: day %v, want %v", i, got[i].Day, want[i].Day)
		require.Equal(t, time.UTC, got[i].Day.Location(), "days are UTC midnights")
		got[i].Day = want[i].Day
		require.Equal(t, want[i], got[i], "row %d", i)
	}

	got, err = s.OrderDailyStats(ctx, a, day(3))
	require.NoError(t, err)
	require.Empty(t, got, "nothing since a later day")

	got, err = s.OrderDailyStats(ctx, uuid.Must(uuid.NewV7()), since)
	require.NoError(t, err)
	require.Empty(t, got, "an unknown tenant has no orders")
}
