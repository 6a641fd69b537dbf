package invoice_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/invoice"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/pgstore/pgtest"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/store/storetest"
	"github.com/ordo/ordo/internal/tenant"
	"github.com/ordo/ordo/internal/testkit"
	"github.com/ordo/ordo/internal/webhook"
)

// engines opens a migrated store of each engine: the service runs on the
// same conformance-tested stores as in production.
var engines = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"sqlite", func(t *testing.T) store.Store {
		st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "ordo.db"), testkit.Logger(t))
		require.NoError(t, err)
		t.Cleanup(st.Close)
		require.NoError(t, st.MigrateUp(context.Background()))
		return st
	}},
	{"postgres", func(t *testing.T) store.Store {
		st, err := pgstore.Open(context.Background(), pgtest.URL(t), testkit.Logger(t))
		require.NoError(t, err)
		t.Cleanup(st.Close)
		return st
	}},
}

// recDB is the service's DB over a real store, remembering the jobs its
// transactions enqueue and failing a write on demand, to show what
// commits together.
type recDB struct {
	store.Narrow[invoice.Tx]

	mu        sync.Mutex
	jobs      []jobs.Args
	failAudit bool
	failEvent bool
}

func (d *recDB) InTx(ctx context.Context, fn func(invoice.Tx) error) error {
	return d.Narrow.InTx(ctx, func(tx invoice.Tx) error { return fn(&recTx{Tx: tx, d: d}) })
}

// enqueued returns the jobs of kind enqueued so far.
func (d *recDB) enqueued(kind string) []jobs.Args {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []jobs.Args
	for _, a := range d.jobs {
		if a.Kind() == kind {
			out = append(out, a)
		}
	}
	return out
}

func (d *recDB) fail(audit, event bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failAudit, d.failEvent = audit, event
}

type recTx struct {
	invoice.Tx
	d *recDB
}

var errInjected = errors.New("injected failure")

func (t *recTx) JobInsert(ctx context.Context, args jobs.Args, opts *jobs.Opts) (*jobs.Inserted, error) {
	t.d.mu.Lock()
	t.d.jobs = append(t.d.jobs, args)
	t.d.mu.Unlock()
	return t.Tx.JobInsert(ctx, args, opts)
}

func (t *recTx) AuditInsert(ctx context.Context, e audit.Entry) error {
	t.d.mu.Lock()
	fail := t.d.failAudit
	t.d.mu.Unlock()
	if fail {
		return errInjected
	}
	return t.Tx.AuditInsert(ctx, e)
}

func (t *recTx) EventInsert(ctx context.Context, e event.Event) error {
	if err := t.eventFailure(); err != nil {
		return err
	}
	return t.Tx.EventInsert(ctx, e)
}

func (t *recTx) EventInsertForWebhooks(ctx context.Context, e event.Event) ([]webhook.Endpoint, error) {
	if err := t.eventFailure(); err != nil {
		return nil, err
	}
	return t.Tx.EventInsertForWebhooks(ctx, e)
}

func (t *recTx) eventFailure() error {
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	if t.d.failEvent {
		return errInjected
	}
	return nil
}

// env is one engine's store with two tenants: a (owner, member, viewer)
// and b (owner).
type env struct {
	st                    store.Store
	db                    *recDB
	blobs                 *blob.Disk
	svc                   *invoice.Service
	owner, member, viewer access.Principal
	otherOwner            access.Principal
	tenantA               tenant.Tenant
}

func setup(t *testing.T, st store.Store) *env {
	t.Helper()
	ctx := context.Background()
	blobs, err := blob.NewDisk(t.TempDir())
	require.NoError(t, err)
	blobs = blobs.WithSigner(blob.NewSigner("test-secret"))
	db := &recDB{Narrow: store.Narrow[invoice.Tx]{Store: st}}
	e := &env{st: st, db: db, blobs: blobs, svc: invoice.NewService(db, blobs, testkit.Logger(t))}
	ta, tb := storetest.NewTenant(), storetest.NewTenant()
	ta.Name = "Acme Trading"
	require.NoError(t, st.TenantCreate(ctx, ta))
	require.NoError(t, st.TenantCreate(ctx, tb))
	e.tenantA = ta
	principal := func(tn tenant.Tenant, role access.Role) access.Principal {
		u := storetest.NewUser()
		require.NoError(t, st.UserCreate(ctx, u))
		return access.Principal{UserID: u.ID, TenantID: tn.ID, Role: role}
	}
	e.owner, e.member, e.viewer = principal(ta, access.RoleOwner), principal(ta, access.RoleMember), principal(ta, access.RoleViewer)
	e.otherOwner = principal(tb, access.RoleOwner)
	return e
}

