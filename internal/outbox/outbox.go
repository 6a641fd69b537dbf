// Package outbox is how services write events: Emit writes an event to the
// outbox table and, in the same transaction, fans it out to the webhook
// endpoints of its tenant that subscribe to its type, so a delivery exists
// if and only if its event does.
//
// Fan-out is this explicit call, not a wrapper around the store: a
// service that writes an event calls Emit with its transaction (never
// Querier.EventInsert, which writes the event alone), and a process or
// test harness gets webhook deliveries by using the services, with
// nothing to install. The one exception is the webhook service's own
// events (an endpoint disabled, the test event), which are never fanned
// out: package webhook, which owns fan-out, writes them itself.
package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/webhook"
)

// Tx is what Emit needs of the caller's transaction: every domain's Tx
// embeds it.
type Tx interface {
	EventInsert(ctx context.Context, e event.Event) error
	// EventInsertForWebhooks writes e and returns the enabled webhook
	// endpoints of its tenant, in one round trip.
	EventInsertForWebhooks(ctx context.Context, e event.Event) ([]webhook.Endpoint, error)
	// DeliveryTx creates a delivery and enqueues its job.
	webhook.DeliveryTx
}

// Emit writes ev and creates a webhook delivery of it for each enabled
// endpoint of its tenant that subscribes to its type, inside tx.
func Emit(ctx context.Context, tx Tx, ev event.Event) error {
	if !webhook.Deliverable(ev.Type) {
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
		if _, err := webhook.CreateDelivery(ctx, tx, ep, ev); err != nil {
			return fmt.Errorf("webhook fan-out: %w", err)
		}
	}
	return nil
}

// EmitData is Emit of a new event of type typ about entityID in
// tenantID, at now, whose data is data marshalled to JSON: a struct of
// the emitting package, which the OpenAPI document describes.
func EmitData(ctx context.Context, tx Tx, now time.Time, tenantID uuid.UUID, typ, entityID string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return Emit(ctx, tx, event.Event{ID: uuid.Must(uuid.NewV7()), TenantID: tenantID, Type: typ, EntityID: entityID, Data: b, CreatedAt: now})
}
