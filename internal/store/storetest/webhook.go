package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/webhook"
)

// newEndpoint returns an enabled endpoint of tenantID, not yet stored.
func newEndpoint(tenantID uuid.UUID, types ...string) webhook.Endpoint {
	n := now()
	id := newID()
	return webhook.Endpoint{ID: id, TenantID: tenantID, URL: "https://example.com/hooks/" + id.String(), Description: "ERP",
		EventTypes: types, Enabled: true, Secret: "whsec_" + id.String(), CreatedAt: n, UpdatedAt: n}
}

func createEndpoint(t *testing.T, s store.Store, tenantID uuid.UUID, types ...string) webhook.Endpoint {
	t.Helper()
	e := newEndpoint(tenantID, types...)
	require.NoError(t, s.WebhookEndpointCreate(context.Background(), e))
	return e
}

func createEvent(t *testing.T, s store.Store, tenantID uuid.UUID, typ string) event.Event {
	t.Helper()
	e := event.Event{ID: newID(), TenantID: tenantID, Type: typ, EntityID: "x", Data: json.RawMessage(`{"id":"x"}`), CreatedAt: now()}
	require.NoError(t, s.EventInsert(context.Background(), e))
	return e
}

// requireSameTime checks that want and got are both nil or the same
// instant (engines may return another location).
func requireSameTime(t *testing.T, name string, want, got *time.Time) {
	t.Helper()
	if want == nil {
		require.Nilf(t, got, "%s: want nil", name)
		return
	}
	require.NotNilf(t, got, "%s: want %v, got nil", name, *want)
	require.Truef(t, want.Equal(*got), "%s: want %v, got %v", name, *want, *got)
}

func requireEndpoint(t *testing.T, want, got webhook.Endpoint) {
	t.Helper()
	requireSameTime(t, "created_at", &want.CreatedAt, &got.CreatedAt)
	requireSameTime(t, "updated_at", &want.UpdatedAt, &got.UpdatedAt)
	requireSameTime(t, "previous_secret_expires_at", want.PreviousSecretExpiresAt, got.PreviousSecretExpiresAt)
	requireSameTime(t, "failing_since", want.FailingSince, got.FailingSince)
	got.CreatedAt, got.UpdatedAt, got.PreviousSecretExpiresAt, got.FailingSince = want.CreatedAt, want.UpdatedAt, want.PreviousSecretExpiresAt, want.FailingSince
	if len(want.EventTypes) == 0 {
		require.Empty(t, got.EventTypes)
		got.EventTypes = want.EventTypes
	}
	require.Equal(t, want, got)
}

func requireDelivery(t *testing.T, want, got webhook.Delivery) {
	t.Helper()
	requireSameTime(t, "created_at", &want.CreatedAt, &got.CreatedAt)
	requireSameTime(t, "updated_at", &want.UpdatedAt, &got.UpdatedAt)
	requireSameTime(t, "next_attempt_at", want.NextAttemptAt, got.NextAttemptAt)
	requireSameTime(t, "delivered_at", want.DeliveredAt, got.DeliveredAt)
	got.CreatedAt, got.UpdatedAt, got.NextAttemptAt, got.DeliveredAt = want.CreatedAt, want.UpdatedAt, want.NextAttemptAt, want.DeliveredAt
	require.Equal(t, want, got)
}

