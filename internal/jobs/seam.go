package jobs

// The jobs seam: the types the rest of Ordo enqueues, works and lists jobs
// through, and their River implementation. River is imported only here and
// by the store engines (which hold the River clients, and call RiverInsert
// and RunConfig.River to translate); services name jobs.Args, jobs.Opts,
// jobs.Job and jobs.Workers, never a River type.

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Args are the arguments of one kind of job, stored as JSON with it. Kind
// names the kind; jobs already queued carry it, so a kind is never
// renamed. Args that also have an InsertOpts() Opts method give their
// kind's defaults (queue, attempts, uniqueness).
type Args interface {
	Kind() string
}

// ArgsWithOpts are Args that give their kind's insert defaults.
type ArgsWithOpts interface {
	Args
	InsertOpts() Opts
}

// Opts are how a job is inserted. Passed to JobInsert, each field that is
// set overrides the kind's default from its Args.
type Opts struct {
	// Queue is the job's queue, one of the Queue constants.
	Queue string
	// MaxAttempts is how many times the job is tried before it is
	// discarded; 0 for River's default (25).
	MaxAttempts int
	// UniquePeriod, when set, makes a job of the same kind inserted again
	// within the same period (of the clock, from the epoch) a no-op.
	UniquePeriod time.Duration
	// ScheduledAt, when set, delays the job until then.
	ScheduledAt time.Time
}

// Inserted is the result of a JobInsert.
type Inserted struct {
	// ID is the job's id (the existing job's when Duplicate).
	ID int64
	// Duplicate is true when a unique job already existed and none was
	// inserted.
	Duplicate bool
}

// Inserter enqueues jobs. store.Querier satisfies it; inside a store
// transaction the job is inserted in that transaction, so it exists if and
// only if the data it belongs to does.
type Inserter interface {
	JobInsert(ctx context.Context, args Args, opts *Opts) (*Inserted, error)
}

// RiverInsert translates args and opts for River's Insert and InsertTx:
// the kind's defaults from args, overridden by what opts sets. The store
// engines call it.
func RiverInsert(args Args, opts *Opts) (river.JobArgs, *river.InsertOpts) {
	var o Opts
	if a, ok := args.(ArgsWithOpts); ok {
		o = a.InsertOpts()
	}
	if opts != nil {
		if opts.Queue != "" {
			o.Queue = opts.Queue
		}
		if opts.MaxAttempts != 0 {
			o.MaxAttempts = opts.MaxAttempts
		}
		if opts.UniquePeriod != 0 {
			o.UniquePeriod = opts.UniquePeriod
		}
		if !opts.ScheduledAt.IsZero() {
			o.ScheduledAt = opts.ScheduledAt
		}
	}
	ro := &river.InsertOpts{Queue: o.Queue, MaxAttempts: o.MaxAttempts, ScheduledAt: o.ScheduledAt}
	if o.UniquePeriod != 0 {
		ro.UniqueOpts = river.UniqueOpts{ByPeriod: o.UniquePeriod}
	}
	return args, ro
}

// RiverInserted translates River's insert result.
func RiverInserted(res *rivertype.JobInsertResult) *Inserted {
	return &Inserted{ID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}
}

// Job is one attempt at a job, as its worker sees it.
type Job[T Args] struct {
	ID          int64
	Args        T
	Attempt     int // 1 for the first
	MaxAttempts int
}

// Worker works the jobs of one kind. A worker that also has a
// Timeout(*Job[T]) time.Duration method sets its kind's timeout (a job
// running longer is cancelled and retried).
type Worker[T Args] interface {
	Work(ctx context.Context, job *Job[T]) error
}

// Workers holds a worker per job kind.
type Workers struct{ r *river.Workers }

// NewWorkers returns no workers.
func NewWorkers() *Workers { return &Workers{r: river.NewWorkers()} }

// Register adds w, the worker of T's kind, to ws.
func Register[T Args](ws *Workers, w Worker[T]) {
	river.AddWorker(ws.r, &riverWorker[T]{w: w})
}

// riverWorker runs a Worker as a River worker.
type riverWorker[T Args] struct {
	river.WorkerDefaults[T]
	w Worker[T]
}

