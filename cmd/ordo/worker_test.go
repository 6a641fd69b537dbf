package main_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ordo/ordo/internal/testkit"
)

// `ordo worker -port N` serves its health and metrics on N: /healthz
// while alive, /readyz once its jobs run, /metrics with the job metrics.
func TestWorkerPortServesHealthAndMetrics(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	p := start(t, dir, nil, "worker", "-port", fmt.Sprint(port))

	waitStatus(t, base+"/healthz", 200, 15*time.Second)
	body := waitStatus(t, base+"/readyz", 200, 15*time.Second)
	if checks, _ := body["checks"].(map[string]any); checks["jobs"] == nil || checks["database"] == nil {
		t.Errorf("worker readyz should check its database and its job workers: %v", body)
	}
	code, text := scrape(t, base+"/metrics", "")
	if code != 200 || !strings.Contains(text, "go_goroutines") || !strings.Contains(text, "ordo_") {
		t.Errorf("worker /metrics: status %d\n%.2000s", code, text)
	}
	if code, _ := scrape(t, base+"/app", ""); code != 404 {
		t.Errorf("the worker port serves only health and metrics: /app answered %d", code)
	}
	if code, _ := p.stop(t); code != 0 {
		t.Errorf("worker exit %d", code)
	}
}

// Without -port the worker listens nowhere, even with PORT set (serve's
// port, often in the same environment).
func TestWorkerWithoutPortFlagDoesNotListen(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	port := freePort(t)
	p := start(t, dir, []string{fmt.Sprintf("PORT=%d", port)}, "worker")
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(p.stderr.String(), "ordo worker running") {
		if time.Now().After(deadline) {
			t.Fatalf("worker did not start:\n%s", p.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
		c.Close()
		t.Errorf("worker without -port listens on PORT %d", port)
	}
	if code, _ := p.stop(t); code != 0 {
		t.Errorf("worker exit %d", code)
	}
}

// A -port that cannot be listened on is a clear failure at start, not a
// worker that silently serves nothing.
func TestWorkerPortInUseFails(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, errOut, code := run(t, t.TempDir(), nil, "worker", "-port", fmt.Sprint(port))
	if code != 1 || !strings.Contains(errOut, fmt.Sprintf("listen on port %d", port)) {
		t.Errorf("worker on a busy port: exit %d, stderr:\n%s", code, errOut)
	}
}
