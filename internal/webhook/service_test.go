package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/outbox"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/pgstore/pgtest"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/store/storetest"
	"github.com/ordo/ordo/internal/testkit"
	"github.com/ordo/ordo/internal/webhook"
)

// onEngines runs fn against each real store: SQLite on a temp dir, and
// PostgreSQL (skipped when there is none, outside CI).
func onEngines(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Helper()
	engines := map[string]func(t *testing.T) store.Store{
		"sqlite": func(t *testing.T) store.Store {
			ctx := context.Background()
			st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "ordo.db"), testkit.Logger(t))
			require.NoError(t, err)
			t.Cleanup(st.Close)
			require.NoError(t, st.MigrateUp(ctx))
			return st
		},
		"postgres": func(t *testing.T) store.Store {
			st, err := pgstore.Open(context.Background(), pgtest.URL(t), testkit.Logger(t))
			require.NoError(t, err)
			t.Cleanup(st.Close)
			return st
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, engines[name](t))
		})
	}
}

// env is a tenant with an owner, a member and a viewer, and another
// tenant with its own owner.
type env struct {
	st                    store.Store
	owner, member, viewer access.Principal
	stranger              access.Principal // owner of another tenant
}

func newEnv(t *testing.T, st store.Store) env {
	t.Helper()
	ctx := context.Background()
	principal := func(tenantID uuid.UUID, role access.Role) access.Principal {
		u := storetest.NewUser()
		require.NoError(t, st.UserCreate(ctx, u))
		require.NoError(t, st.MembershipCreate(ctx, account.Membership{TenantID: tenantID, UserID: u.ID, Role: role, CreatedAt: u.CreatedAt, UpdatedAt: u.CreatedAt}))
		return access.Principal{UserID: u.ID, TenantID: tenantID, Role: role}
	}
	a, b := storetest.NewTenant(), storetest.NewTenant()
	require.NoError(t, st.TenantCreate(ctx, a))
	require.NoError(t, st.TenantCreate(ctx, b))
	return env{st: st, owner: principal(a.ID, access.RoleOwner), member: principal(a.ID, access.RoleMember),
		viewer: principal(a.ID, access.RoleViewer), stranger: principal(b.ID, access.RoleOwner)}
}

// service is the webhook service on db, with a one and a five minute
// retry and private addresses allowed (httptest servers).
func service(db webhook.DB) *webhook.Service {
	return webhook.NewService(db, webhook.Options{AllowPrivate: true, Schedule: []time.Duration{time.Minute, 5 * time.Minute},
		Timeout: 5 * time.Second, BaseURL: "http://ordo.test"})
}

func narrow(st store.Store) webhook.DB { return store.Narrow[webhook.Tx]{Store: st} }

func ptr[T any](v T) *T { return &v }

// auditActions lists the actions audited about one entity, newest first.
func auditActions(t *testing.T, st store.Store, tenantID uuid.UUID, entity string, id uuid.UUID) []string {
	t.Helper()
	es, err := st.AuditList(context.Background(), tenantID, audit.Filter{EntityType: entity, EntityID: id.String(), Limit: 50})
	require.NoError(t, err)
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Action
	}
	return out
}

// receiver is an httptest webhook receiver that checks every request's
// signature against the endpoint's secret and answers with the status it
// is told.
type receiver struct {
	*httptest.Server
	mu        sync.Mutex
	status    int
	secret    string
	ids       []string // webhook-id of each request
	bodies    []string
	verifyErr []error // Verify's verdict on each request
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: http.StatusNoContent}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.ids = append(r.ids, req.Header.Get(webhook.HeaderID))
		r.bodies = append(r.bodies, string(body))
		r.verifyErr = append(r.verifyErr, webhook.Verify(r.secret, req.Header, body, time.Now(), 0))
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) answer(status int) { r.mu.Lock(); r.status = status; r.mu.Unlock() }

func (r *receiver) requests() (ids, bodies []string, verifyErr []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slicesClone(r.ids), slicesClone(r.bodies), slicesClone(r.verifyErr)
}

