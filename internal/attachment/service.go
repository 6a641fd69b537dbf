package attachment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/outbox"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/plan"
)

// Lifetimes of presigned URLs.
const (
	UploadTTL   = 15 * time.Minute
	DownloadTTL = 5 * time.Minute
	// StaleAfter is when a pending upload is given up and cleaned away:
	// its upload URL has expired, and a client completes right after its
	// upload, so nothing can still arrive for it.
	StaleAfter = UploadTTL + 15*time.Minute
)

// ErrUploadNotExpected answers a signed upload to a key whose attachment
// is no longer pending (completed, failed or deleted).
var ErrUploadNotExpected = apperr.Conflict("this upload URL is no longer usable: the upload was completed, failed or deleted; start a new one")

// parseUploadKey returns the tenant and attachment of an upload key
// ("uploads/tenants/{tenant}/attachments/{id}").
func parseUploadKey(key string) (tenantID, id uuid.UUID, ok bool) {
	parts := strings.Split(strings.TrimPrefix(key, UploadPrefix), "/")
	if !strings.HasPrefix(key, UploadPrefix) || len(parts) != 4 || parts[0] != "tenants" || parts[2] != "attachments" {
		return uuid.Nil, uuid.Nil, false
	}
	t, err1 := uuid.Parse(parts[1])
	i, err2 := uuid.Parse(parts[3])
	return t, i, err1 == nil && err2 == nil
}

// AcceptUpload says whether a signed local-disk upload to key may be
// written: only while its attachment is pending. Ordo serves those
// uploads itself, so it refuses them after complete or delete rather than
// leave the object for Sweep.
func (s *Service) AcceptUpload(ctx context.Context, key string) error {
	tid, id, ok := parseUploadKey(key)
	if !ok {
		return ErrUploadNotExpected
	}
	a, err := s.db.AttachmentGet(ctx, tid, id)
	if errors.Is(err, apperr.ErrNotFound) || (err == nil && (a.Status != StatusPending || a.UploadKey() != key)) {
		return ErrUploadNotExpected
	}
	return err
}

// Config limits uploads.
type Config struct {
	MaxSize int64
	// AllowedTypes are media types ("application/pdf") or families
	// ("image/*"); empty allows any.
	AllowedTypes []string
}

// Service runs the flow.
type Service struct {
	db    DB
	blobs blob.Store
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	// limits checks the plan's storage_bytes; nil limits nothing.
	limits *plan.Checker
}

// NewService returns a Service; store.Narrow[attachment.Tx]{st} is a db.
func NewService(db DB, blobs blob.Store, cfg Config, log *slog.Logger) *Service {
	return &Service{db: db, blobs: blobs, cfg: cfg, log: log, now: time.Now}
}

// WithLimits checks uploads against the tenant's plan (storage_bytes).
func (s *Service) WithLimits(c *plan.Checker) *Service { s.limits = c; return s }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// PresignInput is what a client declares before uploading.
type PresignInput struct {
	Filename    string
	ContentType string
	Size        int64
	OrderID     *uuid.UUID
}

func (s *Service) allowed(ct string) bool {
	if len(s.cfg.AllowedTypes) == 0 {
		return true
	}
	for _, a := range s.cfg.AllowedTypes {
		if a == ct || (strings.HasSuffix(a, "/*") && strings.HasPrefix(ct, strings.TrimSuffix(a, "*"))) {
			return true
		}
	}
	return false
}

