package main_test

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ordo/ordo/internal/testkit"
)

// An operator suspends a tenant with `ordo tenants suspend SLUG` while
// `ordo serve` runs: its key gets 403 tenant-suspended at once (the other
// process's cached status is forgotten through the database-backed auth
// cache), `ordo tenants list` shows it suspended, and `resume` gives it
// back.
func TestTenantsSuspendCLI(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	port := freePort(t)
	env := []string{fmt.Sprintf("PORT=%d", port)}
	run := func(args ...string) string {
		t.Helper()
		out, errOut, code := runIn(t, dir, env, "a strong passphrase\n", args...)
		if code != 0 {
			t.Fatalf("ordo %s: %d %s", strings.Join(args, " "), code, errOut)
		}
		return out
	}
	run("users", "create", "--email", "ops@example.com")
	run("tenants", "create", "--name", "Paused Inc", "--owner", "ops@example.com")
	key := strings.TrimSpace(run("apikeys", "create", "--tenant", "paused-inc", "--role", "admin"))

	start(t, dir, env)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitStatus(t, base+"/readyz", 200, 10*time.Second)
	get := func() (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/api/v1/orders", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var p struct{ Type string }
		_ = json.NewDecoder(res.Body).Decode(&p)
		return res.StatusCode, p.Type
	}
	if code, _ := get(); code != 200 {
		t.Fatalf("before suspension: %d", code)
	}
	run("tenants", "suspend", "paused-inc")
	if list := run("tenants", "list"); !strings.Contains(list, "paused-inc") || !strings.Contains(list, "suspended") {
		t.Fatalf("tenants list after suspend:\n%s", list)
	}
	// The server caches a tenant's status; the CLI's change reaches it
	// within the cache's lifetime at most.
	var code int
	var typ string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if code, typ = get(); code == 403 {
			break
		}
	}
	if code != 403 || typ != "https://ordo.dev/problems/tenant-suspended" {
		t.Fatalf("a suspended tenant's key: %d %s", code, typ)
	}
	run("tenants", "resume", "paused-inc")
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if code, _ = get(); code == 200 {
			break
		}
	}
	if code != 200 {
		t.Fatalf("after resume: %d", code)
	}

	if list := run("tenants", "list"); !strings.Contains(list, "active") {
		t.Fatalf("tenants list after resume:\n%s", list)
	}

	// Deleted, it answers 403 tenant-deleted until restored; deleted
	// --now, it is purged at once: the key is gone with it.
	waitFor := func(wantCode int, wantType string) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if code, typ = get(); code == wantCode && (wantType == "" || typ == wantType) {
				return
			}
		}
		t.Fatalf("want %d %s, got %d %s", wantCode, wantType, code, typ)
	}
	// Plans and limits: set, shown, refused when wrong.
	run("tenants", "set-plan", "paused-inc", "pro")
	if list := run("tenants", "list"); !strings.Contains(list, "pro") {
		t.Fatalf("tenants list after set-plan:\n%s", list)
	}
	run("tenants", "limit", "paused-inc", "orders_per_month", "5")
	run("tenants", "limit", "paused-inc", "orders_per_month", "default")
	run("plans", "limit", "pro", "members", "unlimited")
	run("plans", "limit", "pro", "members", "default")
	for _, bad := range [][]string{{"tenants", "set-plan", "paused-inc", "gold"}, {"tenants", "limit", "paused-inc", "seats", "5"}, {"plans", "limit", "pro", "members", "many"}} {
		if _, _, code := runIn(t, dir, env, "", bad...); code == 0 {
			t.Fatalf("ordo %s succeeded", strings.Join(bad, " "))
		}
	}
	// Operators and users: made operator and listed, disabled and
	// enabled, logged out, password reset; an unknown address refused.
	run("operators", "add", "ops@example.com")
	if list := run("operators", "list"); !strings.Contains(list, "ops@example.com") {
		t.Fatalf("operators list:\n%s", list)
	}
	for _, sub := range []string{"disable", "enable", "logout", "reset-password"} {
		run("users", sub, "ops@example.com")
	}
	run("operators", "remove", "ops@example.com")
	if list := run("operators", "list"); strings.Contains(list, "ops@example.com") {
		t.Fatalf("operators list after remove:\n%s", list)
	}
	for _, bad := range [][]string{{"operators", "add", "nobody@example.com"}, {"operators", "remove", "ops@example.com"}, {"users", "disable", "nobody@example.com"}} {
		if _, _, code := runIn(t, dir, env, "", bad...); code == 0 {
			t.Fatalf("ordo %s succeeded", strings.Join(bad, " "))
		}
	}
	run("tenants", "delete", "paused-inc")
	waitFor(403, "https://ordo.dev/problems/tenant-deleted")
	if list := run("tenants", "list"); !strings.Contains(list, "deleted") {
		t.Fatalf("tenants list after delete:\n%s", list)
	}
	run("tenants", "restore", "paused-inc")
	waitFor(200, "")
	run("tenants", "delete", "paused-inc", "--now")
	waitFor(401, "")
	if list := run("tenants", "list"); strings.Contains(list, "paused-inc") {
		t.Fatalf("tenants list after a purge:\n%s", list)
	}
}