func deliveryIDs(ds []webhook.Delivery) []uuid.UUID {
	ids := make([]uuid.UUID, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids
}

func testWebhookEndpoints(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)

	e1 := createEndpoint(t, s, a, event.OrderCreated, event.OrderStatusChanged)
	e2 := newEndpoint(a) // all event types
	failing, expires := now().Add(-time.Hour), now().Add(24*time.Hour)
	e2.Enabled, e2.DisabledReason, e2.FailingSince = false, "too many failures", &failing
	e2.PreviousSecret, e2.PreviousSecretExpiresAt = "whsec_old", &expires
	require.NoError(t, s.WebhookEndpointCreate(ctx, e2))
	eb := createEndpoint(t, s, b)

	got, err := s.WebhookEndpointGet(ctx, a, e1.ID)
	require.NoError(t, err)
	requireEndpoint(t, e1, got)
	// Read for update in a transaction: the same endpoint, and another
	// tenant's is not found.
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		locked, err := tx.WebhookEndpointGetForUpdate(ctx, a, e1.ID)
		require.NoError(t, err)
		requireEndpoint(t, e1, locked)
		_, err = tx.WebhookEndpointGetForUpdate(ctx, b, e1.ID)
		requireKind(t, err, apperr.ErrNotFound)
		return nil
	}))
	require.Equal(t, []string{event.OrderCreated, event.OrderStatusChanged}, got.EventTypes)
	got, err = s.WebhookEndpointGet(ctx, a, e2.ID)
	require.NoError(t, err)
	requireEndpoint(t, e2, got)
	require.True(t, got.Subscribed(event.OrderDeleted), "no event types means all")

	requireKind(t, s.WebhookEndpointCreate(ctx, e1), apperr.ErrConflict)

	list, err := s.WebhookEndpointList(ctx, a, false)
	require.NoError(t, err)
	require.Len(t, list, 2)
	requireEndpoint(t, e1, list[0]) // oldest first
	requireEndpoint(t, e2, list[1])
	list, err = s.WebhookEndpointList(ctx, a, true)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, e1.ID, list[0].ID)

	// Isolation.
	_, err = s.WebhookEndpointGet(ctx, b, e1.ID)
	requireKind(t, err, apperr.ErrNotFound)
	list, err = s.WebhookEndpointList(ctx, b, false)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, eb.ID, list[0].ID)

	// Every mutable field is saved.
	rotated := now().Add(time.Hour)
	e1.URL, e1.Description, e1.EventTypes = "https://example.org/new", "New", []string{event.OrderDeleted}
	e1.Enabled, e1.DisabledReason, e1.FailingSince = false, "disabled by user", &failing
	e1.PreviousSecret, e1.Secret, e1.PreviousSecretExpiresAt = e1.Secret, "whsec_new", &rotated
	e1.UpdatedAt = now().Add(time.Minute)
	require.NoError(t, s.WebhookEndpointUpdate(ctx, e1))
	got, err = s.WebhookEndpointGet(ctx, a, e1.ID)
	require.NoError(t, err)
	requireEndpoint(t, e1, got)

	// And cleared again.
	e1.EventTypes, e1.Enabled, e1.DisabledReason, e1.FailingSince, e1.PreviousSecret, e1.PreviousSecretExpiresAt = nil, true, "", nil, "", nil
	require.NoError(t, s.WebhookEndpointUpdate(ctx, e1))
	got, err = s.WebhookEndpointGet(ctx, a, e1.ID)
	require.NoError(t, err)
	requireEndpoint(t, e1, got)

	other := e1
	other.TenantID = b
	requireKind(t, s.WebhookEndpointUpdate(ctx, other), apperr.ErrNotFound)
	requireKind(t, s.WebhookEndpointUpdate(ctx, newEndpoint(a)), apperr.ErrNotFound)

	requireKind(t, s.WebhookEndpointDelete(ctx, b, e1.ID), apperr.ErrNotFound)
	require.NoError(t, s.WebhookEndpointDelete(ctx, a, e1.ID))
	requireKind(t, s.WebhookEndpointDelete(ctx, a, e1.ID), apperr.ErrNotFound)
	_, err = s.WebhookEndpointGet(ctx, a, e1.ID)
	requireKind(t, err, apperr.ErrNotFound)
	list, err = s.WebhookEndpointList(ctx, a, false)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, e2.ID, list[0].ID)
}

