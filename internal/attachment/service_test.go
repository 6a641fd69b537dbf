package attachment_test

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/pgstore/pgtest"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/store/storetest"
	"github.com/ordo/ordo/internal/testkit"
	"github.com/ordo/ordo/internal/webhook"
)

const maxSize = 1 << 20

// env is a service on a real store with local-disk blobs, two tenants
// and an order in each.
type env struct {
	st     store.Store
	log    *slog.Logger
	svc    *attachment.Service
	blobs  *blob.Disk
	signer *blob.Signer
	// owner, member and viewer are of tenant A; other is the owner of B.
	owner, member, viewer, other access.Principal
	orderA, orderB               uuid.UUID
}

// forEachEngine runs fn on SQLite (a temp file) and on PostgreSQL (a
// database cloned from the migrated template).
func forEachEngine(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "ordo.db"), testkit.Logger(t))
		require.NoError(t, err)
		t.Cleanup(st.Close)
		require.NoError(t, st.MigrateUp(ctx))
		fn(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		st, err := pgstore.Open(context.Background(), pgtest.URL(t), testkit.Logger(t))
		require.NoError(t, err)
		t.Cleanup(st.Close)
		fn(t, st)
	})
}

func setup(t *testing.T, st store.Store) *env {
	t.Helper()
	ctx := context.Background()
	d, err := blob.NewDisk(t.TempDir())
	require.NoError(t, err)
	signer := blob.NewSigner("test-secret-test-secret-test-secret")
	e := &env{st: st, log: testkit.Logger(t), blobs: d.WithSigner(signer), signer: signer}
	e.svc = e.service(store.Narrow[attachment.Tx]{Store: st})
	principal := func(tenantID uuid.UUID, role access.Role) access.Principal {
		u := storetest.NewUser()
		require.NoError(t, st.UserCreate(ctx, u))
		return access.Principal{UserID: u.ID, TenantID: tenantID, Role: role}
	}
	a, b := storetest.NewTenant(), storetest.NewTenant()
	require.NoError(t, st.TenantCreate(ctx, a))
	require.NoError(t, st.TenantCreate(ctx, b))
	e.owner, e.member, e.viewer = principal(a.ID, access.RoleOwner), principal(a.ID, access.RoleMember), principal(a.ID, access.RoleViewer)
	e.other = principal(b.ID, access.RoleOwner)
	e.orderA, e.orderB = createOrder(t, st, a.ID), createOrder(t, st, b.ID)
	return e
}

// service is a Service with env's blobs and limits on db.
func (e *env) service(db attachment.DB) *attachment.Service {
	return attachment.NewService(db, e.blobs, attachment.Config{MaxSize: maxSize, AllowedTypes: []string{"image/*", "application/pdf", "text/plain"}}, e.log)
}

func createOrder(t *testing.T, st store.Store, tenantID uuid.UUID) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	o := order.Order{ID: uuid.Must(uuid.NewV7()), TenantID: tenantID, Status: order.StatusPending,
		CustomerName: "Ada", CustomerEmail: "ada@example.com", Currency: "EUR",
		Items:   []order.Item{{ID: uuid.Must(uuid.NewV7()), Name: "Widget", Quantity: 1, UnitPrice: 1000}},
		Version: 1, CreatedAt: now, UpdatedAt: now}
	order.Compute(&o)
	require.NoError(t, st.InTx(ctx, func(tx store.Tx) error {
		n, err := tx.OrderNextNumber(ctx, tenantID)
		if err != nil {
			return err
		}
		o.Number = n
		return tx.OrderCreate(ctx, o)
	}))
	return o.ID
}

// upload presigns a text file of body on the owner's order and writes it
// where the upload URL points, as the client would.
func (e *env) upload(t *testing.T, p access.Principal, orderID *uuid.UUID, body string) attachment.Attachment {
	t.Helper()
	ctx := context.Background()
	a, up, err := e.svc.Presign(ctx, p, attachment.PresignInput{Filename: "notes.txt", ContentType: "text/plain", Size: int64(len(body)), OrderID: orderID}, access.Meta{})
	require.NoError(t, err)
	require.Equal(t, a.UploadKey(), e.verify(t, up.URL).Key, "the upload URL writes the upload key, not the served one")
	_, err = e.blobs.Put(ctx, a.UploadKey(), strings.NewReader(body), "text/plain")
	require.NoError(t, err)
	return a
}

