package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/store"
)

// The effects ledger remembers what jobs did outside the database, and
// forgets it after a week.
func testEffects(t *testing.T, s store.Store) {
	ctx := context.Background()
	key := "email:" + uuid.NewString()
	done, err := s.EffectDone(ctx, key)
	require.NoError(t, err)
	require.False(t, done)
	old := now().Add(-8 * 24 * time.Hour)
	require.NoError(t, s.EffectRecord(ctx, key, old))
	require.NoError(t, s.EffectRecord(ctx, key, now()), "recording twice is fine")
	done, err = s.EffectDone(ctx, key)
	require.NoError(t, err)
	require.True(t, done)
	_, err = s.Purge(ctx, now())
	require.NoError(t, err)
	done, err = s.EffectDone(ctx, key)
	require.NoError(t, err)
	require.False(t, done, "purged after a week")
}
