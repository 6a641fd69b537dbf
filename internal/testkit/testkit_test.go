package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// testTemplate names a template of this test's own and drops it when the
// test ends.
func testTemplate(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := templatePrefix + "selftest_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, adminURL())
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "ALTER DATABASE "+name+" WITH IS_TEMPLATE false")
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return name
}

func createTable(ctx context.Context, url string) error {
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "CREATE TABLE migrated (x int)")
	return err
}

func hasTable(t *testing.T, url string) bool {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'migrated'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// Test binaries asking for the same template at once build it once, and
// every clone has what the build made.
func TestPostgresTemplateBuiltOnce(t *testing.T) {
	PostgresURL(t) // skips without PostgreSQL
	tmpl := testTemplate(t)
	var builds atomic.Int32
	migrate := func(ctx context.Context, url string) error {
		builds.Add(1)
		return createTable(ctx, url)
	}
	urls := make([]string, 4)
	var wg sync.WaitGroup
	for i := range urls {
		wg.Go(func() { urls[i] = PostgresTemplateURL(t, tmpl, migrate) })
	}
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Fatalf("the template was built %d times", n)
	}
	for _, u := range urls {
		if !hasTable(t, u) {
			t.Fatalf("clone %s lacks the migrated table", u)
		}
	}
}

// A template left half-built (its build died before marking it complete)
// is built again, not cloned.
func TestPostgresTemplateHalfBuilt(t *testing.T) {
	PostgresURL(t)
	tmpl := testTemplate(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+tmpl); err != nil {
		t.Fatal(err)
	}
	u := PostgresTemplateURL(t, tmpl, createTable)
	if !hasTable(t, u) {
		t.Fatal("the half-built template was cloned as it was")
	}
}
