package jobs

// Fair scheduling between tenants. River fetches a queue's jobs in one
// global order (priority, then time), so a tenant that enqueues 100,000
// webhook deliveries or twenty large exports holds every worker and the
// other tenants wait behind it. The store engines replace River's fetch
// with one that shares each queue's workers between the tenants that have
// work (FetchParams says how); the job rows, their states and River's
// transactional insert are River's as before, so nothing else changes.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/ordo/ordo/internal/plan"
)

// NoTenant is the key of jobs whose arguments name no tenant (the
// maintenance jobs, e-mails to people of no tenant): they share the
// workers as if they were one more tenant, and no plan caps them.
const NoTenant = "-"

// FairScanTenants is how many tenants with waiting jobs one fetch looks
// at. With more, successive fetches take the next ones in turn (Fetcher
// keeps the place), so each is looked at within a few fetches however
// many there are.
const FairScanTenants = 64

// FetchParams are one fair fetch of a queue's jobs, for the store engines
// to carry out in one statement.
//
// The rules:
//   - Of the jobs waiting in Queue, at most Limit are moved to running:
//     the first jobs (River's order: priority, scheduled time, id) of the
//     tenants with waiting jobs whose key sorts after Cursor, at most
//     ScanTenants tenants.
//   - Between tenants the order is fair: a job's rank is how many jobs of
//     its tenant run in the queue now (in every process) plus its place
//     among its tenant's waiting jobs, so the tenant running least goes
//     first, and a tenant's second job comes after every other tenant's
//     first. Ties go in River's order.
//   - When Enforce is set (plan limits are on: a shared SaaS), a tenant
//     runs at most its jobs_at_once jobs of the queue at once, in all
//     processes together: the tenant's own override, else the operator's
//     for its plan, else Caps[i] for Plans[i]; negative is no cap, and a
//     cap below 1 counts as 1 so that every tenant progresses. And when
//     Reserve is also set (the queue has more than one worker here), the
//     fetch that would fill the process's last free worker of the queue
//     gives it only to a tenant with nothing running in the queue: one
//     worker stays free for a newcomer while another tenant's long jobs
//     (large exports) fill the rest.
//
// Without Enforce the fetch is work-conserving: it takes Limit jobs
// whenever that many are waiting. With it, jobs may be held back while
// workers are free (FetchResult.Held); River refetches on its own only
// after a fetch that filled every free worker, so the runner then wakes
// the queue's producers as jobs finish (see fairExecutor).
type FetchParams struct {
	Queue          string
	Limit          int
	Now            *time.Time // nil: the database's clock
	ClientID       string     // recorded in attempted_by, as River does
	MaxAttemptedBy int
	Kinds          []string // nil: every kind
	Cursor         string
	ScanTenants    int
	Enforce        bool
	Plans          []string
	Caps           []int64
	Reserve        bool
	// Finished are jobs of this process that have finished but that
	// River's completer has not yet marked so (it writes in batches, up
	// to 250 ms later): the running counts leave them out.
	Finished []int64
}

// CapsJSON is Plans and Caps as a JSON object, for engines without
// arrays.
func (p *FetchParams) CapsJSON() string {
	m := make(map[string]int64, len(p.Plans))
	for i, name := range p.Plans {
		m[name] = p.Caps[i]
	}
	b, _ := json.Marshal(m) // a map of strings to numbers always marshals
	return string(b)
}

// FetchResult is what a fair fetch moved to running, and where its scan
// of tenants ended.
type FetchResult struct {
	IDs []int64
	// LastTenant is the greatest tenant key looked at; Scanned how many
	// were (ScanTenants when there may be more after LastTenant).
	LastTenant string
	Scanned    int
	// Held is set when jobs were left waiting while workers were free
	// (caps or the reserved worker).
	Held bool
}

// FetchFunc carries out a fair fetch in a store engine.
type FetchFunc func(ctx context.Context, p *FetchParams) (*FetchResult, error)

// Fairness is a runner's policy for sharing workers between tenants.
type Fairness struct {
	// Enforce turns on the per-plan caps (plan limit jobs_at_once) and
	// the reserved worker; the fair order applies either way.
	Enforce bool
}

