package audit

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"time"

	"github.com/ordo/ordo/internal/jobs"
)

// CheckpointEvery is how often the heads that moved are checkpointed: an
// attacker who rewrites a tenant's whole chain can only do so unseen for
// the entries written since its last checkpoint.
const CheckpointEvery = 10 * time.Minute

// checkpointBatch is how many heads one query fetches.
const checkpointBatch = 500

// WriteCheckpoints signs a checkpoint of every tenant's head that moved
// past its last checkpoint, and returns how many it wrote.
func WriteCheckpoints(ctx context.Context, s Store, key ed25519.PrivateKey, now time.Time) (int, error) {
	n := 0
	for {
		heads, err := s.AuditHeadsToCheckpoint(ctx, checkpointBatch)
		if err != nil {
			return n, err
		}
		for _, h := range heads {
			if err := s.AuditCheckpointInsert(ctx, Sign(key, h, now)); err != nil {
				return n, err
			}
			n++
		}
		if len(heads) < checkpointBatch {
			return n, nil
		}
	}
}

// CheckpointArgs writes the checkpoints that are due. River's leader
// enqueues it, so one process does it however many run.
type CheckpointArgs struct{}

func (CheckpointArgs) Kind() string { return jobs.KindAuditCheckpoint }

func (CheckpointArgs) InsertOpts() jobs.Opts {
	return jobs.Opts{Queue: jobs.QueueMaintenance, UniquePeriod: CheckpointEvery}
}

// CheckpointWorker works CheckpointArgs.
type CheckpointWorker struct {
	Store Store
	Key   ed25519.PrivateKey
	Log   *slog.Logger
}

func (w *CheckpointWorker) Work(ctx context.Context, _ *jobs.Job[CheckpointArgs]) error {
	n, err := WriteCheckpoints(ctx, w.Store, w.Key, time.Now())
	if n > 0 {
		w.Log.InfoContext(ctx, "signed audit checkpoints", "count", n)
	}
	if err != nil {
		return fmt.Errorf("audit checkpoints: %w", err)
	}
	return nil
}

// AddCheckpointJob registers the worker and schedules the job.
func AddCheckpointJob(cfg *jobs.RunConfig, s Store, key ed25519.PrivateKey, log *slog.Logger) {
	jobs.Register[CheckpointArgs](cfg.Workers, &CheckpointWorker{Store: s, Key: key, Log: log})
	cfg.AddPeriodic(jobs.Periodic{ID: "audit_checkpoint", Schedule: jobs.Every(CheckpointEvery), RunOnStart: true,
		Args: func() jobs.Args { return CheckpointArgs{} }})
}
