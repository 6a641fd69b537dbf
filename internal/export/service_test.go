package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/jobs"
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

// env is one engine's store with a tenant (owner and viewer), another
// tenant, a disk blob store and the export service on them.
type env struct {
	st                   store.Store
	blobs                *blob.Disk
	svc                  *export.Service
	owner, viewer, other access.Principal
}

// onEngines runs fn on SQLite and on PostgreSQL (skipped, or failed in CI,
// without a server), each with a fresh database.
func onEngines(t *testing.T, fn func(t *testing.T, e env)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "ordo.db"), testkit.Logger(t))
		require.NoError(t, err)
		t.Cleanup(st.Close)
		require.NoError(t, st.MigrateUp(context.Background()))
		fn(t, newEnv(t, st))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		st, err := pgstore.Open(context.Background(), pgtest.URL(t), testkit.Logger(t))
		require.NoError(t, err)
		t.Cleanup(st.Close)
		fn(t, newEnv(t, st))
	})
}

func newEnv(t *testing.T, st store.Store) env {
	t.Helper()
	ctx := context.Background()
	d, err := blob.NewDisk(t.TempDir())
	require.NoError(t, err)
	d = d.WithSigner(blob.NewSigner("test-secret-test-secret-test-secret"))
	principal := func(role access.Role) access.Principal {
		u := storetest.NewUser()
		require.NoError(t, st.UserCreate(ctx, u))
		return access.Principal{UserID: u.ID, Role: role}
	}
	tn, other := storetest.NewTenant(), storetest.NewTenant()
	require.NoError(t, st.TenantCreate(ctx, tn))
	require.NoError(t, st.TenantCreate(ctx, other))
	e := env{st: st, blobs: d, owner: principal(access.RoleOwner), viewer: principal(access.RoleViewer), other: principal(access.RoleOwner)}
	e.owner.TenantID, e.viewer.TenantID, e.other.TenantID = tn.ID, tn.ID, other.ID
	e.svc = e.service(store.Narrow[export.Tx]{Store: st})
	return e
}

func (e env) service(db export.DB) *export.Service {
	return export.NewService(db, e.blobs, slog.New(slog.DiscardHandler), "http://ordo.test")
}

// seedOrders stores n orders of the owner's tenant, made a minute ago
// (an export holds the orders that existed when it was asked for), each
// with two items.
func (e env) seedOrders(t *testing.T, n int) []order.Order {
	t.Helper()
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Minute)
	var os []order.Order
	for i := range n {
		require.NoError(t, e.st.InTx(ctx, func(tx store.Tx) error {
			num, err := tx.OrderNextNumber(ctx, e.owner.TenantID)
			if err != nil {
				return err
			}
			o := order.Order{ID: uuid.Must(uuid.NewV7()), TenantID: e.owner.TenantID, Number: num, Status: order.StatusPending,
				CustomerName: "Customer " + strconv.Itoa(i), CustomerEmail: "c" + strconv.Itoa(i) + "@example.com", Currency: "EUR",
				Items: []order.Item{
					{ID: uuid.Must(uuid.NewV7()), SKU: "W-1", Name: "Widget", Quantity: 2, UnitPrice: 1000},
					{ID: uuid.Must(uuid.NewV7()), Name: "Gadget", Quantity: 1, UnitPrice: 250},
				},
				Version: 1, CreatedAt: at.Add(time.Duration(i) * time.Millisecond), UpdatedAt: at}
			order.Compute(&o)
			os = append(os, o)
			return tx.OrderCreate(ctx, o)
		}))
	}
	return os
}

// read returns the content of an export's file.
func (e env) read(t *testing.T, key string) []byte {
	t.Helper()
	rc, _, err := e.blobs.Open(context.Background(), key)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}

func (e env) audit(t *testing.T, action string, id uuid.UUID) []audit.Entry {
	t.Helper()
	es, err := e.st.AuditList(context.Background(), e.owner.TenantID, audit.Filter{Action: action, EntityID: id.String(), Limit: 10})
	require.NoError(t, err)
	return es
}

// eventTypes lists the types of the owner's tenant's events about id.
func (e env) eventTypes(t *testing.T, id uuid.UUID) []string {
	t.Helper()
	evs, err := e.st.EventListAfter(context.Background(), e.owner.TenantID, uuid.Nil, 1000)
	require.NoError(t, err)
	var types []string
	for _, ev := range evs {
		if ev.EntityID == id.String() {
			types = append(types, ev.Type)
		}
	}
	return types
}

