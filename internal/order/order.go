// Package order holds orders and their items: the types, the status
// machine, validation, the money arithmetic, the store contract, and the
// order service (create, read, list, update, transition and delete
// orders, each change in one transaction with its status history, its
// audit entry and its outbox event; the dashboard).
//
// Money is integer minor units of the order's ISO 4217 currency, never
// floats. The rounding rule: each line's tax is
// quantity × unit_price × tax_rate_bp / 10000, rounded half away from
// zero to the minor unit; the order's tax is the sum of its lines' taxes;
// the discount is an amount taken off after tax:
// total = subtotal + tax − discount, and 0 ≤ discount ≤ subtotal + tax.
package order

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/outbox"
	"github.com/ordo/ordo/internal/page"
)

// Status is where an order is in its life.
type Status string

const (
	StatusPending    Status = "pending"
	StatusProcessing Status = "processing"
	StatusShipped    Status = "shipped"
	StatusDelivered  Status = "delivered"
	StatusCancelled  Status = "cancelled"
)

// transitions is the status machine: from each status, where it may go.
var transitions = map[Status][]Status{
	StatusPending:    {StatusProcessing, StatusCancelled},
	StatusProcessing: {StatusShipped, StatusCancelled},
	StatusShipped:    {StatusDelivered},
}

// Valid reports whether s is a status.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusProcessing, StatusShipped, StatusDelivered, StatusCancelled:
		return true
	}
	return false
}

// CanTransition reports whether the machine allows from → to.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Next lists where an order in status s may go.
func Next(s Status) []Status { return transitions[s] }

// Address is a postal address.
type Address struct {
	Name       string `json:"name,omitempty"`
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"` // ISO 3166-1 alpha-2
}

// Item is one line of an order.
type Item struct {
	ID          uuid.UUID
	Position    int
	SKU         string
	Name        string
	Description string
	Quantity    int64
	UnitPrice   int64
	TaxRateBP   int64
	LineTotal   int64 // quantity × unit price, before tax
	Metadata    json.RawMessage
}

// Order is a customer's order.
type Order struct {
	ID              uuid.UUID
	TenantID        uuid.UUID
	Number          int64
	Status          Status
	CustomerName    string
	CustomerEmail   string
	CustomerPhone   string
	ShippingAddress *Address
	BillingAddress  *Address
	Currency        string
	Subtotal        int64
	Tax             int64
	Discount        int64
	Total           int64
	Notes           string
	ExternalRef     string
	Metadata        json.RawMessage
	CreatedBy       *uuid.UUID
	// Version grows with every change; it is the ETag.
	Version        int64
	IdempotencyKey string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Items          []Item
}

// DisplayNumber is the human order number, e.g. ORD-000123.
func (o Order) DisplayNumber() string { return FormatNumber(o.Number) }

// FormatNumber formats an order number.
func FormatNumber(n int64) string { return fmt.Sprintf("ORD-%06d", n) }

// StatusChange is one step of an order's status history.
type StatusChange struct {
	ID        uuid.UUID
	TenantID  uuid.UUID
	OrderID   uuid.UUID
	From      Status // "" for creation
	To        Status
	ActorID   *uuid.UUID
	CreatedAt time.Time
}

// Sort orders a list.
type Sort string

const (
	SortCreatedAt Sort = "created_at"
	SortTotal     Sort = "total"
	SortNumber    Sort = "number"
)

// Valid tells whether s is a sort the lists know.
func (s Sort) Valid() bool {
	switch s {
	case SortCreatedAt, SortTotal, SortNumber:
		return true
	}
	return false
}

// Cursor is where a page of a list starts: after (or, as
// ListParams.Before, before) the order with these sort values. Only the
// list's sort key and ID are read; ties in the sort key are broken by ID.
type Cursor struct {
	CreatedAt time.Time
	Total     int64
	Number    int64
	ID        uuid.UUID
}

// CursorOf is the cursor of o's place in a list.
func CursorOf(o Order) *Cursor {
	return &Cursor{CreatedAt: o.CreatedAt, Total: o.Total, Number: o.Number, ID: o.ID}
}

// CountCap is where the lists stop counting: a count of more matching
// orders is shown as "1,000+", so the count of a large tenant costs no
// more than reading that many index entries. (On PostgreSQL with a
// tenant of 100,000 freshly loaded orders, on a busy test machine,
// counting to 10,000 took 30 to 60 ms and counting to 1,000 about 5 ms;
// see TestOrdersListTiming.)
const CountCap = 1000

// ListParams selects a page of one tenant's orders.
type ListParams struct {
	TenantID      uuid.UUID
	Status        Status
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	CustomerEmail string
	Query         string // free text over number, customer and reference
	Sort          Sort
	Desc          bool
	After         *Cursor
	// Before selects the page that ends just before this cursor (the
	// previous page), still in the list's order: the store reads it in
	// the opposite order from the cursor and reverses it. At most one of
	// After and Before is set; OrderList only (exports never page back).
	Before *Cursor
	Limit  int
	// WithoutItems leaves the orders' items out (Items nil), for lists
	// that show none: one query instead of two, and no item rows read.
	WithoutItems bool
}

