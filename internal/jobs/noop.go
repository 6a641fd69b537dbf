package jobs

import (
	"context"

	"github.com/riverqueue/river"
)

// NoopArgs is a job that does nothing: it measures the queue itself (the
// benchmark's jobs/s) and lets operators check that workers are alive.
type NoopArgs struct{}

func (NoopArgs) Kind() string { return "noop" }

func (NoopArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueMaintenance} }

// NoopWorker works NoopArgs.
type NoopWorker struct {
	river.WorkerDefaults[NoopArgs]
}

func (*NoopWorker) Work(ctx context.Context, job *river.Job[NoopArgs]) error { return nil }