func slicesClone[T any](s []T) []T { return append([]T(nil), s...) }

// requireKind asserts that err is an apperr of the kind of want, with its
// HTTP status.
func requireKind(t *testing.T, err error, want *apperr.Error, status int) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, want)
	require.Equal(t, status, apperr.HTTPStatus(err))
}

// A member and a viewer may neither manage nor read endpoints (the
// permission table gives webhooks to owners and admins), and nothing of
// theirs is stored.
func TestServicePermissions(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		svc := service(narrow(st))
		rcv := newReceiver(t)
		ep, err := svc.Create(ctx, e.owner, webhook.Input{URL: ptr(rcv.URL)}, access.Meta{})
		require.NoError(t, err)
		d, err := svc.SendTest(ctx, e.owner, ep.ID, access.Meta{})
		require.NoError(t, err)

		calls := map[string]func(p access.Principal) error{
			"create": func(p access.Principal) error {
				_, err := svc.Create(ctx, p, webhook.Input{URL: ptr(rcv.URL + "/other")}, access.Meta{})
				return err
			},
			"update": func(p access.Principal) error {
				_, err := svc.Update(ctx, p, ep.ID, webhook.Input{Description: ptr("mine now")}, access.Meta{})
				return err
			},
			"delete":        func(p access.Principal) error { return svc.Delete(ctx, p, ep.ID, access.Meta{}) },
			"rotate secret": func(p access.Principal) error { _, err := svc.RotateSecret(ctx, p, ep.ID, access.Meta{}); return err },
			"send test":     func(p access.Principal) error { _, err := svc.SendTest(ctx, p, ep.ID, access.Meta{}); return err },
			"replay":        func(p access.Principal) error { _, err := svc.Replay(ctx, p, ep.ID, d.ID, access.Meta{}); return err },
			"replay failed": func(p access.Principal) error {
				_, err := svc.ReplayFailed(ctx, p, ep.ID, time.Now().Add(-time.Hour), access.Meta{})
				return err
			},
			"get":  func(p access.Principal) error { _, err := svc.Get(ctx, p, ep.ID); return err },
			"list": func(p access.Principal) error { _, err := svc.List(ctx, p, page.Request{}); return err },
			"deliveries": func(p access.Principal) error {
				_, err := svc.Deliveries(ctx, p, webhook.DeliveryFilter{EndpointID: ep.ID})
				return err
			},
			"failing deliveries": func(p access.Principal) error { _, _, err := svc.FailingDeliveries(ctx, p, 10); return err },
		}
		for name, call := range calls {
			for _, p := range []access.Principal{e.member, e.viewer} {
				err := call(p)
				require.ErrorIs(t, err, apperr.ErrForbidden, "%s as %s", name, p.Role)
				require.Equal(t, http.StatusForbidden, apperr.HTTPStatus(err), "%s as %s", name, p.Role)
			}
		}
		got, err := svc.Get(ctx, e.owner, ep.ID)
		require.NoError(t, err)
		require.Equal(t, ep.URL, got.URL)
		require.Empty(t, got.Description, "the member's update did not happen")
		epsP, err := svc.List(ctx, e.owner, page.Request{})
		eps := epsP.Rows
		require.NoError(t, err)
		require.Len(t, eps, 1, "the member's create did not happen")
		page, err := svc.Deliveries(ctx, e.owner, webhook.DeliveryFilter{EndpointID: ep.ID})
		require.NoError(t, err)
		require.Len(t, page.Deliveries, 1, "only the owner's test event")
	})
}