// Presign records a pending attachment and signs its upload. Nothing is
// signed for a size or type that is not allowed.
func (s *Service) Presign(ctx context.Context, p access.Principal, in PresignInput, m access.Meta) (Attachment, blob.Upload, error) {
	if err := p.Require(access.ActAttachmentWrite); err != nil {
		return Attachment{}, blob.Upload{}, err
	}
	var v apperr.Validation
	mt, _, err := mime.ParseMediaType(in.ContentType)
	switch {
	case err != nil || !strings.Contains(mt, "/"):
		v.Add("content_type", "must be a media type such as application/pdf")
	case !s.allowed(mt):
		v.Add("content_type", "is not an allowed file type")
	}
	if in.Size < 1 || in.Size > s.cfg.MaxSize {
		v.Add("size", fmt.Sprintf("must be from 1 to %d bytes", s.cfg.MaxSize))
	}
	if strings.TrimSpace(in.Filename) == "" {
		v.Add("filename", "is required")
	}
	if err := v.Err(); err != nil {
		return Attachment{}, blob.Upload{}, err
	}
	if in.OrderID != nil {
		if err := s.db.AttachmentOrderExists(ctx, p.TenantID, *in.OrderID); err != nil {
			if errors.Is(err, apperr.ErrNotFound) {
				return Attachment{}, blob.Upload{}, apperr.Invalid("order_id", "is not an order of this tenant")
			}
			return Attachment{}, blob.Upload{}, err
		}
	}
	now := s.clock()
	id := uuid.Must(uuid.NewV7())
	a := Attachment{ID: id, TenantID: p.TenantID, OrderID: in.OrderID, UploadedBy: p.ActorID(),
		Filename: SanitizeFilename(in.Filename), ContentType: mt, Size: in.Size,
		// The key comes from the tenant and a fresh id, never from the client.
		ObjectKey: "tenants/" + p.TenantID.String() + "/attachments/" + id.String(),
		Status:    StatusPending, CreatedAt: now, UpdatedAt: now}
	up, err := s.blobs.PresignPut(ctx, a.UploadKey(), a.ContentType, a.Size, UploadTTL)
	if err != nil {
		return Attachment{}, blob.Upload{}, err
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := s.reserve(ctx, tx, p.TenantID, a.Size); err != nil {
			return err
		}
		if err := tx.AttachmentCreate(ctx, a); err != nil {
			return err
		}
		e, err := p.AuditEntry(m, now, p.TenantID, "attachment.presigned", "attachment", id.String(), map[string]any{"filename": a.Filename, "size": a.Size, "content_type": a.ContentType})
		if err != nil {
			return err
		}
		e.OrderID = a.OrderID
		return tx.AuditInsert(ctx, e)
	})
	if err != nil {
		return Attachment{}, blob.Upload{}, err
	}
	return a, up, nil
}

// reserve refuses an upload that would take the tenant past its plan's
// storage_bytes. The pending attachment holds its declared size from now
// on (the sum counts pending ones): under the tenant's lock, two uploads
// cannot both fit in the last bytes, and completing one needs no second
// check. Unlimited tenants skip the lock and the sum.
func (s *Service) reserve(ctx context.Context, tx Tx, tenantID uuid.UUID, size int64) error {
	limited, err := s.limits.Limited(ctx, tenantID, plan.StorageBytes)
	if err != nil || !limited {
		return err
	}
	if err := tx.MembershipLock(ctx, tenantID); err != nil {
		return err
	}
	used, err := tx.UsageStorageBytes(ctx, tenantID)
	if err != nil {
		return err
	}
	return s.limits.AllowAdd(ctx, tenantID, plan.StorageBytes, used, size)
}