// verify checks a disk blob URL's signature and returns what it signs.
func (e *env) verify(t *testing.T, raw string) blob.Signed {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	s, err := e.signer.Verify(u.Query())
	require.NoError(t, err)
	return s
}

func (e *env) exists(t *testing.T, key string) bool {
	t.Helper()
	_, err := e.blobs.Stat(context.Background(), key)
	if errors.Is(err, apperr.ErrNotFound) {
		return false
	}
	require.NoError(t, err)
	return true
}

func (e *env) actions(t *testing.T, tenantID uuid.UUID, entityID uuid.UUID) []string {
	t.Helper()
	es, err := e.st.AuditList(context.Background(), tenantID, audit.Filter{EntityType: "attachment", EntityID: entityID.String(), Limit: 50})
	require.NoError(t, err)
	var out []string
	for _, x := range es {
		out = append(out, x.Action)
	}
	return out
}

func (e *env) events(t *testing.T, tenantID uuid.UUID) []event.Event {
	t.Helper()
	evs, err := e.st.EventListAfter(context.Background(), tenantID, uuid.Nil, 100)
	require.NoError(t, err)
	return evs
}

func requireKind(t *testing.T, err error, want *apperr.Error) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, want, "got %v", err)
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := setup(t, st)
		a := e.upload(t, e.owner, &e.orderA, "hello")

		tests := []struct {
			name string
			call func(p access.Principal) error
			// allowed lists who may; the rest get 403.
			allowed []access.Role
		}{
			{"presign", func(p access.Principal) error {
				_, _, err := e.svc.Presign(ctx, p, attachment.PresignInput{Filename: "a.txt", ContentType: "text/plain", Size: 3}, access.Meta{})
				return err
			}, []access.Role{access.RoleOwner, access.RoleMember}},
			{"complete", func(p access.Principal) error {
				_, err := e.svc.Complete(ctx, p, a.ID, access.Meta{})
				return err
			}, []access.Role{access.RoleOwner, access.RoleMember}},
			{"list", func(p access.Principal) error {
				_, err := e.svc.List(ctx, p, &e.orderA, page.Request{})
				return err
			},
				[]access.Role{access.RoleOwner, access.RoleMember, access.RoleViewer}},
			{"get", func(p access.Principal) error { _, _, err := e.svc.Get(ctx, p, a.ID); return err },
				[]access.Role{access.RoleOwner, access.RoleMember, access.RoleViewer}},
			{"usage", func(p access.Principal) error { _, _, err := e.svc.Usage(ctx, p); return err },
				[]access.Role{access.RoleOwner}},
		}
		for _, tt := range tests {
			for _, p := range []access.Principal{e.viewer, e.member, e.owner} {
				err := tt.call(p)
				if containsRole(tt.allowed, p.Role) {
					require.NoError(t, err, "%s as %s", tt.name, p.Role)
				} else {
					requireKind(t, err, apperr.ErrForbidden)
					require.Equal(t, 403, apperr.HTTPStatus(err), "%s as %s", tt.name, p.Role)
				}
			}
		}
		// A viewer may not delete either, and nothing is deleted.
		requireKind(t, e.svc.Delete(ctx, e.viewer, a.ID, access.Meta{}), apperr.ErrForbidden)
		_, err := st.AttachmentGet(ctx, e.owner.TenantID, a.ID)
		require.NoError(t, err)
		// Nothing the refused calls tried was recorded: one presign by the
		// owner in setup, one by the owner and one by the member above.
		list, err := st.AttachmentList(ctx, e.owner.TenantID, nil, page.Request{Limit: 10})
		require.NoError(t, err)
		require.Len(t, list, 3)
	})
}

