package main_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/testkit"
)

var backupLine = regexp.MustCompile(`(?m)^backup (\d{8}T\d{6}Z): `)

// backupID runs `ordo backup` and returns the new backup's id.
func backupID(t *testing.T, dir string, env []string) string {
	t.Helper()
	out, errOut, code := run(t, dir, env, "backup")
	m := backupLine.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("backup: exit %d\n%s\n%s", code, out, errOut)
	}
	return m[1]
}

// Embedded mode: back up while serving, refuse to restore over a running
// server or a database with data, wipe the database (not the blobs),
// restore, and serve the same orders again.
func TestBackupRestoreEmbedded(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	if out, errOut, code := run(t, dir, nil, "seed", "-orders", "25"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	key, _, _ := runIn(t, dir, nil, "", "apikeys", "create", "--tenant", "acme", "--role", "viewer")
	port := freePort(t)
	env := []string{fmt.Sprintf("PORT=%d", port)}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	p := start(t, dir, env)
	waitStatus(t, base+"/readyz", 200, 10*time.Second)

	id := backupID(t, dir, env)
	out, errOut, code := run(t, dir, env, "backup", "list")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "sqlite") || !strings.HasPrefix(out, "ID ") {
		t.Errorf("backup list: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code := run(t, dir, env, "restore", id); code != 1 || !strings.Contains(errOut, "stop serve and worker") {
		t.Errorf("restore while serving: exit %d, %s", code, errOut)
	}
	p.stop(t)
	if _, errOut, code := run(t, dir, env, "restore", id); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("restore over data: exit %d, %s", code, errOut)
	}
	if _, errOut, code := run(t, dir, env, "restore"); code != 2 || !strings.Contains(errOut, "restore needs the id") {
		t.Errorf("restore without id: exit %d, %s", code, errOut)
	}

	// Wipe the database; object storage (data/blobs) stays.
	for _, f := range []string{"ordo.db", "ordo.db-wal", "ordo.db-shm"} {
		_ = os.Remove(filepath.Join(dir, "data", f))
	}
	out, errOut, code = run(t, dir, env, "restore", id)
	if code != 0 || !strings.Contains(out, "restored backup "+id) || !strings.Contains(out, "all present") {
		t.Fatalf("restore: exit %d\n%s\n%s", code, out, errOut)
	}

	p = start(t, dir, env)
	waitStatus(t, base+"/readyz", 200, 10*time.Second)
	status, body := api(t, "GET", base+"/api/v1/orders?limit=200", strings.TrimSpace(key), nil)
	if data, _ := body["data"].([]any); status != 200 || len(data) != 25 {
		t.Errorf("orders after restore: status %d, %d orders", status, len(data))
	}
	p.stop(t)
}

// Production mode: pg_dump into S3, restore into a new database.
func TestBackupRestoreProduction(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	s3 := testkit.S3Server(t)
	env := func(dbURL string) []string {
		return []string{
			"DATABASE_URL=" + dbURL,
			"S3_ENDPOINT=" + s3.Endpoint,
			"S3_BUCKET=ordo-backup-e2e",
			"S3_ACCESS_KEY_ID=" + s3.AccessKey,
			"S3_SECRET_ACCESS_KEY=" + s3.SecretKey,
			"S3_FORCE_PATH_STYLE=true",
			"S3_CREATE_BUCKET=true",
			"ORDO_SECRET=" + strings.Repeat("k", 40),
		}
	}
	src := testkit.PostgresURL(t)
	for _, args := range [][]string{{"migrate", "up"}, {"seed", "-orders", "40"}} {
		if out, errOut, code := run(t, dir, env(src), args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
	}
	// The bucket is made by S3_CREATE_BUCKET at the first start-up that
	// opens S3; backup opens it through the same path.
	port := freePort(t)
	p := start(t, dir, append(env(src), fmt.Sprintf("PORT=%d", port)), "serve")
	waitStatus(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", port), 200, 10*time.Second)
	id := backupID(t, dir, env(src))
	p.stop(t)

	dst := testkit.PostgresURL(t)
	out, errOut, code := run(t, dir, env(dst), "restore", id)
	if code != 0 || !strings.Contains(out, "restored backup "+id) || !strings.Contains(out, "postgres database") {
		t.Fatalf("restore: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code := run(t, dir, env(dst), "migrate", "up"); code != 0 {
		t.Fatalf("migrate up after restore: %s", errOut)
	}
	conn, err := pgx.Connect(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM orders`).Scan(&n); err != nil || n != 40 {
		t.Errorf("orders after restore: %d (%v)", n, err)
	}
	if _, errOut, code := run(t, dir, env(dst), "restore", id); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("second restore: exit %d, %s", code, errOut)
	}
}
