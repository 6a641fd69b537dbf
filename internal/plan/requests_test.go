package plan_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/plan"
)

type adds struct {
	mu    sync.Mutex
	calls int
	got   map[uuid.UUID]int64
	fail  error
}

func (a *adds) UsageAdd(_ context.Context, id uuid.UUID, _ time.Time, c plan.Counter, n int64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	if a.fail != nil {
		return a.fail
	}
	if c != plan.CountAPIRequests {
		return errors.New("wrong counter")
	}
	a.got[id] += n
	return nil
}

// Requests are counted in memory and written as one add per tenant per
// flush; a failed write is kept for the next, except for a deleted tenant.
func TestRequestCounter(t *testing.T) {
	st := &adds{got: map[uuid.UUID]int64{}}
	c := plan.NewRequestCounter(st, nil)
	a, b := uuid.New(), uuid.New()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 50 {
				c.Add(a)
			}
			c.Add(b)
		})
	}
	wg.Wait()
	require.NoError(t, c.Flush(t.Context()))
	require.Equal(t, 2, st.calls, "one write per tenant")
	require.Equal(t, map[uuid.UUID]int64{a: 500, b: 10}, st.got)

	require.NoError(t, c.Flush(t.Context()))
	require.Equal(t, 2, st.calls, "nothing counted, nothing written")

	st.fail = errors.New("database down")
	c.Add(a)
	require.Error(t, c.Flush(t.Context()))
	st.fail = nil
	require.NoError(t, c.Flush(t.Context()))
	require.Equal(t, int64(501), st.got[a], "kept for the next flush")

	st.fail = apperr.Invalid("tenant_id", "refers to something that does not exist")
	c.Add(b)
	require.Error(t, c.Flush(t.Context()))
	st.fail = nil
	calls := st.calls
	require.NoError(t, c.Flush(t.Context()))
	require.Equal(t, calls, st.calls, "a deleted tenant's count is dropped")
}

// Run flushes once FlushAfter requests wait, without waiting for the tick.
func TestRequestCounterFlushesFullBatch(t *testing.T) {
	st := &adds{got: map[uuid.UUID]int64{}}
	c := plan.NewRequestCounter(st, nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go c.Run(ctx)
	a := uuid.New()
	for range plan.FlushAfter {
		c.Add(a)
	}
	require.Eventually(t, func() bool {
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.got[a] == plan.FlushAfter
	}, plan.FlushEvery/2, 10*time.Millisecond)
}
