package invoice

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/outbox"
	"github.com/ordo/ordo/internal/tenant"
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

// Store is what the invoice service reads and writes outside a
// transaction: its own records, and the order, tenant and settings an
// invoice is rendered from (other domains' rows, declared here by
// signature). The engines implement it, and store.Querier embeds it.
type Store interface {
	// InvoiceGet returns the invoice of an order.
	InvoiceGet(ctx context.Context, tenantID, orderID uuid.UUID) (Record, error)
	// InvoiceUpdate saves status, object key, size, error, generated and
	// updated times, only if the record is still at r.Generation (a newer
	// request wins over an older job); it reports whether it saved.
	InvoiceUpdate(ctx context.Context, r Record) (bool, error)

	OrderGet(ctx context.Context, tenantID, id uuid.UUID) (order.Order, error)
	TenantGetByID(ctx context.Context, id uuid.UUID) (tenant.Tenant, error)
	TenantSettings(ctx context.Context, id uuid.UUID) (tenant.Settings, error)
}

// EnqueueTx is what Enqueue needs of a transaction, whichever domain's it
// is (shipping an order invoices it).
type EnqueueTx interface {
	// InvoiceRequest marks the order's invoice pending, creating it with
	// the tenant's next invoice number if there is none, or increasing
	// its generation if there is. It returns the record as saved.
	InvoiceRequest(ctx context.Context, tenantID, orderID uuid.UUID, now time.Time) (Record, error)
	jobs.Inserter
}

// Tx is what the invoice service does inside one transaction: request an
// invoice and enqueue its job, save branding settings, and write the audit
// entry, the event, and the removal of replaced objects with them.
type Tx interface {
	Store
	EnqueueTx
	TenantSettingsUpdate(ctx context.Context, id uuid.UUID, s tenant.Settings, now time.Time) error
	// MembershipLock locks the tenant's row for the transaction.
	MembershipLock(ctx context.Context, tenantID uuid.UUID) error
	audit.Writer
	outbox.Tx
}

// DB is the invoice service's handle on the store:
// store.Narrow[invoice.Tx]{st} is one.
type DB interface {
	Store
	InTx(ctx context.Context, fn func(Tx) error) error
}
