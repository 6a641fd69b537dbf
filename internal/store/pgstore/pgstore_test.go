package pgstore_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/pgstore/pgtest"
	"github.com/ordo/ordo/internal/store/storetest"
	"github.com/ordo/ordo/internal/testkit"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := pgstore.Open(ctx, pgtest.URL(t), testkit.Logger(t))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.MigrateUp(ctx))
	storetest.Exercise(t, s)
}

// Two processes running `ordo migrate up` at once against an empty
// database must both succeed and apply each migration once.
func TestMigrateUpConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testkit.PostgresURL(t)
	var g errgroup.Group
	for range 3 {
		g.Go(func() error {
			s, err := pgstore.Open(ctx, url, testkit.Logger(t))
			if err != nil {
				return err
			}
			defer s.Close()
			return s.MigrateUp(ctx)
		})
	}
	require.NoError(t, g.Wait())

	s, err := pgstore.Open(ctx, url, testkit.Logger(t))
	require.NoError(t, err)
	defer s.Close()
	current, err := s.SchemaCurrent(ctx)
	require.NoError(t, err)
	require.True(t, current)

	var applied int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM ordo_schema_migrations WHERE version_id > 0`).Scan(&applied))
	ms, err := s.MigrationStatus(ctx)
	require.NoError(t, err)
	var ordo int
	for _, m := range ms {
		if m.Component == "ordo" {
			ordo++
		}
	}
	require.Equal(t, ordo, applied, "each migration recorded exactly once")
}

// Down then up again leaves a working schema.
func TestMigrateDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := pgstore.Open(ctx, testkit.PostgresURL(t), testkit.Logger(t))
	require.NoError(t, err)
	defer s.Close()
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

func TestAPIKeyGoesWithCreator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := pgstore.Open(ctx, pgtest.URL(t), testkit.Logger(t))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.MigrateUp(ctx))
	storetest.CheckAPIKeyGoesWithCreator(t, s, func(ctx context.Context, id uuid.UUID) error {
		_, err := s.Pool().Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
		return err
	})
}

func TestAuditChain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := pgstore.Open(ctx, pgtest.URL(t), testkit.Logger(t))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.MigrateUp(ctx))
	storetest.CheckAuditChain(t, s, func(ctx context.Context, sql string) error {
		// As a superuser can: with triggers off, so that the chain's
		// trigger does not re-chain what the statement writes.
		_, err := s.Pool().Exec(ctx, `BEGIN; SET LOCAL session_replication_role = replica; `+sql+`; COMMIT`)
		return err
	})
}