func testWebhookDeliveries(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	ep := createEndpoint(t, s, a)
	quiet := createEndpoint(t, s, a)
	epb := createEndpoint(t, s, b)
	evb := createEvent(t, s, b, event.OrderCreated)

	n := now()
	var ds []webhook.Delivery // oldest first
	for i, typ := range []string{event.OrderCreated, event.OrderUpdated, event.OrderCreated, event.OrderUpdated} {
		ev := createEvent(t, s, a, typ)
		at := n.Add(time.Duration(i-3) * time.Hour)
		next := at.Add(time.Minute)
		d := webhook.Delivery{ID: newID(), TenantID: a, EndpointID: ep.ID, EventID: ev.ID, EventType: typ, Status: webhook.DeliveryPending,
			NextAttemptAt: &next, CreatedAt: at, UpdatedAt: at}
		if i == 1 {
			d.Status = webhook.DeliveryFailed
		}
		require.NoError(t, s.WebhookDeliveryCreate(ctx, d))
		ds = append(ds, d)
	}

	got, err := s.WebhookDeliveryGet(ctx, a, ds[0].ID)
	require.NoError(t, err)
	requireDelivery(t, ds[0], got)
	// What an attempt needs, read at once: the delivery, its endpoint and
	// its event.
	got, gotEp, gotEv, err := s.WebhookDeliveryToSend(ctx, a, ds[0].ID)
	require.NoError(t, err)
	requireDelivery(t, ds[0], got)
	require.Equal(t, ep.ID, gotEp.ID)
	require.Equal(t, ep.URL, gotEp.URL)
	require.Equal(t, ep.Secret, gotEp.Secret)
	require.Equal(t, ds[0].EventID, gotEv.ID)
	require.Equal(t, ds[0].EventType, gotEv.Type)
	require.JSONEq(t, `{"id":"x"}`, string(gotEv.Data))

	// The same event to the same endpoint once only.
	dup := ds[0]
	dup.ID = newID()
	requireKind(t, s.WebhookDeliveryCreate(ctx, dup), apperr.ErrConflict)
	// The same event to another endpoint is another delivery.
	toQuiet := ds[0]
	toQuiet.ID, toQuiet.EndpointID = newID(), quiet.ID
	require.NoError(t, s.WebhookDeliveryCreate(ctx, toQuiet))

	// Another tenant's endpoint or event is not found.
	cross := ds[0]
	cross.ID, cross.EndpointID = newID(), epb.ID
	requireKind(t, s.WebhookDeliveryCreate(ctx, cross), apperr.ErrNotFound)
	cross = ds[0]
	cross.ID, cross.EventID = newID(), evb.ID
	requireKind(t, s.WebhookDeliveryCreate(ctx, cross), apperr.ErrNotFound)
	_, err = s.WebhookDeliveryGet(ctx, b, ds[0].ID)
	requireKind(t, err, apperr.ErrNotFound)
	_, _, _, err = s.WebhookDeliveryToSend(ctx, b, ds[0].ID)
	requireKind(t, err, apperr.ErrNotFound)

	// Update.
	d := ds[0]
	delivered := n.Add(time.Second)
	d.Status, d.Attempts, d.NextAttemptAt, d.LastStatusCode, d.LastError, d.LastResponse, d.UpdatedAt, d.DeliveredAt =
		webhook.DeliverySucceeded, 2, nil, 204, "", "ok", delivered, &delivered
	require.NoError(t, s.WebhookDeliveryUpdate(ctx, d))
	got, err = s.WebhookDeliveryGet(ctx, a, d.ID)
	require.NoError(t, err)
	requireDelivery(t, d, got)
	ds[0] = d
	other := d
	other.TenantID = b
	requireKind(t, s.WebhookDeliveryUpdate(ctx, other), apperr.ErrNotFound)
	missing := d
	missing.ID = newID()
	requireKind(t, s.WebhookDeliveryUpdate(ctx, missing), apperr.ErrNotFound)

	// List, newest first, with each filter.
	list := func(f webhook.DeliveryFilter) []uuid.UUID {
		t.Helper()
		if f.TenantID == uuid.Nil {
			f.TenantID = a
		}
		if f.EndpointID == uuid.Nil {
			f.EndpointID = ep.ID
		}
		got, err := s.WebhookDeliveryList(ctx, f)
		require.NoError(t, err)
		return deliveryIDs(got)
	}
	ids := func(is ...int) []uuid.UUID {
		out := []uuid.UUID{}
		for _, i := range is {
			out = append(out, ds[i].ID)
		}
		return out
	}
	all, err := s.WebhookDeliveryList(ctx, webhook.DeliveryFilter{TenantID: a, EndpointID: ep.ID})
	require.NoError(t, err)
	require.Len(t, all, 4)
	requireDelivery(t, ds[3], all[0])
	requireDelivery(t, ds[0], all[3])
	require.Equal(t, ids(3, 1), list(webhook.DeliveryFilter{EventType: event.OrderUpdated}))
	require.Equal(t, ids(0), list(webhook.DeliveryFilter{Status: webhook.DeliverySucceeded}))
	require.Equal(t, ids(3, 2), list(webhook.DeliveryFilter{Status: webhook.DeliveryPending}))
	require.Equal(t, ids(2), list(webhook.DeliveryFilter{Status: webhook.DeliveryPending, EventType: event.OrderCreated}))
	since := ds[2].CreatedAt
	require.Equal(t, ids(3, 2), list(webhook.DeliveryFilter{Since: &since}), "since is inclusive")
	require.Equal(t, ids(3, 2), list(webhook.DeliveryFilter{Limit: 2}))
	require.Equal(t, ids(1, 0), list(webhook.DeliveryFilter{Limit: 2, Before: &ds[2].ID}), "the next page")
	require.Empty(t, list(webhook.DeliveryFilter{Before: &ds[0].ID}))
	// The previous page: the deliveries just above a cursor, newest first.
	require.Equal(t, ids(3, 2), list(webhook.DeliveryFilter{Limit: 2, After: &ds[1].ID}), "the previous page")
	require.Equal(t, ids(2, 1), list(webhook.DeliveryFilter{Limit: 2, After: &ds[0].ID}), "the page just above the cursor, not the newest")
	require.Equal(t, ids(3), list(webhook.DeliveryFilter{Limit: 2, After: &ds[2].ID, Status: webhook.DeliveryPending}), "with a filter")
	require.Empty(t, list(webhook.DeliveryFilter{After: &ds[3].ID}))
	require.Equal(t, []uuid.UUID{toQuiet.ID}, list(webhook.DeliveryFilter{EndpointID: quiet.ID}))
	require.Empty(t, list(webhook.DeliveryFilter{TenantID: b}), "another tenant's endpoint")

	// The default page is 50; the largest 500.
	busy := createEndpoint(t, s, a)
	for range 55 {
		ev := createEvent(t, s, a, event.OrderCreated)
		require.NoError(t, s.WebhookDeliveryCreate(ctx, webhook.Delivery{ID: newID(), TenantID: a, EndpointID: busy.ID, EventID: ev.ID,
			EventType: ev.Type, Status: webhook.DeliveryPending, CreatedAt: n, UpdatedAt: n}))
	}
	require.Len(t, list(webhook.DeliveryFilter{EndpointID: busy.ID}), 50)
	require.Len(t, list(webhook.DeliveryFilter{EndpointID: busy.ID, Limit: 10_000}), 55)
}