// createOrder stores an order of tenantID for 2 × 10.00 EUR at 20 % tax
// (24.00 EUR in all).
func (e *env) createOrder(t *testing.T, tenantID uuid.UUID) order.Order {
	t.Helper()
	ctx := context.Background()
	var o order.Order
	require.NoError(t, e.st.InTx(ctx, func(tx store.Tx) error {
		n, err := tx.OrderNextNumber(ctx, tenantID)
		if err != nil {
			return err
		}
		at := time.Now().UTC().Truncate(time.Microsecond)
		o = order.Order{ID: uuid.Must(uuid.NewV7()), TenantID: tenantID, Number: n, Status: order.StatusPending,
			CustomerName: "Ada Lovelace", CustomerEmail: "ada@example.com", Currency: "EUR",
			Items:   []order.Item{{ID: uuid.Must(uuid.NewV7()), SKU: "W-1", Name: "Widget", Quantity: 2, UnitPrice: 1000, TaxRateBP: 2000}},
			Version: 1, CreatedAt: at, UpdatedAt: at}
		order.Compute(&o)
		return tx.OrderCreate(ctx, o)
	}))
	require.Equal(t, int64(2400), o.Total, "the fixture's total")
	return o
}

// invoiceJobs returns the invoice jobs enqueued so far, oldest first.
func (e *env) invoiceJobs(t *testing.T) []invoice.Args {
	t.Helper()
	var out []invoice.Args
	for _, a := range e.db.enqueued(jobs.KindInvoice) {
		ia, ok := a.(invoice.Args)
		require.True(t, ok, "an invoice job's args are invoice.Args, not %T", a)
		out = append(out, ia)
	}
	return out
}

func (e *env) pdfText(t *testing.T, key string) string {
	t.Helper()
	rc, info, err := e.blobs.Open(context.Background(), key)
	require.NoError(t, err)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.Equal(t, "application/pdf", info.ContentType)
	require.True(t, bytes.HasPrefix(data, []byte("%PDF-")), "the object is a PDF")
	return testkit.PDFText(t, data)
}

func requireStatus(t *testing.T, want int, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want, apperr.HTTPStatus(err), "error %v", err)
}

func requireField(t *testing.T, field string, err error) {
	t.Helper()
	requireStatus(t, 422, err)
	ae, ok := apperr.As(err)
	require.True(t, ok)
	require.Len(t, ae.Fields, 1)
	require.Equal(t, field, ae.Fields[0].Field)
}

func eachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			fn(t, setup(t, eng.open(t)))
		})
	}
}

func TestRequestRefused(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		o := e.createOrder(t, e.owner.TenantID)
		tests := []struct {
			name   string
			p      access.Principal
			status int
		}{
			{"viewer may not invoice", e.viewer, 403},
			{"another tenant's order is not found", e.otherOwner, 404},
		}
		for _, tc := range tests {
			_, err := e.svc.Request(ctx, tc.p, o.ID, access.Meta{})
			requireStatus(t, tc.status, err)
		}
		// Nor may another tenant read it.
		_, err := e.svc.Record(ctx, e.otherOwner, o.ID)
		requireStatus(t, 404, err)
		_, _, err = e.svc.Get(ctx, e.otherOwner, o.ID)
		requireStatus(t, 404, err)

		// Nothing was written or enqueued.
		_, err = e.st.InvoiceGet(ctx, o.TenantID, o.ID)
		require.ErrorIs(t, err, apperr.ErrNotFound)
		require.Empty(t, e.invoiceJobs(t))
		entries, err := e.st.AuditList(ctx, o.TenantID, audit.Filter{Action: "invoice.requested", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, entries)
	})
}

