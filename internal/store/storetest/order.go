package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/idempotency"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store"
)

// newOrder builds a valid order for tenantID with number n, not stored.
func newOrder(tenantID uuid.UUID, n int64, at time.Time) order.Order {
	o := order.Order{ID: newID(), TenantID: tenantID, Number: n, Status: order.StatusPending,
		CustomerName: fmt.Sprintf("Customer %d", n), CustomerEmail: fmt.Sprintf("c%d@example.com", n), Currency: "EUR",
		ShippingAddress: &order.Address{Line1: "1 Main St", City: "Lyon", Country: "FR"},
		Metadata:        json.RawMessage(`{"channel":"web"}`),
		Items: []order.Item{
			{ID: newID(), SKU: "W-1", Name: "Widget", Quantity: n%5 + 1, UnitPrice: 1000 + n, TaxRateBP: 2000},
			{ID: newID(), Name: "Gadget", Quantity: 1, UnitPrice: 250, Metadata: json.RawMessage(`{"gift":true}`)},
		},
		Version: 1, CreatedAt: at, UpdatedAt: at}
	order.Compute(&o)
	return o
}

// createOrder allocates a number and stores an order in one transaction.
func createOrder(t *testing.T, s store.Store, tenantID uuid.UUID, at time.Time) order.Order {
	t.Helper()
	ctx := context.Background()
	var o order.Order
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		n, err := tx.OrderNextNumber(ctx, tenantID)
		if err != nil {
			return err
		}
		o = newOrder(tenantID, n, at)
		return tx.OrderCreate(ctx, o)
	}))
	return o
}

func testOrders(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	o := createOrder(t, s, a, now())
	require.Equal(t, int64(1), o.Number, "numbers start at 1 per tenant")

	got, err := s.OrderGet(ctx, a, o.ID)
	require.NoError(t, err)
	require.Equal(t, o.CustomerName, got.CustomerName)
	require.Equal(t, o.Total, got.Total)
	require.Equal(t, "Lyon", got.ShippingAddress.City)
	require.Nil(t, got.BillingAddress)
	require.JSONEq(t, `{"channel":"web"}`, string(got.Metadata))
	require.Len(t, got.Items, 2)
	require.Equal(t, "Widget", got.Items[0].Name)
	require.Equal(t, 1, got.Items[0].Position)
	require.JSONEq(t, `{"gift":true}`, string(got.Items[1].Metadata))
	require.JSONEq(t, `{}`, string(got.Items[0].Metadata))
	require.Equal(t, int64(1), got.Version)
	require.True(t, o.CreatedAt.Equal(got.CreatedAt))

	_, err = s.OrderGet(ctx, b, o.ID)
	requireKind(t, err, apperr.ErrNotFound) // isolation

	// Update with the right version replaces fields and items.
	got.CustomerName = "Renamed"
	got.Items = got.Items[:1]
	got.Items[0].ID = newID()
	order.Compute(&got)
	got.Version = 2
	got.UpdatedAt = now()
	require.NoError(t, s.OrderUpdate(ctx, got))
	again, err := s.OrderGet(ctx, a, o.ID)
	require.NoError(t, err)
	require.Equal(t, "Renamed", again.CustomerName)
	require.Len(t, again.Items, 1)
	require.Equal(t, int64(2), again.Version)

	// A stale version is refused, and nothing changes.
	stale := again
	stale.CustomerName = "Lost update"
	stale.Version = 2
	err = s.OrderUpdate(ctx, stale)
	require.True(t, errors.Is(err, order.ErrStale), "got %v", err)
	cur, _ := s.OrderGet(ctx, a, o.ID)
	require.Equal(t, "Renamed", cur.CustomerName)

	other := again
	other.TenantID, other.Version = b, 3
	requireKind(t, s.OrderUpdate(ctx, other), apperr.ErrNotFound)
	requireKind(t, s.OrderDelete(ctx, b, o.ID), apperr.ErrNotFound)

	// Status history.
	require.NoError(t, s.OrderStatusChangeInsert(ctx, order.StatusChange{ID: newID(), TenantID: a, OrderID: o.ID, To: order.StatusPending, CreatedAt: now()}))
	require.NoError(t, s.OrderStatusChangeInsert(ctx, order.StatusChange{ID: newID(), TenantID: a, OrderID: o.ID, From: order.StatusPending, To: order.StatusProcessing, CreatedAt: now()}))
	hist, err := s.OrderStatusHistory(ctx, a, o.ID, page.Request{Limit: 100})
	require.NoError(t, err)
	require.Len(t, hist, 2)
	require.Equal(t, order.StatusProcessing, hist[1].To)
	err = s.OrderStatusChangeInsert(ctx, order.StatusChange{ID: newID(), TenantID: b, OrderID: o.ID, To: order.StatusPending, CreatedAt: now()})
	requireKind(t, err, apperr.ErrInvalid) // the schema refuses a cross-tenant link

	require.NoError(t, s.OrderDelete(ctx, a, o.ID))
	_, err = s.OrderGet(ctx, a, o.ID)
	requireKind(t, err, apperr.ErrNotFound)
	hist, err = s.OrderStatusHistory(ctx, a, o.ID, page.Request{Limit: 100})
	require.NoError(t, err)
	require.Empty(t, hist, "history goes with the order")

	// The idempotency key of a create is unique per tenant.
	k := newOrder(a, 100, now())
	k.IdempotencyKey = "key-1"
	require.NoError(t, s.OrderCreate(ctx, k))
	dup := newOrder(a, 101, now())
	dup.IdempotencyKey = "key-1"
	requireKind(t, s.OrderCreate(ctx, dup), apperr.ErrConflict)
	inB := newOrder(b, 1, now())
	inB.IdempotencyKey = "key-1"
	require.NoError(t, s.OrderCreate(ctx, inB))
	byKey, err := s.OrderGetByIdempotencyKey(ctx, a, "key-1")
	require.NoError(t, err)
	require.Equal(t, k.ID, byKey.ID)
}

