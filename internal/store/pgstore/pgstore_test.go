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
	storetest.Exercise(t, pgtest.Store(t))
}

// Two processes running `ordo migrate up` at once against an empty
// database must both succeed and apply each migration once.
func TestMigrateUpConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testkit.PostgresURL(t)
	s := migrateUpConcurrently(t, url, url)

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

// migrateUpConcurrently runs three MigrateUps at once through via (with
// opts), checks that the database at direct, the same one, is then
// current, and returns a store on direct.
func migrateUpConcurrently(t *testing.T, via, direct string, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	ctx := context.Background()
	var g errgroup.Group
	for range 3 {
		g.Go(func() error {
			s, err := pgstore.Open(ctx, via, testkit.Logger(t), opts...)
			if err != nil {
				return err
			}
			defer s.Close()
			return s.MigrateUp(ctx)
		})
	}
	require.NoError(t, g.Wait())
	s := pgtest.Open(t, direct)
	current, err := s.SchemaCurrent(ctx)
	require.NoError(t, err)
	require.True(t, current)
	return s
}

// Down then up again leaves a working schema.
func TestMigrateDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := pgtest.Open(t, testkit.PostgresURL(t))
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
	s := pgtest.Store(t)
	storetest.CheckAPIKeyGoesWithCreator(t, s, func(ctx context.Context, id uuid.UUID) error {
		_, err := s.Pool().Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
		return err
	})
}

func TestAuditChain(t *testing.T) {
	t.Parallel()
	s := pgtest.Store(t)
	storetest.CheckAuditChain(t, s, func(ctx context.Context, sql string) error {
		// As a superuser can: with triggers off, so that the chain's
		// trigger does not re-chain what the statement writes.
		_, err := s.Pool().Exec(ctx, `BEGIN; SET LOCAL session_replication_role = replica; `+sql+`; COMMIT`)
		return err
	})
}
