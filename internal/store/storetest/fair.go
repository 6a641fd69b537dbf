package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/jobs"
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