// Concurrent creates never share an order number.
func testOrderNumbers(t *testing.T, s store.Store) {
	a, _ := seedTenantUser(t, s)
	const n = 20
	var wg sync.WaitGroup
	nums := make(chan int64, n)
	for range n {
		wg.Go(func() {
			o := createOrder(t, s, a, now())
			nums <- o.Number
		})
	}
	wg.Wait()
	close(nums)
	var got []int
	for x := range nums {
		got = append(got, int(x))
	}
	sort.Ints(got)
	for i, x := range got {
		require.Equal(t, i+1, x, "numbers are 1..%d without gaps or repeats: %v", n, got)
	}
}

func testOrderList(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	base := now().Add(-time.Hour)
	var all []order.Order
	for i := range 7 {
		all = append(all, createOrder(t, s, a, base.Add(time.Duration(i)*time.Minute)))
	}
	createOrder(t, s, b, base)
	// Make one order processing and distinctive.
	special := all[3]
	special.Status, special.CustomerName, special.ExternalRef = order.StatusProcessing, "Zoë O'Brien", "PO-100%_x"
	special.Version = 2
	require.NoError(t, s.OrderUpdate(ctx, special))

	page := func(p order.ListParams) []order.Order {
		t.Helper()
		p.TenantID = a
		if p.Limit == 0 {
			p.Limit = 100
		}
		os, err := s.OrderList(ctx, p)
		require.NoError(t, err)
		return os
	}
	ids := func(os []order.Order) []uuid.UUID {
		out := make([]uuid.UUID, len(os))
		for i, o := range os {
			out[i] = o.ID
		}
		return out
	}

	require.Len(t, page(order.ListParams{}), 7, "another tenant's orders never show")
	require.Len(t, page(order.ListParams{})[0].Items, 2, "lists carry items")
	bare := page(order.ListParams{WithoutItems: true})
	require.Equal(t, ids(page(order.ListParams{})), ids(bare), "the same page without items")
	require.Nil(t, bare[0].Items)
	require.Equal(t, page(order.ListParams{})[0].Total, bare[0].Total, "with its totals")

	// Keyset pages, newest first, cover everything once.
	var seen []uuid.UUID
	var after *order.Cursor
	for {
		os := page(order.ListParams{Sort: order.SortCreatedAt, Desc: true, Limit: 3, After: after})
		seen = append(seen, ids(os)...)
		if len(os) < 3 {
			break
		}
		last := os[len(os)-1]
		after = &order.Cursor{CreatedAt: last.CreatedAt, Total: last.Total, ID: last.ID}
	}
	require.Len(t, seen, 7)
	require.Equal(t, all[6].ID, seen[0])
	require.Equal(t, all[0].ID, seen[6])

	// Back again with Before, from past the last page: each page is the
	// one just before the cursor, in the list's order, and the walk
	// covers everything once, for both sorts and directions.
	for _, lp := range []order.ListParams{
		{Sort: order.SortCreatedAt, Desc: true},
		{Sort: order.SortCreatedAt},
		{Sort: order.SortTotal, Desc: true},
		{Sort: order.SortTotal},
	} {
		full := page(lp)
		require.Len(t, full, 7)
		var back []uuid.UUID
		lp.Limit = 3
		last := full[len(full)-1]
		// The cursor of the last row is the key of the "page after the end".
		before := &order.Cursor{CreatedAt: last.CreatedAt, Total: last.Total, ID: last.ID}
		back = append(back, last.ID)
		for range len(full) { // bounded: a store that ignores Before must fail, not loop
			lp.Before = before
			os := page(lp)
			back = append(ids(os), back...)
			if len(os) < 3 {
				break
			}
			first := os[0]
			before = &order.Cursor{CreatedAt: first.CreatedAt, Total: first.Total, ID: first.ID}
		}
		require.Equal(t, ids(full), back, "sort %s desc %v", lp.Sort, lp.Desc)
		// The page before the 5th row is rows 2..4, in order.
		lp.Before = &order.Cursor{CreatedAt: full[4].CreatedAt, Total: full[4].Total, ID: full[4].ID}
		require.Equal(t, ids(full[1:4]), ids(page(lp)), "sort %s desc %v", lp.Sort, lp.Desc)
		// And with a filter: only the special order is processing.
		lp.Status = order.StatusProcessing
		lp.Before = &order.Cursor{CreatedAt: full[6].CreatedAt, Total: full[6].Total, ID: full[6].ID}
		want := []uuid.UUID{}
		if special.ID != full[6].ID && slices.Index(ids(full), special.ID) < 6 {
			want = []uuid.UUID{special.ID}
		}
		require.Equal(t, want, append([]uuid.UUID{}, ids(page(lp))...), "sort %s desc %v", lp.Sort, lp.Desc)
	}

	// By total, ascending, with a cursor.
	byTotal := page(order.ListParams{Sort: order.SortTotal})
	for i := 1; i < len(byTotal); i++ {
		require.LessOrEqual(t, byTotal[i-1].Total, byTotal[i].Total)
	}
	c := byTotal[2]
	rest := page(order.ListParams{Sort: order.SortTotal, After: &order.Cursor{Total: c.Total, ID: c.ID}})
	require.Equal(t, ids(byTotal[3:]), ids(rest))

	require.Equal(t, []uuid.UUID{special.ID}, ids(page(order.ListParams{Status: order.StatusProcessing})))
	require.Equal(t, []uuid.UUID{special.ID}, ids(page(order.ListParams{Query: "zoë"})), "search ignores case") // é is not ASCII: only z/o folded
	require.Equal(t, []uuid.UUID{special.ID}, ids(page(order.ListParams{Query: "100%_"})), "wildcards are literal")
	require.Equal(t, []uuid.UUID{all[1].ID}, ids(page(order.ListParams{Query: order.FormatNumber(all[1].Number)})))
	require.Equal(t, []uuid.UUID{all[2].ID}, ids(page(order.ListParams{CustomerEmail: all[2].CustomerEmail})))
	after2 := base.Add(5 * time.Minute)
	before := base.Add(6 * time.Minute)
	require.Equal(t, []uuid.UUID{all[5].ID}, ids(page(order.ListParams{CreatedAfter: &after2, CreatedBefore: &before})))
}

func testEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	var evs []event.Event
	for i := range 3 {
		e := event.Event{ID: newID(), TenantID: a, Type: event.OrderCreated, EntityID: fmt.Sprint(i), Data: json.RawMessage(`{"i":` + fmt.Sprint(i) + `}`), CreatedAt: now()}
		require.NoError(t, s.EventInsert(ctx, e))
		evs = append(evs, e)
	}
	require.NoError(t, s.EventInsert(ctx, event.Event{ID: newID(), TenantID: b, Type: event.OrderCreated, Data: json.RawMessage(`{}`), CreatedAt: now()}))
	got, err := s.EventListAfter(ctx, a, uuid.Nil, 10)
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.JSONEq(t, `{"i":0}`, string(got[0].Data))
	got, err = s.EventListAfter(ctx, a, evs[0].ID, 1)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, evs[1].ID, got[0].ID)

	one, err := s.EventGet(ctx, a, evs[1].ID)
	require.NoError(t, err)
	require.Equal(t, evs[1].ID, one.ID)
	require.Equal(t, a, one.TenantID)
	require.Equal(t, event.OrderCreated, one.Type)
	require.Equal(t, "1", one.EntityID)
	require.JSONEq(t, `{"i":1}`, string(one.Data))
	require.True(t, evs[1].CreatedAt.Equal(one.CreatedAt))
	_, err = s.EventGet(ctx, b, evs[1].ID)
	requireKind(t, err, apperr.ErrNotFound)
	_, err = s.EventGet(ctx, a, newID())
	requireKind(t, err, apperr.ErrNotFound)
}