// Another tenant's endpoint and delivery are not found, by any call, and
// stay as they were.
func TestServiceOtherTenant(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		svc := service(narrow(st))
		rcv := newReceiver(t)
		ep, err := svc.Create(ctx, e.owner, webhook.Input{URL: ptr(rcv.URL), Description: ptr("A's")}, access.Meta{})
		require.NoError(t, err)
		d, err := svc.SendTest(ctx, e.owner, ep.ID, access.Meta{})
		require.NoError(t, err)
		mine, err := svc.Create(ctx, e.stranger, webhook.Input{URL: ptr(rcv.URL)}, access.Meta{})
		require.NoError(t, err)

		p := e.stranger
		calls := []func() error{
			func() error { _, err := svc.Get(ctx, p, ep.ID); return err },
			func() error {
				_, err := svc.Update(ctx, p, ep.ID, webhook.Input{Description: ptr("B's")}, access.Meta{})
				return err
			},
			func() error { return svc.Delete(ctx, p, ep.ID, access.Meta{}) },
			func() error { _, err := svc.RotateSecret(ctx, p, ep.ID, access.Meta{}); return err },
			func() error { _, err := svc.SendTest(ctx, p, ep.ID, access.Meta{}); return err },
			func() error { _, err := svc.Deliveries(ctx, p, webhook.DeliveryFilter{EndpointID: ep.ID}); return err },
			func() error { _, err := svc.Replay(ctx, p, ep.ID, d.ID, access.Meta{}); return err },
			// A's delivery under B's own endpoint id is not found either.
			func() error { _, err := svc.Replay(ctx, p, mine.ID, d.ID, access.Meta{}); return err },
			func() error {
				_, err := svc.ReplayFailed(ctx, p, ep.ID, time.Now().Add(-time.Hour), access.Meta{})
				return err
			},
		}
		for i, call := range calls {
			err := call()
			require.ErrorIs(t, err, apperr.ErrNotFound, "call %d", i)
			require.Equal(t, http.StatusNotFound, apperr.HTTPStatus(err), "call %d", i)
		}
		got, err := svc.Get(ctx, e.owner, ep.ID)
		require.NoError(t, err)
		require.Equal(t, "A's", got.Description)
		require.True(t, got.UpdatedAt.Equal(ep.CreatedAt), "never updated")
		page, err := svc.Deliveries(ctx, e.owner, webhook.DeliveryFilter{EndpointID: ep.ID})
		require.NoError(t, err)
		require.Len(t, page.Deliveries, 1)
		require.Equal(t, webhook.DeliveryPending, page.Deliveries[0].Status)
	})
}

// Invalid input names the field at fault, refused hosts included, and
// stores nothing.
func TestServiceValidation(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		strict := webhook.NewService(narrow(st), webhook.Options{})
		long := strings.Repeat("x", 501)
		cases := []struct {
			name   string
			in     webhook.Input
			field  string
			detail string // a part of the message
		}{
			{"no url", webhook.Input{}, "url", "required"},
			{"not https", webhook.Input{URL: ptr("ftp://example.com/hook")}, "url", "https"},
			{"plain http", webhook.Input{URL: ptr("http://93.184.216.34/hook")}, "url", "https"},
			{"loopback", webhook.Input{URL: ptr("https://127.0.0.1/hook")}, "url", "127.0.0.1"},
			{"private", webhook.Input{URL: ptr("https://10.1.2.3/hook")}, "url", "10.1.2.3"},
			{"cloud metadata", webhook.Input{URL: ptr("https://169.254.169.254/latest/meta-data")}, "url", "169.254.169.254"},
			{"credentials", webhook.Input{URL: ptr("https://user:pw@93.184.216.34/hook")}, "url", "password"},
			{"description", webhook.Input{URL: ptr("https://93.184.216.34/hook"), Description: &long}, "description", "500"},
			{"event type", webhook.Input{URL: ptr("https://93.184.216.34/hook"), EventTypes: &[]string{"order.exploded"}}, "event_types", "order.exploded"},
		}
		for _, c := range cases {
			_, err := strict.Create(ctx, e.owner, c.in, access.Meta{})
			requireKind(t, err, apperr.ErrInvalid, http.StatusUnprocessableEntity)
			ae, _ := apperr.As(err)
			require.Len(t, ae.Fields, 1, c.name)
			require.Equal(t, c.field, ae.Fields[0].Field, c.name)
			require.Contains(t, ae.Fields[0].Detail, c.detail, c.name)
		}
		eps, err := st.WebhookEndpointList(ctx, e.owner.TenantID, false)
		require.NoError(t, err)
		require.Empty(t, eps)
		es, err := st.AuditList(ctx, e.owner.TenantID, audit.Filter{EntityType: "webhook_endpoint", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, es)

		// An edit is checked the same way and leaves the endpoint alone.
		ep, err := strict.Create(ctx, e.owner, webhook.Input{URL: ptr("https://93.184.216.34/hook")}, access.Meta{})
		require.NoError(t, err)
		_, err = strict.Update(ctx, e.owner, ep.ID, webhook.Input{URL: ptr("https://192.168.0.1/")}, access.Meta{})
		requireKind(t, err, apperr.ErrInvalid, http.StatusUnprocessableEntity)
		got, err := st.WebhookEndpointGet(ctx, e.owner.TenantID, ep.ID)
		require.NoError(t, err)
		require.Equal(t, "https://93.184.216.34/hook", got.URL)
	})
}

