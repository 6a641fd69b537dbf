package order_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/store/storetest"
	"github.com/ordo/ordo/internal/testkit"
)

type testBundle struct {
	svc   *order.Service
	store *sqlitestore.Store
	p     access.Principal
}

func setup(t *testing.T) testBundle {
	t.Helper()
	return setupAt(t, func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) })
}

// setupAt is setup with the service's clock.
func setupAt(t *testing.T, now func() time.Time) testBundle {
	t.Helper()
	ctx := context.Background()
	log := testkit.Logger(t)
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "ordo.db"), log)
	require.NoError(t, err)
	t.Cleanup(st.Close)
	require.NoError(t, st.MigrateUp(ctx))
	tn, u := storetest.NewTenant(), storetest.NewUser()
	require.NoError(t, st.TenantCreate(ctx, tn))
	require.NoError(t, st.UserCreate(ctx, u))
	return testBundle{svc: order.NewService(store.Narrow[order.Tx]{Store: st}, now), store: st,
		p: access.Principal{UserID: u.ID, TenantID: tn.ID, Role: access.RoleOwner}}
}

func newOrder(currency string) order.Order {
	return order.Order{CustomerName: "Ada", CustomerEmail: "ada@example.com", Currency: currency,
		Items: []order.Item{{Name: "Widget", Quantity: 2, UnitPrice: 1000}}}
}

// The dashboard shows every committed change at once: its numbers are
// read from a rollup the database keeps in each write's transaction.
func TestDashboardFollowsWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	eur := func(d order.Dashboard) order.CurrencyStats {
		for _, c := range d.Currencies {
			if c.Currency == "EUR" {
				return c
			}
		}
		return order.CurrencyStats{}
	}

	d, err := b.svc.Dashboard(ctx, b.p)
	require.NoError(t, err)
	require.Empty(t, d.Currencies)
	require.Len(t, d.Daily, order.DashboardDays)
	require.Equal(t, "2026-11-26", d.Daily[order.DashboardDays-1].Day.Format(time.DateOnly))

	o, _, err := b.svc.Create(ctx, b.p, newOrder("EUR"), "", access.Meta{})
	require.NoError(t, err)
	d, err = b.svc.Dashboard(ctx, b.p)
	require.NoError(t, err)
	require.Equal(t, order.Totals{Orders: 1, Revenue: 2000}, eur(d).Today, "a create counts at once")
	require.Len(t, d.Recent, 1)

	disc := int64(500)
	_, err = b.svc.Update(ctx, b.p, o.ID, order.Patch{Discount: &disc}, nil, access.Meta{})
	require.NoError(t, err)
	d, err = b.svc.Dashboard(ctx, b.p)
	require.NoError(t, err)
	require.Equal(t, order.Totals{Orders: 1, Revenue: 1500}, eur(d).Last7Days, "an update changes the revenue")

	_, err = b.svc.Transition(ctx, b.p, o.ID, order.StatusCancelled, nil, access.Meta{})
	require.NoError(t, err)
	d, err = b.svc.Dashboard(ctx, b.p)
	require.NoError(t, err)
	require.Empty(t, d.Currencies, "cancelled orders count nowhere")
	require.Len(t, d.Recent, 1, "but are among the recent orders")

	require.NoError(t, b.svc.Delete(ctx, b.p, o.ID, access.Meta{}))
	d, err = b.svc.Dashboard(ctx, b.p)
	require.NoError(t, err)
	require.Empty(t, d.Recent, "a deleted order is gone")

	viewer := b.p
	viewer.Role = access.RoleViewer
	_, err = b.svc.Dashboard(ctx, viewer)
	require.NoError(t, err, "viewers may read the dashboard")
	_, err = b.svc.Dashboard(ctx, access.Principal{UserID: b.p.UserID})
	require.Error(t, err, "outside a tenant there is none")
}

// After midnight, yesterday's orders are no longer today's.
func TestDashboardNewDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	at := time.Date(2026, 11, 26, 23, 59, 0, 0, time.UTC)
	b := setupAt(t, func() time.Time { mu.Lock(); defer mu.Unlock(); return at })
	_, _, err := b.svc.Create(ctx, b.p, newOrder("EUR"), "", access.Meta{})
	require.NoError(t, err)
	d, err := b.svc.Dashboard(ctx, b.p)
	require.NoError(t, err)
	require.Equal(t, "2026-11-26", d.Daily[order.DashboardDays-1].Day.Format(time.DateOnly))
	require.Equal(t, int64(1), d.Currencies[0].Today.Orders)

	mu.Lock()
	at = at.Add(2 * time.Minute)
	mu.Unlock()
	d, err = b.svc.Dashboard(ctx, b.p)
	require.NoError(t, err)
	require.Equal(t, "2026-11-27", d.Daily[order.DashboardDays-1].Day.Format(time.DateOnly), "a new day")
	require.Zero(t, d.Currencies[0].Today.Orders, "yesterday's order is not today's")
}
