package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/outbox"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/webhook"
)

// outbox.Emit, called with the caller's transaction on a store that wraps
// nothing, writes the event and one delivery per enabled endpoint of its
// tenant subscribed to its type, in that transaction: none when it rolls
// back, none for endpoints of other types, none for a type endpoints
// cannot take. Called with the store, it opens a transaction of its own.
func testOutboxEmit(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	all := createEndpoint(t, s, a)
	other := createEndpoint(t, s, a, event.OrderDeleted)
	deliveries := func(ep webhook.Endpoint) []webhook.Delivery {
		t.Helper()
		ds, err := s.WebhookDeliveryList(ctx, webhook.DeliveryFilter{TenantID: a, EndpointID: ep.ID, Limit: 10})
		require.NoError(t, err)
		return ds
	}
	newEvent := func(typ string) event.Event {
		return event.Event{ID: newID(), TenantID: a, Type: typ, EntityID: "x", Data: json.RawMessage(`{"id":"x"}`), CreatedAt: now()}
	}

	rolledBack := newEvent(event.OrderCreated)
	boom := errors.New("roll back")
	err := s.InTx(ctx, func(tx store.Tx) error {
		require.NoError(t, outbox.Emit(ctx, tx, rolledBack))
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Empty(t, deliveries(all), "a rolled-back event has no delivery")

	ev := newEvent(event.OrderCreated)
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return outbox.Emit(ctx, tx, ev) }))
	got := deliveries(all)
	require.Len(t, got, 1)
	require.Equal(t, ev.ID, got[0].EventID)
	require.Equal(t, webhook.DeliveryPending, got[0].Status)
	require.Empty(t, deliveries(other), "an endpoint of other types gets nothing")

	deleted := newEvent(event.OrderDeleted)
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return outbox.Emit(ctx, tx, deleted) }))
	require.Len(t, deliveries(all), 2)
	require.Len(t, deliveries(other), 1)

	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return outbox.Emit(ctx, tx, newEvent("webhook_endpoint.disabled")) }))
	require.Len(t, deliveries(all), 2, "a type endpoints cannot take is not sent")

	evs, err := s.EventListAfter(ctx, a, uuid.Nil, 10)
	require.NoError(t, err)
	ids := []uuid.UUID{}
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	require.NotContains(t, ids, rolledBack.ID)
	require.Len(t, ids, 3, "every emitted event that committed was written")
}