func testWebhookAttempts(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	ep := createEndpoint(t, s, a)
	n := now()
	var ds []webhook.Delivery
	for range 2 {
		ev := createEvent(t, s, a, event.OrderCreated)
		d := webhook.Delivery{ID: newID(), TenantID: a, EndpointID: ep.ID, EventID: ev.ID, EventType: ev.Type, Status: webhook.DeliveryPending, CreatedAt: n, UpdatedAt: n}
		require.NoError(t, s.WebhookDeliveryCreate(ctx, d))
		ds = append(ds, d)
	}
	attempt := func(d webhook.Delivery, number int, latency time.Duration) webhook.Attempt {
		return webhook.Attempt{ID: newID(), TenantID: a, DeliveryID: d.ID, Number: number, StatusCode: 500, Latency: latency,
			Response: "oops", Error: "HTTP 500", CreatedAt: n.Add(time.Duration(number) * time.Second)}
	}
	// Inserted out of order; listed by delivery, then number.
	second := attempt(ds[1], 1, 1500*time.Microsecond)
	a2 := attempt(ds[0], 2, 250*time.Millisecond)
	a1 := attempt(ds[0], 1, 1234*time.Millisecond)
	a1.StatusCode, a1.Response, a1.Error = 0, "", "dial tcp: connection refused"
	for _, at := range []webhook.Attempt{second, a2, a1} {
		require.NoError(t, s.WebhookAttemptInsert(ctx, at))
	}

	got, err := s.WebhookAttemptList(ctx, a, []uuid.UUID{ds[1].ID, ds[0].ID})
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i, want := range []webhook.Attempt{a1, a2, second} {
		require.Truef(t, want.CreatedAt.Equal(got[i].CreatedAt), "attempt %d created_at", i)
		got[i].CreatedAt = want.CreatedAt
		if want.ID == second.ID {
			want.Latency = time.Millisecond // kept in whole milliseconds
		}
		require.Equal(t, want, got[i])
	}

	got, err = s.WebhookAttemptList(ctx, a, []uuid.UUID{ds[1].ID})
	require.NoError(t, err)
	require.Len(t, got, 1)
	got, err = s.WebhookAttemptList(ctx, a, nil)
	require.NoError(t, err)
	require.Empty(t, got)

	// Isolation: B neither lists A's attempts nor adds to A's deliveries.
	got, err = s.WebhookAttemptList(ctx, b, []uuid.UUID{ds[0].ID, ds[1].ID})
	require.NoError(t, err)
	require.Empty(t, got)
	cross := attempt(ds[0], 3, time.Second)
	cross.TenantID = b
	requireKind(t, s.WebhookAttemptInsert(ctx, cross), apperr.ErrNotFound)
	missing := attempt(ds[0], 3, time.Second)
	missing.DeliveryID = newID()
	requireKind(t, s.WebhookAttemptInsert(ctx, missing), apperr.ErrNotFound)

	// An attempt and its delivery's update are recorded together, or not
	// at all.
	a3 := attempt(ds[1], 2, 30*time.Millisecond)
	a3.StatusCode, a3.Response, a3.Error = 204, "", ""
	done := ds[1]
	delivered := n.Add(3 * time.Second)
	done.Status, done.Attempts, done.NextAttemptAt, done.LastStatusCode, done.LastError, done.UpdatedAt, done.DeliveredAt =
		webhook.DeliverySucceeded, 2, nil, 204, "", delivered, &delivered
	require.NoError(t, s.WebhookAttemptRecord(ctx, a3, done))
	gotD, err := s.WebhookDeliveryGet(ctx, a, done.ID)
	require.NoError(t, err)
	requireDelivery(t, done, gotD)
	got, err = s.WebhookAttemptList(ctx, a, []uuid.UUID{ds[1].ID})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, a3.ID, got[1].ID)
	ds[1] = done
	// No such delivery (deleted meanwhile): the attempt is not kept.
	gone := done
	gone.ID = newID()
	a4 := attempt(gone, 3, time.Millisecond)
	requireKind(t, s.WebhookAttemptRecord(ctx, a4, gone), apperr.ErrNotFound)
	// Another tenant's: not found either.
	foreign, a5 := done, attempt(done, 3, time.Millisecond)
	foreign.TenantID, a5.TenantID = b, b
	requireKind(t, s.WebhookAttemptRecord(ctx, a5, foreign), apperr.ErrNotFound)
	// An attempt of another delivery is refused.
	require.Error(t, s.WebhookAttemptRecord(ctx, missing, done))
	got, err = s.WebhookAttemptList(ctx, a, []uuid.UUID{ds[1].ID})
	require.NoError(t, err)
	require.Len(t, got, 2, "a failed record keeps no attempt")

	// Deleting the endpoint deletes its deliveries and their attempts.
	require.NoError(t, s.WebhookEndpointDelete(ctx, a, ep.ID))
	_, err = s.WebhookDeliveryGet(ctx, a, ds[0].ID)
	requireKind(t, err, apperr.ErrNotFound)
	_, _, _, err = s.WebhookDeliveryToSend(ctx, a, ds[0].ID)
	requireKind(t, err, apperr.ErrNotFound)
	got, err = s.WebhookAttemptList(ctx, a, []uuid.UUID{ds[0].ID, ds[1].ID})
	require.NoError(t, err)
	require.Empty(t, got)
}

