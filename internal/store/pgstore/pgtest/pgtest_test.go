package pgtest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/pgstore/pgtest"
	"github.com/ordo/ordo/internal/testkit"
)

// A clone has the whole current schema, and clones are independent.
func TestURL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	open := func(url string) *pgstore.Store {
		s, err := pgstore.Open(ctx, url, testkit.Logger(t))
		require.NoError(t, err)
		t.Cleanup(s.Close)
		return s
	}
	a, b := open(pgtest.URL(t)), open(pgtest.URL(t))
	current, err := a.SchemaCurrent(ctx)
	require.NoError(t, err)
	require.True(t, current, "the clone has every migration applied")

	_, err = a.Pool().Exec(ctx, `CREATE TABLE only_in_a (x int)`)
	require.NoError(t, err)
	var n int
	require.NoError(t, b.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'`).Scan(&n))
	require.Zero(t, n, "clones do not share tables")
}

// BenchmarkSetup compares a migrated database cloned from the template
// with one migrated afresh, as the tests made them before.
func BenchmarkSetup(b *testing.B) {
	ctx := context.Background()
	b.Run("template", func(b *testing.B) {
		for b.Loop() {
			s, err := pgstore.Open(ctx, pgtest.URL(b), testkit.Logger(b))
			require.NoError(b, err)
			require.NoError(b, s.MigrateUp(ctx))
			s.Close()
		}
	})
	b.Run("migrate", func(b *testing.B) {
		for b.Loop() {
			s, err := pgstore.Open(ctx, testkit.PostgresURL(b), testkit.Logger(b))
			require.NoError(b, err)
			require.NoError(b, s.MigrateUp(ctx))
			s.Close()
		}
	})
}
