package export

// The export service: requests, the export job and the expiry sweep.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/archive"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/mail"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/outbox"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/plan"
)

// Event types of export progress.
const (
	EventProgress = "export.progress"
)

// sizeLimits are the formats that hold a bounded number of orders.
var sizeLimits = map[Format]struct {
	max  int64
	hint string
}{
	// One row per order on the Orders sheet (items go on over as many
	// sheets as they need).
	FormatXLSX: {XLSXMaxRows, "an XLSX sheet holds at most %d orders and these filters select %d: choose csv, or narrow the filters"},
	// A PDF is laid out in memory.
	FormatPDF: {PDFMaxOrders, "a PDF export holds at most %d orders and these filters select %d: choose csv or xlsx, or narrow the filters"},
}

// BatchSize is how many orders are read with one query, written, and
// counted as progress at a time: large enough that round trips do not
// count, small enough that progress moves and a cancel is seen soon.
const BatchSize = 5000

// DownloadTTL is the life of a download URL.
const DownloadTTL = 5 * time.Minute

// Service runs exports.
type Service struct {
	store   DB
	blobs   blob.Store
	log     *slog.Logger
	baseURL string
	timeout time.Duration
	// observer, if set, is told of every completed export (metrics).
	observer Observer
	// limits checks the plan's exports_per_day; nil limits nothing.
	limits *plan.Checker
}

// Observer is told of each completed export: its format, the orders
// written and how long the export job took to write it.
type Observer interface {
	Completed(format string, orders int64, took time.Duration)
}

// NewService returns a Service; baseURL is Ordo's public address, for the
// link in the export-ready e-mail.
func NewService(db DB, blobs blob.Store, log *slog.Logger, baseURL string) *Service {
	return &Service{store: db, blobs: blobs, log: log, baseURL: strings.TrimRight(baseURL, "/"), timeout: 15 * time.Minute}
}

// WithTimeout sets the longest an export may run (15 minutes by default).
func (s *Service) WithTimeout(d time.Duration) *Service { s.timeout = d; return s }

// WithLimits checks new exports against the tenant's plan
// (exports_per_day).
func (s *Service) WithLimits(c *plan.Checker) *Service { s.limits = c; return s }

// WithObserver sets the observer told of completed exports; nil for none.
func (s *Service) WithObserver(o Observer) *Service { s.observer = o; return s }

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Args is the export job.
type Args struct {
	ExportID uuid.UUID `json:"export_id"`
	TenantID uuid.UUID `json:"tenant_id"`
}

func (Args) Kind() string { return jobs.KindExport }

func (Args) InsertOpts() jobs.Opts { return jobs.Opts{Queue: jobs.QueueExports, MaxAttempts: 5} }

type worker struct {
	s *Service
}

func (w *worker) Timeout(*jobs.Job[Args]) time.Duration { return w.s.timeout }

func (w *worker) Work(ctx context.Context, job *jobs.Job[Args]) error {
	return w.s.Run(ctx, job.Args.TenantID, job.Args.ExportID)
}

// RegisterWorkers adds the export job's worker.
func (s *Service) RegisterWorkers(ws *jobs.Workers) { jobs.Register[Args](ws, &worker{s: s}) }

// Create records an export and its job in one transaction.
func (s *Service) Create(ctx context.Context, p access.Principal, f Format, filters Filters, m access.Meta) (Export, error) {
	if err := p.Require(access.ActExportCreate); err != nil {
		return Export{}, err
	}
	if f != FormatCSV && f != FormatXLSX && f != FormatPDF {
		return Export{}, apperr.Invalid("format", "must be csv, xlsx or pdf")
	}
	if filters.Status != "" && !filters.Status.Valid() {
		return Export{}, apperr.Invalid("status", "must be pending, processing, shipped, delivered or cancelled")
	}
	// Formats with a size limit are checked against the count now, so
	// that the user hears at once rather than from a failed export.
	if lim, ok := sizeLimits[f]; ok {
		n, err := s.store.OrderCount(ctx, listParams(p.TenantID, filters))
		if err != nil {
			return Export{}, err
		}
		if n > lim.max {
			return Export{}, apperr.Invalid("format", fmt.Sprintf(lim.hint, lim.max, n))
		}
	}
	return s.start(ctx, p, f, filters, m, map[string]any{"format": f, "filters": filters})
}

