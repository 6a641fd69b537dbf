package storetest

import (
	"context"
	"slices"
	"strings"
	"sync"
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

// testOrderDailyStatsFollowsWrites checks the rollup behind
// OrderDailyStats against a sum made in Go after every kind of write an
// order gets: creates (some of them concurrent, in one tenant), a status
// change into and out of cancelled, a total and a currency change, and a
// delete.
func testOrderDailyStatsFollowsWrites(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	day0 := time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC)
	orders := map[uuid.UUID]order.Order{}
	var mu sync.Mutex
	create := func(at time.Time, currency string) order.Order {
		var o order.Order
		require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
			n, err := tx.OrderNextNumber(ctx, a)
			if err != nil {
				return err
			}
			o = newOrder(a, n, at)
			o.Currency = currency
			return tx.OrderCreate(ctx, o)
		}))
		mu.Lock()
		orders[o.ID] = o
		mu.Unlock()
		return o
	}
	update := func(o *order.Order) {
		o.Version++
		o.Items = nil
		require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.OrderUpdate(ctx, *o) }))
		orders[o.ID] = *o
	}

	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 4 {
				create(day0.Add(time.Duration(g*4+i)*time.Minute), []string{"EUR", "USD"}[i%2])
			}
		})
	}
	wg.Wait()
	x := create(day0.AddDate(0, 0, 1).Add(time.Hour), "EUR")
	y := create(day0.AddDate(0, 0, 2).Add(time.Hour), "EUR")
	z := create(day0.AddDate(0, 0, 2).Add(2*time.Hour), "GBP")

	x.Status = order.StatusCancelled // counted → left out
	update(&x)
	x.Status = order.StatusPending // and back
	update(&x)
	y.Total += 12345 // a new total
	update(&y)
	y.Currency = "JPY" // moves to another currency's row
	update(&y)
	z.Status = order.StatusCancelled
	update(&z)
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.OrderDelete(ctx, a, x.ID) }))
	delete(orders, x.ID)

	type key struct {
		day      time.Time
		currency string
	}
	sums := map[key]order.DayStat{}
	for _, o := range orders {
		if o.Status == order.StatusCancelled {
			continue
		}
		k := key{order.Today(o.CreatedAt), o.Currency}
		d := sums[k]
		d.Day, d.Currency = k.day, k.currency
		d.Orders++
		d.Revenue += o.Total
		sums[k] = d
	}
	want := make([]order.DayStat, 0, len(sums))
	for _, d := range sums {
		want = append(want, d)
	}
	slices.SortFunc(want, func(p, q order.DayStat) int {
		if c := p.Day.Compare(q.Day); c != 0 {
			return c
		}
		return strings.Compare(p.Currency, q.Currency)
	})
	got, err := s.OrderDailyStats(ctx, a, day0)
	require.NoError(t, err)
	require.Len(t, got, len(want), "got %+v", got)
	for i := range want {
		require.Truef(t, want[i].Day.Equal(got[i].Day), "row %d: day %v, want %v", i, got[i].Day, want[i].Day)
		got[i].Day = want[i].Day
		require.Equal(t, want[i], got[i], "row %d", i)
	}
}
