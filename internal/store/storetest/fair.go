package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/store"
)

// fairArgs are a job of a tenant (or of none) in the fair-fetch test's
// own queue.
type fairArgs struct {
	TenantID *uuid.UUID `json:"tenant_id,omitempty"`
	N        int        `json:"n"`
}

func (fairArgs) Kind() string { return "storetest_fair" }

func (fairArgs) InsertOpts() jobs.Opts { return jobs.Opts{Queue: "storetest_fair"} }

// One tenant's flood does not hold up the others (jobs.FetchParams): a
// tenant with 150 jobs waiting, queued first, and then another tenant's 3
// jobs and one job of no tenant. River's own order would run the flood
// first; the fair fetch runs the latecomers among the flood's first few.
// Every job runs exactly once.
func testFairJobs(t *testing.T, s store.Store) {
	ctx := context.Background()
	flood, late := uuid.New(), uuid.New()
	const floodJobs, lateJobs = 150, 3
	insert := func(tenant *uuid.UUID, n int) {
		t.Helper()
		require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
			for i := range n {
				if _, err := tx.JobInsert(ctx, fairArgs{TenantID: tenant, N: i}, nil); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	insert(&flood, floodJobs)
	insert(&late, lateJobs)
	insert(nil, 1)

	// The backlog per tenant, as metrics and the failed-jobs page see it:
	// the top tenants of the queue, or one tenant's.
	backlog := func(tenant *uuid.UUID, top int) []jobs.Backlog {
		t.Helper()
		all, err := s.JobTenantBacklog(ctx, tenant, top)
		require.NoError(t, err)
		var out []jobs.Backlog
		for _, b := range all {
			if b.Queue == "storetest_fair" {
				out = append(out, b)
			}
		}
		return out
	}
	topTwo := backlog(nil, 2)
	require.Len(t, topTwo, 2)
	require.Equal(t, flood.String(), topTwo[0].Tenant)
	require.EqualValues(t, floodJobs, topTwo[0].Waiting)
	require.Equal(t, late.String(), topTwo[1].Tenant)
	require.EqualValues(t, lateJobs, topTwo[1].Waiting)
	require.Positive(t, topTwo[0].OldestWait)
	lateOnly := backlog(&late, 5)
	require.Len(t, lateOnly, 1)
	require.EqualValues(t, lateJobs, lateOnly[0].Waiting)
	require.Zero(t, lateOnly[0].Running)
	// One tenant's row is the same as in the top list (a query of its own).
	require.Equal(t, topTwo[1].Tenant, lateOnly[0].Tenant)
	require.Equal(t, topTwo[1].Slug, lateOnly[0].Slug)
	require.InDelta(t, topTwo[1].OldestWait.Seconds(), lateOnly[0].OldestWait.Seconds(), 5)
	require.Empty(t, backlog(&late, 0))
	nobody := uuid.New()
	require.Empty(t, backlog(&nobody, 5))

	type ran struct {
		tenant string
		n      int
	}
	var mu sync.Mutex
	var order []ran
	done := make(chan struct{})
	workers := jobs.NewWorkers()
	jobs.Register(workers, jobs.WorkFunc[fairArgs](func(ctx context.Context, job *jobs.Job[fairArgs]) error {
		time.Sleep(2 * time.Millisecond)
		key := jobs.NoTenant
		if job.Args.TenantID != nil {
			key = job.Args.TenantID.String()
		}
		mu.Lock()
		defer mu.Unlock()
		order = append(order, ran{key, job.Args.N})
		if len(order) == floodJobs+lateJobs+1 {
			close(done)
		}
		return nil
	}))
	startRunner(t, s, "storetest_fair", workers)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%d of %d jobs ran", len(order), floodJobs+lateJobs+1)
	}
	mu.Lock()
	defer mu.Unlock()
	seen := map[ran]bool{}
	lastLate, floodBefore := -1, 0
	for i, r := range order {
		require.False(t, seen[r], "job %v ran twice", r)
		seen[r] = true
		if r.tenant != flood.String() {
			lastLate = i
		}
	}
	for _, r := range order[:lastLate+1] {
		if r.tenant == flood.String() {
			floodBefore++
		}
	}
	require.Len(t, seen, floodJobs+lateJobs+1)
	// Two workers: each latecomer waits for at most a job or two of the
	// flood, however long the flood is (River's order: all 150).
	require.LessOrEqual(t, floodBefore, 2*(lateJobs+1), "flood jobs run before the last latecomer: %d", floodBefore)
}

// fairCapArgs are the cap test's jobs, in a queue of their own.
type fairCapArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	N        int       `json:"n"`
}

func (fairCapArgs) Kind() string { return "storetest_fair_cap" }

func (fairCapArgs) InsertOpts() jobs.Opts { return jobs.Opts{Queue: "storetest_fair_cap"} }

// fairGauge counts each tenant's jobs running at once, and the most.
type fairGauge struct {
	mu          sync.Mutex
	now, most   map[uuid.UUID]int
	ran         map[fairCapArgs]int
	started     map[uuid.UUID]time.Time
	done, total int
	all         chan struct{}
}

