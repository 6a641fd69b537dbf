// Package attachment holds files attached to a tenant's orders: the type,
// the file-name rules, the store contract and the upload flow of the
// architecture document (service.go): presign (check the role, record a
// pending attachment, sign an upload limited to its key, type and size),
// the client uploads straight to storage, complete (check the object,
// mark it uploaded, emit attachment.uploaded), then presigned downloads
// and deletion. The bytes live in object storage (package blob).
package attachment

import (
	"context"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/outbox"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/plan"
)

// Status is where an upload is.
type Status string

const (
	StatusPending  Status = "pending"  // presigned, not yet confirmed
	StatusUploaded Status = "uploaded" // checked and available
	StatusFailed   Status = "failed"   // the upload did not match what was declared
)

// Attachment is one file of a tenant, optionally of an order.
type Attachment struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	OrderID     *uuid.UUID
	UploadedBy  *uuid.UUID
	Filename    string // for display only; never part of a path
	ContentType string
	Size        int64
	ObjectKey   string
	Status      Status
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// UploadPrefix holds the objects that presigned upload URLs write. An
// attachment's upload URL is signed for UploadKey, never for ObjectKey,
// the key that is served: completing the upload copies the checked object
// to ObjectKey inside the storage and deletes the upload. A URL used again
// after complete (or after a delete) so cannot change what users
// download, and what it writes is tracked by no pending row and swept.
const UploadPrefix = "uploads/"

// UploadKey is where an attachment's upload URL writes.
func (a Attachment) UploadKey() string { return UploadPrefix + a.ObjectKey }

// Store is what the attachment service reads and writes outside a
// transaction. Every method but AttachmentListStale is scoped by tenant:
// another tenant's ids are apperr.ErrNotFound.
type Store interface {
	AttachmentGet(ctx context.Context, tenantID, id uuid.UUID) (Attachment, error)
	// AttachmentList lists the page r selects of a tenant's attachments,
	// of one order if orderID is set, newest first (ids are UUIDv7).
	AttachmentList(ctx context.Context, tenantID uuid.UUID, orderID *uuid.UUID, r page.Request) ([]Attachment, error)
	AttachmentSetStatus(ctx context.Context, tenantID, id uuid.UUID, s Status, now time.Time) error
	AttachmentDelete(ctx context.Context, tenantID, id uuid.UUID) error
	// AttachmentUsage counts a tenant's uploaded files and their bytes.
	AttachmentUsage(ctx context.Context, tenantID uuid.UUID) (files, bytes int64, err error)
	// AttachmentListStale lists pending attachments of every tenant
	// created before t, for housekeeping.
	AttachmentListStale(ctx context.Context, before time.Time, limit int) ([]Attachment, error)
	// AttachmentOrderExists returns nil if orderID is an order of the
	// tenant and apperr.ErrNotFound (as OrderGet does) otherwise. The
	// service needs no more of the order than that, and asking this
	// rather than OrderGet keeps package order out of this package's
	// imports: order's service deletes an order's attachments, so it is
	// the one that may need this package's types.
	AttachmentOrderExists(ctx context.Context, tenantID, orderID uuid.UUID) error
}

// Tx is what the attachment service does inside one transaction: its
// Store, the insert it makes only there, the audit entry, the outbox
// event (attachment.uploaded) and the job that deletes a deleted
// attachment's objects.
type Tx interface {
	Store
	AttachmentCreate(ctx context.Context, a Attachment) error
	// plan.Tx locks the tenant and sums its storage (storage_bytes).
	plan.Tx
	audit.Writer
	outbox.Tx
	jobs.Inserter
}

// DB is the service's handle on the store: store.Narrow[attachment.Tx]{st}
// is one.
type DB interface {
	Store
	InTx(ctx context.Context, fn func(Tx) error) error
}

// MaxFilename is the longest kept file name, in bytes.
const MaxFilename = 200

// SanitizeFilename makes a client's file name safe to show and to put in
// a Content-Disposition header: NFC-normalised, no directories, no
// control or separator characters, no leading dots, at most MaxFilename
// bytes with the extension kept. It never returns "".
func SanitizeFilename(name string) string {
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "_")
	}
	name = norm.NFC.String(name)
	// Only the last path element, whichever separator the client used.
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base("/" + name)
	if name == "/" {
		name = ""
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '\t':
			b.WriteRune(' ')
		case r == '/' || r == '\\' || r == ':' || r == '"' || r == '*' || r == '?' || r == '<' || r == '>' || r == '|':
			b.WriteRune('_')
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError:
			// dropped: control and invisible formatting characters (RTL overrides)
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	// Dropping a character can bring combining marks together, which NFC
	// then reorders: normalise again so that a second pass changes nothing.
	// Dots and spaces may alternate (".  .x"): trim both together.
	name = strings.TrimSpace(strings.TrimLeft(norm.NFC.String(b.String()), ". "))
	if len(name) > MaxFilename {
		ext := path.Ext(name)
		if len(ext) > 20 || !utf8.ValidString(ext) {
			ext = ""
		}
		stem := name[:MaxFilename-len(ext)]
		for !utf8.ValidString(stem) {
			stem = stem[:len(stem)-1]
		}
		// The cut may end on a space, which a second pass would trim.
		name = strings.TrimRight(stem, " ") + ext
	}
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}
