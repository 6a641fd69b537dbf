package cache

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

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
