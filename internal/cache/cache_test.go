package cache

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/pubsub"
	"github.com/ordo/ordo/internal/testkit"
)

// exercise is the suite both implementations pass.
func exercise(t *testing.T, c Cache) {
	ctx := context.Background()
	k := "k-" + uuid.NewString()

	_, ok, err := c.Get(ctx, k)
	require.NoError(t, err)
	require.False(t, ok)

	require.NoError(t, c.Set(ctx, k, []byte("v1"), time.Minute))
	v, ok, err := c.Get(ctx, k)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "v1", string(v))

	require.NoError(t, c.Set(ctx, k, []byte("v2"), time.Minute))
	v, _, _ = c.Get(ctx, k)
	require.Equal(t, "v2", string(v))

	require.NoError(t, c.Delete(ctx, k, k+"-missing"))
	_, ok, _ = c.Get(ctx, k)
	require.False(t, ok)

	require.Error(t, c.Set(ctx, k, []byte("x"), 0), "a zero ttl is refused")

	short := k + "-short"
	require.NoError(t, c.Set(ctx, short, []byte("x"), 50*time.Millisecond))
	require.Eventually(t, func() bool {
		_, ok, err := c.Get(ctx, short)
		return err == nil && !ok
	}, 3*time.Second, 20*time.Millisecond, "entries expire")
}

func TestMemory(t *testing.T) {
	t.Parallel()
	exercise(t, NewMemory(100))
}

func TestMemoryBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := NewMemory(10)
	for i := range 100 {
		require.NoError(t, m.Set(ctx, fmt.Sprint(i), []byte("x"), time.Minute))
	}
	require.LessOrEqual(t, len(m.entries), 10)
	v, ok, _ := m.Get(ctx, "99")
	require.True(t, ok, "the newest entry is kept")
	require.Equal(t, "x", string(v))
}

func TestRedis(t *testing.T) {
	t.Parallel()
	opts, err := redis.ParseURL(testkit.RedisURL(t))
	require.NoError(t, err)
	client := redis.NewClient(opts)
	t.Cleanup(func() { client.Close() })
	exercise(t, NewRedis(client, "ordo-test:"+uuid.NewString()+":"))
}

// A near cache passes the same suite, and a deletion in one process
// reaches another's copy through pub/sub at once, not after NearTTL.
func TestNear(t *testing.T) {
	t.Parallel()
	opts, err := redis.ParseURL(testkit.RedisURL(t))
	require.NoError(t, err)
	prefix := "ordo-test:" + uuid.NewString() + ":"
	open := func() *Near {
		client := redis.NewClient(opts)
		t.Cleanup(func() { client.Close() })
		return NewNear(t.Context(), NewRedis(client, prefix+"c:"), pubsub.NewRedis(client, prefix+"ps:"), 100, slog.New(slog.DiscardHandler))
	}
	a, b := open(), open()
	exercise(t, a)

	ctx := t.Context()
	k := "k-" + uuid.NewString()
	require.NoError(t, a.Set(ctx, k, []byte("v1"), time.Minute))
	v, ok, err := b.Get(ctx, k)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "v1", string(v))
	// b now answers from its own memory: a change behind the caches'
	// back (the shared entry rewritten directly) is not seen...
	require.NoError(t, a.shared.Set(ctx, k, []byte("v2"), time.Minute))
	v, _, _ = b.Get(ctx, k)
	require.Equal(t, "v1", string(v), "served from b's memory")
	// ...until NearTTL has passed, when b reads the shared entry again.
	require.Eventually(t, func() bool {
		v, _, _ := b.Get(ctx, k)
		return string(v) == "v2"
	}, NearTTL+time.Second, 20*time.Millisecond)

	// A deletion in a reaches b's copy well before NearTTL.
	start := time.Now()
	require.NoError(t, a.Delete(ctx, k, "other-"+k))
	require.Eventually(t, func() bool {
		_, ok, err := b.Get(ctx, k)
		return err == nil && !ok
	}, NearTTL/2, 5*time.Millisecond, "the deletion reaches the other process")
	t.Logf("deletion seen by the other process after %s", time.Since(start))
}
