package jobs

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// SuspendedRecheck is how long a suspended tenant's job waits before it is
// looked at again, and so at most how long its jobs wait after a resume.
const SuspendedRecheck = 30 * time.Second

// SuspendedFunc reports whether a tenant is suspended.
type SuspendedFunc func(ctx context.Context, tenantID uuid.UUID) (bool, error)

// PauseSuspended returns River worker middleware that holds back the jobs
// of suspended tenants (webhook deliveries, exports, invoices, e-mails):
// each is snoozed for every and tried again then, so nothing is lost and
// no attempt is spent, and resuming the tenant lets them run within that
// time. Jobs of no tenant run as usual.
//
// A tenant's status is looked up at most once per every per process, so a
// flood of one tenant's jobs costs one query, not one each.
func PauseSuspended(suspended SuspendedFunc, every time.Duration) rivertype.WorkerMiddleware {
	return &pauseMiddleware{suspended: suspended, every: every, seen: map[uuid.UUID]pauseEntry{}}
}

type pauseMiddleware struct {
	river.MiddlewareDefaults
	suspended SuspendedFunc
	every     time.Duration

	mu   sync.Mutex
	seen map[uuid.UUID]pauseEntry
}

type pauseEntry struct {
	suspended bool
	at        time.Time
}

func (m *pauseMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	tid := argsTenant(job.EncodedArgs)
	if tid == uuid.Nil {
		return doInner(ctx)
	}
	if m.isSuspended(ctx, tid) {
		return river.JobSnooze(m.every)
	}
	return doInner(ctx)
}

// isSuspended answers from what was seen within every; a failed lookup
// lets the job run (it needs the same database, and fails on its own if
// that is down).
func (m *pauseMiddleware) isSuspended(ctx context.Context, id uuid.UUID) bool {
	now := time.Now()
	m.mu.Lock()
	e, ok := m.seen[id]
	m.mu.Unlock()
	if ok && now.Sub(e.at) < m.every {
		return e.suspended
	}
	s, err := m.suspended(ctx, id)
	if err != nil {
		return false
	}
	m.mu.Lock()
	if len(m.seen) > 10_000 { // a bound, not an LRU: tenants are few
		clear(m.seen)
	}
	m.seen[id] = pauseEntry{suspended: s, at: now}
	m.mu.Unlock()
	return s
}
