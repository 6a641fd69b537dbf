package order_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/pgstore/pgtest"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/store/storetest"
	"github.com/ordo/ordo/internal/testkit"
)

// An order's idempotency key makes a repeat return the first order for a
// day (whatever the HTTP layer remembers), and is free again after.
func TestCreateIdempotencyKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	b := setupAt(t, func() time.Time { mu.Lock(); defer mu.Unlock(); return at })
	svc, p, st, tenantID := b.svc, b.p, b.store, b.p.TenantID

	first, replayed, err := svc.Create(ctx, p, newOrder("EUR"), "key-1", access.Meta{})
	require.NoError(t, err)
	require.False(t, replayed)
	require.Equal(t, int64(1), first.Number)

	again, replayed, err := svc.Create(ctx, p, newOrder("EUR"), "key-1", access.Meta{})
	require.NoError(t, err)
	require.True(t, replayed)
	require.Equal(t, first.ID, again.ID)

	other, replayed, err := svc.Create(ctx, p, newOrder("EUR"), "key-2", access.Meta{})
	require.NoError(t, err)
	require.False(t, replayed)
	require.Equal(t, int64(2), other.Number, "the repeat used no number")

	mu.Lock()
	at = at.Add(25 * time.Hour)
	mu.Unlock()
	later, replayed, err := svc.Create(ctx, p, newOrder("EUR"), "key-1", access.Meta{})
	require.NoError(t, err)
	require.False(t, replayed, "a day later the key is free again")
	require.NotEqual(t, first.ID, later.ID)
	require.Equal(t, int64(3), later.Number)
	require.Empty(t, later.IdempotencyKey, "the key stays with the first order")
	got, err := st.OrderGetByIdempotencyKey(ctx, tenantID, "key-1")
	require.NoError(t, err)
	require.Equal(t, first.ID, got.ID)
}

// engine is a migrated store of one engine, with a way to read the jobs
// enqueued (which store.Store does not list).
type engine struct {
	name string
	st   store.Store
	jobs func(t *testing.T) []queuedJob
}

type queuedJob struct {
	Kind string
	Args json.RawMessage
}

// engines runs fn on SQLite, and on PostgreSQL when one answers (the
// test is skipped there otherwise, or fails under CI=true).
func engines(t *testing.T, fn func(t *testing.T, e engine)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "ordo.db"), testkit.Logger(t))
		require.NoError(t, err)
		t.Cleanup(st.Close)
		require.NoError(t, st.MigrateUp(ctx))
		fn(t, engine{name: "sqlite", st: st, jobs: func(t *testing.T) []queuedJob {
			rows, err := st.DB().QueryContext(ctx, `SELECT kind, json(args) FROM river_job ORDER BY id`) // args are SQLite's binary JSONB
			require.NoError(t, err)
			defer rows.Close()
			var out []queuedJob
			for rows.Next() {
				var j queuedJob
				var args []byte
				require.NoError(t, rows.Scan(&j.Kind, &args))
				j.Args = args
				out = append(out, j)
			}
			require.NoError(t, rows.Err())
			return out
		}})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		st, err := pgstore.Open(ctx, pgtest.URL(t), testkit.Logger(t))
		require.NoError(t, err)
		t.Cleanup(st.Close)
		fn(t, engine{name: "postgres", st: st, jobs: func(t *testing.T) []queuedJob {
			rows, err := st.Pool().Query(ctx, `SELECT kind, args FROM river_job ORDER BY id`)
			require.NoError(t, err)
			defer rows.Close()
			var out []queuedJob
			for rows.Next() {
				var j queuedJob
				var args []byte
				require.NoError(t, rows.Scan(&j.Kind, &args))
				j.Args = args
				out = append(out, j)
			}
			require.NoError(t, rows.Err())
			return out
		}})
	})
}

// world is a tenant with an owner, a viewer of it, and the owner of
// another tenant.
type world struct {
	owner, viewer, stranger access.Principal
}

func newWorld(t *testing.T, st store.Store) world {
	t.Helper()
	ctx := context.Background()
	mk := func() access.Principal {
		tn, u := storetest.NewTenant(), storetest.NewUser()
		require.NoError(t, st.TenantCreate(ctx, tn))
		require.NoError(t, st.UserCreate(ctx, u))
		return access.Principal{UserID: u.ID, TenantID: tn.ID, Role: access.RoleOwner, Email: u.Email}
	}
	w := world{owner: mk(), stranger: mk()}
	w.viewer = w.owner
	w.viewer.Role = access.RoleViewer
	return w
}

