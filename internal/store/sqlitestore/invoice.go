package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/invoice"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

var (
	_ invoice.Store = (*Store)(nil)
	_ invoice.Tx    = (*queries)(nil)
)

func scanInvoice(row scanner) (invoice.Record, error) {
	var r invoice.Record
	err := row.Scan(&r.ID, &r.TenantID, &r.OrderID, &r.Number, &r.Status, &r.Generation, &r.ObjectKey, &r.Size, &r.Error,
		nullTimeCol{&r.GeneratedAt}, timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt})
	return r, err
}

// InvoiceRequest runs several statements, inside the caller's transaction
// or else in its own, so that a number is never taken without its invoice:
// regenerate the invoice if there is one; otherwise take the tenant's next
// number and insert it. SQLite transactions hold the write lock from
// their start (BEGIN IMMEDIATE), so no concurrent request can slip in
// between, and a tenant's invoice numbers have no gaps. An order that does
// not exist (or is another tenant's) fails the insert's foreign key and is
// apperr.ErrNotFound.
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
	r, err := scanInvoice(q.db.QueryRowContext(ctx, sqlshared.InvoiceRegenerate, tenantID, orderID, ts(now)))
	if !errors.Is(err, sql.ErrNoRows) {
		return r, interpretError(err, "invoice")
	}

	var seq int64
	err = q.db.QueryRowContext(ctx, sqlshared.InvoiceNextNumber, tenantID).Scan(&seq)
	if err != nil {
		// No tenant, so no such order of it.
		return invoice.Record{}, interpretError(err, "order")
	}
	r, err = scanInvoice(q.db.QueryRowContext(ctx, sqlshared.InvoiceInsert,
		uuid.Must(uuid.NewV7()), tenantID, orderID, fmt.Sprintf("INV-%06d", seq), ts(now)))
	if isForeignKeyViolation(err) {
		return invoice.Record{}, apperr.NotFound("order")
	}
	if err != nil {
		return invoice.Record{}, interpretError(err, "invoice")
	}
	return r, nil
}

func (q *queries) InvoiceGet(ctx context.Context, tenantID, orderID uuid.UUID) (invoice.Record, error) {
	r, err := scanInvoice(q.db.QueryRowContext(ctx, sqlshared.InvoiceGet, tenantID, orderID))
	if err != nil {
		return invoice.Record{}, fmt.Errorf("InvoiceGet(%s): %w", orderID, interpretError(err, "invoice"))
	}
	return r, nil
}

// InvoiceUpdate saves r only while the stored record is at r.Generation.
func (q *queries) InvoiceUpdate(ctx context.Context, r invoice.Record) (bool, error) {
	res, err := q.db.ExecContext(ctx, sqlshared.InvoiceUpdate,
		r.TenantID, r.ID, r.Generation, r.Status, r.ObjectKey, r.Size, r.Error, tsPtr(r.GeneratedAt), ts(r.UpdatedAt))
	if err != nil {
		return false, fmt.Errorf("InvoiceUpdate(%s): %w", r.ID, interpretError(err, "invoice"))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("InvoiceUpdate(%s): %w", r.ID, err)
	}
	return n == 1, nil
}
