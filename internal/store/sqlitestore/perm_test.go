package sqlitestore_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/testkit"
)

// requirePrivate asserts that the database and its -wal and -shm files
// exist and are 0600.
func requirePrivate(t *testing.T, path string) {
	t.Helper()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), p)
	}
}

// A new database and its WAL are created 0600, like the secret file,
// whatever the umask lets through (the usual 022 would give 0644).
func TestNewDatabasePrivate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ordo.db")
	s, err := sqlitestore.Open(ctx, path, testkit.Logger(t))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.MigrateUp(ctx)) // writes, through the WAL
	requirePrivate(t, path)
}

// A database left open to others (by an older version) is made 0600 when
// opened, with its -wal and -shm.
func TestOpenTightensLooseDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ordo.db")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	require.NoError(t, os.Chmod(path, 0o644)) // past the umask
	// Another connection keeps the WAL files, made with the file's mode.
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })
	_, err = other.ExecContext(ctx, `CREATE TABLE t (x INTEGER)`)
	require.NoError(t, err)
	for _, p := range []string{path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), "SQLite gives %s the database's mode", p)
	}

	s, err := sqlitestore.Open(ctx, path, testkit.Logger(t))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	requirePrivate(t, path)
}
