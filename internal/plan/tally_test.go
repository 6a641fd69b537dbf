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
	deliv map[uuid.UUID]int64
	fail  error
}

func (a *adds) UsageAdd(_ context.Context, id uuid.UUID, _ time.Time, c plan.Counter, n int64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	if a.fail != nil {
		return a.fail
	}
	switch c {
	case plan.CountAPIRequests:
		a.got[id] += n
	case plan.CountWebhookDeliveries:
		a.deliv[id] += n
	default:
		return errors.New("wrong counter")
	}
	return nil
}

// Counts are kept in memory and written as one add per tenant and counter
// per flush; a failed write is kept for the next, except for a deleted
// tenant.
func TestTally(t *testing.T) {
	st := &adds{got: map[uuid.UUID]int64{}, deliv: map[uuid.UUID]int64{}}
	c := plan.NewTally(st, nil)
	a, b := uuid.New(), uuid.New()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 50 {
				c.Add(a, plan.CountAPIRequests, 1)
			}
			c.Add(b, plan.CountAPIRequests, 1)
			c.Add(b, plan.CountWebhookDeliveries, 2)
		})
	}
	wg.Wait()
	require.NoError(t, c.Flush(t.Context()))
	require.Equal(t, 3, st.calls, "one write per tenant and counter")
	require.Equal(t, map[uuid.UUID]int64{a: 500, b: 10}, st.got)
	require.Equal(t, map[uuid.UUID]int64{b: 20}, st.deliv)

	require.NoError(t, c.Flush(t.Context()))
	require.Equal(t, 3, st.calls, "nothing counted, nothing written")

	st.fail = errors.New("database down")
	c.Add(a, plan.CountAPIRequests, 1)
	require.Error(t, c.Flush(t.Context()))
	st.fail = nil
	require.NoError(t, c.Flush(t.Context()))
	require.Equal(t, int64(501), st.got[a], "kept for the next flush")

	st.fail = apperr.Invalid("tenant_id", "refers to something that does not exist")
	c.Add(b, plan.CountAPIRequests, 1)
	require.Error(t, c.Flush(t.Context()))
	st.fail = nil
	calls := st.calls
	require.NoError(t, c.Flush(t.Context()))
	require.Equal(t, calls, st.calls, "a deleted tenant's count is dropped")
}

// Run flushes once FlushAfter counts wait, without waiting for the tick.
func TestTallyFlushesFullBatch(t *testing.T) {
	st := &adds{got: map[uuid.UUID]int64{}, deliv: map[uuid.UUID]int64{}}
	c := plan.NewTally(st, nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go c.Run(ctx)
	a := uuid.New()
	for range plan.FlushAfter {
		c.Add(a, plan.CountAPIRequests, 1)
	}
	require.Eventually(t, func() bool {
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.got[a] == plan.FlushAfter
	}, plan.FlushEvery/2, 10*time.Millisecond)
}