func containsRole(rs []access.Role, r access.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// Another tenant's ids are not found; its order cannot be attached to.
func TestOtherTenant(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := setup(t, st)
		a := e.upload(t, e.owner, &e.orderA, "hello")

		_, err := e.svc.Complete(ctx, e.other, a.ID, access.Meta{})
		requireKind(t, err, apperr.ErrNotFound)
		_, _, err = e.svc.Get(ctx, e.other, a.ID)
		requireKind(t, err, apperr.ErrNotFound)
		require.Equal(t, 404, apperr.HTTPStatus(err))
		requireKind(t, e.svc.Delete(ctx, e.other, a.ID, access.Meta{}), apperr.ErrNotFound)
		_, err = e.svc.List(ctx, e.other, &e.orderA, page.Request{})
		requireKind(t, err, apperr.ErrNotFound)
		_, err = e.svc.List(ctx, e.owner, &e.orderB, page.Request{})
		requireKind(t, err, apperr.ErrNotFound)

		_, _, err = e.svc.Presign(ctx, e.owner, attachment.PresignInput{Filename: "a.txt", ContentType: "text/plain", Size: 3, OrderID: &e.orderB}, access.Meta{})
		requireField(t, err, "order_id")

		// The owner's attachment is untouched and still pending.
		got, err := st.AttachmentGet(ctx, e.owner.TenantID, a.ID)
		require.NoError(t, err)
		require.Equal(t, attachment.StatusPending, got.Status)
		listP, err := e.svc.List(ctx, e.other, nil, page.Request{})
		list := listP.Rows
		require.NoError(t, err)
		require.Empty(t, list)
	})
}

func requireField(t *testing.T, err error, field string) {
	t.Helper()
	requireKind(t, err, apperr.ErrInvalid)
	ae, ok := apperr.As(err)
	require.True(t, ok)
	var names []string
	for _, f := range ae.Fields {
		names = append(names, f.Field)
	}
	require.Equal(t, []string{field}, names)
}

func TestPresignValidation(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := setup(t, st)
		ok := attachment.PresignInput{Filename: "a.pdf", ContentType: "application/pdf", Size: 10}
		tests := []struct {
			name  string
			edit  func(*attachment.PresignInput)
			field string
		}{
			{"empty", func(in *attachment.PresignInput) { in.Size = 0 }, "size"},
			{"too large", func(in *attachment.PresignInput) { in.Size = maxSize + 1 }, "size"},
			{"not a media type", func(in *attachment.PresignInput) { in.ContentType = "pdf" }, "content_type"},
			{"type not allowed", func(in *attachment.PresignInput) { in.ContentType = "application/x-msdownload" }, "content_type"},
			{"no file name", func(in *attachment.PresignInput) { in.Filename = "  " }, "filename"},
		}
		for _, tt := range tests {
			in := ok
			tt.edit(&in)
			_, _, err := e.svc.Presign(ctx, e.owner, in, access.Meta{})
			requireField(t, err, tt.field)
		}
		// Limits are inclusive, families match ("image/*"), and parameters
		// of the media type are dropped.
		a, _, err := e.svc.Presign(ctx, e.owner, attachment.PresignInput{Filename: "../x.png", ContentType: "image/png; q=1", Size: maxSize}, access.Meta{})
		require.NoError(t, err)
		require.Equal(t, "image/png", a.ContentType)
		require.Equal(t, "x.png", a.Filename, "the file name is sanitised")
		list, err := st.AttachmentList(ctx, e.owner.TenantID, nil, page.Request{Limit: 10})
		require.NoError(t, err)
		require.Len(t, list, 1, "nothing invalid was recorded")
	})
}