// start records a queued export, its job and its audit entry in one
// transaction.
func (s *Service) start(ctx context.Context, p access.Principal, f Format, filters Filters, m access.Meta, details map[string]any) (Export, error) {
	n := now()
	e := Export{ID: uuid.Must(uuid.NewV7()), TenantID: p.TenantID, CreatedBy: p.ActorID(), Format: f, Filters: filters,
		Status: StatusQueued, CreatedAt: n, UpdatedAt: n}
	err := s.store.InTx(ctx, func(tx Tx) error {
		if f != FormatArchive {
			if err := s.takeDaily(ctx, tx, p.TenantID, n); err != nil {
				return err
			}
		}
		if err := tx.ExportCreate(ctx, e); err != nil {
			return err
		}
		if _, err := tx.JobInsert(ctx, Args{ExportID: e.ID, TenantID: e.TenantID}, nil); err != nil {
			return err
		}
		ae, err := p.AuditEntry(m, n, p.TenantID, "export.created", "export", e.ID.String(), details)
		if err != nil {
			return err
		}
		return tx.AuditInsert(ctx, ae)
	})
	return e, err
}

// takeDaily refuses an export past the tenant's exports_per_day. Under
// the tenant's lock the day's count still holds when the export commits,
// so two concurrent creates cannot both take the last one. Unlimited
// tenants skip the lock and the count. An owner's archive is not counted:
// it is the tenant's data leaving, which no plan should hold back.
func (s *Service) takeDaily(ctx context.Context, tx Tx, tenantID uuid.UUID, now time.Time) error {
	limited, err := s.limits.Limited(ctx, tenantID, plan.ExportsPerDay)
	if err != nil || !limited {
		return err
	}
	if err := tx.MembershipLock(ctx, tenantID); err != nil {
		return err
	}
	today, err := tx.UsageExportsSince(ctx, tenantID, plan.Day(now))
	if err != nil {
		return err
	}
	return s.limits.Allow(ctx, tenantID, plan.ExportsPerDay, today+1)
}

// CreateArchive records an export of the tenant's whole data (package
// archive, without the users' password hashes) and its job, for owners.
func (s *Service) CreateArchive(ctx context.Context, p access.Principal, m access.Meta) (Export, error) {
	if err := p.Require(access.ActTenantExport); err != nil {
		return Export{}, err
	}
	return s.start(ctx, p, FormatArchive, Filters{}, m, map[string]any{"format": FormatArchive})
}

// visible hides an archive from whoever may not download one: it holds
// every member's e-mail, the audit log and the webhook secrets.
func visible(p access.Principal, e Export) bool {
	return e.Format != FormatArchive || p.Can(access.ActTenantExport)
}

// Get returns an export and, when completed, a download URL.
func (s *Service) Get(ctx context.Context, p access.Principal, id uuid.UUID) (Export, string, error) {
	if err := p.Require(access.ActOrderRead); err != nil {
		return Export{}, "", err
	}
	e, err := s.store.ExportGet(ctx, p.TenantID, id)
	if err == nil && !visible(p, e) {
		return Export{}, "", apperr.NotFound("export")
	}
	if err != nil || e.Status != StatusCompleted {
		return e, "", err
	}
	name := "orders-" + e.CreatedAt.Format("2006-01-02") + "." + string(e.Format)
	if e.Format == FormatArchive {
		name = "tenant-" + e.CreatedAt.Format("2006-01-02") + ".zip"
	}
	u, err := s.blobs.PresignGet(ctx, e.ObjectKey, blob.Download{Filename: name, ContentType: e.Format.ContentType()}, DownloadTTL)
	return e, u, err
}

// Limits of a page of List.
const (
	DefaultPage = 50
	MaxPage     = 100
)

// List reads the page r selects of the tenant's exports, newest first: at
// most r.Limit (DefaultPage for 0, MaxPage at most).
func (s *Service) List(ctx context.Context, p access.Principal, r page.Request) (page.Page[Export], error) {
	if err := p.Require(access.ActOrderRead); err != nil {
		return page.Page[Export]{}, err
	}
	if r.Limit == 0 {
		r.Limit = DefaultPage
	}
	if r.Limit < 1 || r.Limit > MaxPage {
		return page.Page[Export]{}, apperr.Invalid("limit", fmt.Sprintf("must be an integer from 1 to %d", MaxPage))
	}
	return page.Read(r, func(e Export) uuid.UUID { return e.ID }, func(r page.Request) ([]Export, error) {
		return s.store.ExportList(ctx, p.TenantID, r)
	})
}

