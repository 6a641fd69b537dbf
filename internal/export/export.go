// Package export holds order exports: the type and its rules, the file
// writers (CSV, XLSX, PDF) that stream orders to any io.Writer, and the
// service that runs exports (service.go): the request records the export
// and its job in one transaction; the job streams the orders in batches
// through a file writer straight into object storage, keeping progress on
// the export and in the events outbox.
package export

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/archive"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/outbox"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/tenant"
)

// Format is an export's file type.
type Format string

const (
	FormatCSV  Format = "csv"
	FormatXLSX Format = "xlsx"
	FormatPDF  Format = "pdf"
	// FormatArchive is the tenant's whole data (package archive), which
	// only owners ask for and see.
	FormatArchive Format = "archive"
)

// PDFMaxOrders caps a PDF export. Unlike CSV and XLSX, a PDF is laid out
// in memory until it is closed (page totals and fonts are only known at
// the end), so its size must be bounded. 5,000 orders make about 190
// landscape pages (more than anyone reads), 0.8 MB of PDF and some 70 MB
// of heap at peak while rendering, besides the fonts shared by every
// document (about 45 MB with Noto Sans CJK loaded, internal/typeset).
const PDFMaxOrders = 5000

// ContentType is the format's media type.
func (f Format) ContentType() string {
	switch f {
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case FormatPDF:
		return "application/pdf"
	case FormatArchive:
		return "application/zip"
	}
	return "text/csv; charset=utf-8"
}

// Status is where an export is.
type Status string

const (
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
	StatusExpired   Status = "expired"
)

// TTL is how long a finished export's file is kept.
const TTL = 7 * 24 * time.Hour

// Filters select the orders, as the order list does.
type Filters struct {
	Status        order.Status `json:"status,omitempty"`
	CreatedAfter  *time.Time   `json:"created_after,omitempty"`
	CreatedBefore *time.Time   `json:"created_before,omitempty"`
	CustomerEmail string       `json:"customer_email,omitempty"`
	Query         string       `json:"q,omitempty"`
}

// Export is one export of a tenant's orders.
type Export struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	CreatedBy   *uuid.UUID
	Format      Format
	Filters     Filters
	Status      Status
	Done, Total int64 // orders written / to write
	// OrderCount is the orders a completed export holds.
	OrderCount int64
	// RowCount is the data rows of a completed export's file, headers
	// excluded, across all its sheets (Writer.Rows): for CSV one per item
	// (one for an order without items); for XLSX one per order on Orders
	// plus one per item on the Items sheets; for PDF one per order.
	RowCount    int64
	ObjectKey   string
	Size        int64
	Error       string
	ExpiresAt   *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CompletedAt *time.Time
}

// OrderScanner reads orders in keyset batches: WriteOrders needs no more.
type OrderScanner interface {
	// OrderScan calls fn with each order of the page p selects, items
	// included, in p's order, holding one order at a time: exports read
	// large batches with it. The orders come without their JSON columns
	// (ShippingAddress, BillingAddress and Metadata are left empty), which
	// exports do not show and which would cost a third of the reading. An
	// error from fn stops the scan and is returned as is.
	OrderScan(ctx context.Context, p order.ListParams, fn func(order.Order) error) error
}

// Store is what the export service reads and writes outside a
// transaction: exactly the methods it calls, the reads of orders, tenants
// and users declared here by signature. The engines implement it (and
// store.Querier embeds it); the rows that are only written inside a
// transaction are in Tx.
type Store interface {
	ExportGet(ctx context.Context, tenantID, id uuid.UUID) (Export, error)
	// ExportList lists a page of a tenant's exports, newest first (ids
	// are UUIDv7): at most limit, older than before if it is set.
	ExportList(ctx context.Context, tenantID uuid.UUID, r page.Request) ([]Export, error)
	// ExportUpdate saves status, progress, result and times.
	ExportUpdate(ctx context.Context, e Export) error
	// ExportListExpired lists completed exports of every tenant whose
	// files expired before t.
	ExportListExpired(ctx context.Context, before time.Time, limit int) ([]Export, error)
	// OrderCount counts the orders a list would return, without paging.
	OrderCount(ctx context.Context, p order.ListParams) (int64, error)
	OrderScanner
	// TenantGetByID names the tenant on a PDF's cover.
	TenantGetByID(ctx context.Context, id uuid.UUID) (tenant.Tenant, error)
}

// Tx is what the export service does inside one transaction: its Store,
// creating and deleting exports, the reader of an export-ready e-mail, the
// audit entry, the progress event (outbox.Tx, which enqueues jobs too).
type Tx interface {
	Store
	ExportCreate(ctx context.Context, e Export) error
	ExportDelete(ctx context.Context, tenantID, id uuid.UUID) error
	// UserGetByID finds who asked for an export, to mail them.
	UserGetByID(ctx context.Context, id uuid.UUID) (account.User, error)
	audit.Writer
	outbox.Tx
	jobs.Inserter
	// plan.Tx locks the tenant and counts its exports of the day
	// (exports_per_day), and counts a completed export's rows.
	plan.Tx
}

// DB is the export service's handle on the store:
// store.Narrow[export.Tx]{st} is one.
type DB interface {
	Store
	InTx(ctx context.Context, fn func(Tx) error) error
	// ArchiveSnapshot and ArchiveLoad: the tenant's archive is an export.
	archive.Store
	// Engine names the database engine, for the archive's manifest.
	Engine() string
}