func testIdempotency(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	n := now()
	rec := idempotency.Record{TenantID: a, Key: "k1", RequestHash: []byte("hash-1")}
	got, fresh, err := s.IdempotencyBegin(ctx, rec, n)
	require.NoError(t, err)
	require.True(t, fresh)
	require.False(t, got.Done)

	got, fresh, err = s.IdempotencyBegin(ctx, rec, n.Add(time.Second))
	require.NoError(t, err)
	require.False(t, fresh, "a second begin sees the first, in flight")
	require.False(t, got.Done)

	_, fresh, err = s.IdempotencyBegin(ctx, idempotency.Record{TenantID: b, Key: "k1", RequestHash: []byte("x")}, n)
	require.NoError(t, err)
	require.True(t, fresh, "keys are per tenant")

	rec.Done, rec.Status, rec.Headers, rec.Body = true, 201, map[string]string{"Location": "/x"}, []byte(`{"id":1}`)
	require.NoError(t, s.IdempotencyFinish(ctx, rec))
	got, fresh, err = s.IdempotencyBegin(ctx, rec, n.Add(2*time.Second))
	require.NoError(t, err)
	require.False(t, fresh)
	require.True(t, got.Done)
	require.Equal(t, 201, got.Status)
	require.Equal(t, "/x", got.Headers["Location"])
	require.Equal(t, `{"id":1}`, string(got.Body))
	require.Equal(t, []byte("hash-1"), got.RequestHash)

	// An in-flight request that died is taken over after StaleAfter.
	dead := idempotency.Record{TenantID: a, Key: "k2", RequestHash: []byte("h")}
	_, _, err = s.IdempotencyBegin(ctx, dead, n)
	require.NoError(t, err)
	_, fresh, err = s.IdempotencyBegin(ctx, dead, n.Add(idempotency.StaleAfter+time.Second))
	require.NoError(t, err)
	require.True(t, fresh)

	// After the TTL a finished key is forgotten.
	_, fresh, err = s.IdempotencyBegin(ctx, rec, n.Add(idempotency.TTL+time.Second))
	require.NoError(t, err)
	require.True(t, fresh)

	require.NoError(t, s.IdempotencyRelease(ctx, a, "k2"))
	_, fresh, err = s.IdempotencyBegin(ctx, dead, n)
	require.NoError(t, err)
	require.True(t, fresh, "a released key starts over")

	// A response whose effect keeps the key is stored the same way.
	keyed := idempotency.Record{TenantID: a, Key: "k3", RequestHash: []byte("h3")}
	_, _, err = s.IdempotencyBegin(ctx, keyed, n)
	require.NoError(t, err)
	keyed.Done, keyed.Status, keyed.Body, keyed.KeyedEffect = true, 201, []byte(`{"id":3}`), true
	require.NoError(t, s.IdempotencyFinish(ctx, keyed))
	got, fresh, err = s.IdempotencyBegin(ctx, keyed, n.Add(time.Second))
	require.NoError(t, err)
	require.False(t, fresh)
	require.True(t, got.Done)
	require.Equal(t, `{"id":3}`, string(got.Body))
}