// Delete cancels a queued or running export, or deletes a finished one
// with its file.
func (s *Service) Delete(ctx context.Context, p access.Principal, id uuid.UUID, m access.Meta) error {
	if err := p.Require(access.ActExportCreate); err != nil {
		return err
	}
	e, err := s.store.ExportGet(ctx, p.TenantID, id)
	if err == nil && !visible(p, e) {
		err = apperr.NotFound("export")
	}
	if err != nil {
		return err
	}
	action := "export.deleted"
	err = s.store.InTx(ctx, func(tx Tx) error {
		if e.Status == StatusQueued || e.Status == StatusRunning {
			// The job sees this at its next batch and stops.
			action = "export.cancelled"
			e.Status, e.UpdatedAt = StatusCancelled, now()
			if err := tx.ExportUpdate(ctx, e); err != nil {
				return err
			}
		} else {
			if err := tx.ExportDelete(ctx, p.TenantID, id); err != nil {
				return err
			}
			// The file goes with the row, whatever happens after the commit.
			if err := jobs.DeleteBlobs(ctx, tx, p.TenantID, e.ObjectKey); err != nil {
				return err
			}
		}
		ae, err := p.AuditEntry(m, now(), p.TenantID, action, "export", id.String(), nil)
		if err != nil {
			return err
		}
		return tx.AuditInsert(ctx, ae)
	})
	if err == nil && action == "export.deleted" && e.ObjectKey != "" {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), e.ObjectKey)
	}
	return err
}

var errCancelled = errors.New("export cancelled")

// progress saves the export and tells live views; also, if given, runs
// in the same transaction.
func (s *Service) progress(ctx context.Context, e Export, typ string, also ...func(tx Tx) error) error {
	e.UpdatedAt = now()
	return s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.ExportUpdate(ctx, e); err != nil {
			return err
		}
		for _, f := range also {
			if err := f(tx); err != nil {
				return err
			}
		}
		data, _ := json.Marshal(ProgressEvent{ID: e.ID, Status: e.Status, Progress: Progress{Done: e.Done, Total: e.Total},
			OrderCount: e.OrderCount, RowCount: e.RowCount, Size: e.Size, Error: e.Error})
		return outbox.Emit(ctx, tx, event.Event{ID: uuid.Must(uuid.NewV7()), TenantID: e.TenantID, Type: typ, EntityID: e.ID.String(), Data: data, CreatedAt: now()})
	})
}

// listParams selects the orders of filters, in export order.
func listParams(tenantID uuid.UUID, f Filters) order.ListParams {
	return order.ListParams{TenantID: tenantID, Status: f.Status, CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore,
		CustomerEmail: f.CustomerEmail, Query: f.Query, Sort: order.SortCreatedAt, Limit: BatchSize}
}

// Run performs an export. It is safe to run again after a crash: the file
// goes to the same key, replacing a partial one, and a finished or
// cancelled export is left alone.
func (s *Service) Run(ctx context.Context, tenantID, id uuid.UUID) error {
	e, err := s.store.ExportGet(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if e.Status == StatusCancelled && e.ObjectKey != "" {
		// Cancelled while running, and that run died before removing its
		// partial file: remove it now, or nothing ever would.
		if err := s.blobs.Delete(ctx, e.ObjectKey); err != nil {
			return fmt.Errorf("remove cancelled export %s: %w", id, err)
		}
		return nil
	}
	if e.Status == StatusCompleted || e.Status == StatusCancelled || e.Status == StatusExpired {
		return nil
	}
	if e.Format == FormatArchive {
		return s.runArchive(ctx, e)
	}
	start := time.Now()
	lp := listParams(tenantID, e.Filters)
	// The export holds the orders that existed when it was asked for:
	// orders created while it runs would otherwise land in later batches
	// and make the file disagree with its own count.
	if lp.CreatedBefore == nil || lp.CreatedBefore.After(e.CreatedAt) {
		asked := e.CreatedAt.Add(time.Microsecond)
		lp.CreatedBefore = &asked
	}
	total, err := s.store.OrderCount(ctx, lp)
	if err != nil {
		return err
	}
	e.Status, e.Done, e.Total, e.Error = StatusRunning, 0, total, ""
	e.ObjectKey = "tenants/" + tenantID.String() + "/exports/" + id.String() + "." + string(e.Format)
	if err := s.progress(ctx, e, EventProgress); err != nil {
		return err
	}

	pr, pw := io.Pipe()
	type result struct {
		info blob.Info
		err  error
	}
	uploaded := make(chan result, 1)
	go func() {
		info, err := s.blobs.Put(ctx, e.ObjectKey, pr, e.Format.ContentType())
		pr.CloseWithError(err)
		uploaded <- result{info, err}
	}()
	w, err := s.writer(ctx, e, pw)
	if err == nil {
		err = s.write(ctx, &e, lp, w)
	}
	if err == nil {
		err = w.Close()
	}
	pw.CloseWithError(err)
	res := <-uploaded
	if err == nil {
		err = res.err
	}
	if errors.Is(err, errCancelled) {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), e.ObjectKey)
		return nil
	}
	if errors.Is(err, ErrTooManyRows) {
		// Retrying cannot make it fit: fail for good, saying what to do.
		_ = s.blobs.Delete(context.WithoutCancel(ctx), e.ObjectKey)
		e.Status, e.Error = StatusFailed, fmt.Sprintf("more orders than a spreadsheet sheet holds (%d): export as CSV, or narrow the filters", XLSXMaxRows)
		return s.progress(context.WithoutCancel(ctx), e, EventProgress)
	}
	if err != nil {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), e.ObjectKey)
		e.Status, e.Error = StatusFailed, "the export could not be written; it will be retried"
		if perr := s.progress(context.WithoutCancel(ctx), e, EventProgress); perr != nil {
			s.log.WarnContext(ctx, "record export failure", "err", perr)
		}
		return fmt.Errorf("export %s: %w", id, err)
	}
	n := now()
	exp := n.Add(TTL)
	// Orders and file rows are two numbers: a CSV has a row per item.
	e.Status, e.OrderCount, e.RowCount, e.Size, e.CompletedAt, e.ExpiresAt = StatusCompleted, e.Done, w.Rows(), res.info.Size, &n, &exp
	// The rows count in the tenant's usage in the transaction that
	// completes the export: a retried job counts them once.
	countRows := func(tx Tx) error { return tx.UsageAdd(ctx, tenantID, n, plan.CountExportRows, e.RowCount) }
	if err := s.progress(ctx, e, event.ExportCompleted, func(tx Tx) error { return s.mailReady(ctx, tx, e) }, countRows); err != nil {
		return err
	}
	if s.observer != nil {
		s.observer.Completed(string(e.Format), e.OrderCount, time.Since(start))
	}
	return nil
}