// A viewer reads exports but may not make or delete one; another
// tenant's export does not exist for the caller.
func TestServicePermissions(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e env) {
		ctx := context.Background()
		made, err := e.svc.Create(ctx, e.owner, export.FormatCSV, export.Filters{}, access.Meta{})
		require.NoError(t, err)

		cases := []struct {
			name string
			do   func() error
			want *apperr.Error // nil: allowed
		}{
			{"viewer creates", func() error {
				_, err := e.svc.Create(ctx, e.viewer, export.FormatCSV, export.Filters{}, access.Meta{})
				return err
			}, apperr.ErrForbidden},
			{"viewer deletes", func() error { return e.svc.Delete(ctx, e.viewer, made.ID, access.Meta{}) }, apperr.ErrForbidden},
			{"viewer lists", func() error {
				esP, err := e.svc.List(ctx, e.viewer, page.Request{})
				es := esP.Rows
				if err == nil && (len(es) != 1 || es[0].ID != made.ID) {
					return errors.New("the viewer does not see the tenant's export")
				}
				return err
			}, nil},
			{"viewer gets", func() error {
				got, _, err := e.svc.Get(ctx, e.viewer, made.ID)
				if err == nil && got.ID != made.ID {
					return errors.New("wrong export")
				}
				return err
			}, nil},
			{"other tenant gets", func() error { _, _, err := e.svc.Get(ctx, e.other, made.ID); return err }, apperr.ErrNotFound},
			{"other tenant deletes", func() error { return e.svc.Delete(ctx, e.other, made.ID, access.Meta{}) }, apperr.ErrNotFound},
			{"other tenant's job", func() error { return e.svc.Run(ctx, e.other.TenantID, made.ID) }, apperr.ErrNotFound},
			{"other tenant lists", func() error {
				esP, err := e.svc.List(ctx, e.other, page.Request{})
				es := esP.Rows
				if err == nil && len(es) != 0 {
					return errors.New("another tenant's export is listed")
				}
				return err
			}, nil},
		}
		for _, c := range cases {
			err := c.do()
			if c.want == nil {
				require.NoError(t, err, c.name)
				continue
			}
			require.ErrorIs(t, err, c.want, c.name)
		}
		// The refusals changed nothing.
		got, _, err := e.svc.Get(ctx, e.owner, made.ID)
		require.NoError(t, err)
		require.Equal(t, export.StatusQueued, got.Status)
		esP, err := e.svc.List(ctx, e.owner, page.Request{})
		es := esP.Rows
		require.NoError(t, err)
		require.Len(t, es, 1)
	})
}

func TestServiceCreateInvalid(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e env) {
		ctx := context.Background()
		for _, c := range []struct {
			format  export.Format
			filters export.Filters
			field   string
		}{
			{"docx", export.Filters{}, "format"},
			{"", export.Filters{}, "format"},
			{export.FormatCSV, export.Filters{Status: "lost"}, "status"},
		} {
			_, err := e.svc.Create(ctx, e.owner, c.format, c.filters, access.Meta{})
			require.ErrorIs(t, err, apperr.ErrInvalid, c.format)
			var ae *apperr.Error
			require.ErrorAs(t, err, &ae)
			require.Len(t, ae.Fields, 1)
			require.Equal(t, c.field, ae.Fields[0].Field)
		}
		esP, err := e.svc.List(ctx, e.owner, page.Request{})
		es := esP.Rows
		require.NoError(t, err)
		require.Empty(t, es, "nothing is recorded")
	})
}

// Create records the export, its job and its audit entry; the export
// worker, run by the job queue, writes the file that a CSV reader reads
// back, and the export completes with its event.
func TestServiceCSVThroughTheJobQueue(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e env) {
		ctx := context.Background()
		orders := e.seedOrders(t, 3)
		cfg := jobs.NewRunConfig(map[string]int{jobs.QueueExports: 1}, slog.New(slog.DiscardHandler))
		e.svc.RegisterWorkers(cfg.Workers)
		cfg.SetFetch(10*time.Millisecond, 30*time.Millisecond)
		runner, err := e.st.JobRunner(cfg)
		require.NoError(t, err)
		require.NoError(t, runner.Start(ctx))
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = runner.Stop(sctx)
		})

		made, err := e.svc.Create(ctx, e.owner, export.FormatCSV, export.Filters{}, access.Meta{IP: "192.0.2.1"})
		require.NoError(t, err)
		require.Equal(t, export.StatusQueued, made.Status)
		created := e.audit(t, "export.created", made.ID)
		require.Len(t, created, 1)
		require.Equal(t, e.owner.UserID, *created[0].ActorID)

		var got export.Export
		require.Eventually(t, func() bool {
			got, _, err = e.svc.Get(ctx, e.owner, made.ID)
			return err == nil && got.Status == export.StatusCompleted
		}, 20*time.Second, 20*time.Millisecond, "the job never completed the export")
		got, url, err := e.svc.Get(ctx, e.owner, made.ID)
		require.NoError(t, err)
		require.NotEmpty(t, url, "a completed export has a download link")
		require.Equal(t, int64(3), got.OrderCount)
		require.Equal(t, int64(6), got.RowCount, "a CSV row per item")
		require.NotNil(t, got.ExpiresAt)

		data := e.read(t, got.ObjectKey)
		require.Equal(t, got.Size, int64(len(data)))
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 1+6)
		require.Equal(t, "order_number", rows[0][0])
		var numbers []string
		for _, r := range rows[1:] {
			if !slices.Contains(numbers, r[0]) {
				numbers = append(numbers, r[0])
			}
		}
		var want []string
		for _, o := range orders {
			want = append(want, o.DisplayNumber())
		}
		require.ElementsMatch(t, want, numbers)

		types := e.eventTypes(t, made.ID)
		require.Contains(t, types, export.EventProgress)
		require.Equal(t, event.ExportCompleted, types[len(types)-1], "completion is the last event")
	})
}

