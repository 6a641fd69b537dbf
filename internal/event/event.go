// Package event is the outbox: every business change writes an event in
// the same transaction as the change, and webhooks and realtime updates
// read them from there. Nothing is published from outside a committed
// transaction.
package event

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Types of event.
const (
	OrderCreated       = "order.created"
	OrderUpdated       = "order.updated"
	OrderStatusChanged = "order.status_changed"
	OrderDeleted       = "order.deleted"
	AttachmentUploaded = "attachment.uploaded"
	ExportCompleted    = "export.completed"
	InvoiceGenerated   = "invoice.generated"
	MemberAdded        = "member.added"
	MemberRemoved      = "member.removed"
)

// Event is one business change of one tenant.
type Event struct {
	ID        uuid.UUID // UUIDv7: ordered by time
	TenantID  uuid.UUID
	Type      string
	EntityID  string
	Data      json.RawMessage // the entity after the change, as the API shows it
	CreatedAt time.Time
}

// Store is what the outbox needs from persistence.
type Store interface {
	EventInsert(ctx context.Context, e Event) error
	// EventListAfter lists a tenant's events after the given id (all if
	// uuid.Nil), oldest first.
	EventListAfter(ctx context.Context, tenantID, after uuid.UUID, limit int) ([]Event, error)
	// EventGet returns one of a tenant's events.
	EventGet(ctx context.Context, tenantID, id uuid.UUID) (Event, error)
}

// IDAt is the smallest event id of time t: events made at t or later sort
// after it, so it is where a stream that starts "now" begins.
func IDAt(t time.Time) uuid.UUID {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	for i := 0; i < 6; i++ {
		u[i] = byte(ms >> (40 - 8*i))
	}
	u[6] = 0x70 // version 7
	u[8] = 0x80 // RFC 4122 variant
	return u
}