// Complete copies the uploaded object to the attachment's served key and
// checks the copy against what was declared. A match becomes uploaded
// (and attachment.uploaded); a mismatch deletes it and fails the
// attachment. The upload itself is deleted either way: the served object
// is one no upload URL can write.
func (s *Service) Complete(ctx context.Context, p access.Principal, id uuid.UUID, m access.Meta) (Attachment, error) {
	if err := p.Require(access.ActAttachmentWrite); err != nil {
		return Attachment{}, err
	}
	a, err := s.db.AttachmentGet(ctx, p.TenantID, id)
	if err != nil {
		return Attachment{}, err
	}
	switch a.Status {
	case StatusUploaded:
		return a, nil
	case StatusFailed:
		return a, apperr.Conflict("this upload failed; start a new one")
	}
	info, err := s.blobs.Copy(ctx, a.UploadKey(), a.ObjectKey)
	if errors.Is(err, apperr.ErrNotFound) {
		// A concurrent Complete may have taken the upload already.
		if again, gerr := s.db.AttachmentGet(ctx, p.TenantID, id); gerr == nil && again.Status == StatusUploaded {
			return again, nil
		}
		return a, apperr.Conflict("nothing was uploaded yet; send the file to the upload URL first")
	}
	if err != nil {
		return a, err
	}
	if err := s.blobs.Delete(ctx, a.UploadKey()); err != nil {
		// Left for Sweep, which removes uploads no pending row tracks.
		s.log.WarnContext(ctx, "delete completed upload", "key", a.UploadKey(), "err", err)
	}
	gotType, _, _ := mime.ParseMediaType(info.ContentType)
	now := s.clock()
	if info.Size != a.Size || gotType != a.ContentType {
		if err := s.blobs.Delete(ctx, a.ObjectKey); err != nil {
			s.log.WarnContext(ctx, "delete mismatched upload", "key", a.ObjectKey, "err", err)
		}
		if err := s.db.AttachmentSetStatus(ctx, p.TenantID, id, StatusFailed, now); err != nil {
			return a, err
		}
		return a, apperr.Invalid("file", fmt.Sprintf("the uploaded file (%d bytes, %s) is not what was declared (%d bytes, %s); it was discarded", info.Size, info.ContentType, a.Size, a.ContentType))
	}
	a.Status, a.UpdatedAt = StatusUploaded, now
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.AttachmentSetStatus(ctx, p.TenantID, id, StatusUploaded, now); err != nil {
			return err
		}
		e, err := p.AuditEntry(m, now, p.TenantID, "attachment.uploaded", "attachment", id.String(), map[string]any{"filename": a.Filename, "size": a.Size})
		if err != nil {
			return err
		}
		e.OrderID = a.OrderID
		if err := tx.AuditInsert(ctx, e); err != nil {
			return err
		}
		data, _ := json.Marshal(UploadedEvent{ID: a.ID, OrderID: a.OrderID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size})
		return outbox.Emit(ctx, tx, event.Event{ID: uuid.Must(uuid.NewV7()), TenantID: p.TenantID, Type: event.AttachmentUploaded, EntityID: id.String(), Data: data, CreatedAt: now})
	})
	return a, err
}

// Get returns an attachment and, once uploaded, a short-lived download URL.
func (s *Service) Get(ctx context.Context, p access.Principal, id uuid.UUID) (Attachment, string, error) {
	if err := p.Require(access.ActOrderRead); err != nil {
		return Attachment{}, "", err
	}
	a, err := s.db.AttachmentGet(ctx, p.TenantID, id)
	if err != nil || a.Status != StatusUploaded {
		return a, "", err
	}
	inline := strings.HasPrefix(a.ContentType, "image/") || a.ContentType == "application/pdf"
	u, err := s.blobs.PresignGet(ctx, a.ObjectKey, blob.Download{Filename: a.Filename, ContentType: a.ContentType, Inline: inline}, DownloadTTL)
	return a, u, err
}

// Limits of a page of List.
const (
	DefaultPage = 50
	MaxPage     = 100
)

// List reads the page r selects of a tenant's attachments, of one order
// if orderID is set, newest first: at most r.Limit (DefaultPage for 0,
// MaxPage at most).
func (s *Service) List(ctx context.Context, p access.Principal, orderID *uuid.UUID, r page.Request) (page.Page[Attachment], error) {
	if err := p.Require(access.ActOrderRead); err != nil {
		return page.Page[Attachment]{}, err
	}
	if r.Limit == 0 {
		r.Limit = DefaultPage
	}
	if r.Limit < 1 || r.Limit > MaxPage {
		return page.Page[Attachment]{}, apperr.Invalid("limit", fmt.Sprintf("must be an integer from 1 to %d", MaxPage))
	}
	if orderID != nil {
		// Another tenant's order is not found, not an empty list.
		if err := s.db.AttachmentOrderExists(ctx, p.TenantID, *orderID); err != nil {
			return page.Page[Attachment]{}, err
		}
	}
	return page.Read(r, func(a Attachment) uuid.UUID { return a.ID }, func(r page.Request) ([]Attachment, error) {
		return s.db.AttachmentList(ctx, p.TenantID, orderID, r)
	})
}