func TestHappyPath(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := setup(t, st)
		tid := e.owner.TenantID
		a := e.upload(t, e.member, &e.orderA, "hello")
		require.Equal(t, attachment.StatusPending, a.Status)
		require.Equal(t, "tenants/"+tid.String()+"/attachments/"+a.ID.String(), a.ObjectKey)
		require.Equal(t, []string{"attachment.presigned"}, e.actions(t, tid, a.ID))
		_, u, err := e.svc.Get(ctx, e.member, a.ID)
		require.NoError(t, err)
		require.Empty(t, u, "no download before complete")

		done, err := e.svc.Complete(ctx, e.member, a.ID, access.Meta{})
		require.NoError(t, err)
		require.Equal(t, attachment.StatusUploaded, done.Status)
		require.False(t, e.exists(t, a.UploadKey()), "the upload is gone")
		require.True(t, e.exists(t, a.ObjectKey), "the served copy is there")
		again, err := e.svc.Complete(ctx, e.member, a.ID, access.Meta{})
		require.NoError(t, err, "complete is idempotent")
		require.Equal(t, attachment.StatusUploaded, again.Status)

		require.Equal(t, []string{"attachment.uploaded", "attachment.presigned"}, e.actions(t, tid, a.ID))
		entries, err := st.AuditList(ctx, tid, audit.Filter{OrderID: &e.orderA, Limit: 10})
		require.NoError(t, err)
		require.Len(t, entries, 2, "both entries are about the order")
		evs := e.events(t, tid)
		require.Len(t, evs, 1)
		require.Equal(t, event.AttachmentUploaded, evs[0].Type)
		require.Equal(t, a.ID.String(), evs[0].EntityID)

		listP, err := e.svc.List(ctx, e.viewer, &e.orderA, page.Request{})
		list := listP.Rows
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, a.ID, list[0].ID)
		files, size, err := e.svc.Usage(ctx, e.owner)
		require.NoError(t, err)
		require.Equal(t, [2]int64{1, 5}, [2]int64{files, size})

		got, u, err := e.svc.Get(ctx, e.viewer, a.ID)
		require.NoError(t, err)
		require.Equal(t, attachment.StatusUploaded, got.Status)
		s := e.verify(t, u)
		require.Equal(t, blob.OpGet, s.Op)
		require.Equal(t, a.ObjectKey, s.Key)
		require.Contains(t, s.Disposition, "notes.txt")

		require.NoError(t, e.svc.Delete(ctx, e.member, a.ID, access.Meta{}))
		require.False(t, e.exists(t, a.ObjectKey), "the object goes with the row")
		_, _, err = e.svc.Get(ctx, e.viewer, a.ID)
		requireKind(t, err, apperr.ErrNotFound)
		listP, err = e.svc.List(ctx, e.viewer, &e.orderA, page.Request{})
		list = listP.Rows
		require.NoError(t, err)
		require.Empty(t, list)
		require.Equal(t, []string{"attachment.deleted", "attachment.uploaded", "attachment.presigned"}, e.actions(t, tid, a.ID))
	})
}

// An upload that is not what was declared is discarded and fails.
func TestCompleteMismatch(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := setup(t, st)
		_, err := e.svc.Complete(ctx, e.owner, uuid.Must(uuid.NewV7()), access.Meta{})
		requireKind(t, err, apperr.ErrNotFound)

		a, _, err := e.svc.Presign(ctx, e.owner, attachment.PresignInput{Filename: "a.txt", ContentType: "text/plain", Size: 3}, access.Meta{})
		require.NoError(t, err)
		_, err = e.svc.Complete(ctx, e.owner, a.ID, access.Meta{})
		requireKind(t, err, apperr.ErrConflict) // nothing uploaded yet

		_, err = e.blobs.Put(ctx, a.UploadKey(), strings.NewReader("longer than declared"), "text/plain")
		require.NoError(t, err)
		_, err = e.svc.Complete(ctx, e.owner, a.ID, access.Meta{})
		requireField(t, err, "file")
		got, err := st.AttachmentGet(ctx, e.owner.TenantID, a.ID)
		require.NoError(t, err)
		require.Equal(t, attachment.StatusFailed, got.Status)
		require.False(t, e.exists(t, a.ObjectKey))
		require.False(t, e.exists(t, a.UploadKey()))
		require.Empty(t, e.events(t, e.owner.TenantID), "a failed upload emits nothing")
		_, err = e.svc.Complete(ctx, e.owner, a.ID, access.Meta{})
		requireKind(t, err, apperr.ErrConflict)
	})
}

var errBoom = errors.New("boom")

// failingDB runs the service's transactions with some writes failing.
type failingDB struct {
	attachment.DB
	events, audit bool
}

func (d failingDB) InTx(ctx context.Context, fn func(attachment.Tx) error) error {
	return d.DB.InTx(ctx, func(tx attachment.Tx) error { return fn(failingTx{Tx: tx, d: d}) })
}

type failingTx struct {
	attachment.Tx
	d failingDB
}

func (x failingTx) EventInsert(ctx context.Context, ev event.Event) error {
	if x.d.events {
		return errBoom
	}
	return x.Tx.EventInsert(ctx, ev)
}

func (x failingTx) EventInsertForWebhooks(ctx context.Context, ev event.Event) ([]webhook.Endpoint, error) {
	if x.d.events {
		return nil, errBoom
	}
	return x.Tx.EventInsertForWebhooks(ctx, ev)
}

func (x failingTx) AuditInsert(ctx context.Context, en audit.Entry) error {
	if x.d.audit {
		return errBoom
	}
	return x.Tx.AuditInsert(ctx, en)
}