// Fetcher turns River's fetches into fair ones: it keeps, per queue, where
// the last fetch's scan of tenants ended and whether it held jobs back.
// One per job runner.
type Fetcher struct {
	fetch   FetchFunc
	fair    Fairness
	workers map[string]int // queue name to this process's workers
	plans   []string
	caps    []int64

	mu       sync.Mutex
	cursor   map[string]string
	held     map[string]bool
	finished map[string]map[int64]bool // queue: jobs finished here, not yet completed in the table
	wake     func(ctx context.Context, queue string)
}

// NewFetcher returns the fetcher of a runner of rc, fetching with fetch.
func NewFetcher(rc *RunConfig, fetch FetchFunc) *Fetcher {
	f := &Fetcher{fetch: fetch, fair: rc.Fair, workers: map[string]int{}, cursor: map[string]string{}, held: map[string]bool{},
		finished: map[string]map[int64]bool{}}
	for name, q := range rc.cfg.Queues {
		f.workers[name] = q.MaxWorkers
	}
	for _, name := range plan.Plans {
		v, ok := plan.Builtin[name][plan.JobsAtOnce]
		if !ok {
			v = plan.Unlimited
		}
		f.plans, f.caps = append(f.plans, name), append(f.caps, v)
	}
	return f
}

// Held reports whether the last fetch from queue left jobs waiting while
// workers were free.
func (f *Fetcher) Held(queue string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held[queue]
}

// Fetch moves up to p.Limit of p.Queue's waiting jobs to running, fairly,
// and returns their ids. Fetch sets p's Cursor and ScanTenants; the
// other fields are River's.
func (f *Fetcher) Fetch(ctx context.Context, p FetchParams) ([]int64, error) {
	f.mu.Lock()
	p.Cursor = f.cursor[p.Queue]
	if f.fair.Enforce {
		for id := range f.finished[p.Queue] {
			p.Finished = append(p.Finished, id)
		}
	}
	f.mu.Unlock()
	p.ScanTenants = FairScanTenants
	p.Enforce, p.Plans, p.Caps = f.fair.Enforce, f.plans, f.caps
	p.Reserve = f.fair.Enforce && f.workers[p.Queue] > 1
	res, err := f.fetch(ctx, &p)
	if err != nil {
		return nil, err
	}
	ids := res.IDs
	if len(ids) < p.Limit && p.Cursor != "" {
		// The tenants before the cursor may have work too: a fetch
		// never comes back short while jobs wait.
		again := p
		again.Cursor, again.Limit = "", p.Limit-len(ids)
		more, err := f.fetch(ctx, &again)
		if err != nil {
			return nil, err
		}
		ids = append(ids, more.IDs...)
		more.Held = more.Held || res.Held
		res = more
	}
	next := ""
	if res.Scanned >= p.ScanTenants {
		next = res.LastTenant // more may follow: start after it next time
	}
	f.mu.Lock()
	f.cursor[p.Queue] = next
	f.held[p.Queue] = res.Held
	f.mu.Unlock()
	return ids, nil
}

// Work is worker middleware (installed by FairDriver): a finished job is
// left out of its tenant's running count at once, and when the queue's
// last fetch held jobs back, its producers are woken to fill the worker.
func (f *Fetcher) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	err := doInner(ctx)
	if !f.fair.Enforce {
		return err
	}
	f.mu.Lock()
	if f.finished[job.Queue] == nil {
		f.finished[job.Queue] = map[int64]bool{}
	}
	if len(f.finished[job.Queue]) >= 10_000 {
		clear(f.finished[job.Queue]) // the completer is failing: count from the table alone
	}
	f.finished[job.Queue][job.ID] = true
	held, wake := f.held[job.Queue], f.wake
	f.mu.Unlock()
	if held && wake != nil {
		wake(context.WithoutCancel(ctx), job.Queue)
	}
	return err
}

// IsMiddleware marks Fetcher as River middleware.
func (f *Fetcher) IsMiddleware() bool { return true }