// Usage counts the tenant's attachments and their bytes, for the settings
// page; it needs the right to change the tenant's settings.
func (s *Service) Usage(ctx context.Context, p access.Principal) (files, size int64, err error) {
	if err := p.Require(access.ActTenantUpdate); err != nil {
		return 0, 0, err
	}
	return s.db.AttachmentUsage(ctx, p.TenantID)
}

// Delete removes the row (with its audit entry) and then the object.
// The object's deletion is also enqueued with the row's, so that no crash
// leaves it behind.
func (s *Service) Delete(ctx context.Context, p access.Principal, id uuid.UUID, m access.Meta) error {
	if err := p.Require(access.ActAttachmentWrite); err != nil {
		return err
	}
	var a Attachment
	err := s.db.InTx(ctx, func(tx Tx) error {
		var err error
		if a, err = tx.AttachmentGet(ctx, p.TenantID, id); err != nil {
			return err
		}
		if err := tx.AttachmentDelete(ctx, p.TenantID, id); err != nil {
			return err
		}
		// The object goes with the row, whatever happens after the commit.
		if err := jobs.DeleteBlobs(ctx, tx, p.TenantID, a.ObjectKey, a.UploadKey()); err != nil {
			return err
		}
		e, err := p.AuditEntry(m, s.clock(), p.TenantID, "attachment.deleted", "attachment", id.String(), map[string]any{"filename": a.Filename})
		if err != nil {
			return err
		}
		return tx.AuditInsert(ctx, e)
	})
	if err != nil {
		return err
	}
	// At once after the commit, so that the file is gone when the request
	// returns; should this fail or the process die first, the job above
	// deletes it. A pending upload's object is under its upload key.
	for _, key := range []string{a.ObjectKey, a.UploadKey()} {
		if err := s.blobs.Delete(ctx, key); err != nil {
			s.log.WarnContext(ctx, "delete attachment object", "key", key, "err", err)
		}
	}
	return nil
}

// Sweep deletes pending and failed uploads older than StaleAfter, with
// their objects, and every object under an upload key whose attachment is
// not pending: what an upload URL wrote after its attachment was
// completed or deleted (or a failed upload's leftovers). The maintenance
// job calls it hourly, so no such object outlives the next run.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	stale, err := s.db.AttachmentListStale(ctx, s.clock().Add(-StaleAfter), 500)
	if err != nil {
		return 0, err
	}
	for _, a := range stale {
		for _, key := range []string{a.ObjectKey, a.UploadKey()} {
			if err := s.blobs.Delete(ctx, key); err != nil {
				return 0, err
			}
		}
		if err := s.db.AttachmentDelete(ctx, a.TenantID, a.ID); err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return 0, err
		}
	}
	n := len(stale)
	uploads, err := s.blobs.List(ctx, UploadPrefix)
	if err != nil {
		return n, err
	}
	for _, o := range uploads {
		err := s.AcceptUpload(ctx, o.Key)
		if err == nil {
			continue // pending: its upload URL is live, or Complete is due
		}
		if !errors.Is(err, ErrUploadNotExpected) {
			return n, err
		}
		if err := s.blobs.Delete(ctx, o.Key); err != nil {
			return n, err
		}
		s.log.InfoContext(ctx, "removed an upload no pending attachment tracks", "key", o.Key)
		n++
	}
	return n, nil
}

// UploadedEvent is the data of an attachment.uploaded event. The OpenAPI
// document describes the webhook payload from this type.
type UploadedEvent struct {
	ID          uuid.UUID  `json:"id"`
	OrderID     *uuid.UUID `json:"order_id" description:"The order it is attached to, or null."`
	Filename    string     `json:"filename"`
	ContentType string     `json:"content_type"`
	Size        int64      `json:"size" description:"Bytes."`
}