func auditLog(t *testing.T, st store.Store, tenantID uuid.UUID) []audit.Entry {
	t.Helper()
	es, err := st.AuditList(context.Background(), tenantID, audit.Filter{Limit: 100})
	require.NoError(t, err)
	return es
}

func events(t *testing.T, st store.Store, tenantID uuid.UUID) []event.Event {
	t.Helper()
	es, err := st.EventListAfter(context.Background(), tenantID, uuid.Nil, 100)
	require.NoError(t, err)
	return es
}

func fieldsOf(err error) []string {
	e, ok := apperr.As(err)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

// A viewer reads but changes nothing (403); another tenant's order is
// not there (404) for every operation; neither writes an audit entry or
// an event, nor changes the order.
func TestServicePermissions(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		w := newWorld(t, e.st)
		svc := order.NewService(store.Narrow[order.Tx]{Store: e.st}, nil)
		o, _, err := svc.Create(ctx, w.owner, newOrder("EUR"), "", access.Meta{})
		require.NoError(t, err)
		name := "Eve"

		_, err = svc.Get(ctx, w.viewer, o.ID)
		require.NoError(t, err, "a viewer reads")
		_, err = svc.History(ctx, w.viewer, o.ID, page.Request{})
		require.NoError(t, err)
		_, err = svc.HistoryOf(ctx, w.viewer, o, page.Request{})
		require.NoError(t, err)

		type op struct {
			name string
			do   func(p access.Principal) error
		}
		ops := []op{
			{"create", func(p access.Principal) error {
				_, _, err := svc.Create(ctx, p, newOrder("EUR"), "", access.Meta{})
				return err
			}},
			{"update", func(p access.Principal) error {
				_, err := svc.Update(ctx, p, o.ID, order.Patch{CustomerName: &name}, nil, access.Meta{})
				return err
			}},
			{"transition", func(p access.Principal) error {
				_, err := svc.Transition(ctx, p, o.ID, order.StatusProcessing, nil, access.Meta{})
				return err
			}},
			{"delete", func(p access.Principal) error { return svc.Delete(ctx, p, o.ID, access.Meta{}) }},
		}
		for _, op := range ops {
			err := op.do(w.viewer)
			require.ErrorIsf(t, err, apperr.ErrForbidden, "viewer %s", op.name)
			require.Equalf(t, 403, apperr.HTTPStatus(err), "viewer %s", op.name)
		}

		// Create makes the stranger's own order: not one of the refusals.
		strangerOps := append(append([]op{}, ops[1:]...),
			op{"get", func(p access.Principal) error { _, err := svc.Get(ctx, p, o.ID); return err }},
			op{"history", func(p access.Principal) error { _, err := svc.History(ctx, p, o.ID, page.Request{}); return err }},
			// The order as the owner read it: handed to another tenant's
			// principal, it is not there either.
			op{"history of a read order", func(p access.Principal) error { _, err := svc.HistoryOf(ctx, p, o, page.Request{}); return err }},
		)
		for _, op := range strangerOps {
			err := op.do(w.stranger)
			require.ErrorIsf(t, err, apperr.ErrNotFound, "another tenant's %s", op.name)
			require.Equalf(t, 404, apperr.HTTPStatus(err), "another tenant's %s", op.name)
		}

		got, err := svc.Get(ctx, w.owner, o.ID)
		require.NoError(t, err)
		require.Equal(t, int64(1), got.Version, "the order is untouched")
		require.Equal(t, order.StatusPending, got.Status)
		require.Len(t, auditLog(t, e.st, w.owner.TenantID), 1, "only the create is audited")
		require.Len(t, events(t, e.st, w.owner.TenantID), 1)
		require.Empty(t, auditLog(t, e.st, w.stranger.TenantID))
		require.Empty(t, events(t, e.st, w.stranger.TenantID))
	})
}