// snoozed returns the delay of a snooze error.
func snoozed(t *testing.T, err error) time.Duration {
	t.Helper()
	var se *rivertype.JobSnoozeError
	require.True(t, errors.As(err, &se), "a snooze, got %v", err)
	return se.Duration
}

// The whole path: an endpoint is created (and audited), an event emitted
// through outbox.Emit creates its delivery, the worker's attempts carry a
// signature the receiver verifies, failures are retried on the schedule
// until it runs out, and a replay makes a new attempt that succeeds.
func TestServiceDeliveryFlow(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		svc := service(narrow(st))
		rcv := newReceiver(t)
		tenantID := e.owner.TenantID

		ep, err := svc.Create(ctx, e.owner, webhook.Input{URL: ptr(rcv.URL), EventTypes: &[]string{event.OrderCreated}}, access.Meta{})
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(ep.Secret, webhook.SecretPrefix), "the answer carries the secret")
		require.Equal(t, []string{"webhook_endpoint.created"}, auditActions(t, st, tenantID, "webhook_endpoint", ep.ID))
		rcv.secret = ep.Secret

		emit := func(typ string) event.Event {
			ev := event.Event{ID: uuid.Must(uuid.NewV7()), TenantID: tenantID, Type: typ, EntityID: "o-1",
				Data: json.RawMessage(`{"id":"o-1"}`), CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
			require.NoError(t, st.InTx(ctx, func(tx store.Tx) error { return outbox.Emit(ctx, tx, ev) }))
			return ev
		}
		ev := emit(event.OrderCreated)
		emit(event.OrderDeleted) // not subscribed: no delivery
		page, err := svc.Deliveries(ctx, e.owner, webhook.DeliveryFilter{EndpointID: ep.ID})
		require.NoError(t, err)
		require.Len(t, page.Deliveries, 1)
		d := page.Deliveries[0]
		require.Equal(t, ev.ID, d.EventID)
		require.Equal(t, webhook.DeliveryPending, d.Status)
		args := webhook.DeliverArgs{TenantID: tenantID, DeliveryID: d.ID}

		get := func() webhook.Delivery {
			got, err := st.WebhookDeliveryGet(ctx, tenantID, d.ID)
			require.NoError(t, err)
			return got
		}
		// A failing receiver: retried after each step of the schedule
		// (±10% jitter), then given up.
		rcv.answer(http.StatusInternalServerError)
		for i, step := range []time.Duration{time.Minute, 5 * time.Minute} {
			before := time.Now()
			delay := snoozed(t, svc.Deliver(ctx, args))
			require.InDelta(t, float64(step), float64(delay), float64(step)/10, "attempt %d", i+1)
			got := get()
			require.Equal(t, webhook.DeliveryPending, got.Status)
			require.Equal(t, i+1, got.Attempts)
			require.Equal(t, 500, got.LastStatusCode)
			require.Equal(t, "HTTP 500", got.LastError)
			require.NotNil(t, got.NextAttemptAt)
			require.WithinDuration(t, before.Add(delay), *got.NextAttemptAt, 5*time.Second)
		}
		require.NoError(t, svc.Deliver(ctx, args), "the schedule is used up: no snooze")
		got := get()
		require.Equal(t, webhook.DeliveryFailed, got.Status)
		require.Equal(t, 3, got.Attempts)
		require.Nil(t, got.NextAttemptAt)
		failingEp, err := st.WebhookEndpointGet(ctx, tenantID, ep.ID)
		require.NoError(t, err)
		require.NotNil(t, failingEp.FailingSince)
		require.True(t, failingEp.Enabled)
		ds, urls, err := svc.FailingDeliveries(ctx, e.owner, 10)
		require.NoError(t, err)
		require.Len(t, ds, 1)
		require.Equal(t, rcv.URL, urls[ds[0].EndpointID])
		require.NoError(t, svc.Deliver(ctx, args), "a failed delivery is not sent again by a duplicate job")

		// Replay: pending again, audited, and one more attempt that works.
		rcv.answer(http.StatusOK)
		replayed, err := svc.Replay(ctx, e.owner, ep.ID, d.ID, access.Meta{})
		require.NoError(t, err)
		require.Equal(t, webhook.DeliveryPending, replayed.Status)
		require.Equal(t, []string{"webhook_delivery.replayed"}, auditActions(t, st, tenantID, "webhook_delivery", d.ID))
		_, err = svc.Replay(ctx, e.owner, ep.ID, d.ID, access.Meta{})
		requireKind(t, err, apperr.ErrConflict, http.StatusConflict)
		require.NoError(t, svc.Deliver(ctx, webhook.DeliverArgs{TenantID: tenantID, DeliveryID: d.ID, Base: replayed.Attempts}))
		got = get()
		require.Equal(t, webhook.DeliverySucceeded, got.Status)
		require.Equal(t, 4, got.Attempts)
		require.Equal(t, 200, got.LastStatusCode)
		require.NotNil(t, got.DeliveredAt)
		healed, err := st.WebhookEndpointGet(ctx, tenantID, ep.ID)
		require.NoError(t, err)
		require.Nil(t, healed.FailingSince, "a success ends the failing period")

		page, err = svc.Deliveries(ctx, e.owner, webhook.DeliveryFilter{EndpointID: ep.ID})
		require.NoError(t, err)
		as := page.Attempts[d.ID]
		require.Len(t, as, 4)
		for i, a := range as {
			require.Equal(t, i+1, a.Number)
		}
		require.Equal(t, 200, as[3].StatusCode)

		ids, bodies, verdicts := rcv.requests()
		require.Len(t, ids, 4, "one request per attempt")
		for i := range ids {
			require.Equal(t, ev.ID.String(), ids[i], "the same webhook-id on every attempt")
			require.NoError(t, verdicts[i], "the receiver verifies attempt %d's signature", i+1)
			require.Contains(t, bodies[i], `"type":"order.created"`)
		}
	})
}