// OrderScan gives what OrderList gives, page for page, one order at a
// time and without the JSON columns: items in position order, orders
// without items, filters, keyset continuation, and never another tenant's
// orders.
func testOrderScan(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	base := now().Add(-time.Hour)
	var all []order.Order
	for i := range 5 {
		all = append(all, createOrder(t, s, a, base.Add(time.Duration(i)*time.Minute)))
	}
	// An order without items, between the others.
	bare := newOrder(a, 99, base.Add(90*time.Second))
	bare.Items = nil
	require.NoError(t, s.OrderCreate(ctx, bare))
	shipped := all[2]
	shipped.Status, shipped.Version = order.StatusShipped, 2
	require.NoError(t, s.OrderUpdate(ctx, shipped))
	createOrder(t, s, b, base.Add(30*time.Second))

	scan := func(p order.ListParams) []order.Order {
		t.Helper()
		var out []order.Order
		require.NoError(t, s.OrderScan(ctx, p, func(o order.Order) error { out = append(out, o); return nil }))
		return out
	}
	for name, p := range map[string]order.ListParams{
		"oldest first":   {Sort: order.SortCreatedAt, Limit: 100},
		"newest first":   {Sort: order.SortCreatedAt, Desc: true, Limit: 100},
		"by total":       {Sort: order.SortTotal, Limit: 100},
		"a short page":   {Sort: order.SortCreatedAt, Limit: 2},
		"after a cursor": {Sort: order.SortCreatedAt, Limit: 3, After: &order.Cursor{CreatedAt: all[1].CreatedAt, ID: all[1].ID}},
		"a status":       {Sort: order.SortCreatedAt, Status: order.StatusShipped, Limit: 100},
		"nothing":        {Sort: order.SortCreatedAt, Status: order.StatusCancelled, Limit: 100},
	} {
		t.Run(name, func(t *testing.T) {
			p.TenantID = a
			want, err := s.OrderList(ctx, p)
			require.NoError(t, err)
			got := scan(p)
			require.Len(t, got, len(want))
			for i := range want {
				require.Equal(t, want[i].ID, got[i].ID)
				require.Equal(t, want[i].Status, got[i].Status)
				require.Equal(t, want[i].CustomerName, got[i].CustomerName)
				require.True(t, want[i].CreatedAt.Equal(got[i].CreatedAt))
				require.Equal(t, want[i].Total, got[i].Total)
				require.Equal(t, want[i].Version, got[i].Version)
				// The JSON columns are not read.
				require.NotNil(t, want[i].ShippingAddress)
				require.Nil(t, got[i].ShippingAddress)
				require.Empty(t, got[i].Metadata)
				require.Len(t, got[i].Items, len(want[i].Items))
				for j := range want[i].Items {
					w, g := want[i].Items[j], got[i].Items[j]
					require.JSONEq(t, string(w.Metadata), string(g.Metadata))
					w.Metadata, g.Metadata = nil, nil
					require.Equal(t, w, g)
				}
			}
		})
	}
	got := scan(order.ListParams{TenantID: a, Sort: order.SortCreatedAt, Limit: 100})
	require.Len(t, got, 6, "another tenant's orders never show")
	require.Equal(t, bare.ID, got[2].ID)
	require.NotNil(t, got[2].Items)
	require.Empty(t, got[2].Items, "an order without items is there, with none")
	require.Len(t, got[0].Items, 2)
	require.Equal(t, []int{1, 2}, []int{got[0].Items[0].Position, got[0].Items[1].Position})

	// An error from fn stops the scan and comes back as is.
	stop := errors.New("stop")
	n := 0
	err := s.OrderScan(ctx, order.ListParams{TenantID: a, Sort: order.SortCreatedAt, Limit: 100}, func(order.Order) error { n++; return stop })
	require.ErrorIs(t, err, stop)
	require.Equal(t, 1, n)
}

