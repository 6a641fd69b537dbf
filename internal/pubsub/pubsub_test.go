package pubsub

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/testkit"
)

func receive(t *testing.T, ch <-chan []byte) string {
	t.Helper()
	select {
	case m, ok := <-ch:
		require.True(t, ok, "channel closed")
		return string(m)
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5s")
		return ""
	}
}

// exercise is the suite both implementations pass; a and b may be two
// handles (two processes) on the same bus.
func exercise(t *testing.T, a, b PubSub) {
	ctx := context.Background()
	topic := "t-" + uuid.NewString()

	s1, cancel1, err := a.Subscribe(ctx, topic)
	require.NoError(t, err)
	s2, cancel2, err := b.Subscribe(ctx, topic)
	require.NoError(t, err)
	other, cancelOther, err := b.Subscribe(ctx, topic+"-other")
	require.NoError(t, err)
	defer cancelOther()

	require.NoError(t, b.Publish(ctx, topic, []byte("hello")))
	require.Equal(t, "hello", receive(t, s1), "fan-out reaches the other handle")
	require.Equal(t, "hello", receive(t, s2))

	cancel1()
	cancel1() // idempotent
	_, open := <-s1
	require.False(t, open, "cancel closes the channel")

	require.NoError(t, a.Publish(ctx, topic, []byte("second")))
	require.Equal(t, "second", receive(t, s2))
	cancel2()

	select {
	case m := <-other:
		t.Fatalf("a message leaked to another channel: %q", m)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestMemory(t *testing.T) {
	t.Parallel()
	m := NewMemory()
	exercise(t, m, m)
}

func TestRedis(t *testing.T) {
	t.Parallel()
	opts, err := redis.ParseURL(testkit.RedisURL(t))
	require.NoError(t, err)
	c1, c2 := redis.NewClient(opts), redis.NewClient(opts)
	t.Cleanup(func() { c1.Close(); c2.Close() })
	prefix := "ordo-test:" + uuid.NewString() + ":"
	exercise(t, NewRedis(c1, prefix), NewRedis(c2, prefix))
}
