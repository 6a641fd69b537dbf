package invoice

import (
	"bytes"
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
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/outbox"
)

// DownloadTTL is the life of a download URL.
const DownloadTTL = 5 * time.Minute

// maxLogoBytes bounds the logo read into memory for rendering.
const maxLogoBytes = 2 << 20

// Service generates and serves invoices.
type Service struct {
	db    DB
	blobs blob.Store
	log   *slog.Logger
}

// NewService returns a Service.
func NewService(db DB, blobs blob.Store, log *slog.Logger) *Service {
	return &Service{db: db, blobs: blobs, log: log}
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Args is the invoice job (jobs.InvoiceArgs: the order service enqueues
// it too when an order ships).
type Args = jobs.InvoiceArgs

type worker struct {
	s *Service
}

func (w *worker) Timeout(*jobs.Job[Args]) time.Duration { return 30 * time.Second }

func (w *worker) Work(ctx context.Context, job *jobs.Job[Args]) error {
	err := w.s.Run(ctx, job.Args)
	if err != nil && job.Attempt >= job.MaxAttempts {
		// The last attempt: say so on the invoice instead of leaving it
		// pending for ever.
		w.s.fail(context.WithoutCancel(ctx), job.Args, err)
	}
	return err
}

// RegisterWorkers adds the invoice job's worker.
func (s *Service) RegisterWorkers(ws *jobs.Workers) { jobs.Register[Args](ws, &worker{s: s}) }

// Enqueue marks the order's invoice pending and enqueues its job inside
// tx. The order service calls it when an order ships.
func Enqueue(ctx context.Context, tx EnqueueTx, tenantID, orderID uuid.UUID, at time.Time) (Record, error) {
	r, err := tx.InvoiceRequest(ctx, tenantID, orderID, at)
	if err != nil {
		return r, fmt.Errorf("request invoice: %w", err)
	}
	if _, err := tx.JobInsert(ctx, Args{TenantID: tenantID, OrderID: orderID, Generation: r.Generation}, nil); err != nil {
		return r, fmt.Errorf("enqueue invoice: %w", err)
	}
	return r, nil
}

// Request generates, or regenerates, an order's invoice.
func (s *Service) Request(ctx context.Context, p access.Principal, orderID uuid.UUID, m access.Meta) (Record, error) {
	if err := p.Require(access.ActInvoiceCreate); err != nil {
		return Record{}, err
	}
	var r Record
	err := s.db.InTx(ctx, func(tx Tx) error {
		// Reading the order first turns another tenant's id into a 404
		// before anything is written.
		if _, err := tx.OrderGet(ctx, p.TenantID, orderID); err != nil {
			return err
		}
		n := now()
		var err error
		if r, err = Enqueue(ctx, tx, p.TenantID, orderID, n); err != nil {
			return err
		}
		ae, err := p.AuditEntry(m, n, p.TenantID, "invoice.requested", "order", orderID.String(),
			map[string]any{"number": r.Number, "generation": r.Generation})
		if err != nil {
			return err
		}
		ae.OrderID = &orderID
		return tx.AuditInsert(ctx, ae)
	})
	return r, err
}

// Get returns an order's invoice and, when ready, a download URL.
func (s *Service) Get(ctx context.Context, p access.Principal, orderID uuid.UUID) (Record, string, error) {
	r, err := s.Record(ctx, p, orderID)
	if err != nil || r.Status != StatusReady {
		return r, "", err
	}
	u, err := s.blobs.PresignGet(ctx, r.ObjectKey, blob.Download{Filename: r.Number + ".pdf", ContentType: "application/pdf"}, DownloadTTL)
	return r, u, err
}

// Record returns an order's invoice without a download URL: what the
// order's page shows of it.
func (s *Service) Record(ctx context.Context, p access.Principal, orderID uuid.UUID) (Record, error) {
	if err := p.Require(access.ActOrderRead); err != nil {
		return Record{}, err
	}
	return s.db.InvoiceGet(ctx, p.TenantID, orderID)
}

// objectKey is where a generation of an invoice is kept. A retried job
// writes the same key again, so a crash leaves no orphan behind.
func objectKey(r Record) string {
	return fmt.Sprintf("tenants/%s/invoices/%s/%s-%d.pdf", r.TenantID, r.OrderID, r.Number, r.Generation)
}

// Run renders and stores one generation of an invoice.
func (s *Service) Run(ctx context.Context, a Args) error {
	r, err := s.db.InvoiceGet(ctx, a.TenantID, a.OrderID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil // the order was deleted
	}
	if err != nil {
		return err
	}
	if r.Generation != a.Generation || r.Status == StatusReady {
		// Superseded by a newer request, or done already. An attempt of
		// this generation that died between storing its PDF and saving
		// the record left the PDF at its key: remove it unless it is the
		// record's.
		if mine := objectKey(Record{TenantID: r.TenantID, OrderID: r.OrderID, Number: r.Number, Generation: a.Generation}); mine != r.ObjectKey {
			if err := s.blobs.Delete(ctx, mine); err != nil {
				return fmt.Errorf("remove superseded invoice %s: %w", mine, err)
			}
		}
		return nil
	}
	pdf, err := s.render(ctx, r)
	if err != nil {
		return err
	}
	prev := r.ObjectKey
	r.ObjectKey = objectKey(r)
	info, err := s.blobs.Put(ctx, r.ObjectKey, bytes.NewReader(pdf), "application/pdf")
	if err != nil {
		return fmt.Errorf("store invoice %s: %w", r.Number, err)
	}
	n := now()
	r.Status, r.Size, r.Error, r.GeneratedAt, r.UpdatedAt = StatusReady, info.Size, "", &n, n
	saved := false
	err = s.db.InTx(ctx, func(tx Tx) error {
		var err error
		if saved, err = tx.InvoiceUpdate(ctx, r); err != nil || !saved {
			return err
		}
		// The regenerated invoice replaces the previous PDF: it goes with
		// this commit, whatever happens after it.
		if prev != "" && prev != r.ObjectKey {
			if err := jobs.DeleteBlobs(ctx, tx, r.TenantID, prev); err != nil {
				return err
			}
		}
		data, _ := json.Marshal(GeneratedEvent{OrderID: r.OrderID, Number: r.Number, Status: r.Status, Size: r.Size, GeneratedAt: n})
		return outbox.Emit(ctx, tx, event.Event{ID: uuid.Must(uuid.NewV7()), TenantID: r.TenantID, Type: event.InvoiceGenerated,
			EntityID: r.OrderID.String(), Data: data, CreatedAt: n})
	})
	if err != nil {
		return fmt.Errorf("save invoice %s: %w", r.Number, err)
	}
	switch {
	case !saved:
		// A newer request came in while rendering; its job writes its own.
		_ = s.blobs.Delete(context.WithoutCancel(ctx), r.ObjectKey)
	case prev != "" && prev != r.ObjectKey:
		_ = s.blobs.Delete(context.WithoutCancel(ctx), prev)
	}
	return nil
}

// fail marks the invoice failed after its job gave up.
func (s *Service) fail(ctx context.Context, a Args, cause error) {
	r, err := s.db.InvoiceGet(ctx, a.TenantID, a.OrderID)
	if err != nil || r.Generation != a.Generation {
		return
	}
	r.Status, r.Error, r.UpdatedAt = StatusFailed, "the invoice could not be generated; try again", now()
	if _, err := s.db.InvoiceUpdate(ctx, r); err != nil {
		s.log.WarnContext(ctx, "record invoice failure", "err", err, "cause", cause)
	}
}

// render draws the invoice of r's order with the tenant's branding.
func (s *Service) render(ctx context.Context, r Record) ([]byte, error) {
	o, err := s.db.OrderGet(ctx, r.TenantID, r.OrderID)
	if err != nil {
		return nil, fmt.Errorf("invoice %s: %w", r.Number, err)
	}
	t, err := s.db.TenantGetByID(ctx, r.TenantID)
	if err != nil {
		return nil, fmt.Errorf("invoice %s: %w", r.Number, err)
	}
	st, err := s.db.TenantSettings(ctx, r.TenantID)
	if err != nil {
		return nil, fmt.Errorf("invoice %s: %w", r.Number, err)
	}
	b := st.Branding
	inv := Invoice{Number: r.Number, IssuedAt: now(), Order: o, Branding: Branding{
		Name: t.Name, Address: b.Address, TaxID: b.TaxID, Footer: b.Footer, AccentColor: b.AccentColor, RTL: b.RTL}}
	if b.LogoKey != "" {
		// A logo that cannot be read is left out rather than failing
		// the invoice.
		if logo, err := s.readLogo(ctx, b.LogoKey); err != nil {
			s.log.WarnContext(ctx, "invoice logo unreadable", "tenant_id", r.TenantID, "err", err)
		} else {
			inv.Branding.Logo, inv.Branding.LogoType = logo, strings.ToLower(b.LogoType)
		}
	}
	var buf bytes.Buffer
	if err := Render(&buf, inv); err != nil {
		return nil, fmt.Errorf("render invoice %s: %w", r.Number, err)
	}
	return buf.Bytes(), nil
}

func (s *Service) readLogo(ctx context.Context, key string) ([]byte, error) {
	rc, _, err := s.blobs.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, maxLogoBytes))
}

// GeneratedEvent is the data of an invoice.generated event. The OpenAPI
// document describes the webhook payload from this type.
type GeneratedEvent struct {
	OrderID     uuid.UUID `json:"order_id"`
	Number      string    `json:"number"`
	Status      Status    `json:"status"`
	Size        int64     `json:"size" description:"Bytes of the PDF."`
	GeneratedAt time.Time `json:"generated_at"`
}
