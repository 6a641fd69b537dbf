// Package pgtest gives a test a PostgreSQL database that already has
// Ordo's schema: a clone of a template migrated once (see
// testkit.PostgresTemplateURL), which is much faster than migrating a
// fresh database per test. Tests of migrating itself use
// testkit.PostgresURL, which gives an empty database.
package pgtest

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/testkit"
)

// URL creates a database with Ordo's current schema for this test and
// returns its URL; the database is dropped when the test ends.

// schemaHash hashes the migrations once per test binary, not per database.
var schemaHash = sync.OnceValues(pgstore.SchemaHash)

func URL(t testing.TB) string {
	t.Helper()
	hash, err := schemaHash()
	if err != nil {
		t.Fatal(err)
	}
	return testkit.PostgresTemplateURL(t, "ordo_tmpl_"+hash[:16], migrate)
}

func migrate(ctx context.Context, url string) error {
	s, err := pgstore.Open(ctx, url, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	// Close ends every connection to the template: PostgreSQL refuses to
	// clone a database that has other sessions.
	defer s.Close()
	return s.MigrateUp(ctx)
}

// Open opens the store on url, a test database (URL's, testkit's, or a
// test server's, directly or through a pooler), with opts, logging to t,
// and closes it when the test ends. It does not migrate: URL's databases
// have the schema already; see Migrate for the others.
func Open(t testing.TB, url string, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), url, testkit.Logger(t), opts...)
	if err != nil {
		t.Fatalf("open the test store: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Store opens the store on a database of this test's own with Ordo's
// current schema (URL).
func Store(t testing.TB, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	return Open(t, URL(t), opts...)
}

// Migrate brings the database at url to Ordo's current schema, leaving
// no connection open (a standby can then be cloned from its server).
func Migrate(t testing.TB, url string) {
	t.Helper()
	if err := migrate(context.Background(), url); err != nil {
		t.Fatalf("migrate the test database: %v", err)
	}
}
