package cache_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/cache"
)

type failing struct{}

var errDown = errors.New("down")

func (failing) Get(context.Context, string) ([]byte, bool, error)        { return nil, false, errDown }
func (failing) Set(context.Context, string, []byte, time.Duration) error { return errDown }
func (failing) Delete(context.Context, ...string) error                  { return errDown }

func TestReadThrough(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	loads := 0
	load := func(v int) func() (int, error) { return func() (int, error) { loads++; return v, nil } }

	m := cache.NewMemory(10)
	got, err := cache.ReadThrough(ctx, m, log, "k", time.Minute, nil, load(1))
	require.NoError(t, err)
	require.Equal(t, 1, got)
	got, err = cache.ReadThrough(ctx, m, log, "k", time.Minute, nil, load(2))
	require.NoError(t, err)
	require.Equal(t, 1, got, "the second read is the cached value")
	require.Equal(t, 1, loads)

	got, err = cache.ReadThrough(ctx, m, log, "k", time.Minute, func(v int) bool { return v > 1 }, load(3))
	require.NoError(t, err)
	require.Equal(t, 3, got, "a value fresh refuses is loaded again")
	got, _ = cache.ReadThrough(ctx, m, log, "k", time.Minute, nil, load(4))
	require.Equal(t, 3, got, "and stored")

	cache.Forget(ctx, m, log, "k")
	got, _ = cache.ReadThrough(ctx, m, log, "k", time.Minute, nil, load(5))
	require.Equal(t, 5, got, "a forgotten key is loaded again")

	for _, c := range []cache.Cache{failing{}, nil} {
		got, err = cache.ReadThrough(ctx, c, log, "k", time.Minute, nil, load(6))
		require.NoError(t, err, "a failing or absent cache is bypassed")
		require.Equal(t, 6, got)
		cache.Forget(ctx, c, log, "k")
	}
	_, err = cache.ReadThrough(ctx, m, log, "other", time.Minute, nil, func() (int, error) { return 0, errDown })
	require.ErrorIs(t, err, errDown)
}