// The worker's run of an XLSX export writes a workbook that excelize
// reads back: one row per order on the Orders sheet.
func TestServiceXLSX(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e env) {
		ctx := context.Background()
		orders := e.seedOrders(t, 2)
		made, err := e.svc.Create(ctx, e.owner, export.FormatXLSX, export.Filters{Status: order.StatusPending}, access.Meta{})
		require.NoError(t, err)
		require.NoError(t, e.svc.Run(ctx, e.owner.TenantID, made.ID))
		got, _, err := e.svc.Get(ctx, e.owner, made.ID)
		require.NoError(t, err)
		require.Equal(t, export.StatusCompleted, got.Status)
		require.Equal(t, int64(2), got.OrderCount)

		x, err := excelize.OpenReader(bytes.NewReader(e.read(t, got.ObjectKey)))
		require.NoError(t, err)
		defer x.Close()
		rows, err := x.GetRows("Orders")
		require.NoError(t, err)
		require.Len(t, rows, 1+2)
		require.Equal(t, orders[0].DisplayNumber(), rows[1][0])
		require.Equal(t, orders[1].DisplayNumber(), rows[2][0])

		// Running the job again leaves a completed export alone.
		require.NoError(t, e.svc.Run(ctx, e.owner.TenantID, made.ID))
		again, _, err := e.svc.Get(ctx, e.owner, made.ID)
		require.NoError(t, err)
		require.Equal(t, got.UpdatedAt, again.UpdatedAt)
	})
}

var errBoom = errors.New("boom")

// faultyDB fails the audit entry of one action, or the event of one type,
// after the rest of the transaction was written.
type faultyDB struct {
	store.Narrow[export.Tx]
	failAudit, failEvent string
}

func (d faultyDB) InTx(ctx context.Context, fn func(export.Tx) error) error {
	return d.Narrow.InTx(ctx, func(tx export.Tx) error { return fn(faultyTx{Tx: tx, d: d}) })
}

type faultyTx struct {
	export.Tx
	d faultyDB
}

func (t faultyTx) AuditInsert(ctx context.Context, e audit.Entry) error {
	if e.Action == t.d.failAudit {
		return errBoom
	}
	return t.Tx.AuditInsert(ctx, e)
}

func (t faultyTx) EventInsert(ctx context.Context, e event.Event) error {
	if e.Type == t.d.failEvent {
		return errBoom
	}
	return t.Tx.EventInsert(ctx, e)
}

func (t faultyTx) EventInsertForWebhooks(ctx context.Context, e event.Event) ([]webhook.Endpoint, error) {
	if e.Type == t.d.failEvent {
		return nil, errBoom
	}
	return t.Tx.EventInsertForWebhooks(ctx, e)
}

// A change and its audit entry or event commit together: when the entry
// or the event cannot be written, the change is undone too.
func TestServiceAuditAndEventInTheSameTransaction(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e env) {
		ctx := context.Background()
		e.seedOrders(t, 2)
		narrow := store.Narrow[export.Tx]{Store: e.st}

		_, err := e.service(faultyDB{Narrow: narrow, failAudit: "export.created"}).Create(ctx, e.owner, export.FormatCSV, export.Filters{}, access.Meta{})
		require.ErrorIs(t, err, errBoom)
		esP, err := e.svc.List(ctx, e.owner, page.Request{})
		es := esP.Rows
		require.NoError(t, err)
		require.Empty(t, es, "no export without its audit entry")

		made, err := e.svc.Create(ctx, e.owner, export.FormatCSV, export.Filters{}, access.Meta{})
		require.NoError(t, err)
		// The completion's event fails: the export is not completed.
		err = e.service(faultyDB{Narrow: narrow, failEvent: event.ExportCompleted}).Run(ctx, e.owner.TenantID, made.ID)
		require.ErrorIs(t, err, errBoom)
		got, _, err := e.svc.Get(ctx, e.owner, made.ID)
		require.NoError(t, err)
		require.Equal(t, export.StatusRunning, got.Status)
		require.NotContains(t, e.eventTypes(t, made.ID), event.ExportCompleted)
		// The job's retry completes it.
		require.NoError(t, e.svc.Run(ctx, e.owner.TenantID, made.ID))
		got, _, err = e.svc.Get(ctx, e.owner, made.ID)
		require.NoError(t, err)
		require.Equal(t, export.StatusCompleted, got.Status)
		require.Contains(t, e.eventTypes(t, made.ID), event.ExportCompleted)

		// A delete whose entry fails keeps the export and its file.
		err = e.service(faultyDB{Narrow: narrow, failAudit: "export.deleted"}).Delete(ctx, e.owner, made.ID, access.Meta{})
		require.ErrorIs(t, err, errBoom)
		_, _, err = e.svc.Get(ctx, e.owner, made.ID)
		require.NoError(t, err)
		_, err = e.blobs.Stat(ctx, got.ObjectKey)
		require.NoError(t, err)
		require.Empty(t, e.audit(t, "export.deleted", made.ID))
	})
}

