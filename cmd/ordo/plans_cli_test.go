package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordo/ordo/internal/testkit"
)

// An operator changes a tenant's plan and limits from the command line
// while `ordo serve` runs: `ordo tenants limit SLUG orders_per_month 1`
// lets one order through and answers the next with 403 plan-limit;
// `default` removes the override and the plan's value applies again;
// `ordo tenants set-plan` shows in `tenants list` and GET /api/v1/usage;
// `ordo plans limit` overrides a plan's value; bad input is a usage error.
func TestPlansCLI(t *testing.T) {
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
	run("tenants", "create", "--name", "Limited Inc", "--owner", "ops@example.com")
	key := strings.TrimSpace(run("apikeys", "create", "--tenant", "limited-inc", "--role", "admin"))
	run("tenants", "limit", "limited-inc", "orders_per_month", "1")
	for _, bad := range [][]string{
		{"tenants", "limit", "limited-inc", "orders_per_month", "lots"},
		{"tenants", "limit", "limited-inc", "orders"},
	} {
		if _, _, code := runIn(t, dir, env, "", bad...); code != 2 {
			t.Fatalf("ordo %s: exit %d, want 2", strings.Join(bad, " "), code)
		}
	}
	for _, bad := range [][]string{
		{"tenants", "limit", "limited-inc", "seats", "3"},
		{"tenants", "set-plan", "limited-inc", "gold"},
		{"plans", "limit", "gold", "members", "3"},
	} {
		if _, _, code := runIn(t, dir, env, "", bad...); code == 0 {
			t.Fatalf("ordo %s succeeded", strings.Join(bad, " "))
		}
	}

	start(t, dir, env)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitStatus(t, base+"/readyz", 200, 10*time.Second)
	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	order := `{"customer_name":"Kim","customer_email":"kim@example.com","currency":"EUR","items":[{"name":"Widget","quantity":1,"unit_price":100}]}`
	if code, body := call("POST", "/api/v1/orders", order); code != 201 {
		t.Fatalf("first order: %d %v", code, body)
	}
	code, body := call("POST", "/api/v1/orders", order)
	if code != 403 || body["type"] != "https://ordo.dev/problems/plan-limit" || body["limit"] != "orders_per_month" {
		t.Fatalf("order past the limit: %d %v", code, body)
	}
	run("tenants", "limit", "limited-inc", "orders_per_month", "default")
	if code, body := call("POST", "/api/v1/orders", order); code != 201 {
		t.Fatalf("order once the override is gone: %d %v", code, body)
	}

	run("tenants", "set-plan", "limited-inc", "pro")
	if list := run("tenants", "list"); !strings.Contains(list, "pro") {
		t.Fatalf("tenants list after set-plan:\n%s", list)
	}
	run("plans", "limit", "pro", "webhook_endpoints", "0")
	defer run("plans", "limit", "pro", "webhook_endpoints", "default")
	code, body = call("GET", "/api/v1/usage", "")
	if code != 200 || body["plan"] != "pro" {
		t.Fatalf("usage: %d %v", code, body)
	}
	for _, l := range body["limits"].([]any) {
		m := l.(map[string]any)
		if m["name"] == "webhook_endpoints" && m["limit"] != float64(0) {
			t.Fatalf("webhook_endpoints after plans limit: %v", m)
		}
	}
	code, body = call("GET", "/api/v1/audit-log", "")
	if code != 200 {
		t.Fatalf("audit log: %d", code)
	}
	seen := map[string]bool{}
	for _, e := range body["data"].([]any) {
		seen[e.(map[string]any)["action"].(string)] = true
	}
	if !seen["tenant.plan_changed"] || !seen["tenant.limit_changed"] {
		t.Fatalf("audit log lacks the operator's changes: %v", seen)
	}
}
