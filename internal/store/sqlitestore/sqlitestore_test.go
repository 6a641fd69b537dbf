package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/store/storetest"
	"github.com/ordo/ordo/internal/testkit"
)

func open(t *testing.T) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "ordo.db"), testkit.Logger(t))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	s := open(t)
	require.NoError(t, s.MigrateUp(context.Background()))
	storetest.Exercise(t, s)
}

func TestMigrateDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	require.NoError(t, s.MigrateUp(ctx))
	require.NoError(t, s.MigrateDown(ctx))
	current, err := s.SchemaCurrent(ctx)
	require.NoError(t, err)
	require.False(t, current)
	require.NoError(t, s.MigrateUp(ctx))
	current, err = s.SchemaCurrent(ctx)
	require.NoError(t, err)
	require.True(t, current)
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := open(t)
	var mode string
	var fk, busy int
	require.NoError(t, s.DB().QueryRow("PRAGMA journal_mode").Scan(&mode))
	require.NoError(t, s.DB().QueryRow("PRAGMA foreign_keys").Scan(&fk))
	require.NoError(t, s.DB().QueryRow("PRAGMA busy_timeout").Scan(&busy))
	require.Equal(t, "wal", mode)
	require.Equal(t, 1, fk)
	require.Positive(t, busy)
}

// Processes started together on a fresh database (serve and worker, two
// migrate ups) must all succeed.
func TestMigrateUpConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ordo.db")
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := sqlitestore.Open(ctx, path, testkit.Logger(t))
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.MigrateUp(ctx)
		}()
	}
	for range 4 {
		require.NoError(t, <-errs)
	}
}

func TestAPIKeyGoesWithCreator(t *testing.T) {
	t.Parallel()
	s := open(t)
	require.NoError(t, s.MigrateUp(context.Background()))
	storetest.CheckAPIKeyGoesWithCreator(t, s, func(ctx context.Context, id uuid.UUID) error {
		_, err := s.DB().ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id)
		return err
	})
}

func TestAuditChain(t *testing.T) {
	t.Parallel()
	s := open(t)
	require.NoError(t, s.MigrateUp(context.Background()))
	storetest.CheckAuditChain(t, s, func(ctx context.Context, sql string) error {
		_, err := s.DB().ExecContext(ctx, sql)
		return err
	})
}
