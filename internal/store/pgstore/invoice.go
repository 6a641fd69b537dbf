package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/invoice"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

var (
	_ invoice.Store = (*Store)(nil)
	_ invoice.Tx    = (*queries)(nil)
)

func scanInvoice(row pgx.Row) (invoice.Record, error) {
	var r invoice.Record
	err := row.Scan(&r.ID, &r.TenantID, &r.OrderID, &r.Number, &r.Status, &r.Generation, &r.ObjectKey, &r.Size, &r.Error,
		&r.GeneratedAt, &r.CreatedAt, &r.UpdatedAt)
	return r, err
}

// InvoiceRequest runs several statements, inside the caller's transaction
// or else in its own, so that a number is never taken without its invoice:
//
//  1. regenerate the invoice if there is one (the usual case once created);
//  2. otherwise lock the tenant row, so that the tenant's first requests
//     take numbers one at a time, and look again: under READ COMMITTED the
//     second look sees an invoice that a concurrent request committed while
//     this one waited for the lock;
//  3. take the next number and insert the invoice.
//
// The numbers of a tenant's invoices therefore have no gaps. An order that
// does not exist (or is another tenant's) fails the insert's foreign key
// and is apperr.ErrNotFound.
func (q *queries) InvoiceRequest(ctx context.Context, tenantID, orderID uuid.UUID, now time.Time) (invoice.Record, error) {
	var r invoice.Record
	err := q.atomic(ctx, func(q *queries) error {
		var err error
		r, err = q.invoiceRequest(ctx, tenantID, orderID, now)
		return err
	})
	if err != nil {
		return invoice.Record{}, fmt.Errorf("InvoiceRequest(%s): %w", orderID, err)
	}
	return r, nil
}

func (q *queries) invoiceRequest(ctx context.Context, tenantID, orderID uuid.UUID, now time.Time) (invoice.Record, error) {
	regenerate := func() (invoice.Record, bool, error) {
		r, err := scanInvoice(q.db.QueryRow(ctx, sqlshared.InvoiceRegenerate, tenantID, orderID, now))
		if errors.Is(err, pgx.ErrNoRows) {
			return r, false, nil
		}
		return r, err == nil, interpretError(err, "invoice")
	}
	if r, ok, err := regenerate(); ok || err != nil {
		return r, err
	}

	var seq int64
	err := q.db.QueryRow(ctx, `SELECT invoice_seq FROM tenants WHERE id = $1 FOR NO KEY UPDATE`, tenantID).Scan(&seq)
	if err != nil {
		// No tenant, so no such order of it.
		return invoice.Record{}, interpretError(err, "order")
	}
	if r, ok, err := regenerate(); ok || err != nil {
		return r, err
	}
	if err := q.db.QueryRow(ctx, sqlshared.InvoiceNextNumber, tenantID).Scan(&seq); err != nil {
		return invoice.Record{}, interpretError(err, "order")
	}
	r, err := scanInvoice(q.db.QueryRow(ctx, sqlshared.InvoiceInsert,
		uuid.Must(uuid.NewV7()), tenantID, orderID, fmt.Sprintf("INV-%06d", seq), now))
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign_key_violation: no such order
			return invoice.Record{}, apperr.NotFound("order")
		}
		return invoice.Record{}, interpretError(err, "invoice")
	}
	return r, nil
}

func (q *queries) InvoiceGet(ctx context.Context, tenantID, orderID uuid.UUID) (invoice.Record, error) {
	r, err := scanInvoice(q.db.QueryRow(ctx, sqlshared.InvoiceGet, tenantID, orderID))
	if err != nil {
		return invoice.Record{}, fmt.Errorf("InvoiceGet(%s): %w", orderID, interpretError(err, "invoice"))
	}
	return r, nil
}

// InvoiceUpdate saves r only while the stored record is at r.Generation.
func (q *queries) InvoiceUpdate(ctx context.Context, r invoice.Record) (bool, error) {
	tag, err := q.db.Exec(ctx, sqlshared.InvoiceUpdate,
		r.TenantID, r.ID, r.Generation, r.Status, r.ObjectKey, r.Size, r.Error, r.GeneratedAt, r.UpdatedAt)
	if err != nil {
		return false, fmt.Errorf("InvoiceUpdate(%s): %w", r.ID, interpretError(err, "invoice"))
	}
	return tag.RowsAffected() == 1, nil
}