// Inside a transaction, writes are seen by the reads after them, whatever
// an engine does to save round trips; a write that fails fails the
// transaction with its error, and nothing of it is kept.
func testTxOrdering(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, u := seedTenantUser(t, s)
	var o order.Order
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		n, err := tx.OrderNextNumber(ctx, a)
		if err != nil {
			return err
		}
		o = newOrder(a, n, now())
		o.IdempotencyKey = "tx-key"
		if err := tx.OrderCreate(ctx, o); err != nil {
			return err
		}
		if err := tx.OrderStatusChangeInsert(ctx, order.StatusChange{ID: newID(), TenantID: a, OrderID: o.ID, To: order.StatusPending, CreatedAt: now()}); err != nil {
			return err
		}
		if err := tx.AuditInsert(ctx, audit.Entry{ID: newID(), TenantID: a, ActorType: "user", ActorID: &u.ID, Action: "order.created",
			EntityType: "order", EntityID: o.ID.String(), OrderID: &o.ID, CreatedAt: now()}); err != nil {
			return err
		}
		got, err := tx.OrderGet(ctx, a, o.ID)
		require.NoError(t, err, "the order written just before is there")
		require.Len(t, got.Items, 2)
		hist, err := tx.OrderStatusHistory(ctx, a, o.ID, page.Request{Limit: 100})
		require.NoError(t, err)
		require.Len(t, hist, 1)
		entries, err := tx.AuditList(ctx, a, audit.Filter{OrderID: &o.ID})
		require.NoError(t, err)
		require.Len(t, entries, 1)
		// Writes with nothing read after them are kept too.
		return tx.AuditInsert(ctx, audit.Entry{ID: newID(), TenantID: a, ActorType: "system", Action: "order.checked",
			EntityType: "order", EntityID: o.ID.String(), OrderID: &o.ID, CreatedAt: now()})
	}))
	entries, err := s.AuditList(ctx, a, audit.Filter{OrderID: &o.ID})
	require.NoError(t, err)
	require.Len(t, entries, 2)

	// A second order with the same key: the transaction fails with a
	// conflict, whether the failing insert was the last write or not, and
	// nothing it wrote is kept.
	for _, more := range []bool{false, true} {
		ev := event.Event{ID: newID(), TenantID: a, Type: event.OrderCreated, EntityID: "dup", Data: json.RawMessage(`{}`), CreatedAt: now()}
		err := s.InTx(ctx, func(tx store.Tx) error {
			dup := newOrder(a, 1000, now())
			dup.IdempotencyKey = "tx-key"
			if err := tx.OrderCreate(ctx, dup); err != nil {
				return err
			}
			if !more {
				return nil
			}
			if err := tx.EventInsert(ctx, ev); err != nil {
				return err
			}
			_, err := tx.OrderGet(ctx, a, dup.ID)
			return err
		})
		requireKind(t, err, apperr.ErrConflict)
		evs, err := s.EventListAfter(ctx, a, uuid.Nil, 100)
		require.NoError(t, err)
		for _, e := range evs {
			require.NotEqual(t, ev.ID, e.ID, "an event of the failed transaction was kept")
		}
	}
}

