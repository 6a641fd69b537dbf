package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/store"
)

type failingArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	Fail     bool      `json:"fail"`
}

func (failingArgs) Kind() string { return "storetest_failing" }

func (failingArgs) InsertOpts() jobs.Opts {
	return jobs.Opts{Queue: "storetest_failing", MaxAttempts: 1}
}

// Failed jobs are listed per tenant and can be retried; another tenant's
// job is not found.
func testFailedJobs(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenantA, tenantB := uuid.New(), uuid.New()
	var retried = make(chan uuid.UUID, 4)
	workers := jobs.NewWorkers()
	jobs.Register(workers, jobs.WorkFunc[failingArgs](func(ctx context.Context, job *jobs.Job[failingArgs]) error {
		if job.Attempt == 1 {
			return errors.New("receiver exploded")
		}
		retried <- job.Args.TenantID
		return nil
	}))
	a, err := s.JobInsert(ctx, failingArgs{TenantID: tenantA}, nil)
	require.NoError(t, err)
	b, err := s.JobInsert(ctx, failingArgs{TenantID: tenantB}, nil)
	require.NoError(t, err)

	startRunner(t, s, "storetest_failing", workers)

	var listA []*jobs.Row
	require.Eventually(t, func() bool {
		listA, _, err = s.JobListFailed(ctx, &tenantA, 10, "")
		require.NoError(t, err)
		return len(listA) == 1
	}, 20*time.Second, 20*time.Millisecond)
	require.Equal(t, a.ID, listA[0].ID)
	require.Equal(t, jobs.StateDiscarded, listA[0].State)
	require.Contains(t, listA[0].Errors[0].Error, "receiver exploded")
	require.Equal(t, tenantA, listA[0].Tenant())
	all, _, err := s.JobListFailed(ctx, nil, 100, "")
	require.NoError(t, err)
	ids := map[int64]bool{}
	for _, j := range all {
		ids[j.ID] = true
	}
	require.True(t, ids[a.ID] && ids[b.ID], "the operator's list holds every tenant's")

	_, err = s.JobRetry(ctx, &tenantB, a.ID)
	requireKind(t, err, apperr.ErrNotFound)
	_, err = s.JobRetry(ctx, &tenantA, 1<<40)
	requireKind(t, err, apperr.ErrNotFound)
	// Inside a transaction the retry commits with it: one rolled back
	// (its audit entry failed, say) leaves the job failed.
	errRollback := errors.New("roll back")
	err = s.InTx(ctx, func(tx store.Tx) error {
		j, err := tx.JobRetry(ctx, &tenantA, a.ID)
		require.NoError(t, err)
		require.Equal(t, jobs.StateAvailable, j.State)
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	listA, _, err = s.JobListFailed(ctx, &tenantA, 10, "")
	require.NoError(t, err)
	require.Len(t, listA, 1, "the rolled-back retry left the job failed")
	require.Equal(t, jobs.StateDiscarded, listA[0].State)
	_, err = s.JobRetry(ctx, &tenantA, a.ID)
	require.NoError(t, err)
	select {
	case got := <-retried:
		require.Equal(t, tenantA, got)
	case <-time.After(20 * time.Second):
		t.Fatal("the retried job did not run")
	}
	require.Eventually(t, func() bool {
		listA, _, err = s.JobListFailed(ctx, &tenantA, 10, "")
		require.NoError(t, err)
		return len(listA) == 0
	}, 10*time.Second, 20*time.Millisecond)
	// A job that is not failed cannot be retried.
	_, err = s.JobRetry(ctx, &tenantA, a.ID)
	requireKind(t, err, apperr.ErrConflict)
}

// startRunner works queue with workers until the test ends.
func startRunner(t *testing.T, s store.Store, queue string, workers *jobs.Workers) {
	t.Helper()
	rc := jobs.NewRunConfig(map[string]int{queue: 2}, nil)
	rc.Workers = workers
	rc.SetFetch(20*time.Millisecond, 50*time.Millisecond)
	startRunnerOf(t, s, rc)
}

// startRunnerOf works rc until the test ends.
func startRunnerOf(t *testing.T, s store.Store, rc *jobs.RunConfig) {
	t.Helper()
	runner, err := s.JobRunner(rc)
	require.NoError(t, err)
	require.NoError(t, runner.Start(context.Background()))
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(stopCtx)
	})
}
