package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Purger deletes expired sessions and tokens; store.Store implements it.
type Purger interface {
	Purge(ctx context.Context, now time.Time) (int64, error)
}

// PurgeArgs runs the hourly clean-up. River's leader enqueues it, so one
// process does it however many run.
type PurgeArgs struct{}

func (PurgeArgs) Kind() string { return KindPurge }

func (PurgeArgs) InsertOpts() Opts {
	return Opts{Queue: QueueMaintenance, UniquePeriod: time.Hour}
}

// PurgeWorker works PurgeArgs.
type PurgeWorker struct {
	Store Purger
	Sweep func(ctx context.Context) (int, error) // abandoned uploads, expired exports
	// Tenants purges deleted tenants whose grace has passed.
	Tenants func(ctx context.Context, now time.Time) (int, error)
	Log     *slog.Logger
}

func (w *PurgeWorker) Work(ctx context.Context, job *Job[PurgeArgs]) error {
	n, err := w.Store.Purge(ctx, time.Now())
	if err != nil {
		return fmt.Errorf("purge expired: %w", err)
	}
	w.Log.InfoContext(ctx, "purged expired sessions and tokens", "rows", n)
	if w.Sweep != nil {
		n, err := w.Sweep(ctx)
		if err != nil {
			return fmt.Errorf("sweep abandoned uploads: %w", err)
		}
		w.Log.InfoContext(ctx, "removed abandoned uploads and expired exports", "count", n)
	}
	if w.Tenants != nil {
		n, err := w.Tenants(ctx, time.Now())
		if n > 0 {
			w.Log.InfoContext(ctx, "purged deleted tenants", "count", n)
		}
		if err != nil {
			return fmt.Errorf("purge deleted tenants: %w", err)
		}
	}
	return nil
}