// A test event is written and delivered to its one endpoint only, and a
// receiver that answers 410 Gone gets its endpoint disabled, with an
// event saying so.
func TestServiceSendTestAndGone(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		svc := service(narrow(st))
		rcv, other := newReceiver(t), newReceiver(t)
		tenantID := e.owner.TenantID
		ep, err := svc.Create(ctx, e.owner, webhook.Input{URL: ptr(rcv.URL)}, access.Meta{})
		require.NoError(t, err)
		bystander, err := svc.Create(ctx, e.owner, webhook.Input{URL: ptr(other.URL)}, access.Meta{})
		require.NoError(t, err)
		rcv.secret = ep.Secret

		d, err := svc.SendTest(ctx, e.owner, ep.ID, access.Meta{})
		require.NoError(t, err)
		require.Equal(t, webhook.EventTest, d.EventType)
		require.Equal(t, []string{"webhook_endpoint.tested", "webhook_endpoint.created"}, auditActions(t, st, tenantID, "webhook_endpoint", ep.ID))
		page, err := svc.Deliveries(ctx, e.owner, webhook.DeliveryFilter{EndpointID: bystander.ID})
		require.NoError(t, err)
		require.Empty(t, page.Deliveries, "the test event goes to its endpoint only")

		rcv.answer(http.StatusGone)
		require.NoError(t, svc.Deliver(ctx, webhook.DeliverArgs{TenantID: tenantID, DeliveryID: d.ID}))
		_, bodies, verdicts := rcv.requests()
		require.Len(t, bodies, 1)
		require.NoError(t, verdicts[0])
		require.Contains(t, bodies[0], `"type":"webhook.test"`)
		got, err := st.WebhookDeliveryGet(ctx, tenantID, d.ID)
		require.NoError(t, err)
		require.Equal(t, webhook.DeliveryFailed, got.Status)
		disabled, err := st.WebhookEndpointGet(ctx, tenantID, ep.ID)
		require.NoError(t, err)
		require.False(t, disabled.Enabled)
		require.Contains(t, disabled.DisabledReason, "410")
		evs, err := st.EventListAfter(ctx, tenantID, uuid.Nil, 10)
		require.NoError(t, err)
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type)
		}
		require.Equal(t, []string{webhook.EventTest, "webhook_endpoint.disabled"}, types)
		still, err := st.WebhookEndpointGet(ctx, tenantID, bystander.ID)
		require.NoError(t, err)
		require.True(t, still.Enabled)
	})
}