// Create, update, transition (shipping enqueues the invoice) and delete
// (the attachments go, their files by a blob_delete job), each with its
// audit entry and event; an invoiced order is kept (409).
func TestServiceLifecycle(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		w := newWorld(t, e.st)
		tid := w.owner.TenantID
		svc := order.NewService(store.Narrow[order.Tx]{Store: e.st}, nil)
		meta := access.Meta{IP: "192.0.2.1", RequestID: "req-1"}

		o, replayed, err := svc.Create(ctx, w.owner, newOrder("EUR"), "", meta)
		require.NoError(t, err)
		require.False(t, replayed)
		require.Equal(t, int64(1), o.Number)
		require.Equal(t, order.StatusPending, o.Status)
		require.Equal(t, int64(2000), o.Total)
		require.Equal(t, &w.owner.UserID, o.CreatedBy)
		log := auditLog(t, e.st, tid)
		require.Len(t, log, 1)
		require.Equal(t, "order.created", log[0].Action)
		require.Equal(t, o.ID.String(), log[0].EntityID)
		require.Equal(t, &o.ID, log[0].OrderID)
		require.Equal(t, "192.0.2.1", log[0].IP)
		require.JSONEq(t, `{"number":"ORD-000001","total":2000,"currency":"EUR"}`, string(log[0].Metadata))
		evs := events(t, e.st, tid)
		require.Len(t, evs, 1)
		require.Equal(t, event.OrderCreated, evs[0].Type)
		require.Equal(t, o.ID.String(), evs[0].EntityID)

		name, v := "Grace", int64(1)
		o, err = svc.Update(ctx, w.owner, o.ID, order.Patch{CustomerName: &name}, &v, meta)
		require.NoError(t, err)
		require.Equal(t, "Grace", o.CustomerName)
		require.Equal(t, int64(2), o.Version)
		log = auditLog(t, e.st, tid)
		require.Len(t, log, 2)
		require.Equal(t, "order.updated", log[0].Action)
		require.JSONEq(t, `{"changes":{"customer_name":{"old":"Ada","new":"Grace"}},"number":"ORD-000001"}`, string(log[0].Metadata))
		evs = events(t, e.st, tid)
		require.Len(t, evs, 2)
		require.Equal(t, event.OrderUpdated, evs[1].Type)
		var view order.View
		require.NoError(t, json.Unmarshal(evs[1].Data, &view))
		require.Equal(t, "Grace", view.CustomerName, "the event carries the order after the change")

		_, err = svc.Update(ctx, w.owner, o.ID, order.Patch{CustomerName: &name}, nil, meta)
		require.NoError(t, err)
		require.Len(t, auditLog(t, e.st, tid), 2, "a patch that changes nothing writes nothing")

		for _, to := range []order.Status{order.StatusProcessing, order.StatusShipped} {
			o, err = svc.Transition(ctx, w.owner, o.ID, to, nil, meta)
			require.NoError(t, err)
			require.Equal(t, to, o.Status)
		}
		require.Equal(t, int64(4), o.Version)
		histP, err := svc.History(ctx, w.owner, o.ID, page.Request{})
		hist := histP.Rows
		require.NoError(t, err)
		require.Len(t, hist, 3)
		require.Equal(t, order.StatusShipped, hist[2].To)
		require.Equal(t, order.StatusProcessing, hist[2].From)
		of, err := svc.HistoryOf(ctx, w.owner, o, page.Request{})
		require.NoError(t, err)
		require.Equal(t, histP, of, "HistoryOf reads what History does, for an order already read")
		log = auditLog(t, e.st, tid)
		require.Equal(t, "order.status_changed", log[0].Action)
		require.JSONEq(t, `{"from":"processing","to":"shipped","number":"ORD-000001"}`, string(log[0].Metadata))
		require.Equal(t, event.OrderStatusChanged, events(t, e.st, tid)[3].Type)

		// Shipping invoiced it: the invoice is pending, its job queued.
		inv, err := e.st.InvoiceGet(ctx, tid, o.ID)
		require.NoError(t, err)
		require.Equal(t, 1, inv.Generation)
		var invoiceJobs []jobs.InvoiceArgs
		for _, j := range e.jobs(t) {
			if j.Kind == jobs.KindInvoice {
				var a jobs.InvoiceArgs
				require.NoError(t, json.Unmarshal(j.Args, &a))
				invoiceJobs = append(invoiceJobs, a)
			}
		}
		require.Equal(t, []jobs.InvoiceArgs{{TenantID: tid, OrderID: o.ID, Generation: 1}}, invoiceJobs)

		// An invoiced order is not deleted, and the refusal says why.
		err = svc.Delete(ctx, w.owner, o.ID, meta)
		require.ErrorIs(t, err, apperr.ErrConflict)
		require.Contains(t, err.Error(), inv.Number)
		_, err = svc.Get(ctx, w.owner, o.ID)
		require.NoError(t, err)
		entries := len(auditLog(t, e.st, tid))

		// Another order, with two attachments, is deleted with them.
		o2, _, err := svc.Create(ctx, w.owner, newOrder("USD"), "", meta)
		require.NoError(t, err)
		var atts []attachment.Attachment
		for _, st := range []attachment.Status{attachment.StatusPending, attachment.StatusUploaded} {
			id := uuid.Must(uuid.NewV7())
			a := attachment.Attachment{ID: id, TenantID: tid, OrderID: &o2.ID, Filename: "f.pdf", ContentType: "application/pdf", Size: 1,
				ObjectKey: "tenants/" + tid.String() + "/attachments/" + id.String(), Status: st, CreatedAt: o2.CreatedAt, UpdatedAt: o2.CreatedAt}
			require.NoError(t, e.st.AttachmentCreate(ctx, a))
			atts = append(atts, a)
		}
		require.NoError(t, svc.Delete(ctx, w.owner, o2.ID, meta))
		_, err = svc.Get(ctx, w.owner, o2.ID)
		require.ErrorIs(t, err, apperr.ErrNotFound)
		var wantKeys []string
		for _, a := range atts {
			_, err := e.st.AttachmentGet(ctx, tid, a.ID)
			require.ErrorIs(t, err, apperr.ErrNotFound, "the order's attachments go with it")
			wantKeys = append(wantKeys, a.ObjectKey, a.UploadKey())
		}
		var blobKeys []string
		for _, j := range e.jobs(t) {
			if j.Kind == jobs.KindBlobDelete {
				var a jobs.BlobDeleteArgs
				require.NoError(t, json.Unmarshal(j.Args, &a))
				require.Equal(t, tid, a.TenantID)
				blobKeys = append(blobKeys, a.Keys...)
			}
		}
		require.ElementsMatch(t, wantKeys, blobKeys, "their files are deleted by a job enqueued with the delete")
		log = auditLog(t, e.st, tid)
		require.Len(t, log, entries+2)
		require.Equal(t, "order.deleted", log[0].Action)
		require.Nil(t, log[0].OrderID, "the order row is gone")
		var details struct {
			Snapshot    order.View `json:"snapshot"`
			Attachments int        `json:"attachments"`
		}
		require.NoError(t, json.Unmarshal(log[0].Metadata, &details))
		require.Equal(t, 2, details.Attachments)
		require.Equal(t, o2.ID, details.Snapshot.ID)
		evs = events(t, e.st, tid)
		require.Equal(t, event.OrderDeleted, evs[len(evs)-1].Type)
		require.Equal(t, o2.ID.String(), evs[len(evs)-1].EntityID)
	})
}

