package storetest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/invoice"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
)

func testInvoices(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	n := now()
	o1, o2 := createOrder(t, s, a, n), createOrder(t, s, a, n)
	ob1, ob2 := createOrder(t, s, b, n), createOrder(t, s, b, n)

	// Outside a transaction.
	r1, err := s.InvoiceRequest(ctx, a, o1.ID, n)
	require.NoError(t, err)
	require.NotEqual(t, uuid.Nil, r1.ID)
	require.Equal(t, a, r1.TenantID)
	require.Equal(t, o1.ID, r1.OrderID)
	require.Equal(t, "INV-000001", r1.Number)
	require.Equal(t, invoice.StatusPending, r1.Status)
	require.Equal(t, 1, r1.Generation)
	require.Nil(t, r1.GeneratedAt)
	require.True(t, n.Equal(r1.CreatedAt))
	require.True(t, n.Equal(r1.UpdatedAt))

	// Inside one, as the service calls it.
	var r2 invoice.Record
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		var err error
		r2, err = tx.InvoiceRequest(ctx, a, o2.ID, n)
		return err
	}))
	require.Equal(t, "INV-000002", r2.Number)

	// Each tenant has its own sequence.
	rb, err := s.InvoiceRequest(ctx, b, ob1.ID, n)
	require.NoError(t, err)
	require.Equal(t, "INV-000001", rb.Number)

	// The job saves its result at the generation it was given.
	gen := n.Add(time.Second)
	r1.Status, r1.ObjectKey, r1.Size, r1.Error, r1.GeneratedAt, r1.UpdatedAt = invoice.StatusFailed, "invoices/1.pdf", 1234, "boom", &gen, gen
	saved, err := s.InvoiceUpdate(ctx, r1)
	require.NoError(t, err)
	require.True(t, saved)
	got, err := s.InvoiceGet(ctx, a, o1.ID)
	require.NoError(t, err)
	require.Equal(t, invoice.StatusFailed, got.Status)
	require.Equal(t, "invoices/1.pdf", got.ObjectKey)
	require.Equal(t, int64(1234), got.Size)
	require.Equal(t, "boom", got.Error)
	require.NotNil(t, got.GeneratedAt)
	require.True(t, gen.Equal(*got.GeneratedAt))
	require.True(t, gen.Equal(got.UpdatedAt))

	// Requesting again keeps the number, bumps the generation and clears
	// the error.
	later := n.Add(time.Minute)
	again, err := s.InvoiceRequest(ctx, a, o1.ID, later)
	require.NoError(t, err)
	require.Equal(t, r1.ID, again.ID)
	require.Equal(t, "INV-000001", again.Number)
	require.Equal(t, invoice.StatusPending, again.Status)
	require.Equal(t, 2, again.Generation)
	require.Empty(t, again.Error)
	require.True(t, n.Equal(again.CreatedAt))
	require.True(t, later.Equal(again.UpdatedAt))

	// A job of the previous generation no longer saves.
	stale := r1
	stale.Status, stale.Error = invoice.StatusReady, ""
	saved, err = s.InvoiceUpdate(ctx, stale)
	require.NoError(t, err)
	require.False(t, saved)
	got, err = s.InvoiceGet(ctx, a, o1.ID)
	require.NoError(t, err)
	require.Equal(t, invoice.StatusPending, got.Status)
	require.Equal(t, 2, got.Generation)

	again.Status, again.UpdatedAt = invoice.StatusReady, later.Add(time.Second)
	saved, err = s.InvoiceUpdate(ctx, again)
	require.NoError(t, err)
	require.True(t, saved)

	// Isolation: another tenant neither sees nor touches A's invoices.
	_, err = s.InvoiceGet(ctx, b, o1.ID)
	requireKind(t, err, apperr.ErrNotFound)
	_, err = s.InvoiceRequest(ctx, b, o1.ID, later)
	requireKind(t, err, apperr.ErrNotFound)
	other := again
	other.TenantID = b
	saved, err = s.InvoiceUpdate(ctx, other)
	require.NoError(t, err)
	require.False(t, saved)

	// Unknown orders and tenants.
	_, err = s.InvoiceGet(ctx, a, newID())
	requireKind(t, err, apperr.ErrNotFound)
	_, err = s.InvoiceRequest(ctx, a, newID(), later)
	requireKind(t, err, apperr.ErrNotFound)
	_, err = s.InvoiceRequest(ctx, newID(), o1.ID, later)
	requireKind(t, err, apperr.ErrNotFound)

	// Failed requests took no number: B's next invoice follows on.
	rb2, err := s.InvoiceRequest(ctx, b, ob2.ID, later)
	require.NoError(t, err)
	require.Equal(t, "INV-000002", rb2.Number)
}

// Concurrent first requests, several per order, give one invoice per
// order and numbers without gaps or repeats.
func testInvoiceNumbersConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	n := now()
	const orders, perOrder = 5, 3
	var ids []uuid.UUID
	for range orders {
		ids = append(ids, createOrder(t, s, a, n).ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, orders*perOrder)
	for i := range orders * perOrder {
		wg.Go(func() {
			_, err := s.InvoiceRequest(ctx, a, ids[i%orders], n)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var numbers []string
	for _, id := range ids {
		r, err := s.InvoiceGet(ctx, a, id)
		require.NoError(t, err)
		require.Equal(t, perOrder, r.Generation)
		numbers = append(numbers, r.Number)
	}
	sort.Strings(numbers)
	for i, got := range numbers {
		require.Equal(t, fmt.Sprintf("INV-%06d", i+1), got)
	}
}

// An order that has an invoice is never deleted: OrderDelete refuses with
// order.ErrInvoiced, in or out of a transaction, and the order and its
// invoice stay. An order without one is deleted as before.
func testInvoicedOrderKept(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	n := now()
	invoiced, plain := createOrder(t, s, a, n), createOrder(t, s, a, n)
	r, err := s.InvoiceRequest(ctx, a, invoiced.ID, n)
	require.NoError(t, err)

	err = s.OrderDelete(ctx, a, invoiced.ID)
	require.ErrorIs(t, err, order.ErrInvoiced)
	requireKind(t, err, apperr.ErrConflict)
	// In a transaction too, as the order service deletes.
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.OrderDelete(ctx, a, invoiced.ID) })
	require.ErrorIs(t, err, order.ErrInvoiced)
	_, err = s.OrderGet(ctx, a, invoiced.ID)
	require.NoError(t, err, "the invoiced order stays")
	got, err := s.InvoiceGet(ctx, a, invoiced.ID)
	require.NoError(t, err, "and so does its invoice")
	require.Equal(t, r.Number, got.Number)

	require.NoError(t, s.OrderDelete(ctx, a, plain.ID))
	requireKind(t, s.OrderDelete(ctx, a, plain.ID), apperr.ErrNotFound)
}
