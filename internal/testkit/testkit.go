// Package testkit holds test helpers shared by Ordo's packages: a logger
// that writes to t.Log, a fresh PostgreSQL database per test run, and the
// rule for services that are missing (skip on a laptop, fail in CI).
package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"
)

// InCI reports whether the tests run in CI, where every service must be
// present: a missing one fails the run instead of skipping.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips the test on a developer machine and fails it in CI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("required service missing (CI=true): %s", msg)
	}
	t.Skipf("skipping: %s (set CI=true to make this a failure)", msg)
}

// SkipShort skips a test under `go test -short`: the developer's fast loop
// leaves out the suites that run the ordo binary or a browser, or that
// take minutes. `make test` and CI never pass -short, so they still run.
func SkipShort(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("skipped with -short (%s); `make test` runs it", why)
	}
}

// Logger returns a logger that writes through t.Log, at debug level when
// ORDO_TEST_DEBUG is set and at warn level otherwise.
func Logger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("ORDO_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: level}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// DefaultPostgresURL is the server tests use unless ORDO_TEST_DATABASE_URL
// names another: the local one, as CI has it.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PostgresURL creates an empty database for this test and returns its URL;
// the database is dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return createDatabase(t, "")
}

// PostgresTemplateURL is PostgresURL for a database cloned from template
// (CREATE DATABASE ... TEMPLATE), which migrate builds once for every test
// binary and run that asks for the same name: cloning takes a fraction of
// the time of migrating afresh. The name must change whenever what migrate
// does changes (pgtest names it by a hash of the migrations), so that a
// stale template is never cloned; templates of other names are dropped
// once they are an hour old.
func PostgresTemplateURL(t testing.TB, template string, migrate func(ctx context.Context, url string) error) string {
	t.Helper()
	return createDatabase(t, template, migrate)
}

func adminURL() string {
	if u := os.Getenv("ORDO_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// createDatabase creates a database for t, from template when one is
// named (built by migrate[0] if it does not exist yet).
func createDatabase(t testing.TB, template string, migrate ...func(ctx context.Context, url string) error) string {
	t.Helper()
	admin := adminURL()
	// Building a template migrates, which takes seconds on a loaded
	// machine, and may wait for another test binary building it.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		Missing(t, "no PostgreSQL at %s: %v", redact(admin), err)
	}
	defer conn.Close(context.Background())

	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "ordo_test_" + hex.EncodeToString(b)
	if template == "" {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatalf("create test database: %v", err)
		}
	} else if err := cloneTemplate(ctx, conn, admin, template, name, migrate[0]); err != nil {
		t.Fatalf("create test database from template %s: %v", template, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(t, admin, name)
}

func withDatabase(t testing.TB, admin, name string) string {
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", redact(admin), err)
	}
	u.Path = "/" + name
	return u.String()
}

// templateLockID is the advisory lock under which test binaries build
// templates ("ordotmpl" in ASCII).
const templateLockID = 0x6f72646f746d706c

// templatePrefix starts the name of every test template, so that stale
// ones can be found and dropped.
const templatePrefix = "ordo_tmpl_"

// cloneTemplate creates database name from template, building the
// template first if it is missing.
func cloneTemplate(ctx context.Context, conn *pgx.Conn, admin, template, name string, migrate func(ctx context.Context, url string) error) error {
	for attempt := 0; ; attempt++ {
		if err := ensureTemplate(ctx, conn, admin, template, migrate); err != nil {
			return err
		}
		_, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+template)
		var pgErr *pgconn.PgError
		switch {
		case err == nil:
			return nil
		case attempt >= 20 || !errors.As(err, &pgErr):
			return err
		case pgErr.Code == "3D000":
			// invalid_catalog_name: a test binary of other migrations
			// dropped the template as stale just now; build it again.
		case pgErr.Code == "55006":
			// object_in_use: "source database is being accessed by other
			// users". Nothing connects to a finished template (it allows
			// no connections), but PostgreSQL can still count the
			// backend of the migration that just closed as it exits.
			select {
			case <-ctx.Done():
				return err
			case <-time.After(250 * time.Millisecond):
			}
		default:
			return err
		}
	}
}

// ensureTemplate builds template unless it is complete. A complete
// template is marked IS_TEMPLATE, which is set last, so a template left
// half-built by a test binary that died is built again.
func ensureTemplate(ctx context.Context, conn *pgx.Conn, admin, template string, migrate func(ctx context.Context, url string) error) error {
	ready := func() (ready, exists bool, err error) {
		err = conn.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", template).Scan(&ready)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, false, nil
		}
		return ready, err == nil, err
	}
	if ok, _, err := ready(); err != nil || ok {
		return err
	}
	// Several test binaries start at once: one builds, the others wait.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(templateLockID)); err != nil {
		return fmt.Errorf("take template lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(templateLockID))
	}()
	ok, exists, err := ready()
	if err != nil || ok {
		return err
	}
	if exists {
		if _, err := conn.Exec(ctx, "DROP DATABASE "+template+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop half-built template: %w", err)
		}
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+template); err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return err
	}
	u.Path = "/" + template
	if err := migrate(ctx, u.String()); err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	// No connections from now on: a connected session would make every
	// clone fail. The comment dates the template for dropStaleTemplates.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+template+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("mark template: %w", err)
	}
	if _, err := conn.Exec(ctx, "COMMENT ON DATABASE "+template+" IS '"+time.Now().UTC().Format(time.RFC3339)+"'"); err != nil {
		return fmt.Errorf("date template: %w", err)
	}
	dropStaleTemplates(ctx, conn, template)
	return nil
}

// dropStaleTemplates drops the templates of other migrations built more
// than an hour ago; best effort. The hour spares a test run of another
// checkout (a branch with other migrations) that is cloning its template
// right now; if it loses it anyway, it builds it again.
func dropStaleTemplates(ctx context.Context, conn *pgx.Conn, keep string) {
	rows, err := conn.Query(ctx, `SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '')
		FROM pg_database WHERE starts_with(datname, $1) AND datname <> $2`, templatePrefix, keep)
	if err != nil {
		return
	}
	type tmpl struct{ name, built string }
	var stale []tmpl
	for rows.Next() {
		var tm tmpl
		if rows.Scan(&tm.name, &tm.built) == nil {
			stale = append(stale, tm)
		}
	}
	rows.Close()
	for _, tm := range stale {
		if built, err := time.Parse(time.RFC3339, tm.built); err == nil && time.Since(built) < time.Hour {
			continue
		}
		_, _ = conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{tm.name}.Sanitize()+" WITH IS_TEMPLATE false")
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{tm.name}.Sanitize()+" WITH (FORCE)")
	}
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// DefaultRedisURL is the server tests use unless ORDO_TEST_REDIS_URL names
// another.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// RedisURL returns the URL of a reachable Redis, or skips (fails in CI).
func RedisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("ORDO_TEST_REDIS_URL")
	if u == "" {
		u = DefaultRedisURL
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("ORDO_TEST_REDIS_URL: %v", err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		Missing(t, "no Redis at %s: %v", redact(u), err)
	}
	return u
}

// SyncBuffer collects a child process's output; safe to read while it
// is written.
type SyncBuffer = lockedBuffer

// lockedBuffer collects a child process's output safely.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