// EventInsertForWebhooks writes the event and returns its tenant's enabled
// endpoints (all types; the caller filters), inside a transaction too.
func testEventInsertForWebhooks(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	e := event.Event{ID: newID(), TenantID: a, Type: event.OrderCreated, EntityID: "x", Data: json.RawMessage(`{"id":"x"}`), CreatedAt: now()}
	eps, err := s.EventInsertForWebhooks(ctx, e)
	require.NoError(t, err)
	require.Empty(t, eps, "no endpoints yet")

	all := createEndpoint(t, s, a)
	some := createEndpoint(t, s, a, "order.shipped")
	off := createEndpoint(t, s, a)
	off.Enabled = false
	require.NoError(t, s.WebhookEndpointUpdate(ctx, off))
	createEndpoint(t, s, b)

	e2 := e
	e2.ID = newID()
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		eps, err = tx.EventInsertForWebhooks(ctx, e2)
		return err
	}))
	ids := []uuid.UUID{}
	for _, ep := range eps {
		ids = append(ids, ep.ID)
	}
	require.ElementsMatch(t, []uuid.UUID{all.ID, some.ID}, ids, "the tenant's enabled endpoints, no other's")

	got, err := s.EventListAfter(ctx, a, uuid.Nil, 10)
	require.NoError(t, err)
	require.Len(t, got, 2, "both events were written")
	require.Equal(t, []uuid.UUID{e.ID, e2.ID}, []uuid.UUID{got[0].ID, got[1].ID})
	_, err = s.EventInsertForWebhooks(ctx, e)
	requireKind(t, err, apperr.ErrConflict)
}