// auditDown is a DB whose transactions cannot write audit entries.
type auditDown struct{ webhook.DB }

func (a auditDown) InTx(ctx context.Context, fn func(webhook.Tx) error) error {
	return a.DB.InTx(ctx, func(tx webhook.Tx) error { return fn(auditDownTx{tx}) })
}

type auditDownTx struct{ webhook.Tx }

var errAuditDown = errors.New("audit log down")

func (auditDownTx) AuditInsert(context.Context, audit.Entry) error { return errAuditDown }

// Each change writes its audit entry in its own transaction: when the
// entry cannot be written, the change (and its event and delivery) is
// not made either.
func TestServiceAuditSameTransaction(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		tenantID := e.owner.TenantID
		rcv := newReceiver(t)
		ep, err := service(narrow(st)).Create(ctx, e.owner, webhook.Input{URL: ptr(rcv.URL)}, access.Meta{})
		require.NoError(t, err)
		broken := service(auditDown{narrow(st)})

		_, err = broken.Create(ctx, e.owner, webhook.Input{URL: ptr(rcv.URL + "/2")}, access.Meta{})
		require.ErrorIs(t, err, errAuditDown)
		_, err = broken.Update(ctx, e.owner, ep.ID, webhook.Input{Description: ptr("changed")}, access.Meta{})
		require.ErrorIs(t, err, errAuditDown)
		_, err = broken.RotateSecret(ctx, e.owner, ep.ID, access.Meta{})
		require.ErrorIs(t, err, errAuditDown)
		_, err = broken.SendTest(ctx, e.owner, ep.ID, access.Meta{})
		require.ErrorIs(t, err, errAuditDown)
		require.ErrorIs(t, broken.Delete(ctx, e.owner, ep.ID, access.Meta{}), errAuditDown)

		eps, err := st.WebhookEndpointList(ctx, tenantID, false)
		require.NoError(t, err)
		require.Len(t, eps, 1, "neither the create nor the delete happened")
		require.Equal(t, ep.ID, eps[0].ID)
		require.Empty(t, eps[0].Description, "the update did not happen")
		require.Nil(t, eps[0].PreviousSecretExpiresAt, "the rotation did not happen")
		ds, err := st.WebhookDeliveryList(ctx, webhook.DeliveryFilter{TenantID: tenantID, EndpointID: ep.ID, Limit: 10})
		require.NoError(t, err)
		require.Empty(t, ds, "the test delivery did not happen")
		evs, err := st.EventListAfter(ctx, tenantID, uuid.Nil, 10)
		require.NoError(t, err)
		require.Empty(t, evs, "nor its event")
	})
}
