package web_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
)

// TestOrdersListTiming measures the orders page on PostgreSQL with a
// tenant of ORDO_TIMING_ORDERS orders (say 100000): the page's p50, and
// the list read and the capped count on their own, so the count's share
// is known. Skipped unless the variable is set: it seeds for a minute.
func TestOrdersListTiming(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ORDO_TIMING_ORDERS"))
	if n == 0 {
		t.Skip("set ORDO_TIMING_ORDERS to measure")
	}
	a := newApp(t, backends[1], nil)
	owner, _, tenantID := a.signup(t, uniqueEmail("timing"))
	tid := uuid.MustParse(tenantID)
	ctx := t.Context()
	statuses := []order.Status{order.StatusPending, order.StatusProcessing, order.StatusShipped, order.StatusDelivered, order.StatusCancelled}
	base := time.Now().UTC().Add(-time.Duration(n) * time.Minute)
	for done := 0; done < n; {
		require.NoError(t, a.store.InTx(ctx, func(tx store.Tx) error {
			for i := 0; i < 5000 && done < n; i, done = i+1, done+1 {
				num, err := tx.OrderNextNumber(ctx, tid)
				if err != nil {
					return err
				}
				at := base.Add(time.Duration(done) * time.Minute)
				name := "Grace Hopper"
				if done%7 == 0 {
					name = "Alan Turing"
				}
				o := order.Order{ID: uuid.Must(uuid.NewV7()), TenantID: tid, Number: num, Status: statuses[done%5], CustomerName: name,
					CustomerEmail: "c@example.com", Currency: "EUR", Total: int64(done*7919) % 100000, Version: 1, CreatedAt: at, UpdatedAt: at}
				if err := tx.OrderCreate(ctx, o); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	p50 := func(f func()) time.Duration {
		var ds []time.Duration
		for range 15 {
			start := time.Now()
			f()
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	day := base.Add(time.Duration(n/2) * time.Minute).Format("2006-01-02")
	for _, c := range []struct {
		query string
		lp    order.ListParams
	}{
		{"", order.ListParams{Sort: order.SortCreatedAt, Desc: true}},
		{"sort=-total", order.ListParams{Sort: order.SortTotal, Desc: true}},
		{"sort=number", order.ListParams{Sort: order.SortNumber}},
		{"status=shipped&sort=-total", order.ListParams{Status: order.StatusShipped, Sort: order.SortTotal, Desc: true}},
		{"q=alan", order.ListParams{Query: "alan", Sort: order.SortCreatedAt, Desc: true}},
		{"created_from=" + day + "&created_to=" + day, order.ListParams{Sort: order.SortCreatedAt, Desc: true}},
	} {
		lp := c.lp
		lp.TenantID, lp.Limit = tid, 51
		page := p50(func() { require.Equal(t, 200, owner.get(t, "/app/orders?"+c.query).status) })
		list := p50(func() { _, err := a.store.OrderList(ctx, lp); require.NoError(t, err) })
		count := p50(func() { _, err := a.store.OrderCountUpTo(ctx, lp, order.CountCap); require.NoError(t, err) })
		t.Logf("%-40s page p50 %-12v list read p50 %-12v count p50 %v", fmt.Sprintf("%q", c.query), page, list, count)
	}
}
