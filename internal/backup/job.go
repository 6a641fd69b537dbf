package backup

import (
	"context"
	"time"

	"github.com/ordo/ordo/internal/jobs"
)

// NightlyHour is the hour (UTC) at which the nightly backup is enqueued.
const NightlyHour = 3

// JobArgs runs one backup, as `ordo backup` does.
type JobArgs struct{}

func (JobArgs) Kind() string { return jobs.KindBackup }

func (JobArgs) InsertOpts() jobs.Opts {
	return jobs.Opts{Queue: jobs.QueueMaintenance, MaxAttempts: 3,
		UniquePeriod: 12 * time.Hour}
}

type worker struct {
	s *Service
}

// Timeout lets a large dump run for hours rather than the default
// minutes; River's rescuer waits as long before running it again.
func (w *worker) Timeout(*jobs.Job[JobArgs]) time.Duration { return 4 * time.Hour }

func (w *worker) Work(ctx context.Context, job *jobs.Job[JobArgs]) error {
	_, err := w.s.Backup(ctx)
	return err
}

// RegisterWorkers adds the backup job's worker.
func (s *Service) RegisterWorkers(ws *jobs.Workers) { jobs.Register[JobArgs](ws, &worker{s: s}) }

// PeriodicJob enqueues a backup every night at NightlyHour UTC. River's
// leader enqueues it, so one process backs up however many run.
func PeriodicJob() jobs.Periodic {
	return jobs.Periodic{ID: "backup_nightly", Schedule: dailyAt{hour: NightlyHour},
		Args: func() jobs.Args { return JobArgs{} }}
}

// dailyAt is a River schedule: every day at hour:00 UTC.
type dailyAt struct{ hour int }

func (d dailyAt) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), d.hour, 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}