// Invalid input is refused with the field it names, and nothing is
// written.
func TestServiceValidation(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		w := newWorld(t, e.st)
		tid := w.owner.TenantID
		svc := order.NewService(store.Narrow[order.Tx]{Store: e.st}, nil)
		o, _, err := svc.Create(ctx, w.owner, newOrder("EUR"), "", access.Meta{})
		require.NoError(t, err)
		empty, badCurrency, badEmail, tooMuch := "", "eur", "not-an-address", int64(1_000_000)

		cases := []struct {
			name, field string
			do          func() error
		}{
			{"create without a customer", "customer_name", func() error {
				in := newOrder("EUR")
				in.CustomerName = ""
				_, _, err := svc.Create(ctx, w.owner, in, "", access.Meta{})
				return err
			}},
			{"create in no currency", "currency", func() error {
				_, _, err := svc.Create(ctx, w.owner, newOrder("euros"), "", access.Meta{})
				return err
			}},
			{"update to no customer", "customer_name", func() error {
				_, err := svc.Update(ctx, w.owner, o.ID, order.Patch{CustomerName: &empty}, nil, access.Meta{})
				return err
			}},
			{"update to a lower-case currency", "currency", func() error {
				_, err := svc.Update(ctx, w.owner, o.ID, order.Patch{Currency: &badCurrency}, nil, access.Meta{})
				return err
			}},
			{"update to a bad e-mail", "customer_email", func() error {
				_, err := svc.Update(ctx, w.owner, o.ID, order.Patch{CustomerEmail: &badEmail}, nil, access.Meta{})
				return err
			}},
			{"update to a discount above the total", "discount", func() error {
				_, err := svc.Update(ctx, w.owner, o.ID, order.Patch{Discount: &tooMuch}, nil, access.Meta{})
				return err
			}},
			{"transition to no status", "to", func() error {
				_, err := svc.Transition(ctx, w.owner, o.ID, "lost", nil, access.Meta{})
				return err
			}},
			{"list a page of 0", "limit", func() error {
				_, _, err := svc.List(ctx, w.owner, order.ListParams{Limit: 0})
				return err
			}},
		}
		for _, c := range cases {
			err := c.do()
			require.ErrorIsf(t, err, apperr.ErrInvalid, c.name)
			require.Containsf(t, fieldsOf(err), c.field, "%s: %v", c.name, err)
		}

		got, err := svc.Get(ctx, w.owner, o.ID)
		require.NoError(t, err)
		require.Equal(t, int64(1), got.Version)
		require.Equal(t, "Ada", got.CustomerName)
		require.Len(t, auditLog(t, e.st, tid), 1, "nothing refused is audited")
		require.Len(t, events(t, e.st, tid), 1)
		os, _, err := svc.List(ctx, w.owner, order.ListParams{Limit: 10})
		require.NoError(t, err)
		require.Len(t, os, 1, "no invalid order was stored")
	})
}

