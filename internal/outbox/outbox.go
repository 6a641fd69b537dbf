// Package outbox is how services write events: Emit writes an event to the
// outbox table and, in the same transaction, fans it out to the webhook
// endpoints of its tenant that subscribe to its type, so a delivery exists
// if and only if its event does.
//
// Fan-out is this explicit call, not a wrapper around the store: a
// service that writes an event calls Emit with its transaction (never
// Querier.EventInsert, which writes the event alone), and a process or
// test harness gets webhook deliveries by using the services, with
// nothing to install.
package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/webhook"
)

// WebhookEventTypes are the event types a webhook endpoint may subscribe
// to. Export progress is for live views only and is not sent.
var WebhookEventTypes = []string{
	event.OrderCreated, event.OrderUpdated, event.OrderStatusChanged, event.OrderDeleted,
	event.AttachmentUploaded, event.ExportCompleted, event.InvoiceGenerated,
	event.MemberAdded, event.MemberRemoved,
}

// Deliverable reports whether events of type typ go to webhook endpoints.
func Deliverable(typ string) bool { return slices.Contains(WebhookEventTypes, typ) }

// Tx is what Emit needs of the caller's transaction: every domain's Tx
// embeds it.
type Tx interface {
	EventInsert(ctx context.Context, e event.Event) error
	// EventInsertForWebhooks writes e and returns the enabled webhook
	// endpoints of its tenant, in one round trip.
	EventInsertForWebhooks(ctx context.Context, e event.Event) ([]webhook.Endpoint, error)
	WebhookDeliveryCreate(ctx context.Context, d webhook.Delivery) error
	jobs.Inserter
}

// Emit writes ev and creates a webhook delivery of it for each enabled
// endpoint of its tenant that subscribes to its type, inside tx.
func Emit(ctx context.Context, tx Tx, ev event.Event) error {
	if !Deliverable(ev.Type) {
		return tx.EventInsert(ctx, ev)
	}
	eps, err := tx.EventInsertForWebhooks(ctx, ev)
	if err != nil {
		return fmt.Errorf("webhook fan-out: %w", err)
	}
	for _, ep := range eps {
		if !ep.Subscribed(ev.Type) {
			continue
		}
		if _, err := CreateDelivery(ctx, tx, ep, ev); err != nil {
			return fmt.Errorf("webhook fan-out: %w", err)
		}
	}
	return nil
}

// EmitData is Emit of a new event of type typ about entityID in
// tenantID, at now, whose data is data marshalled to JSON.
func EmitData(ctx context.Context, tx Tx, now time.Time, tenantID uuid.UUID, typ, entityID string, data map[string]any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return Emit(ctx, tx, event.Event{ID: uuid.Must(uuid.NewV7()), TenantID: tenantID, Type: typ, EntityID: entityID, Data: b, CreatedAt: now})
}

// CreateDelivery records one delivery of ev to ep, inside tx, and
// enqueues its job.
func CreateDelivery(ctx context.Context, tx Tx, ep webhook.Endpoint, ev event.Event) (webhook.Delivery, error) {
	d := webhook.Delivery{ID: uuid.Must(uuid.NewV7()), TenantID: ep.TenantID, EndpointID: ep.ID, EventID: ev.ID, EventType: ev.Type,
		Status: webhook.DeliveryPending, NextAttemptAt: &ev.CreatedAt, CreatedAt: ev.CreatedAt, UpdatedAt: ev.CreatedAt}
	if err := tx.WebhookDeliveryCreate(ctx, d); err != nil {
		return d, err
	}
	_, err := tx.JobInsert(ctx, DeliverArgs{TenantID: d.TenantID, DeliveryID: d.ID}, nil)
	return d, err
}

// DeliverArgs is the job of one delivery (worked by package webhooks).
// The job makes one attempt and, if it fails, snoozes itself until the
// next one is due, so the retry schedule is Ordo's (and the receiver's
// Retry-After), not the queue's.
type DeliverArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	DeliveryID uuid.UUID `json:"delivery_id"`
	// Base is the number of attempts made before a replay; the schedule
	// counts from it.
	Base int `json:"base,omitempty"`
}

func (DeliverArgs) Kind() string { return jobs.KindWebhookDelivery }

// MaxAttempts counts only failures of Ordo itself (a database error), not
// of the receiver, which snooze.
func (DeliverArgs) InsertOpts() jobs.Opts {
	return jobs.Opts{Queue: jobs.QueueWebhooks, MaxAttempts: 10}
}