// testOrderSorts walks every sort of the order list both ways, page by
// page, over orders with ties in each sort key: forward to the end and
// back, every order exactly once, ties broken by id. It also checks the
// created range at day boundaries and the capped count.
func testOrderSorts(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	// Four creation times (three orders share each) and three totals.
	times := []time.Time{day.Add(-time.Second), day, day.Add(12 * time.Hour), day.Add(24*time.Hour - time.Second), day.Add(24 * time.Hour)}
	var all []order.Order
	for i := range 13 {
		var o order.Order
		require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
			n, err := tx.OrderNextNumber(ctx, a)
			if err != nil {
				return err
			}
			o = newOrder(a, n, times[i%len(times)])
			o.Items = o.Items[:1]
			o.Items[0].Quantity, o.Items[0].UnitPrice = 1, int64(1000*(i%3+1))
			order.Compute(&o)
			return tx.OrderCreate(ctx, o)
		}))
		all = append(all, o)
	}
	createOrder(t, s, b, day) // another tenant's order never shows

	ids := func(os []order.Order) []uuid.UUID {
		out := make([]uuid.UUID, len(os))
		for i, o := range os {
			out[i] = o.ID
		}
		return out
	}
	list := func(p order.ListParams) []order.Order {
		t.Helper()
		p.TenantID = a
		os, err := s.OrderList(ctx, p)
		require.NoError(t, err)
		return os
	}
	cmpKey := func(sort order.Sort, x, y order.Order) int {
		var c int
		switch sort {
		case order.SortTotal:
			c = cmpInt(x.Total, y.Total)
		case order.SortNumber:
			c = cmpInt(x.Number, y.Number)
		default:
			c = x.CreatedAt.Compare(y.CreatedAt)
		}
		if c == 0 {
			c = strings.Compare(x.ID.String(), y.ID.String())
		}
		return c
	}
	const size = 4
	for _, sort := range []order.Sort{order.SortCreatedAt, order.SortTotal, order.SortNumber} {
		for _, desc := range []bool{false, true} {
			want := slices.Clone(all)
			slices.SortFunc(want, func(x, y order.Order) int {
				if desc {
					return cmpKey(sort, y, x)
				}
				return cmpKey(sort, x, y)
			})
			name := fmt.Sprintf("sort %s desc %v", sort, desc)
			// Forward to the end, page by page.
			var pages [][]uuid.UUID
			lp := order.ListParams{Sort: sort, Desc: desc, Limit: size}
			for range len(all) + 1 { // bounded: a store that ignores After fails, not loops
				os := list(lp)
				if len(os) == 0 {
					break
				}
				pages = append(pages, ids(os))
				lp.After = order.CursorOf(os[len(os)-1])
			}
			require.Equal(t, ids(want), slices.Concat(pages...), name)
			// Back from past the end: the same orders, each once.
			var back []uuid.UUID
			lp.After, lp.Before = nil, order.CursorOf(want[len(want)-1])
			back = append(back, want[len(want)-1].ID)
			for range len(all) + 1 {
				os := list(lp)
				if len(os) == 0 {
					break
				}
				back = append(ids(os), back...)
				lp.Before = order.CursorOf(os[0])
			}
			require.Equal(t, ids(want), back, name)
		}
	}

	// A range of whole days: from the first second of day to its last,
	// not the second before nor the next midnight.
	end := day.AddDate(0, 0, 1)
	var inDay []uuid.UUID
	for _, o := range all {
		if !o.CreatedAt.Before(day) && o.CreatedAt.Before(end) {
			inDay = append(inDay, o.ID)
		}
	}
	require.Len(t, inDay, 8)
	got := list(order.ListParams{Sort: order.SortNumber, Limit: 100, CreatedAfter: &day, CreatedBefore: &end})
	require.ElementsMatch(t, inDay, ids(got))

	// The count stops at max+1, and ignores cursors and the limit.
	count := func(p order.ListParams, max int) int64 {
		t.Helper()
		p.TenantID = a
		n, err := s.OrderCountUpTo(ctx, p, max)
		require.NoError(t, err)
		return n
	}
	require.Equal(t, int64(13), count(order.ListParams{Limit: 2, After: order.CursorOf(all[3])}, 100))
	require.Equal(t, int64(6), count(order.ListParams{}, 5), "more than 5: counting stops at 6")
	require.Equal(t, int64(8), count(order.ListParams{CreatedAfter: &day, CreatedBefore: &end}, 100))
	require.Equal(t, int64(0), count(order.ListParams{Status: order.StatusShipped}, 100))
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
