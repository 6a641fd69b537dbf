package main_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ordo/ordo/internal/testkit"
)

// pooledEnv starts PgBouncer in transaction mode in front of a database
// of the test's own, and returns the database's direct URL and the
// environment of an ordo that reaches it through the pooler.
func pooledEnv(t *testing.T) (direct string, env []string) {
	t.Helper()
	direct = testkit.PostgresURL(t)
	_, pooled := testkit.StartPgBouncer(t, direct)
	return direct, []string{
		"DATABASE_URL=" + pooled,
		"DATABASE_POOLER=transaction",
		"ORDO_SECRET=" + strings.Repeat("p", 40),
	}
}

// Ordo through PgBouncer in transaction mode (DATABASE_POOLER=transaction):
// migrate, the operator CLI, serve's API (create, list, get an order) and
// a worker's jobs (an export) all go through the pooler; backups are
// refused without DATABASE_DIRECT_URL and work with it.
func TestThroughPgBouncer(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	direct, env := pooledEnv(t)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env = append(env, fmt.Sprintf("PORT=%d", port))

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

// TestBrowserThroughPgBouncer is the browser journey's core with every
// query going through PgBouncer in transaction mode: sign up and in,
// create an order through the form, find it in the orders list and open
// it, and export the orders as CSV. A worker, through the pooler too,
// sends the confirmation e-mail and makes the export.
//
// Not parallel, as TestBrowser.
func TestBrowserThroughPgBouncer(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	dir := t.TempDir()
	_, env := pooledEnv(t)
	// Files on local disk: the worker writes the export where serve
	// reads it.
	env = append(env, "ORDO_DATA_DIR="+filepath.Join(dir, "data"))
	if _, errOut, code := run(t, dir, env, "migrate", "up"); code != 0 {
		t.Fatalf("migrate up through the pooler: %s", errOut)
	}
	ctx, shots, base, _ := startBrowserRun(t, env...)
	// With PostgreSQL, jobs (the confirmation e-mail too) are a worker's.
	worker := start(t, dir, env, "worker")

	step := stepper(t, ctx)
	text := texter(t, ctx)
	const email, password = "pia@example.com", "a long pooled password"
	step("sign up", signUp(base, "Pia Pooled", email, password, "Pooled Co")...)
	step("confirm the address and log in", confirmAndLogIn(base, verifyToken(t, worker, email), email, password)...)
	if h := text("main h1"); !strings.Contains(h, "Pooled Co") {
		t.Fatalf("dashboard shows %q", h)
	}

	step("create an order through the form", orderForm(base, "Pooled Customer", "pooled@example.com", "Widget", "12.50")...)
	if h := text("main h1"); !strings.Contains(h, "ORD-000001") {
		t.Fatalf("order page shows %q", h)
	}
	orderURL, _ := chromedp.Run(ctx, chromedp.Location())

	step("open the orders list", chromedp.Navigate(base+"/app/orders"), chromedp.WaitVisible(chromedp.CSS("[data-live=orders] tbody tr")))
	if row := text("[data-live=orders] tbody tr"); !strings.Contains(row, "ORD-000001") || !strings.Contains(row, "Pooled Customer") {
		t.Fatalf("the orders list's row shows %q", row)
	}
	shoot(t, ctx, shots, "orders")
	step("open the order from the list",
		chromedp.Click(chromedp.CSS(`[data-live=orders] tbody tr a[href^="/app/orders/"]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-live=order]")),
	)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != orderURL {
		t.Fatalf("the list's link leads to %s, want %s", loc, orderURL)
	}
	if h := text("main h1"); !strings.Contains(h, "ORD-000001") {
		t.Fatalf("order page shows %q", h)
	}

	// The worker is another process and there is no Redis, so no event
	// tells the page the export is done: reload it, as a person would.
	step("export CSV", requestExport(base, "csv")...)
	for deadline := time.Now().Add(30 * time.Second); ; {
		done, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('a[href$="/download"]')`))
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the export shows no download link within 30 s:\n%s", text("main"))
		}
		time.Sleep(250 * time.Millisecond)
		step("reload the exports", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("[data-live=exports]")))
	}
	shoot(t, ctx, shots, "exports")
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`a[href$="/download"]`), "href"))
	if err != nil {
		t.Fatal(err)
	}
	if csvText := string(fetchAsBrowser(t, ctx, base+href.Value)); !strings.Contains(csvText, "Pooled Customer") {
		t.Fatalf("the CSV download lacks the order:\n%s", csvText)
	}
}
