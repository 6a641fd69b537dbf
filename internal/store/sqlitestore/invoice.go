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
)

var (
	_ invoice.Store = (*Store)(nil)
	_ invoice.Tx    = (*queries)(nil)
)

const invoiceColumns = `id, tenant_id, order_id, number, status, generation, object_key, size, error, generated_at, created_at, updated_at`

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
	r, err := scanInvoice(q.db.QueryRowContext(ctx, `
		UPDATE invoices SET status = 'pending', generation = generation + 1, error = '', updated_at = $3
		WHERE tenant_id = $1 AND order_id = $2
		RETURNING `+invoiceColumns, tenantID, orderID, ts(now)))
	if !errors.Is(err, sql.ErrNoRows) {
		return r, interpretError(err, "invoice")
	}

	var seq int64
	err = q.db.QueryRowContext(ctx, `UPDATE tenants SET invoice_seq = invoice_seq + 1 WHERE id = $1 RETURNING invoice_seq`, tenantID).Scan(&seq)
	if err != nil {
		// No tenant, so no such order of it.
		return invoice.Record{}, interpretError(err, "order")
	}
	r, err = scanInvoice(q.db.QueryRowContext(ctx, `
		INSERT INTO invoices (id, tenant_id, order_id, number, status, generation, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'pending', 1, $5, $5)
		RETURNING `+invoiceColumns,
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
	r, err := scanInvoice(q.db.QueryRowContext(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE tenant_id = $1 AND order_id = $2`, tenantID, orderID))
	if err != nil {
		return invoice.Record{}, fmt.Errorf("InvoiceGet(%s): %w", orderID, interpretError(err, "invoice"))
	}
	return r, nil
}

// InvoiceUpdate saves r only while the stored record is at r.Generation.
func (q *queries) InvoiceUpdate(ctx context.Context, r invoice.Record) (bool, error) {
	res, err := q.db.ExecContext(ctx, `
		UPDATE invoices SET status = $4, object_key = $5, size = $6, error = $7, generated_at = $8, updated_at = $9
		WHERE tenant_id = $1 AND id = $2 AND generation = $3`,
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