func newFairGauge(total int) *fairGauge {
	return &fairGauge{now: map[uuid.UUID]int{}, most: map[uuid.UUID]int{}, ran: map[fairCapArgs]int{},
		started: map[uuid.UUID]time.Time{}, total: total, all: make(chan struct{})}
}

func (g *fairGauge) work(d func(fairCapArgs) time.Duration) jobs.WorkFunc[fairCapArgs] {
	return func(ctx context.Context, job *jobs.Job[fairCapArgs]) error {
		a := job.Args
		g.mu.Lock()
		g.now[a.TenantID]++
		g.most[a.TenantID] = max(g.most[a.TenantID], g.now[a.TenantID])
		if _, ok := g.started[a.TenantID]; !ok {
			g.started[a.TenantID] = time.Now()
		}
		g.mu.Unlock()
		time.Sleep(d(a))
		g.mu.Lock()
		defer g.mu.Unlock()
		g.now[a.TenantID]--
		g.ran[a]++
		if g.done++; g.done == g.total {
			close(g.all)
		}
		return nil
	}
}

// With plan limits on (jobs.Fairness.Enforce), each tenant runs at most
// its jobs_at_once jobs of a queue at once — the plan's (free: 2) or its
// own override — and the jobs held back still all run, exactly once.
func testFairCaps(t *testing.T, s store.Store) {
	ctx := context.Background()
	free, _ := seedTenantUser(t, s)
	one, _ := seedTenantUser(t, s)
	require.NoError(t, s.TenantLimitSet(ctx, one, plan.JobsAtOnce, 1))
	const each = 20
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		for i := range each {
			for _, tid := range []uuid.UUID{free, one} {
				if _, err := tx.JobInsert(ctx, fairCapArgs{TenantID: tid, N: i}, nil); err != nil {
					return err
				}
			}
		}
		return nil
	}))
	g := newFairGauge(2 * each)
	rc := jobs.NewRunConfig(map[string]int{"storetest_fair_cap": 6}, nil)
	rc.Fair = jobs.Fairness{Enforce: true}
	rc.SetFetch(jobs.FetchCooldown, 0) // as ordo worker fetches
	jobs.Register(rc.Workers, g.work(func(fairCapArgs) time.Duration { return 15 * time.Millisecond }))
	startRunnerOf(t, s, rc)
	select {
	case <-g.all:
	case <-time.After(60 * time.Second):
		g.mu.Lock()
		defer g.mu.Unlock()
		t.Fatalf("%d of %d capped jobs ran in 60 s", g.done, g.total)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	require.Equal(t, 2, g.most[free], "the free plan's tenant ran %d at once, want its cap 2", g.most[free])
	require.Equal(t, 1, g.most[one], "the tenant limited to 1 ran %d at once", g.most[one])
	require.Len(t, g.ran, 2*each)
	for a, n := range g.ran {
		require.Equal(t, 1, n, "job %v ran %d times", a, n)
	}
}

// With plan limits on, a queue of two workers keeps one for tenants with
// nothing running: a tenant's long jobs take one worker, and another
// tenant's job, queued after them, starts at once instead of after one of
// them.
func testFairReserve(t *testing.T, s store.Store) {
	ctx := context.Background()
	big, _ := seedTenantUser(t, s)
	small, _ := seedTenantUser(t, s)
	require.NoError(t, s.TenantLimitSet(ctx, big, plan.JobsAtOnce, plan.Unlimited))
	const long = 1500 * time.Millisecond
	g := newFairGauge(4)
	rc := jobs.NewRunConfig(map[string]int{"storetest_fair_reserve": 2}, nil)
	rc.Fair = jobs.Fairness{Enforce: true}
	// River's insert notifications are rate-limited per queue, so the
	// small job may wait for a poll: poll well within the long jobs.
	rc.SetFetch(20*time.Millisecond, 200*time.Millisecond)
	jobs.Register(rc.Workers, g.work(func(a fairCapArgs) time.Duration {
		if a.TenantID == big {
			return long
		}
		return 0
	}))
	for i := range 3 {
		_, err := s.JobInsert(ctx, fairCapArgs{TenantID: big, N: i}, &jobs.Opts{Queue: "storetest_fair_reserve"})
		require.NoError(t, err)
	}
	startRunnerOf(t, s, rc)
	require.Eventually(t, func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.now[big] > 0
	}, 20*time.Second, 10*time.Millisecond, "the big tenant's jobs did not start")
	queued := time.Now()
	_, err := s.JobInsert(ctx, fairCapArgs{TenantID: small}, &jobs.Opts{Queue: "storetest_fair_reserve"})
	require.NoError(t, err)
	select {
	case <-g.all:
	case <-time.After(30 * time.Second):
		t.Fatal("the jobs did not all run in 30 s")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	require.Equal(t, 1, g.most[big], "the big tenant alone ran %d of 2 workers' jobs at once; one is kept for others", g.most[big])
	waited := g.started[small].Sub(queued)
	require.Less(t, waited, long*2/3, "the small tenant's job waited %s behind the big tenant's %s jobs", waited, long)
}
