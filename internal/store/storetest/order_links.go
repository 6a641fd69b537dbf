package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/order"
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

// OrderAttachmentsDelete deletes an order's attachments (not its failed
// ones, which AttachmentList leaves out), only of the tenant, with the
// transaction, and returns both keys of each.
func testOrderAttachmentsDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, u := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	n := now()
	o, other := createOrder(t, s, a, n), createOrder(t, s, a, n)
	mk := func(orderID *order.Order, st attachment.Status) attachment.Attachment {
		id := newID()
		at := attachment.Attachment{ID: id, TenantID: a, UploadedBy: &u.ID, Filename: "f.pdf", ContentType: "application/pdf", Size: 10,
			ObjectKey: "tenants/" + a.String() + "/attachments/" + id.String(), Status: st, CreatedAt: n, UpdatedAt: n}
		if orderID != nil {
			at.OrderID = &orderID.ID
		}
		require.NoError(t, s.AttachmentCreate(ctx, at))
		return at
	}
	pending, uploaded := mk(&o, attachment.StatusPending), mk(&o, attachment.StatusUploaded)
	failed, onOther, loose := mk(&o, attachment.StatusFailed), mk(&other, attachment.StatusUploaded), mk(nil, attachment.StatusUploaded)

	keys, err := s.OrderAttachmentsDelete(ctx, b, o.ID)
	require.NoError(t, err)
	require.Empty(t, keys, "another tenant deletes nothing")

	errRollback := errors.New("roll back")
	err = s.InTx(ctx, func(tx store.Tx) error {
		keys, err := tx.OrderAttachmentsDelete(ctx, a, o.ID)
		require.NoError(t, err)
		require.Len(t, keys, 2)
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	_, err = s.AttachmentGet(ctx, a, pending.ID)
	require.NoError(t, err, "a rolled-back delete deletes nothing")

	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		keys, err = tx.OrderAttachmentsDelete(ctx, a, o.ID)
		return err
	}))
	require.ElementsMatch(t, []order.AttachmentKeys{
		{ObjectKey: pending.ObjectKey, UploadKey: pending.UploadKey()},
		{ObjectKey: uploaded.ObjectKey, UploadKey: uploaded.UploadKey()},
	}, keys)
	for _, gone := range []attachment.Attachment{pending, uploaded} {
		_, err = s.AttachmentGet(ctx, a, gone.ID)
		requireKind(t, err, apperr.ErrNotFound)
	}
	for _, kept := range []attachment.Attachment{failed, onOther, loose} {
		_, err = s.AttachmentGet(ctx, a, kept.ID)
		require.NoError(t, err, "the order's failed attachment, and those of other orders or none, stay")
	}

	keys, err = s.OrderAttachmentsDelete(ctx, a, o.ID)
	require.NoError(t, err, "outside a transaction too")
	require.Empty(t, keys, "none left")
}