// Deleting a queued export cancels it (the job then does nothing);
// deleting a completed one removes it and its file; each is audited.
func TestServiceDelete(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e env) {
		ctx := context.Background()
		e.seedOrders(t, 1)

		queued, err := e.svc.Create(ctx, e.owner, export.FormatCSV, export.Filters{}, access.Meta{})
		require.NoError(t, err)
		require.NoError(t, e.svc.Delete(ctx, e.owner, queued.ID, access.Meta{}))
		got, _, err := e.svc.Get(ctx, e.owner, queued.ID)
		require.NoError(t, err)
		require.Equal(t, export.StatusCancelled, got.Status)
		require.Len(t, e.audit(t, "export.cancelled", queued.ID), 1)
		require.NoError(t, e.svc.Run(ctx, e.owner.TenantID, queued.ID))
		got, _, err = e.svc.Get(ctx, e.owner, queued.ID)
		require.NoError(t, err)
		require.Equal(t, export.StatusCancelled, got.Status, "a cancelled export is not run")
		files, err := e.blobs.List(ctx, "tenants/")
		require.NoError(t, err)
		require.Empty(t, files)

		done, err := e.svc.Create(ctx, e.owner, export.FormatPDF, export.Filters{}, access.Meta{})
		require.NoError(t, err)
		require.NoError(t, e.svc.Run(ctx, e.owner.TenantID, done.ID))
		got, _, err = e.svc.Get(ctx, e.owner, done.ID)
		require.NoError(t, err)
		require.Equal(t, export.StatusCompleted, got.Status)
		require.True(t, bytes.HasPrefix(e.read(t, got.ObjectKey), []byte("%PDF-")))
		require.NoError(t, e.svc.Delete(ctx, e.owner, done.ID, access.Meta{}))
		_, _, err = e.svc.Get(ctx, e.owner, done.ID)
		require.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = e.blobs.Stat(ctx, got.ObjectKey)
		require.ErrorIs(t, err, apperr.ErrNotFound, "the file goes with the export")
		require.Len(t, e.audit(t, "export.deleted", done.ID), 1)
	})
}

// The sweep removes the files of exports past their time and marks them
// expired; the others stay.
func TestServiceExpire(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e env) {
		ctx := context.Background()
		e.seedOrders(t, 1)
		var done []export.Export
		for range 2 {
			made, err := e.svc.Create(ctx, e.owner, export.FormatCSV, export.Filters{}, access.Meta{})
			require.NoError(t, err)
			require.NoError(t, e.svc.Run(ctx, e.owner.TenantID, made.ID))
			got, _, err := e.svc.Get(ctx, e.owner, made.ID)
			require.NoError(t, err)
			require.Equal(t, export.StatusCompleted, got.Status)
			done = append(done, got)
		}
		n, err := e.svc.Expire(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "nothing has expired yet")

		old := done[0]
		past := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour)
		old.ExpiresAt = &past
		require.NoError(t, e.st.ExportUpdate(ctx, old))
		n, err = e.svc.Expire(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)

		got, url, err := e.svc.Get(ctx, e.owner, old.ID)
		require.NoError(t, err)
		require.Equal(t, export.StatusExpired, got.Status)
		require.Empty(t, url)
		_, err = e.blobs.Stat(ctx, old.ObjectKey)
		require.ErrorIs(t, err, apperr.ErrNotFound)
		kept, _, err := e.svc.Get(ctx, e.owner, done[1].ID)
		require.NoError(t, err)
		require.Equal(t, export.StatusCompleted, kept.Status)
		_, err = e.blobs.Stat(ctx, kept.ObjectKey)
		require.NoError(t, err)

		n, err = e.svc.Expire(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "an expired export is swept once")
	})
}
