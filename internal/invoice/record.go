package invoice

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Status is where an order's invoice is.
type Status string

const (
	StatusPending Status = "pending" // being generated
	StatusReady   Status = "ready"
	StatusFailed  Status = "failed"
)

// Record is an order's invoice as stored: at most one per order, keeping
// its number when it is regenerated.
type Record struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	OrderID  uuid.UUID
	// Number is allocated from the tenant's invoice sequence when the
	// record is first created, e.g. "INV-000042".
	Number string
	Status Status
	// Generation counts (re)generations; each writes a new object so that
	// a download in progress of the previous one is not cut short.
	Generation  int
	ObjectKey   string
	Size        int64
	Error       string
	GeneratedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Store is what invoices need from persistence.
type Store interface {
	// InvoiceRequest marks the order's invoice pending, creating it with
	// the tenant's next invoice number if there is none, or increasing
	// its generation if there is. It returns the record as saved.
	InvoiceRequest(ctx context.Context, tenantID, orderID uuid.UUID, now time.Time) (Record, error)
	// InvoiceGet returns the invoice of an order.
	InvoiceGet(ctx context.Context, tenantID, orderID uuid.UUID) (Record, error)
	// InvoiceUpdate saves status, object key, size, error, generated and
	// updated times, only if the record is still at r.Generation (a newer
	// request wins over an older job); it reports whether it saved.
	InvoiceUpdate(ctx context.Context, r Record) (bool, error)
}