// writer opens the file writer of e's format on w.
func (s *Service) writer(ctx context.Context, e Export, w io.Writer) (Writer, error) {
	if e.Format != FormatPDF {
		return NewWriter(e.Format, w)
	}
	t, err := s.store.TenantGetByID(ctx, e.TenantID)
	if err != nil {
		return nil, err
	}
	return NewPDFWriter(w, ReportHeader{Tenant: t.Name, Filters: e.Filters, GeneratedAt: now()})
}

// mailReady tells the user who asked for an export that it is ready,
// inside the transaction that completes it. Exports made with an API key
// send nothing: the client polls or listens to events.
func (s *Service) mailReady(ctx context.Context, tx Tx, e Export) error {
	if e.CreatedBy == nil {
		return nil
	}
	u, err := tx.UserGetByID(ctx, *e.CreatedBy)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil // an API key's export, or a user since deleted
	}
	if err != nil {
		return err
	}
	t, err := tx.TenantGetByID(ctx, e.TenantID)
	if err != nil {
		return err
	}
	m, err := mail.Render(mail.KindExportReady, []string{u.Email}, mail.ExportReadyData{TenantName: t.Name, Format: string(e.Format),
		Orders: e.OrderCount, Rows: e.RowCount, URL: s.baseURL + "/app/exports"})
	if err != nil {
		return err
	}
	_, err = tx.JobInsert(ctx, jobs.Email(m, &e.TenantID), nil)
	return err
}

// write streams the orders in keyset batches, stopping if the export was
// cancelled and saving progress after each batch but the last.
func (s *Service) write(ctx context.Context, e *Export, lp order.ListParams, w Writer) error {
	return WriteOrders(ctx, s.store, lp, w, func(done int64) error {
		e.Done = done
		if cur, err := s.store.ExportGet(ctx, e.TenantID, e.ID); err == nil && cur.Status == StatusCancelled {
			return errCancelled
		}
		if done >= e.Total {
			return nil // the completion that follows says it
		}
		return s.progress(ctx, *e, EventProgress)
	})
}

// WriteOrders writes the orders lp selects to w, reading them in keyset
// batches of lp.Limit with OrderScan, so that memory holds one
// order whatever their number. After each batch it calls after (when not
// nil) with the orders written so far; an error from it stops the export.
// The export job and the benchmark harness share it.
func WriteOrders(ctx context.Context, st OrderScanner, lp order.ListParams, w Writer, after func(done int64) error) error {
	var done int64
	for {
		var n int
		var last order.Order
		err := st.OrderScan(ctx, lp, func(o order.Order) error {
			n++
			last = o
			return w.WriteOrder(o)
		})
		if err != nil {
			return err
		}
		done += int64(n)
		if after != nil {
			if err := after(done); err != nil {
				return err
			}
		}
		if n < lp.Limit {
			return nil
		}
		lp.After = &order.Cursor{CreatedAt: last.CreatedAt, Total: last.Total, ID: last.ID}
	}
}