func fromRiver[T Args](j *river.Job[T]) *Job[T] {
	return &Job[T]{ID: j.ID, Args: j.Args, Attempt: j.Attempt, MaxAttempts: j.MaxAttempts}
}

func (rw *riverWorker[T]) Timeout(j *river.Job[T]) time.Duration {
	if t, ok := rw.w.(interface{ Timeout(*Job[T]) time.Duration }); ok {
		return t.Timeout(fromRiver(j))
	}
	return 0 // the runner's JobTimeout
}

func (rw *riverWorker[T]) Work(ctx context.Context, j *river.Job[T]) error {
	return rw.w.Work(ctx, fromRiver(j))
}

// Cancel, returned by a worker, fails the job for good (no more attempts):
// for errors that no retry can mend.
func Cancel(err error) error { return river.JobCancel(err) }

// Snooze, returned by a worker, runs the job again after d without
// counting an attempt.
func Snooze(d time.Duration) error { return river.JobSnooze(d) }

// Schedule says when a periodic job runs next after t.
type Schedule interface {
	Next(t time.Time) time.Time
}

// Every is the schedule of a job run every d.
func Every(d time.Duration) Schedule { return river.PeriodicInterval(d) }

// DailyAt is the schedule of a job run every day at hour:00 UTC.
func DailyAt(hour int) Schedule { return dailyAt(hour) }

type dailyAt int

func (h dailyAt) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), int(h), 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// Periodic is a job enqueued on a schedule by the runners' leader, so once
// however many processes run.
type Periodic struct {
	// ID, when set, keeps the schedule's state across restarts.
	ID         string
	Schedule   Schedule
	RunOnStart bool
	Args       func() Args
}

// RunConfig is what a job runner works: its queues, workers, periodic jobs
// and middleware. store.Store.JobRunner takes it.
type RunConfig struct {
	Workers *Workers
	// Fair is how the runner shares each queue's workers between
	// tenants (fair.go).
	Fair Fairness
	cfg  river.Config
}

// NewRunConfig works the queues of concurrency (queue name to number of
// workers) with no workers yet.
func NewRunConfig(concurrency map[string]int, log *slog.Logger) *RunConfig {
	queues := make(map[string]river.QueueConfig, len(concurrency))
	for name, n := range concurrency {
		queues[name] = river.QueueConfig{MaxWorkers: n}
	}
	return &RunConfig{Workers: NewWorkers(), cfg: river.Config{Queues: queues, Logger: log}}
}

// AddPeriodic schedules p.
func (c *RunConfig) AddPeriodic(p Periodic) {
	c.cfg.PeriodicJobs = append(c.cfg.PeriodicJobs, river.NewPeriodicJob(p.Schedule,
		func() (river.JobArgs, *river.InsertOpts) { return RiverInsert(p.Args(), nil) },
		&river.PeriodicJobOpts{ID: p.ID, RunOnStart: p.RunOnStart}))
}

// Use adds River middleware (telemetry's) around every job.
func (c *RunConfig) Use(mw ...rivertype.Middleware) {
	c.cfg.Middleware = append(c.cfg.Middleware, mw...)
}

// River is the River configuration, for the store engines.
func (c *RunConfig) River() *river.Config {
	cfg := c.cfg
	cfg.Workers = c.Workers.r
	return &cfg
}

// SetFetch sets how often queues are asked for jobs: at most once per
// cooldown, and at least once per poll when no notification comes (0
// keeps the default).
func (c *RunConfig) SetFetch(cooldown, poll time.Duration) {
	c.cfg.FetchCooldown, c.cfg.FetchPollInterval = cooldown, poll
}

// PollOften makes a runner without River's notifications (SQLite) look
// for jobs every d unless a poll interval was set: with caps on (Fair),
// jobs held back wait for a poll, not for the next insert.
func (c *RunConfig) PollOften(d time.Duration) {
	if c.Fair.Enforce && c.cfg.FetchPollInterval == 0 {
		c.cfg.FetchPollInterval = d
	}
}

// WorkFunc is a Worker made of a function.
type WorkFunc[T Args] func(ctx context.Context, job *Job[T]) error

func (f WorkFunc[T]) Work(ctx context.Context, job *Job[T]) error { return f(ctx, job) }