// A request enqueues the job; the job's run renders the order into a PDF
// in the blob store, marks the invoice ready and announces it.
func TestRequestRunAndRegenerate(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		o := e.createOrder(t, e.owner.TenantID)

		r, err := e.svc.Request(ctx, e.member, o.ID, access.Meta{})
		require.NoError(t, err)
		require.Equal(t, "INV-000001", r.Number)
		require.Equal(t, invoice.StatusPending, r.Status)
		require.Equal(t, 1, r.Generation)
		require.Equal(t, []invoice.Args{{TenantID: o.TenantID, OrderID: o.ID, Generation: 1}}, e.invoiceJobs(t))

		entries, err := e.st.AuditList(ctx, o.TenantID, audit.Filter{Action: "invoice.requested", Limit: 10})
		require.NoError(t, err)
		require.Len(t, entries, 1)
		require.Equal(t, o.ID.String(), entries[0].EntityID)
		require.NotNil(t, entries[0].OrderID)
		require.Equal(t, o.ID, *entries[0].OrderID)

		// Pending: no download yet.
		_, url, err := e.svc.Get(ctx, e.viewer, o.ID)
		require.NoError(t, err)
		require.Empty(t, url)

		require.NoError(t, e.svc.Run(ctx, e.invoiceJobs(t)[0]))
		got, err := e.svc.Record(ctx, e.viewer, o.ID)
		require.NoError(t, err)
		require.Equal(t, invoice.StatusReady, got.Status)
		require.NotNil(t, got.GeneratedAt)
		first := got.ObjectKey
		require.Equal(t, "tenants/"+o.TenantID.String()+"/invoices/"+o.ID.String()+"/INV-000001-1.pdf", first)
		info, err := e.blobs.Stat(ctx, first)
		require.NoError(t, err)
		require.Equal(t, info.Size, got.Size)

		text := strings.Join(strings.Fields(e.pdfText(t, first)), " ")
		for _, want := range []string{"INV-000001", o.DisplayNumber(), "Acme Trading", "Ada Lovelace", "Widget", "24.00 EUR"} {
			require.Contains(t, text, want)
		}

		_, url, err = e.svc.Get(ctx, e.viewer, o.ID)
		require.NoError(t, err)
		require.NotEmpty(t, url, "a ready invoice has a download URL")

		evs, err := e.st.EventListAfter(ctx, o.TenantID, uuid.Nil, 10)
		require.NoError(t, err)
		require.Len(t, evs, 1)
		require.Equal(t, event.InvoiceGenerated, evs[0].Type)
		require.Equal(t, o.ID.String(), evs[0].EntityID)

		// A second request of an invoiced order regenerates it: same
		// number, next generation, pending until its job has run.
		again, err := e.svc.Request(ctx, e.owner, o.ID, access.Meta{})
		require.NoError(t, err)
		require.Equal(t, r.ID, again.ID)
		require.Equal(t, "INV-000001", again.Number)
		require.Equal(t, 2, again.Generation)
		require.Equal(t, invoice.StatusPending, again.Status)
		js := e.invoiceJobs(t)
		require.Len(t, js, 2)
		require.Equal(t, 2, js[1].Generation)

		// The first job, run again, is superseded and leaves all as is.
		require.NoError(t, e.svc.Run(ctx, js[0]))
		got, err = e.st.InvoiceGet(ctx, o.TenantID, o.ID)
		require.NoError(t, err)
		require.Equal(t, invoice.StatusPending, got.Status)
		require.Equal(t, first, got.ObjectKey)

		require.NoError(t, e.svc.Run(ctx, js[1]))
		got, err = e.st.InvoiceGet(ctx, o.TenantID, o.ID)
		require.NoError(t, err)
		require.Equal(t, invoice.StatusReady, got.Status)
		require.True(t, strings.HasSuffix(got.ObjectKey, "/INV-000001-2.pdf"), got.ObjectKey)
		require.Contains(t, e.pdfText(t, got.ObjectKey), "INV-000001")
		_, err = e.blobs.Stat(ctx, first)
		require.ErrorIs(t, err, apperr.ErrNotFound, "the previous PDF is removed")
		require.Len(t, e.db.enqueued(jobs.KindBlobDelete), 1, "and its removal is enqueued with the commit")
		evs, err = e.st.EventListAfter(ctx, o.TenantID, uuid.Nil, 10)
		require.NoError(t, err)
		require.Len(t, evs, 2)
	})
}

// The audit entry commits with the request, and the event with the
// job's result: either failing undoes the other.
func TestAuditAndEventInSameTx(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		o := e.createOrder(t, e.owner.TenantID)

		e.db.fail(true, false)
		_, err := e.svc.Request(ctx, e.owner, o.ID, access.Meta{})
		require.ErrorIs(t, err, errInjected)
		_, err = e.st.InvoiceGet(ctx, o.TenantID, o.ID)
		require.ErrorIs(t, err, apperr.ErrNotFound, "no invoice without its audit entry")

		e.db.fail(false, false)
		r, err := e.svc.Request(ctx, e.owner, o.ID, access.Meta{})
		require.NoError(t, err)
		require.Equal(t, "INV-000001", r.Number, "the failed request took no number")
		js := e.invoiceJobs(t)
		args := js[len(js)-1]

		e.db.fail(false, true)
		require.ErrorIs(t, e.svc.Run(ctx, args), errInjected)
		got, err := e.st.InvoiceGet(ctx, o.TenantID, o.ID)
		require.NoError(t, err)
		require.Equal(t, invoice.StatusPending, got.Status, "not ready without its event")
		require.Empty(t, got.ObjectKey)

		e.db.fail(false, false)
		require.NoError(t, e.svc.Run(ctx, args), "the retry succeeds")
		got, err = e.st.InvoiceGet(ctx, o.TenantID, o.ID)
		require.NoError(t, err)
		require.Equal(t, invoice.StatusReady, got.Status)
		evs, err := e.st.EventListAfter(ctx, o.TenantID, uuid.Nil, 10)
		require.NoError(t, err)
		require.Len(t, evs, 1)
	})
}

