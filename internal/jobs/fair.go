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
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river/riverdriver"
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
//
// The fetch is work-conserving: it takes Limit jobs whenever that many
// are waiting, so River's own refetching (when a fetch filled every free
// worker, another follows the next finished job) works as before.
type FetchParams struct {
	Queue          string
	Limit          int
	Now            *time.Time // nil: the database's clock
	ClientID       string     // recorded in attempted_by, as River does
	MaxAttemptedBy int
	Kinds          []string // nil: every kind
	Cursor         string
	ScanTenants    int
}

// FetchResult is what a fair fetch moved to running, and where its scan
// of tenants ended.
type FetchResult struct {
	IDs []int64
	// LastTenant is the greatest tenant key looked at; Scanned how many
	// were (ScanTenants when there may be more after LastTenant).
	LastTenant string
	Scanned    int
}

// FetchFunc carries out a fair fetch in a store engine.
type FetchFunc func(ctx context.Context, p *FetchParams) (*FetchResult, error)

// Fetcher turns River's fetches into fair ones: it keeps, per queue, where
// the last fetch's scan of tenants ended. One per job runner.
type Fetcher struct {
	fetch FetchFunc

	mu     sync.Mutex
	cursor map[string]string
}

// NewFetcher returns a fetcher that fetches with fetch.
func NewFetcher(fetch FetchFunc) *Fetcher {
	return &Fetcher{fetch: fetch, cursor: map[string]string{}}
}

// Fetch moves up to p.Limit of p.Queue's waiting jobs to running, fairly,
// and returns their ids. Fetch sets p's Cursor and ScanTenants; the
// other fields are River's.
func (f *Fetcher) Fetch(ctx context.Context, p FetchParams) ([]int64, error) {
	f.mu.Lock()
	p.Cursor = f.cursor[p.Queue]
	f.mu.Unlock()
	p.ScanTenants = FairScanTenants
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
		res = more
	}
	next := ""
	if res.Scanned >= p.ScanTenants {
		next = res.LastTenant // more may follow: start after it next time
	}
	f.mu.Lock()
	f.cursor[p.Queue] = next
	f.mu.Unlock()
	return ids, nil
}

// FairDriver wraps a store engine's River driver so that the runner's
// fetches go through fetch (fair, as FetchParams says) instead of River's
// own query. Everything else is the driver's.
func FairDriver[TTx any](d riverdriver.Driver[TTx], fetch FetchFunc) riverdriver.Driver[TTx] {
	return &fairDriver[TTx]{Driver: d, f: NewFetcher(fetch)}
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
