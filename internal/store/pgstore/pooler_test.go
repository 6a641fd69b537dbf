package pgstore_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/pgstore/pgtest"
	"github.com/ordo/ordo/internal/store/storetest"
	"github.com/ordo/ordo/internal/testkit"
)

// openPooled opens the store through a PgBouncer in transaction mode in
// front of the test database at url.
func openPooled(t *testing.T, url string) *pgstore.Store {
	t.Helper()
	_, pooled := testkit.StartPgBouncer(t, url)
	return pgtest.Open(t, pooled, pgstore.TransactionPooler())
}

// The whole store conformance suite passes through a transaction-mode
// pooler: no named prepared statements, no session state relied on.
func TestConformanceThroughPgBouncer(t *testing.T) {
	testkit.SkipShort(t, "starts pgbouncer")
	t.Parallel()
	s := openPooled(t, pgtest.URL(t))
	storetest.Exercise(t, s)
}

// Migrations through the pooler: the migration lock is held by a
// transaction (a session lock could stay behind on a server connection
// the pooler hands to someone else), so concurrent `migrate up`s still
// apply each migration once, and the lock is free afterwards.
func TestMigrateUpThroughPgBouncer(t *testing.T) {
	testkit.SkipShort(t, "starts pgbouncer")
	t.Parallel()
	ctx := context.Background()
	url := testkit.PostgresURL(t)
	_, pooled := testkit.StartPgBouncer(t, url)
	s := migrateUpConcurrently(t, pooled, url, pgstore.TransactionPooler())
	var held int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1`, 0x6f72646f).Scan(&held))
	require.Zero(t, held, "the migration lock is left held")
}

// poolerArgs is a job of the pooler tests' own queue; At is when it was
// enqueued (Unix nanoseconds), so that the worker can tell its latency.
type poolerArgs struct {
	N    int   `json:"n"`
	At   int64 `json:"at"`
	Fail bool  `json:"fail,omitempty"` // fail the first attempt
}

func (poolerArgs) Kind() string { return "pgstore_pooler" }

func (poolerArgs) InsertOpts() jobs.Opts { return jobs.Opts{Queue: "pgstore_pooler"} }

// poolerWorker records when each job started and how many attempts it
// took.
type poolerWorker struct {
	mu       sync.Mutex
	latency  map[int]time.Duration // of the first attempt
	attempts map[int]int
	done     chan int // job numbers as they succeed
}

func (w *poolerWorker) Work(_ context.Context, j *jobs.Job[poolerArgs]) error {
	w.mu.Lock()
	if j.Attempt == 1 {
		w.latency[j.Args.N] = time.Since(time.Unix(0, j.Args.At))
	}
	w.attempts[j.Args.N] = j.Attempt
	w.mu.Unlock()
	if j.Args.Fail && j.Attempt == 1 {
		return errors.New("failing the first attempt on purpose")
	}
	w.done <- j.Args.N
	return nil
}

// River works jobs through the pooler in poll mode: they run, a failed
// one is retried, and the latency from enqueue to start is measured for
// a job enqueued into an idle queue, beside the same with a direct
// connection (LISTEN/NOTIFY) for comparison.
func TestJobsThroughPgBouncer(t *testing.T) {
	testkit.SkipShort(t, "starts pgbouncer")
	t.Parallel()
	url := pgtest.URL(t)
	for _, tt := range []struct {
		name   string
		pooled bool
	}{{"direct", false}, {"pgbouncer", true}} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			var s *pgstore.Store
			if tt.pooled {
				s = openPooled(t, url)
			} else {
				s = pgtest.Open(t, url)
			}
			w := &poolerWorker{latency: map[int]time.Duration{}, attempts: map[int]int{}, done: make(chan int, 100)}
			rc := jobs.NewRunConfig(map[string]int{"pgstore_pooler": 2}, testkit.Logger(t))
			rc.SetFetch(jobs.FetchCooldown, 0) // as ordo worker fetches
			jobs.Register(rc.Workers, jobs.Worker[poolerArgs](w))
			runner, err := s.JobRunner(rc)
			require.NoError(t, err)
			require.NoError(t, runner.Start(ctx))
			t.Cleanup(func() {
				stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = runner.Stop(stopCtx)
			})
			wait := func(n int) {
				t.Helper()
				for {
					select {
					case got := <-w.done:
						if got == n {
							return
						}
					case <-time.After(30 * time.Second):
						t.Fatalf("job %d did not succeed within 30 s", n)
					}
				}
			}

			// One job at a time into an idle queue, at random moments
			// relative to the poll.
			const jobsN = 25
			for n := range jobsN {
				time.Sleep(time.Duration(50+rand.IntN(250)) * time.Millisecond)
				_, err := s.JobInsert(ctx, poolerArgs{N: n, At: time.Now().UnixNano()}, nil)
				require.NoError(t, err)
				wait(n)
			}
			w.mu.Lock()
			var ls []time.Duration
			for n := range jobsN {
				ls = append(ls, w.latency[n])
			}
			w.mu.Unlock()
			slices.Sort(ls)
			t.Logf("%s: enqueue-to-start latency of %d jobs into an idle queue: median %s, p90 %s, max %s",
				tt.name, jobsN, ls[jobsN/2].Round(time.Millisecond), ls[jobsN*9/10].Round(time.Millisecond), ls[jobsN-1].Round(time.Millisecond))
			if tt.pooled {
				require.Less(t, ls[jobsN/2], pgstore.PollInterval+100*time.Millisecond, "poll mode's median latency is about half the poll interval")
			}

			// A failed job is retried, and then succeeds.
			_, err = s.JobInsert(ctx, poolerArgs{N: jobsN, At: time.Now().UnixNano(), Fail: true}, nil)
			require.NoError(t, err)
			wait(jobsN)
			w.mu.Lock()
			require.Equal(t, 2, w.attempts[jobsN])
			w.mu.Unlock()
		})
	}
}
