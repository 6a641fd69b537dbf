package main_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ordo/ordo/internal/testkit"
)

// Ordo through PgBouncer in transaction mode (DATABASE_POOLER=transaction):
// migrate, the operator CLI, serve's API (create, list, get an order) and
// a worker's jobs (an export) all go through the pooler; backups are
// refused without DATABASE_DIRECT_URL and work with it.
func TestThroughPgBouncer(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	direct := testkit.PostgresURL(t)
	_, pooled := testkit.StartPgBouncer(t, direct)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := []string{
		"DATABASE_URL=" + pooled,
		"DATABASE_POOLER=transaction",
		"ORDO_SECRET=" + strings.Repeat("p", 40),
		fmt.Sprintf("PORT=%d", port),
	}

	// A setting that cannot work through the pooler is refused at start.
	if _, errOut, code := run(t, dir, append(env, "ORDO_BACKUP_NIGHTLY=true"), "serve"); code != 2 || !strings.Contains(errOut, "DATABASE_DIRECT_URL") {
		t.Errorf("nightly backups through the pooler: exit %d, want 2 naming DATABASE_DIRECT_URL:\n%s", code, errOut)
	}

	key := seededKey(t, dir, env, 5) // migrate up and seed through the pooler
	start(t, dir, env, "serve")
	start(t, dir, env, "worker")
	waitStatus(t, base+"/readyz", 200, 20*time.Second)

	code, created := api(t, "POST", base+"/api/v1/orders", key, map[string]any{
		"customer_name": "Pooled Paula", "customer_email": "paula@example.com", "currency": "EUR",
		"items": []map[string]any{{"name": "Widget", "quantity": 2, "unit_price": 150}},
	})
	if code != 201 {
		t.Fatalf("create order: %d %v", code, created)
	}
	id, _ := created["id"].(string)
	if code, got := api(t, "GET", base+"/api/v1/orders/"+id, key, nil); code != 200 || got["customer_name"] != "Pooled Paula" {
		t.Errorf("get order: %d %v", code, got)
	}
	code, list := api(t, "GET", base+"/api/v1/orders?limit=200", key, nil)
	data, _ := list["data"].([]any)
	if code != 200 || len(data) != 6 {
		t.Errorf("list orders: %d, %d orders, want 6", code, len(data))
	}

	// A job through the worker, found by polling.
	code, exp := api(t, "POST", base+"/api/v1/orders/export", key, map[string]any{"format": "csv"})
	if code != 202 {
		t.Fatalf("create export: %d %v", code, exp)
	}
	expID, _ := exp["id"].(string)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, e := api(t, "GET", base+"/api/v1/exports/"+expID, key, nil)
		if e["status"] == "completed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the export did not complete within 30 s through the pooler: %v", e)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// pg_dump needs a session: refused through the pooler alone, done
	// through DATABASE_DIRECT_URL.
	if _, errOut, code := run(t, dir, env, "backup"); code == 0 || !strings.Contains(errOut, "DATABASE_DIRECT_URL") {
		t.Errorf("backup through the pooler: exit %d, want a failure naming DATABASE_DIRECT_URL:\n%s", code, errOut)
	}
	backupID(t, dir, append(env, "DATABASE_DIRECT_URL="+direct))
}
