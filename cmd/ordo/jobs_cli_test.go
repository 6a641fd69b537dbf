package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ordo/ordo/internal/testkit"
)

// `ordo jobs failed --tenant SLUG` lists the tenant's failing webhook
// deliveries too: they retry outside the job queue, so the queue's failed
// jobs alone would say that everything went through.
func TestJobsFailedListsWebhookDeliveries(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer receiver.Close()
	dir := t.TempDir()
	port := freePort(t)
	env := []string{fmt.Sprintf("PORT=%d", port), "ORDO_WEBHOOKS_ALLOW_PRIVATE=true"}
	if _, errOut, code := runIn(t, dir, env, "a strong passphrase\n", "users", "create", "--email", "hooks@example.com"); code != 0 {
		t.Fatalf("users create: %d %s", code, errOut)
	}
	if _, errOut, code := runIn(t, dir, env, "", "tenants", "create", "--name", "Hooks Inc", "--owner", "hooks@example.com"); code != 0 {
		t.Fatalf("tenants create: %d %s", code, errOut)
	}
	key, errOut, code := runIn(t, dir, env, "", "apikeys", "create", "--tenant", "hooks-inc", "--role", "admin")
	if code != 0 {
		t.Fatalf("apikeys create: %d %s", code, errOut)
	}
	key = strings.TrimSpace(key)

	p := start(t, dir, env)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitStatus(t, base+"/readyz", 200, 10*time.Second)
	call := func(method, path string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		if res.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %v", method, path, res.StatusCode, out)
		}
		return out
	}
	ep := call("POST", "/api/v1/webhook-endpoints", map[string]any{"url": receiver.URL})["id"].(string)
	call("POST", "/api/v1/webhook-endpoints/"+ep+"/test", nil)

	// The first attempt fails; the next is minutes away: retrying.
	deadline := time.Now().Add(20 * time.Second)
	var out, errs string
	for {
		out, errs, code = runIn(t, dir, env, "", "jobs", "failed", "--tenant", "hooks-inc")
		if code == 0 && strings.Contains(out, "retrying") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs failed never listed the retrying delivery: exit %d\n%s\n%s", code, out, errs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{"WEBHOOK DELIVERY", "webhook.test", receiver.URL, "HTTP 500"} {
		if !strings.Contains(out, want) {
			t.Errorf("jobs failed --tenant: no %q in\n%s", want, out)
		}
	}
	// Without --tenant it says where to look.
	if _, errs, code := runIn(t, dir, env, "", "jobs", "failed"); code != 0 || !strings.Contains(errs, "--tenant") {
		t.Errorf("jobs failed: exit %d, stderr %q", code, errs)
	}
	p.stop(t)
}
