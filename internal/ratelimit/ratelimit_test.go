package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

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
}

func TestInvalidQuota(t *testing.T) {
	t.Parallel()
	st, _ := NewMemoryStore(10)
	for _, q := range []Quota{{}, {Rate: 1, Per: time.Second}, {Rate: 1, Burst: 1}} {
		_, err := New(st, q)
		require.Error(t, err, "%+v", q)
	}
}