// A change, its audit entry and its event commit together or not at all.
func TestAuditAndEventInSameTx(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := setup(t, st)
		tid := e.owner.TenantID
		db := store.Narrow[attachment.Tx]{Store: st}

		_, _, err := e.service(failingDB{DB: db, audit: true}).Presign(ctx, e.owner, attachment.PresignInput{Filename: "a.txt", ContentType: "text/plain", Size: 5}, access.Meta{})
		require.ErrorIs(t, err, errBoom)
		list, err := st.AttachmentList(ctx, tid, nil, page.Request{Limit: 10})
		require.NoError(t, err)
		require.Empty(t, list, "no pending row without its audit entry")

		a := e.upload(t, e.owner, nil, "hello")
		_, err = e.service(failingDB{DB: db, events: true}).Complete(ctx, e.owner, a.ID, access.Meta{})
		require.ErrorIs(t, err, errBoom)
		got, err := st.AttachmentGet(ctx, tid, a.ID)
		require.NoError(t, err)
		require.Equal(t, attachment.StatusPending, got.Status, "the status change rolled back with the event")
		require.Equal(t, []string{"attachment.presigned"}, e.actions(t, tid, a.ID), "so did the audit entry")
		require.Empty(t, e.events(t, tid))

		// Uploaded again, the file completes with its entry and event.
		_, err = e.blobs.Put(ctx, a.UploadKey(), strings.NewReader("hello"), "text/plain")
		require.NoError(t, err)
		_, err = e.svc.Complete(ctx, e.owner, a.ID, access.Meta{})
		require.NoError(t, err)

		require.ErrorIs(t, e.service(failingDB{DB: db, audit: true}).Delete(ctx, e.owner, a.ID, access.Meta{}), errBoom)
		got, err = st.AttachmentGet(ctx, tid, a.ID)
		require.NoError(t, err, "the row stays without its audit entry")
		require.Equal(t, attachment.StatusUploaded, got.Status)
		require.True(t, e.exists(t, a.ObjectKey), "and so does its object")
	})
}

// Sweep removes pending uploads past StaleAfter with their objects, and
// upload objects no pending attachment tracks; fresh pending ones stay.
func TestSweep(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := setup(t, st)
		tid := e.owner.TenantID

		fresh := e.upload(t, e.owner, &e.orderA, "fresh")
		done := e.upload(t, e.owner, nil, "done")
		_, err := e.svc.Complete(ctx, e.owner, done.ID, access.Meta{})
		require.NoError(t, err)
		// An upload URL used again after complete.
		_, err = e.blobs.Put(ctx, done.UploadKey(), strings.NewReader("late"), "text/plain")
		require.NoError(t, err)
		// An upload started long ago and never completed.
		id := uuid.Must(uuid.NewV7())
		old := time.Now().Add(-attachment.StaleAfter - time.Minute).UTC().Truncate(time.Microsecond)
		stale := attachment.Attachment{ID: id, TenantID: tid, Filename: "old.txt", ContentType: "text/plain", Size: 3,
			ObjectKey: "tenants/" + tid.String() + "/attachments/" + id.String(), Status: attachment.StatusPending, CreatedAt: old, UpdatedAt: old}
		require.NoError(t, st.AttachmentCreate(ctx, stale))
		_, err = e.blobs.Put(ctx, stale.UploadKey(), strings.NewReader("old"), "text/plain")
		require.NoError(t, err)

		n, err := e.svc.Sweep(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, n, "the stale row and the late upload")
		_, err = st.AttachmentGet(ctx, tid, stale.ID)
		requireKind(t, err, apperr.ErrNotFound)
		require.False(t, e.exists(t, stale.UploadKey()))
		require.False(t, e.exists(t, done.UploadKey()))
		require.True(t, e.exists(t, done.ObjectKey), "a completed file stays")
		require.True(t, e.exists(t, fresh.UploadKey()), "a fresh upload stays")
		got, err := st.AttachmentGet(ctx, tid, fresh.ID)
		require.NoError(t, err)
		require.Equal(t, attachment.StatusPending, got.Status)
		require.NoError(t, e.svc.AcceptUpload(ctx, fresh.UploadKey()))
		require.ErrorIs(t, e.svc.AcceptUpload(ctx, done.UploadKey()), attachment.ErrUploadNotExpected)

		n, err = e.svc.Sweep(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "nothing is left to sweep")
	})
}
