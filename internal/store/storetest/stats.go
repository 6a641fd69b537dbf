package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/store"
)

type depthArgs struct {
	Token string `json:"token"`
}

func (depthArgs) Kind() string { return "storetest_depth" }

// JobQueueDepth counts waiting jobs by queue and state. The jobs go to a
// queue of this test's own, which no runner works.
func testJobQueueDepth(t *testing.T, s store.Store) {
	ctx := context.Background()
	queue := "storetest_depth_" + uuid.NewString()[:8]
	for range 3 {
		_, err := s.JobInsert(ctx, depthArgs{Token: uuid.NewString()}, &jobs.Opts{Queue: queue})
		require.NoError(t, err)
	}
	_, err := s.JobInsert(ctx, depthArgs{Token: uuid.NewString()}, &jobs.Opts{Queue: queue, ScheduledAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)

	counts, err := s.JobQueueDepth(ctx)
	require.NoError(t, err)
	got := map[string]int64{}
	for _, c := range counts {
		require.Contains(t, store.JobQueueDepthStates, c.State)
		require.Positive(t, c.Count, "states without jobs are left out")
		if c.Queue == queue {
			got[c.State] = c.Count
		}
	}
	require.Equal(t, map[string]int64{"available": 3, "scheduled": 1}, got)
}

// PoolStats reports a pool that has served queries.
func testPoolStats(t *testing.T, s store.Store) {
	require.NoError(t, s.Ping(context.Background()))
	st := s.PoolStats()
	require.Positive(t, st.MaxConns)
	require.Positive(t, st.TotalConns)
	require.GreaterOrEqual(t, st.TotalConns, st.AcquiredConns+st.IdleConns)
	require.LessOrEqual(t, st.TotalConns, st.MaxConns)
	require.GreaterOrEqual(t, st.EmptyAcquireCount, int64(0))
	if st.AcquireCount >= 0 {
		require.Positive(t, st.AcquireCount)
	}
}