// The failing deliveries of a tenant, across its endpoints: those retrying
// (pending after an attempt) and those given up, the most recently changed
// first; not those succeeded or not yet tried, nor another tenant's.
func testWebhookDeliveriesFailing(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	ep1, ep2, epb := createEndpoint(t, s, a), createEndpoint(t, s, a), createEndpoint(t, s, b)
	n := now()
	mk := func(tenant uuid.UUID, ep webhook.Endpoint, st webhook.DeliveryStatus, attempts int, updated time.Duration) webhook.Delivery {
		t.Helper()
		ev := createEvent(t, s, tenant, event.OrderCreated)
		d := webhook.Delivery{ID: newID(), TenantID: tenant, EndpointID: ep.ID, EventID: ev.ID, EventType: ev.Type, Status: st,
			CreatedAt: n, UpdatedAt: n}
		require.NoError(t, s.WebhookDeliveryCreate(ctx, d))
		d.Attempts, d.UpdatedAt, d.LastError = attempts, n.Add(updated), "HTTP 500"
		require.NoError(t, s.WebhookDeliveryUpdate(ctx, d))
		return d
	}
	retrying := mk(a, ep1, webhook.DeliveryPending, 2, 2*time.Minute)
	gaveUp := mk(a, ep2, webhook.DeliveryFailed, 8, time.Minute)
	mk(a, ep1, webhook.DeliveryPending, 0, 3*time.Minute)   // not tried yet
	mk(a, ep1, webhook.DeliverySucceeded, 1, 4*time.Minute) // went through
	mk(b, epb, webhook.DeliveryFailed, 8, 5*time.Minute)    // another tenant's

	got, err := s.WebhookDeliveryListFailing(ctx, a, 10)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, retrying.ID, got[0].ID, "the most recently changed first")
	require.Equal(t, 2, got[0].Attempts)
	require.Equal(t, "HTTP 500", got[0].LastError)
	require.Equal(t, gaveUp.ID, got[1].ID)
	require.Equal(t, webhook.DeliveryFailed, got[1].Status)

	got, err = s.WebhookDeliveryListFailing(ctx, a, 1)
	require.NoError(t, err)
	require.Len(t, got, 1)
}

// testWebhookOwners checks whom a disabled endpoint's mail goes to: the
// tenant's owners only, sorted, never another tenant's; a tenant without
// owners still has its name; a missing tenant is not found.
func testWebhookOwners(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewTenant(), NewTenant()
	require.NoError(t, s.TenantCreate(ctx, a))
	require.NoError(t, s.TenantCreate(ctx, b))
	n := now()
	var owners []string
	for _, role := range []access.Role{access.RoleOwner, access.RoleMember, access.RoleOwner, access.RoleAdmin} {
		u := NewUser()
		require.NoError(t, s.UserCreate(ctx, u))
		require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: a.ID, UserID: u.ID, Role: role, CreatedAt: n, UpdatedAt: n}))
		if role == access.RoleOwner {
			owners = append(owners, u.Email)
		}
	}
	other := NewUser()
	require.NoError(t, s.UserCreate(ctx, other))
	require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: b.ID, UserID: other.ID, Role: access.RoleAdmin, CreatedAt: n, UpdatedAt: n}))
	slices.Sort(owners)

	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		name, emails, err := tx.WebhookOwners(ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, a.Name, name)
		require.Equal(t, owners, emails)
		return nil
	}))
	name, emails, err := s.WebhookOwners(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, b.Name, name)
	require.Empty(t, emails, "an admin is not an owner")

	_, _, err = s.WebhookOwners(ctx, uuid.Must(uuid.NewV7()))
	requireKind(t, err, apperr.ErrNotFound)
}
