package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/testkit"
)

// Narrow hands the callback the engine's transaction as the domain's Tx,
// and its commit and rollback are the store's; a Tx type the engine's
// transaction does not implement is an error, never a panic.
func TestNarrow(t *testing.T) {
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "ordo.db"), testkit.Logger(t))
	require.NoError(t, err)
	t.Cleanup(st.Close)
	require.NoError(t, st.MigrateUp(ctx))

	var db order.DB = store.Narrow[order.Tx]{Store: st}
	ran := false
	require.NoError(t, db.InTx(ctx, func(tx order.Tx) error {
		ran = true
		_, err := tx.OrderGet(ctx, uuid.New(), uuid.New())
		require.ErrorIs(t, err, apperr.ErrNotFound, "the engine's own query answers")
		return nil
	}))
	require.True(t, ran)

	type notATx interface{ NotAStoreMethod() }
	err = store.Narrow[notATx]{Store: st}.InTx(ctx, func(notATx) error {
		t.Fatal("the callback must not run")
		return nil
	})
	require.ErrorContains(t, err, "is not a")
}