// failingDB rolls back every transaction after fn succeeds, as a commit
// that fails would.
type failingDB struct{ order.DB }

var errCommit = errors.New("commit failed")

func (f failingDB) InTx(ctx context.Context, fn func(order.Tx) error) error {
	return f.DB.InTx(ctx, func(tx order.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errCommit
	})
}

// The audit entry and the event are written in the change's transaction:
// a change rolled back (or refused on the way) leaves neither, and the
// order as it was.
func TestServiceAuditInTransaction(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		w := newWorld(t, e.st)
		tid := w.owner.TenantID
		db := store.Narrow[order.Tx]{Store: e.st}
		svc, failing := order.NewService(db, nil), order.NewService(failingDB{db}, nil)

		_, _, err := failing.Create(ctx, w.owner, newOrder("EUR"), "", access.Meta{})
		require.ErrorIs(t, err, errCommit)
		require.Empty(t, auditLog(t, e.st, tid), "a create rolled back leaves no entry")
		require.Empty(t, events(t, e.st, tid), "nor event")

		o, _, err := svc.Create(ctx, w.owner, newOrder("EUR"), "", access.Meta{})
		require.NoError(t, err)
		require.Equal(t, int64(1), o.Number, "nor a used number")
		name := "Grace"
		stale := int64(7)

		refused := []struct {
			name string
			want error
			do   func(s *order.Service) error
		}{
			{"update rolled back", errCommit, func(s *order.Service) error {
				_, err := s.Update(ctx, w.owner, o.ID, order.Patch{CustomerName: &name}, nil, access.Meta{})
				return err
			}},
			{"transition rolled back", errCommit, func(s *order.Service) error {
				_, err := s.Transition(ctx, w.owner, o.ID, order.StatusProcessing, nil, access.Meta{})
				return err
			}},
			{"delete rolled back", errCommit, func(s *order.Service) error { return s.Delete(ctx, w.owner, o.ID, access.Meta{}) }},
			{"stale update", order.ErrStale, func(s *order.Service) error {
				_, err := s.Update(ctx, w.owner, o.ID, order.Patch{CustomerName: &name}, &stale, access.Meta{})
				return err
			}},
			{"transition the machine refuses", apperr.ErrConflict, func(s *order.Service) error {
				_, err := s.Transition(ctx, w.owner, o.ID, order.StatusDelivered, nil, access.Meta{})
				return err
			}},
		}
		for _, c := range refused {
			s := svc
			if c.want == errCommit {
				s = failing
			}
			require.ErrorIsf(t, c.do(s), c.want, c.name)
			log := auditLog(t, e.st, tid)
			require.Lenf(t, log, 1, "%s: only the create is audited", c.name)
			require.Lenf(t, events(t, e.st, tid), 1, "%s: no event", c.name)
			got, err := svc.Get(ctx, w.owner, o.ID)
			require.NoErrorf(t, err, c.name)
			require.Equalf(t, int64(1), got.Version, c.name)
			require.Equalf(t, "Ada", got.CustomerName, c.name)
			require.Equalf(t, order.StatusPending, got.Status, c.name)
		}
		histP, err := svc.History(ctx, w.owner, o.ID, page.Request{})
		hist := histP.Rows
		require.NoError(t, err)
		require.Len(t, hist, 1, "no status change was kept")

		// The same change committed writes both.
		_, err = svc.Transition(ctx, w.owner, o.ID, order.StatusProcessing, nil, access.Meta{})
		require.NoError(t, err)
		require.Len(t, auditLog(t, e.st, tid), 2)
		require.Len(t, events(t, e.st, tid), 2)
	})
}