func pngLogo(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 8, 8))))
	return buf.Bytes()
}

func TestBranding(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()

		// Validation names the field at fault, and saves nothing.
		bad := []struct {
			field string
			b     tenant.Branding
		}{
			{"address", tenant.Branding{Address: strings.Repeat("a", 501)}},
			{"tax_id", tenant.Branding{TaxID: strings.Repeat("1", 65)}},
			{"accent_color", tenant.Branding{AccentColor: "blue"}},
			{"footer", tenant.Branding{Footer: strings.Repeat("f", 501)}},
		}
		for _, tc := range bad {
			_, err := e.svc.SetBranding(ctx, e.owner, tc.b, nil, access.Meta{})
			requireField(t, tc.field, err)
		}
		for _, logo := range [][]byte{[]byte("not an image"), make([]byte, invoice.MaxLogoBytes+1)} {
			_, err := e.svc.SetLogo(ctx, e.owner, bytes.NewReader(logo), access.Meta{})
			requireField(t, "logo", err)
		}
		// Every field at fault is named, not only the first.
		_, err := e.svc.SetBranding(ctx, e.owner, tenant.Branding{AccentColor: "blue", Footer: strings.Repeat("f", 3000)}, nil, access.Meta{})
		ae, ok := apperr.As(err)
		require.True(t, ok, "%v", err)
		var fields []string
		for _, f := range ae.Fields {
			fields = append(fields, f.Field)
		}
		require.ElementsMatch(t, []string{"footer", "accent_color"}, fields)
		entries, err := e.st.AuditList(ctx, e.owner.TenantID, audit.Filter{Action: "tenant.branding_updated", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, entries)

		// Only owners and admins change it; everyone reads it.
		for _, p := range []access.Principal{e.viewer, e.member} {
			_, err := e.svc.SetBranding(ctx, p, tenant.Branding{TaxID: "X"}, nil, access.Meta{})
			requireStatus(t, 403, err)
			_, err = e.svc.SetLogo(ctx, p, bytes.NewReader(pngLogo(t)), access.Meta{})
			requireStatus(t, 403, err)
		}

		b, err := e.svc.SetBranding(ctx, e.owner, tenant.Branding{Address: " 1 Rue de la Paix\nParis ", TaxID: "FR123", AccentColor: "#1F6FEB"}, nil, access.Meta{})
		require.NoError(t, err)
		require.Equal(t, "1 Rue de la Paix\nParis", b.Address)
		require.Equal(t, "#1f6feb", b.AccentColor)
		b, err = e.svc.SetLogo(ctx, e.owner, bytes.NewReader(pngLogo(t)), access.Meta{})
		require.NoError(t, err)
		require.NotEmpty(t, b.LogoKey)
		require.Equal(t, "png", b.LogoType)
		_, err = e.blobs.Stat(ctx, b.LogoKey)
		require.NoError(t, err)

		read, err := e.svc.Branding(ctx, e.viewer)
		require.NoError(t, err)
		require.Equal(t, b, read)
		entries, err = e.st.AuditList(ctx, e.owner.TenantID, audit.Filter{Action: "tenant.branding_updated", Limit: 10})
		require.NoError(t, err)
		require.Len(t, entries, 2)

		// The invoice prints it.
		o := e.createOrder(t, e.owner.TenantID)
		_, err = e.svc.Request(ctx, e.owner, o.ID, access.Meta{})
		require.NoError(t, err)
		js := e.invoiceJobs(t)
		require.NoError(t, e.svc.Run(ctx, js[len(js)-1]))
		r, err := e.st.InvoiceGet(ctx, o.TenantID, o.ID)
		require.NoError(t, err)
		text := e.pdfText(t, r.ObjectKey)
		require.Contains(t, text, "FR123")
		require.Contains(t, text, "Rue de la Paix")

		// Removing the logo removes its object.
		b, err = e.svc.DeleteLogo(ctx, e.owner, access.Meta{})
		require.NoError(t, err)
		require.Empty(t, b.LogoKey)
		_, err = e.blobs.Stat(ctx, read.LogoKey)
		require.ErrorIs(t, err, apperr.ErrNotFound)
	})
}
