// Package realtime tells every Ordo process when a tenant has new events,
// so that live views (the SSE stream) read them from the outbox at once.
//
// The outbox table is the source of truth: a notification is only a
// wake-up call sent after the transaction that wrote the events commits.
// A lost notification delays an update until the next poll; it never
// loses one.
package realtime

import (
	"context"
	"log/slog"
	"sync"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/pubsub"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/webhook"
)

// Channel is the pub/sub channel of a tenant's event notifications.
func Channel(tenantID uuid.UUID) string { return "events:" + tenantID.String() }

// Notify wraps st so that every committed transaction that wrote events
// notifies their tenants on ps.
func Notify(st store.Store, ps pubsub.PubSub, log *slog.Logger) store.Store {
	return &notifying{Store: st, ps: ps, log: log}
}

type notifying struct {
	store.Store
	ps  pubsub.PubSub
	log *slog.Logger
}

func (n *notifying) publish(ctx context.Context, tenants map[uuid.UUID]bool) {
	for t := range tenants {
		if err := n.ps.Publish(context.WithoutCancel(ctx), Channel(t), nil); err != nil {
			// Subscribers poll as well; a missed wake-up only delays.
			n.log.WarnContext(ctx, "publish event notification", "tenant_id", t, "err", err)
		}
	}
}

func (n *notifying) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	tx := &notifyingTx{}
	err := n.Store.InTx(ctx, func(inner store.Tx) error {
		tx.Tx = inner
		tx.tenants = nil // a retried transaction starts afresh
		return fn(tx)
	})
	if err == nil {
		n.publish(ctx, tx.tenants)
	}
	return err
}

func (n *notifying) EventInsert(ctx context.Context, e event.Event) error {
	if err := n.Store.EventInsert(ctx, e); err != nil {
		return err
	}
	n.publish(ctx, map[uuid.UUID]bool{e.TenantID: true})
	return nil
}

func (n *notifying) EventInsertForWebhooks(ctx context.Context, e event.Event) ([]webhook.Endpoint, error) {
	eps, err := n.Store.EventInsertForWebhooks(ctx, e)
	if err != nil {
		return nil, err
	}
	n.publish(ctx, map[uuid.UUID]bool{e.TenantID: true})
	return eps, nil
}

type notifyingTx struct {
	store.Tx
	mu      sync.Mutex
	tenants map[uuid.UUID]bool
}

func (t *notifyingTx) EventInsert(ctx context.Context, e event.Event) error {
	if err := t.Tx.EventInsert(ctx, e); err != nil {
		return err
	}
	t.wrote(e)
	return nil
}

// EventInsertForWebhooks writes an event too (outbox.Emit's way for
// deliverable ones).
func (t *notifyingTx) EventInsertForWebhooks(ctx context.Context, e event.Event) ([]webhook.Endpoint, error) {
	eps, err := t.Tx.EventInsertForWebhooks(ctx, e)
	if err != nil {
		return nil, err
	}
	t.wrote(e)
	return eps, nil
}

// wrote notes e's tenant, to notify once the transaction commits.
func (t *notifyingTx) wrote(e event.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tenants == nil {
		t.tenants = map[uuid.UUID]bool{}
	}
	t.tenants[e.TenantID] = true
}