// Expire removes the files of exports past their TTL; the maintenance
// job calls it.
func (s *Service) Expire(ctx context.Context) (int, error) {
	es, err := s.store.ExportListExpired(ctx, now(), 500)
	if err != nil {
		return 0, err
	}
	for _, e := range es {
		if err := s.blobs.Delete(ctx, e.ObjectKey); err != nil {
			return 0, err
		}
		e.Status, e.UpdatedAt = StatusExpired, now()
		if err := s.store.ExportUpdate(ctx, e); err != nil {
			return 0, err
		}
	}
	return len(es), nil
}

// ProgressEvent is the data of every export event: the progress live
// views show and the export.completed webhook. The OpenAPI document
// describes the webhook payload from this type.
type ProgressEvent struct {
	ID         uuid.UUID `json:"id"`
	Status     Status    `json:"status"`
	Progress   Progress  `json:"progress"`
	OrderCount int64     `json:"order_count"`
	RowCount   int64     `json:"row_count"`
	Size       int64     `json:"size" description:"Bytes of the file."`
	Error      string    `json:"error" description:"Why it failed; empty otherwise."`
}

// Progress is the orders written of the orders to write.
type Progress struct {
	Done  int64 `json:"done"`
	Total int64 `json:"total"`
}

// runArchive writes the tenant's archive into storage, saving progress
// about once a second and stopping if the export is cancelled. Like Run,
// it is safe to run again after a crash: the file goes to the same key.
func (s *Service) runArchive(ctx context.Context, e Export) error {
	start := time.Now()
	e.Status, e.Done, e.Total, e.Error = StatusRunning, 0, 0, ""
	e.ObjectKey = "tenants/" + e.TenantID.String() + "/exports/" + e.ID.String() + ".zip"
	if err := s.progress(ctx, e, EventProgress); err != nil {
		return err
	}
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	pr, pw := io.Pipe()
	type result struct {
		info blob.Info
		err  error
	}
	uploaded := make(chan result, 1)
	go func() {
		info, err := s.blobs.Put(wctx, e.ObjectKey, pr, FormatArchive.ContentType())
		pr.CloseWithError(err)
		uploaded <- result{info, err}
	}()
	saved := time.Now()
	m, err := archive.Export(wctx, s.store, s.blobs, e.TenantID, pw, archive.Options{Engine: s.store.Engine(),
		Progress: func(done, total int64) {
			e.Done, e.Total = done, total
			if time.Since(saved) < time.Second {
				return
			}
			saved = time.Now()
			if cur, err := s.store.ExportGet(ctx, e.TenantID, e.ID); err == nil && cur.Status == StatusCancelled {
				cancel(errCancelled)
				return
			}
			if err := s.progress(ctx, e, EventProgress); err != nil {
				s.log.WarnContext(ctx, "record archive progress", "err", err)
			}
		}})
	pw.CloseWithError(err)
	res := <-uploaded
	if err == nil {
		err = res.err
	}
	if errors.Is(context.Cause(wctx), errCancelled) {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), e.ObjectKey)
		return nil
	}
	if err != nil {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), e.ObjectKey)
		e.Status, e.Error = StatusFailed, "the archive could not be written; it will be retried"
		if perr := s.progress(context.WithoutCancel(ctx), e, EventProgress); perr != nil {
			s.log.WarnContext(ctx, "record archive failure", "err", perr)
		}
		return fmt.Errorf("archive %s: %w", e.ID, err)
	}
	n := now()
	exp := n.Add(TTL)
	e.Status, e.OrderCount, e.RowCount, e.Size, e.CompletedAt, e.ExpiresAt = StatusCompleted, m.Tables["orders"].Rows, m.RowCount(), res.info.Size, &n, &exp
	// The users the rows name are only known at the end: the total counts
	// them now, so that a finished archive reads "n / n".
	e.Total = m.RowCount() + int64(len(m.Objects))
	e.Done = e.Total
	if err := s.progress(ctx, e, event.ExportCompleted, func(tx Tx) error { return s.mailReady(ctx, tx, e) }); err != nil {
		return err
	}
	if s.observer != nil {
		s.observer.Completed(string(e.Format), e.OrderCount, time.Since(start))
	}
	return nil
}
