package jobs

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/uuid"
)

// BlobDeleter removes objects; blob.Store implements it.
type BlobDeleter interface {
	// Delete removes the object; a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// BlobDeleteArgs removes objects whose rows are gone: an order's
// attachments, a deleted attachment or export, a superseded invoice PDF
// or logo. It is inserted in the transaction that deletes (or replaces)
// the rows, so that the objects go if and only if that commits, whatever
// happens to the process after the commit: no object is left without a
// row. (Callers may also delete at once after the commit; deleting twice
// is harmless.)
type BlobDeleteArgs struct {
	// TenantID is the tenant the objects belong to: its owners and
	// admins see the job if it fails.
	TenantID uuid.UUID `json:"tenant_id"`
	Keys     []string  `json:"keys"`
}

func (BlobDeleteArgs) Kind() string { return KindBlobDelete }

func (BlobDeleteArgs) InsertOpts() Opts {
	return Opts{Queue: QueueMaintenance, MaxAttempts: 25}
}

// DeleteBlobs enqueues, in tx, the deletion of the tenant's objects at
// keys (empty keys are skipped; no keys, no job).
func DeleteBlobs(ctx context.Context, tx Inserter, tenantID uuid.UUID, keys ...string) error {
	var ks []string
	for _, k := range keys {
		if k != "" {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return nil
	}
	if _, err := tx.JobInsert(ctx, BlobDeleteArgs{TenantID: tenantID, Keys: ks}, nil); err != nil {
		return fmt.Errorf("enqueue deletion of %d objects: %w", len(ks), err)
	}
	return nil
}

// BlobDeleteWorker works BlobDeleteArgs.
type BlobDeleteWorker struct {
	Blobs BlobDeleter
	Log   *slog.Logger
}

// AddBlobDeleteWorker registers the worker that deletes objects in b.
func AddBlobDeleteWorker(ws *Workers, b BlobDeleter, log *slog.Logger) {
	Register[BlobDeleteArgs](ws, &BlobDeleteWorker{Blobs: b, Log: log})
}

func (w *BlobDeleteWorker) Work(ctx context.Context, job *Job[BlobDeleteArgs]) error {
	for _, k := range job.Args.Keys {
		if err := w.Blobs.Delete(ctx, k); err != nil {
			return fmt.Errorf("delete object %s: %w", k, err)
		}
	}
	w.Log.DebugContext(ctx, "deleted objects", "tenant_id", job.Args.TenantID, "count", len(job.Args.Keys))
	return nil
}
