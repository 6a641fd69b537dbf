package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"github.com/throttled/throttled/v2"

	"github.com/ordo/ordo/internal/testkit"
)

// exercise is the suite both stores pass.
func exercise(t *testing.T, st Store) {
	ctx := context.Background()
	l, err := New(st, Quota{Rate: 10, Per: time.Second, Burst: 3})
	require.NoError(t, err)
	key := "k-" + uuid.NewString()

	for i := range 3 {
		r, err := l.Allow(ctx, key)
		require.NoError(t, err)
		require.True(t, r.Allowed, "request %d within the burst", i+1)
		require.Equal(t, 3, r.Limit)
		require.Equal(t, 2-i, r.Remaining)
	}
	r, err := l.Allow(ctx, key)
	require.NoError(t, err)
	require.False(t, r.Allowed, "the fourth request at once is over the burst")
	require.Positive(t, r.RetryAfter)
	require.LessOrEqual(t, r.RetryAfter, 150*time.Millisecond, "one request frees up every 100ms")

	other, err := l.Allow(ctx, key+"-other")
	require.NoError(t, err)
	require.True(t, other.Allowed, "keys are independent")

	peekExercise(t, st)

	time.Sleep(r.RetryAfter + 20*time.Millisecond)
	r, err = l.Allow(ctx, key)
	require.NoError(t, err)
	require.True(t, r.Allowed, "allowed again after RetryAfter")
}

// peekExercise checks that Peek looks without spending. The quota drains
// slowly, so that a loaded machine cannot change the outcome.
func peekExercise(t *testing.T, st Store) {
	ctx := context.Background()
	l, err := New(st, Quota{Rate: 3, Per: time.Hour, Burst: 3})
	require.NoError(t, err)
	key := "p-" + uuid.NewString()
	r, err := l.Peek(ctx, key)
	require.NoError(t, err)
	require.True(t, r.Allowed)
	require.False(t, r.Used(), "a fresh key has spent nothing")
	require.Equal(t, 3, r.Remaining)
	for range 5 {
		r, err = l.Peek(ctx, key)
		require.NoError(t, err)
		require.True(t, r.Allowed, "peeking spends nothing")
	}
	_, err = l.Allow(ctx, key)
	require.NoError(t, err)
	r, err = l.Peek(ctx, key)
	require.NoError(t, err)
	require.True(t, r.Allowed)
	require.True(t, r.Used(), "one spent")
	require.Equal(t, 2, r.Remaining)
	for range 2 {
		_, err = l.Allow(ctx, key)
		require.NoError(t, err)
	}
	r, err = l.Peek(ctx, key)
	require.NoError(t, err)
	require.False(t, r.Allowed, "the burst is spent")
	require.Positive(t, r.RetryAfter)
}

func TestMemory(t *testing.T) {
	t.Parallel()
	st, err := NewMemoryStore(1000)
	require.NoError(t, err)
	exercise(t, st)
	leaseExercise(t, st)
}

func TestRedis(t *testing.T) {
	t.Parallel()
	opts, err := redis.ParseURL(testkit.RedisURL(t))
	require.NoError(t, err)
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	st, err := NewRedisStore(c, "ordo-test:"+uuid.NewString()+":")
	require.NoError(t, err)
	exercise(t, st)
	leaseExercise(t, &counting{GCRAStoreCtx: st})

	// One busy key from many goroutines: the process asks the store one
	// call at a time, so compare-and-swaps do not fail each other
	// (throttled gives up after 10 conflicts, and Ordo then fails open).
	l, err := New(st, Quota{Rate: 1_000_000, Per: time.Minute, Burst: 1_000_000, Lease: LeaseFor(1_000_000)})
	require.NoError(t, err)
	key := "busy-" + uuid.NewString()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 64 {
		wg.Go(func() {
			for range 100 {
				if r, err := l.Allow(t.Context(), key); err != nil || !r.Allowed {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	require.Zero(t, failed.Load())
}

// counting counts a store's round trips.
type counting struct {
	throttled.GCRAStoreCtx
	calls atomic.Int64
}

func (c *counting) GetWithTime(ctx context.Context, key string) (int64, time.Time, error) {
	c.calls.Add(1)
	return c.GCRAStoreCtx.GetWithTime(ctx, key)
}

func (c *counting) SetIfNotExistsWithTTL(ctx context.Context, key string, value int64, ttl time.Duration) (bool, error) {
	c.calls.Add(1)
	return c.GCRAStoreCtx.SetIfNotExistsWithTTL(ctx, key, value, ttl)
}

func (c *counting) CompareAndSwapWithTTL(ctx context.Context, key string, old, new int64, ttl time.Duration) (bool, error) {
	c.calls.Add(1)
	return c.GCRAStoreCtx.CompareAndSwapWithTTL(ctx, key, old, new, ttl)
}

// leaseExercise: two processes (limiters) sharing a store and a key with
// leases spend within 10% of the burst together, the last requests one by
// one, and ask the store far less often than once a request.
func leaseExercise(t *testing.T, st Store) {
	ctx := context.Background()
	q := Quota{Rate: 200, Per: time.Hour, Burst: 200, Lease: LeaseFor(200)}
	require.Equal(t, 10, q.Lease)
	a, err := New(st, q)
	require.NoError(t, err)
	b, err := New(st, q)
	require.NoError(t, err)
	key := "l-" + uuid.NewString()
	allowed, refusedA, refusedB := 0, false, false
	for i := 0; !refusedA || !refusedB; i++ {
		l, refused := a, &refusedA
		if i%3 == 2 { // b gets a third of the requests
			l, refused = b, &refusedB
		}
		r, err := l.Allow(ctx, key)
		require.NoError(t, err)
		require.Equal(t, 200, r.Limit)
		if r.Allowed {
			allowed++
			require.GreaterOrEqual(t, r.Remaining, 0)
		} else {
			*refused = true
			require.Positive(t, r.RetryAfter)
		}
		require.Less(t, i, 1000)
	}
	require.InDelta(t, 200, allowed, 20, "both processes together stay within 10%% of the burst")
	if c, ok := st.(*counting); ok {
		require.Less(t, c.calls.Load(), int64(allowed/2), "leases spare most round trips")
		t.Logf("%d requests allowed with %d store calls", allowed, c.calls.Load())
	}
}

func TestInvalidQuota(t *testing.T) {
	t.Parallel()
	st, _ := NewMemoryStore(10)
	for _, q := range []Quota{{}, {Rate: 1, Per: time.Second}, {Rate: 1, Burst: 1}} {
		_, err := New(st, q)
		require.Error(t, err, "%+v", q)
	}
}
