package main_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/testkit"
)

// scrape GETs a metrics endpoint and returns its text; token, if set, is
// sent as a bearer token.
func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// waitMetric scrapes url until its text matches re.
func waitMetric(t *testing.T, url string, re *regexp.Regexp, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, text := scrape(t, url, "")
		if code == 200 && re.MatchString(text) {
			return text
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has no %s within %s (status %d):\n%s", url, re, within, code, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get(t *testing.T, url string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
}

// Embedded mode with ORDO_METRICS_ADDR and ORDO_METRICS_TOKEN: a valid
// exposition on the metrics port, labelled by route pattern, never by raw
// path; on the main port only with the token.
func TestMetricsEmbedded(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	port, mport := freePort(t), freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	murl := fmt.Sprintf("http://127.0.0.1:%d/metrics", mport)
	token := strings.Repeat("m", 32)
	p := start(t, dir, []string{fmt.Sprintf("PORT=%d", port), fmt.Sprintf("ORDO_METRICS_ADDR=127.0.0.1:%d", mport), "ORDO_METRICS_TOKEN=" + token})
	waitStatus(t, base+"/readyz", 200, 10*time.Second)

	id := uuid.NewString()
	get(t, base+"/healthz")
	get(t, base+"/app/orders/"+id)
	get(t, base+"/api/v1/orders/"+id)
	get(t, base+"/no/such/page/"+id)

	// The purge job runs once at start: the worker in this process
	// reports it.
	text := waitMetric(t, murl, regexp.MustCompile(`ordo_jobs_total\{kind="purge_expired",outcome="completed",queue="maintenance"\} [1-9]`), 15*time.Second)
	testkit.CheckMetrics(t, []byte(text))
	for _, want := range []string{
		`ordo_http_requests_total{code="200",method="GET",route="/healthz"}`,
		`ordo_http_requests_total{code="303",method="GET",route="/app/orders/{id}"}`,
		`ordo_http_requests_total{code="401",method="GET",route="/api/v1/orders/{id}"}`,
		`ordo_http_requests_total{code="404",method="GET",route="unmatched"}`,
		`ordo_http_request_duration_seconds_bucket{method="GET",route="/app/orders/{id}",le="0.005"}`,
		`ordo_http_requests_in_flight `,
		`ordo_job_run_duration_seconds_count{kind="purge_expired"}`,
		`ordo_job_queue_depth{queue="exports",state="available"}`,
		`ordo_job_queue_depth_up 1`,
		`ordo_db_pool_connections `,
		`ordo_db_pool_max_connections 8`,
		`ordo_db_pool_empty_acquires_total `,
		`ordo_ratelimit_fail_open_total 0`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, id) {
		t.Error("a raw request path became a label value")
	}
	if strings.Contains(text, "ordo_db_pool_acquires_total") {
		t.Error("SQLite does not count acquires: the metric must be left out")
	}

	// The main port: 404 without the token, as for any unknown path.
	for _, tok := range []string{"", "wrong-token-wrong-token-wrong"} {
		if code, _ := scrape(t, base+"/metrics", tok); code != 404 {
			t.Errorf("/metrics on the main port with token %q: status %d, want 404", tok, code)
		}
	}
	code, text := scrape(t, base+"/metrics", token)
	if code != 200 || !strings.Contains(text, "ordo_http_requests_total") {
		t.Errorf("/metrics on the main port with the token: status %d\n%s", code, text)
	}
	// Profiles only with ORDO_PPROF (TestPprof).
	if code, _ := scrape(t, fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/", mport), ""); code != 404 {
		t.Errorf("/debug/pprof/ on the metrics port without ORDO_PPROF: status %d, want 404", code)
	}
	if code, _ := p.stop(t); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// ORDO_PPROF serves Go's profiles on the metrics listener, never on the
// main port.
func TestPprof(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	port, mport := freePort(t), freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	start(t, dir, []string{fmt.Sprintf("PORT=%d", port), fmt.Sprintf("ORDO_METRICS_ADDR=127.0.0.1:%d", mport), "ORDO_PPROF=true"})
	waitStatus(t, base+"/readyz", 200, 10*time.Second)
	if code, text := scrape(t, fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/heap?debug=1", mport), ""); code != 200 || !strings.Contains(text, "heap profile:") {
		t.Errorf("heap profile on the metrics port: status %d\n%.300s", code, text)
	}
	if code, text := scrape(t, fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=1", mport), ""); code != 200 || len(text) == 0 {
		t.Errorf("CPU profile on the metrics port: status %d, %d bytes", code, len(text))
	}
	if code, _ := scrape(t, base+"/debug/pprof/", ""); code != 404 {
		t.Errorf("/debug/pprof/ on the main port: status %d, want 404", code)
	}
}

// Without ORDO_METRICS_TOKEN the main port has no /metrics.
func TestMetricsOffByDefault(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	start(t, dir, []string{fmt.Sprintf("PORT=%d", port)})
	waitStatus(t, base+"/healthz", 200, 10*time.Second)
	if code, _ := scrape(t, base+"/metrics", ""); code != 404 {
		t.Errorf("/metrics with metrics off: status %d, want 404", code)
	}
}

// Production mode: serve and worker each serve their metrics; the worker
// reports the export it ran, PostgreSQL's pool and the queues.
func TestMetricsProduction(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	env := []string{
		"DATABASE_URL=" + testkit.PostgresURL(t),
		"REDIS_URL=" + testkit.RedisURL(t),
		"ORDO_SECRET=" + strings.Repeat("p", 40),
	}
	key := tenantKey(t, dir, env, "Metrics", "admin")

	port, sport, wport := freePort(t), freePort(t), freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	start(t, dir, append(env, fmt.Sprintf("PORT=%d", port), fmt.Sprintf("ORDO_METRICS_ADDR=127.0.0.1:%d", sport)), "serve")
	w := start(t, dir, append(env, fmt.Sprintf("ORDO_METRICS_ADDR=127.0.0.1:%d", wport)), "worker")
	waitStatus(t, base+"/readyz", 200, 10*time.Second)

	post := func(path, body string) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			t.Fatalf("POST %s: status %d", path, res.StatusCode)
		}
	}
	post("/api/v1/orders", `{"customer_name":"Mia","customer_email":"mia@example.com","currency":"EUR","items":[{"name":"Widget","quantity":2,"unit_price":150}]}`)
	post("/api/v1/orders/export", `{"format":"csv"}`)

	wurl := fmt.Sprintf("http://127.0.0.1:%d/metrics", wport)
	// River reports a job completed once it has recorded it, a moment
	// after the export itself is done.
	text := waitMetric(t, wurl, regexp.MustCompile(`ordo_jobs_total\{kind="export",outcome="completed",queue="exports"\} 1\n`), 20*time.Second)
	testkit.CheckMetrics(t, []byte(text))
	for _, want := range []string{
		`ordo_export_rows_total{format="csv"} 1`,
		`ordo_export_duration_seconds_count{format="csv"} 1`,
		`ordo_db_pool_acquires_total `,
		`ordo_db_pool_acquire_duration_seconds_total `,
		`ordo_job_queue_depth{queue="webhooks",state="available"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("worker metrics lack %s", want)
		}
	}

	_, text = scrape(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", sport), "")
	testkit.CheckMetrics(t, []byte(text))
	for _, want := range []string{
		`ordo_http_requests_total{code="201",method="POST",route="/api/v1/orders"} 1`,
		`ordo_http_requests_total{code="202",method="POST",route="/api/v1/orders/export"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("serve metrics lack %s", want)
		}
	}
	if code, _ := w.stop(t); code != 0 {
		t.Errorf("worker exit %d", code)
	}
}