// completed forgets finished jobs that River's completer has marked.
func (f *Fetcher) completed(ids []int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fin := range f.finished {
		for _, id := range ids {
			delete(fin, id)
		}
	}
}

// FairDriver wraps a store engine's River driver so that the runner's
// fetches go through fetch (fair, as FetchParams says) instead of River's
// own query. Everything else is the driver's. It adds the fetcher's
// middleware to rc, so call it before rc.River().
func FairDriver[TTx any](d riverdriver.Driver[TTx], rc *RunConfig, fetch FetchFunc) riverdriver.Driver[TTx] {
	f := NewFetcher(rc, fetch)
	if d.SupportsListener() {
		exec := d.GetExecutor()
		f.wake = func(ctx context.Context, queue string) {
			b, _ := json.Marshal(map[string]string{"queue": queue})
			// A lost wake-up costs a poll interval, not a job.
			_ = exec.NotifyMany(ctx, &riverdriver.NotifyManyParams{Topic: "river_insert", Payload: []string{string(b)}})
		}
	}
	rc.Use(f)
	return &fairDriver[TTx]{Driver: d, f: f}
}

type fairDriver[TTx any] struct {
	riverdriver.Driver[TTx]
	f *Fetcher
}

func (d *fairDriver[TTx]) GetExecutor() riverdriver.Executor {
	return &fairExecutor{Executor: d.Driver.GetExecutor(), f: d.f}
}

type fairExecutor struct {
	riverdriver.Executor
	f *Fetcher
}

// JobSetStateIfRunningMany is River's completion of finished jobs. The
// fetcher forgets them (the table now says they are done), and when the
// last fetch of their queue held jobs back, the queue's producers in
// every process are woken, since the caps the jobs held are free now.
// Without notifications (SQLite) the runner polls often instead (see
// RunConfig.PollOften).
func (e *fairExecutor) JobSetStateIfRunningMany(ctx context.Context, p *riverdriver.JobSetStateIfRunningManyParams) ([]*rivertype.JobRow, error) {
	rows, err := e.Executor.JobSetStateIfRunningMany(ctx, p)
	if err != nil || !e.f.fair.Enforce {
		return rows, err
	}
	var queues []string
	for _, r := range rows {
		if r != nil && !slices.Contains(queues, r.Queue) {
			queues = append(queues, r.Queue)
		}
	}
	e.f.completed(p.ID)
	if e.f.wake != nil {
		for _, q := range queues {
			if e.f.Held(q) {
				e.f.wake(ctx, q)
			}
		}
	}
	return rows, nil
}

// JobGetAvailable moves the jobs to running with the fair fetch, then
// reads them back with River's own query, so that River decodes its rows.
func (e *fairExecutor) JobGetAvailable(ctx context.Context, p *riverdriver.JobGetAvailableParams) (*riverdriver.JobGetAvailableResult, error) {
	ids, err := e.f.Fetch(ctx, FetchParams{Queue: p.Queue, Limit: p.MaxToLock, Now: p.Now, ClientID: p.ClientID,
		MaxAttemptedBy: p.MaxAttemptedBy, Kinds: p.Kind})
	if err != nil {
		return nil, fmt.Errorf("fair fetch from queue %s: %w", p.Queue, err)
	}
	if len(ids) == 0 {
		return &riverdriver.JobGetAvailableResult{}, nil
	}
	rows, err := e.Executor.JobGetByIDMany(ctx, &riverdriver.JobGetByIDManyParams{ID: ids, Schema: p.Schema})
	if err != nil {
		return nil, fmt.Errorf("read fetched jobs of queue %s: %w", p.Queue, err)
	}
	return &riverdriver.JobGetAvailableResult{Jobs: rows}, nil
}

// Backlog is one tenant's jobs in one queue now (store.Store.JobTenantBacklog).
type Backlog struct {
	Queue string
	// Tenant is the tenant's id, or NoTenant for jobs of none; Slug
	// its slug ("" for none, or a tenant since deleted).
	Tenant  string
	Slug    string
	Waiting int64 // available to run
	Running int64
	// OldestWait is how long the longest-waiting available job has
	// waited since it could run; 0 when none waits.
	OldestWait time.Duration
}
