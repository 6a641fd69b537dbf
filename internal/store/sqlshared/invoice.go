package sqlshared

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/invoice"
)

// Queries of invoices and the tenant's invoice numbers, the same on both engines.
const (
	InvoiceColumns = `id, tenant_id, order_id, number, status, generation, object_key, size, error, generated_at, created_at, updated_at`

	InvoiceRegenerate = `UPDATE invoices SET status = 'pending', generation = generation + 1, error = '', updated_at = $3
		WHERE tenant_id = $1 AND order_id = $2
		RETURNING ` + InvoiceColumns

	InvoiceNextNumber = `UPDATE tenants SET invoice_seq = invoice_seq + 1 WHERE id = $1 RETURNING invoice_seq`

	InvoiceInsert = `INSERT INTO invoices (id, tenant_id, order_id, number, status, generation, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'pending', 1, $5, $5)
		RETURNING ` + InvoiceColumns

	InvoiceGet = `SELECT ` + InvoiceColumns + ` FROM invoices WHERE tenant_id = $1 AND order_id = $2`

	InvoiceUpdate = `UPDATE invoices SET status = $4, object_key = $5, size = $6, error = $7, generated_at = $8, updated_at = $9
		WHERE tenant_id = $1 AND id = $2 AND generation = $3`
)

// InvoiceReader is what the order service's view of an invoice is made of.
type InvoiceReader interface {
	InvoiceRequest(ctx context.Context, tenantID, orderID uuid.UUID, now time.Time) (invoice.Record, error)
	InvoiceGet(ctx context.Context, tenantID, orderID uuid.UUID) (invoice.Record, error)
}

// OrderInvoiceRequest is InvoiceRequest for the order service, which
// needs only the generation (its job carries it).
func OrderInvoiceRequest(ctx context.Context, q InvoiceReader, tenantID, orderID uuid.UUID, now time.Time) (int, error) {
	r, err := q.InvoiceRequest(ctx, tenantID, orderID, now)
	if err != nil {
		return 0, err
	}
	return r.Generation, nil
}

// OrderInvoiceNumber is the number of the order's invoice, "" if none.
func OrderInvoiceNumber(ctx context.Context, q InvoiceReader, tenantID, orderID uuid.UUID) (string, error) {
	r, err := q.InvoiceGet(ctx, tenantID, orderID)
	if errors.Is(err, apperr.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("OrderInvoiceNumber: %w", err)
	}
	return r.Number, nil
}
