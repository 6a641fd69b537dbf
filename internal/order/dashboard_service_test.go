package order_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/cache"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/store/storetest"
	"github.com/ordo/ordo/internal/testkit"
)

// countingCache is a Memory cache that counts hits and deletions, or
// fails every call when broken.
type countingCache struct {
	*cache.Memory
	mu            sync.Mutex
	hits, deletes int
	broken        bool
}

var errDown = errors.New("cache down")

func (c *countingCache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if c.broken {
		return nil, false, errDown
	}
	v, ok, err := c.Memory.Get(ctx, key)
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.hits++
	}
	return v, ok, err
}

func (c *countingCache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if c.broken {
		return errDown
	}
	return c.Memory.Set(ctx, key, value, ttl)
}

func (c *countingCache) Delete(ctx context.Context, keys ...string) error {
	if c.broken {
		return errDown
	}
	c.mu.Lock()
	c.deletes++
	c.mu.Unlock()
	return c.Memory.Delete(ctx, keys...)
}

type testBundle struct {
	svc   *order.Service
	cache *countingCache
	store *sqlitestore.Store
	p     access.Principal
}

func setup(t *testing.T, broken bool) testBundle {
	t.Helper()
	return setupAt(t, broken, func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) })
}

// setupAt is setup with the service's clock.
func setupAt(t *testing.T, broken bool, now func() time.Time) testBundle {
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
	c := &countingCache{Memory: cache.NewMemory(100), broken: broken}
	return testBundle{svc: order.NewService(store.Narrow[order.Tx]{Store: st}, now).WithCache(c, log), cache: c, store: st,
		p: access.Principal{UserID: u.ID, TenantID: tn.ID, Role: access.RoleOwner}}
}

func newOrder(currency string) order.Order {
	return order.Order{CustomerName: "Ada", CustomerEmail: "ada@example.com", Currency: currency,
		Items: []order.Item{{Name: "Widget", Quantity: 2, UnitPrice: 1000}}}
}

func TestDashboardCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, false)
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
	_, err = b.svc.Dashboard(ctx, b.p)
	require.NoError(t, err)
	require.Equal(t, 1, b.cache.hits, "the second read comes from the cache")

	o, _, err := b.svc.Create(ctx, b.p, newOrder("EUR"), "", access.Meta{})
	require.NoError(t, err)
	d, err = b.svc.Dashboard(ctx, b.p)
	require.NoError(t, err)
	require.Equal(t, order.Totals{Orders: 1, Revenue: 2000}, eur(d).Today, "a create drops the cached numbers")
	require.Len(t, d.Recent, 1)

	disc := int64(500)
	_, err = b.svc.Update(ctx, b.p, o.ID, order.Patch{Discount: &disc}, nil, access.Meta{})
	require.NoError(t, err)
	d, err = b.svc.Dashboard(ctx, b.p)
	require.NoError(t, err)
	require.Equal(t, order.Totals{Orders: 1, Revenue: 1500}, eur(d).Last7Days, "so does an update")

	_, err = b.svc.Transition(ctx, b.p, o.ID, order.StatusCancelled, nil, access.Meta{})
	require.NoError(t, err)
	d, err = b.svc.Dashboard(ctx, b.p)
	require.NoError(t, err)
	require.Empty(t, d.Currencies, "so does a transition; cancelled orders count nowhere")
	require.Len(t, d.Recent, 1, "but are among the recent orders")

	require.NoError(t, b.svc.Delete(ctx, b.p, o.ID, access.Meta{}))
	d, err = b.svc.Dashboard(ctx, b.p)
	require.NoError(t, err)
	require.Empty(t, d.Recent, "so does a delete")
	require.Equal(t, 4, b.cache.deletes)

	// A failed write invalidates nothing.
	_, _, err = b.svc.Create(ctx, b.p, order.Order{}, "", access.Meta{})
	require.Error(t, err)
	require.Equal(t, 4, b.cache.deletes)

	viewer := b.p
	viewer.Role = access.RoleViewer
	_, err = b.svc.Dashboard(ctx, viewer)
	require.NoError(t, err, "viewers may read the dashboard")
	_, err = b.svc.Dashboard(ctx, access.Principal{UserID: b.p.UserID})
	require.Error(t, err, "outside a tenant there is none")
}

func TestDashboardCacheDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, true)
	_, _, err := b.svc.Create(ctx, b.p, newOrder("JPY"), "", access.Meta{})
	require.NoError(t, err, "a broken cache does not fail writes")
	d, err := b.svc.Dashboard(ctx, b.p)
	require.NoError(t, err, "nor reads")
	require.Len(t, d.Currencies, 1)
	require.Equal(t, order.Totals{Orders: 1, Revenue: 2000}, d.Currencies[0].Today)
}

func TestDashboardNoCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, false)
	svc := b.svc.WithCache(nil, nil) // back to no caching
	_, _, err := svc.Create(ctx, b.p, newOrder("EUR"), "", access.Meta{})
	require.NoError(t, err)
	d, err := svc.Dashboard(ctx, b.p)
	require.NoError(t, err)
	require.Len(t, d.Currencies, 1)
	require.Zero(t, b.cache.deletes+b.cache.hits, "the cache is not used")
}

// A cached dashboard of yesterday is not served after midnight.
func TestDashboardCacheNewDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	at := time.Date(2026, 11, 26, 23, 59, 0, 0, time.UTC)
	b := setupAt(t, false, func() time.Time { mu.Lock(); defer mu.Unlock(); return at })
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
	require.Equal(t, "2026-11-27", d.Daily[order.DashboardDays-1].Day.Format(time.DateOnly), "a new day, not the cached one")
	require.Zero(t, d.Currencies[0].Today.Orders, "yesterday's order is not today's")
}
