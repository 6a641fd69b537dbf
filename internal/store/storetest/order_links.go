package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/store"
)

// The order service's view of an order's invoice: OrderInvoiceRequest is
// InvoiceRequest by generation, OrderInvoiceNumber the number or "" (never
// another tenant's).
func testOrderInvoiceLinks(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	n := now()
	o := createOrder(t, s, a, n)

	num, err := s.OrderInvoiceNumber(ctx, a, o.ID)
	require.NoError(t, err)
	require.Empty(t, num, "no invoice yet")

	gen, err := s.OrderInvoiceRequest(ctx, a, o.ID, n)
	require.NoError(t, err)
	require.Equal(t, 1, gen)
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		gen, err = tx.OrderInvoiceRequest(ctx, a, o.ID, n)
		return err
	}))
	require.Equal(t, 2, gen, "a second request regenerates")
	r, err := s.InvoiceGet(ctx, a, o.ID)
	require.NoError(t, err)
	require.Equal(t, 2, r.Generation)

	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		num, err = tx.OrderInvoiceNumber(ctx, a, o.ID)
		return err
	}))
	require.Equal(t, r.Number, num)
	require.Equal(t, "INV-000001", num)

	num, err = s.OrderInvoiceNumber(ctx, b, o.ID)
	require.NoError(t, err)
	require.Empty(t, num, "another tenant sees no invoice")
	_, err = s.OrderInvoiceRequest(ctx, b, o.ID, n)
	requireKind(t, err, apperr.ErrNotFound)
}
