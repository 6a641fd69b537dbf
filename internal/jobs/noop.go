package jobs

import (
	"context"
)

// NoopArgs is a job that does nothing: it measures the queue itself (the
// benchmark's jobs/s) and lets operators check that workers are alive.
type NoopArgs struct{}

func (NoopArgs) Kind() string { return KindNoop }

func (NoopArgs) InsertOpts() Opts { return Opts{Queue: QueueMaintenance} }

// NoopWorker works NoopArgs.
type NoopWorker struct {
}

func (*NoopWorker) Work(ctx context.Context, job *Job[NoopArgs]) error { return nil }