// The documented way from the embedded SQLite mode to PostgreSQL and S3:
// `ordo tenants export` in the one, `ordo tenants import` in the other;
// exported again from PostgreSQL, every table holds the same rows.
// Importing it twice is refused.
func TestTenantArchiveCLI(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	s3 := testkit.S3Server(t)
	embedded := []string{}
	production := []string{
		"DATABASE_URL=" + testkit.PostgresURL(t),
		"S3_ENDPOINT=" + s3.Endpoint, "S3_BUCKET=ordo-archive-e2e",
		"S3_ACCESS_KEY_ID=" + s3.AccessKey, "S3_SECRET_ACCESS_KEY=" + s3.SecretKey,
		"S3_FORCE_PATH_STYLE=true", "S3_CREATE_BUCKET=true",
		"ORDO_SECRET=" + strings.Repeat("k", 40),
	}
	run := func(env []string, args ...string) string {
		t.Helper()
		out, errOut, code := runIn(t, dir, env, "", args...)
		if code != 0 {
			t.Fatalf("ordo %s: %d %s", strings.Join(args, " "), code, errOut)
		}
		return out
	}
	run(embedded, "seed", "-orders", "40")
	run(embedded, "tenants", "export", "acme", "acme.zip")
	run(production, "migrate", "up")
	if slug := strings.TrimSpace(run(production, "tenants", "import", "acme.zip")); slug != "acme" {
		t.Fatalf("import printed %q", slug)
	}
	if list := run(production, "tenants", "list"); !strings.Contains(list, "acme") {
		t.Fatalf("tenants list after import:\n%s", list)
	}
	run(production, "tenants", "export", "acme", "back.zip")
	want, got := archiveTables(t, filepath.Join(dir, "acme.zip")), archiveTables(t, filepath.Join(dir, "back.zip"))
	if len(want["orders"]) != 40 {
		t.Fatalf("the archive holds %d orders, want 40", len(want["orders"]))
	}
	if !reflect.DeepEqual(want, got) {
		for name := range want {
			if !reflect.DeepEqual(want[name], got[name]) {
				t.Errorf("table %s differs after the round trip:\nsqlite:   %v\npostgres: %v", name, want[name], got[name])
			}
		}
	}
	if _, errOut, code := runIn(t, dir, production, "", "tenants", "import", "acme.zip"); code == 0 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("a second import: exit %d, %s", code, errOut)
	}
}

// archiveTables reads each table of an archive as decoded JSON rows.
func archiveTables(t *testing.T, path string) map[string][]any {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]any{}
	for _, f := range zr.File {
		name, ok := strings.CutPrefix(f.Name, "tables/")
		if !ok {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(rc)
		dec.UseNumber()
		rows := []any{}
		for dec.More() {
			var row any
			if err := dec.Decode(&row); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, row)
		}
		rc.Close()
		out[strings.TrimSuffix(name, ".jsonl")] = rows
	}
	return out
}