// Store is what the order service reads outside a transaction. Every
// method is scoped by tenant: another tenant's ids are apperr.ErrNotFound.
type Store interface {
	OrderGet(ctx context.Context, tenantID, id uuid.UUID) (Order, error)
	OrderGetByIdempotencyKey(ctx context.Context, tenantID uuid.UUID, key string) (Order, error)
	// OrderList returns a page, with items unless p.WithoutItems.
	OrderList(ctx context.Context, p ListParams) ([]Order, error)
	// OrderCountUpTo counts the orders p selects (its cursors and limit
	// ignored), but stops at max+1: a result above max means "more".
	OrderCountUpTo(ctx context.Context, p ListParams, max int) (int64, error)
	OrderStatusHistory(ctx context.Context, tenantID, orderID uuid.UUID, r page.Request) ([]StatusChange, error)
	// OrderDailyStats counts the tenant's orders created on since's UTC
	// day or later and sums their totals, per UTC day and currency,
	// leaving cancelled orders out; oldest day first, then by currency.
	// It reads a rollup kept by the database as orders are written, so it
	// costs the same for a tenant of ten orders as of a million.
	OrderDailyStats(ctx context.Context, tenantID uuid.UUID, since time.Time) ([]DayStat, error)
}

// Tx is what the order service does inside one transaction: its Store,
// the order writes, the invoice and attachment rows an order's shipping
// and deletion touch (declared here with order's own types, since
// package invoice imports order, and attachment's upload service, which
// reads orders, is to move into attachment), its audit entry and its
// outbox event. store.Querier embeds it, so the engines implement every
// method.
type Tx interface {
	Store
	// OrderNextNumber allocates the tenant's next order number; inside a
	// transaction it holds the tenant's counter until commit, so numbers
	// are unique under concurrent creates.
	OrderNextNumber(ctx context.Context, tenantID uuid.UUID) (int64, error)
	// OrderNextNumberCounted is OrderNextNumber that also counts the
	// order in the tenant's usage of month (plan.Month), returning the
	// number and that count: on PostgreSQL in the same round trip, so the
	// tenant's row is locked no longer than for the number alone.
	OrderNextNumberCounted(ctx context.Context, tenantID uuid.UUID, month time.Time) (number, monthOrders int64, err error)
	// OrderCreate inserts the order with its items and version 1.
	OrderCreate(ctx context.Context, o Order) error
	// OrderUpdate saves every field and replaces the items, if the stored
	// version is o.Version-1; otherwise apperr.ErrConflict (stale).
	OrderUpdate(ctx context.Context, o Order) error
	// OrderDelete deletes the order; one that has an invoice is refused
	// with ErrInvoiced (in the same statement, so that an invoice created
	// meanwhile cannot slip by).
	OrderDelete(ctx context.Context, tenantID, id uuid.UUID) error
	OrderStatusChangeInsert(ctx context.Context, c StatusChange) error
	// OrderInvoiceRequest marks the order's invoice pending as
	// invoice.Store's InvoiceRequest does (creating it with the tenant's
	// next invoice number, or increasing its generation) and returns the
	// invoice's generation, which its job carries.
	OrderInvoiceRequest(ctx context.Context, tenantID, orderID uuid.UUID, now time.Time) (generation int, err error)
	// OrderInvoiceNumber returns the number of the order's invoice
	// ("INV-000042"), or "" if it has none.
	OrderInvoiceNumber(ctx context.Context, tenantID, orderID uuid.UUID) (string, error)
	// AttachmentList and AttachmentDelete are the attachment domain's:
	// deleting an order deletes its attachments in the same transaction.
	AttachmentList(ctx context.Context, tenantID uuid.UUID, orderID *uuid.UUID, r page.Request) ([]attachment.Attachment, error)
	AttachmentDelete(ctx context.Context, tenantID, id uuid.UUID) error
	audit.Writer
	outbox.Tx
}

// DB is the order service's handle on the store; store.Narrow[order.Tx]
// makes one of a store.Store.
type DB interface {
	Store
	InTx(ctx context.Context, fn func(Tx) error) error
}

// ErrInvoiced refuses to delete an order that has an invoice: an issued
// invoice (its number taken from the tenant's sequence) is an accounting
// record that must stay with its order.
var ErrInvoiced = apperr.Conflict("an invoiced order cannot be deleted: cancel it instead")

// ErrStale is the answer to an update whose version is not the stored
// one: someone else changed the order first.
var ErrStale = &apperr.Error{Kind: apperr.KindPrecondition, Msg: "the order was changed by someone else; fetch it again"}
