package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/ordo/ordo/internal/telemetry/telemetrytest"
	"github.com/ordo/ordo/internal/testkit"
)

// With OTEL_EXPORTER_OTLP_ENDPOINT set, serve and worker on PostgreSQL
// send a collector (a stub) the spans of a request with its SQL, of the
// webhook job it causes and of the delivery; the receiver gets the
// trace's traceparent, and the request's log lines carry its trace_id.
var verifyLinkRE = regexp.MustCompile(`verify-email\?token=([A-Za-z0-9_-]+)`)

func TestTracing(t *testing.T) {
	t.Parallel()
	dbURL := testkit.PostgresURL(t)
	col := telemetrytest.NewCollector(t)

	var mu sync.Mutex
	var traceparents []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		traceparents = append(traceparents, r.Header.Get("traceparent"))
		mu.Unlock()
	}))
	defer receiver.Close()

	port := testkit.FreePort(t)
	env := map[string]string{
		"DATABASE_URL":                dbURL,
		"ORDO_SECRET":                 strings.Repeat("s", 40),
		"PORT":                        fmt.Sprint(port),
		"ORDO_DATA_DIR":               t.TempDir(),
		"ORDO_WEBHOOKS_ALLOW_PRIVATE": "true",
		"ORDO_SHUTDOWN_TIMEOUT":       "5s",
		"OTEL_EXPORTER_OTLP_ENDPOINT": col.URL,
	}
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr bytes.Buffer
	if code := Main(ctx, []string{"migrate", "up"}, getenv, nil, io.Discard, &stderr); code != 0 {
		t.Fatalf("migrate up: %d\n%s", code, stderr.String())
	}
	serveLog, workerLog := &testkit.SyncBuffer{}, &testkit.SyncBuffer{}
	var wg sync.WaitGroup
	for _, p := range []struct {
		cmd string
		log io.Writer
	}{{"serve", serveLog}, {"worker", workerLog}} {
		wg.Go(func() {
			if code := Main(ctx, []string{p.cmd}, getenv, nil, io.Discard, p.log); code != 0 {
				t.Errorf("ordo %s exited %d", p.cmd, code)
			}
		})
	}
	defer func() {
		if t.Failed() {
			t.Logf("serve:\n%s\nworker:\n%s", serveLog, workerLog)
		}
	}()

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	do := func(method, path string, body any, want int) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %v", method, path, res.StatusCode, want, out)
		}
		return out
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	do("POST", "/api/v1/auth/signup", map[string]any{"email": "trace@example.com", "password": "a long enough password", "name": "T"}, 202)
	// The address is confirmed with the link the worker logs (no SMTP),
	// then the user logs in.
	var link []string
	for deadline := time.Now().Add(15 * time.Second); link == nil; time.Sleep(50 * time.Millisecond) {
		link = verifyLinkRE.FindStringSubmatch(workerLog.String())
		if link == nil && time.Now().After(deadline) {
			t.Fatal("no verification e-mail logged")
		}
	}
	do("POST", "/api/v1/auth/verify-email", map[string]any{"token": link[1]}, 200)
	do("POST", "/api/v1/auth/login", map[string]any{"email": "trace@example.com", "password": "a long enough password"}, 200)
	do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": receiver.URL}, 201)
	do("POST", "/api/v1/orders", map[string]any{
		"customer_name": "Tracy", "customer_email": "tracy@example.com", "currency": "EUR",
		"items": []any{map[string]any{"name": "Widget", "quantity": 1, "unit_price": 100, "tax_rate_bp": 0}},
	}, 201)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		n := len(traceparents)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no webhook arrived")
		}
	}
	cancel() // both flush their spans as they stop
	wg.Wait()

	spans := col.Spans()
	byID := map[string]telemetrytest.Span{}
	for _, s := range spans {
		byID[s.SpanID] = s
	}
	find := func(name, role string) telemetrytest.Span {
		t.Helper()
		for _, s := range spans {
			if s.Name == name && s.Resource["service.role"] == role {
				return s
			}
		}
		var names []string
		for _, s := range spans {
			names = append(names, s.Resource["service.role"]+":"+s.Name)
		}
		t.Fatalf("no %s span %q among %v", role, name, names)
		return telemetrytest.Span{}
	}

	// The request, and its SQL below it.
	req := find("POST /api/v1/orders", "serve")
	if req.Kind != tracepb.Span_SPAN_KIND_SERVER || req.Attrs["http.route"] != "/api/v1/orders" || req.Resource["service.name"] != "ordo" {
		t.Errorf("request span %+v", req)
	}
	var inserts int
	for _, s := range spans {
		if s.TraceID != req.TraceID || s.Kind != tracepb.Span_SPAN_KIND_CLIENT || s.Attrs["db.system"] != "postgresql" {
			continue
		}
		if strings.Contains(s.Attrs["db.query.text"], "$1") && s.Name == "INSERT" {
			inserts++
		}
		// Every DB span descends from the request span.
		for p := s.ParentID; p != req.SpanID; p = byID[p].ParentID {
			if p == "" {
				t.Errorf("DB span %s is not under the request span", s.Name)
				break
			}
		}
	}
	if inserts == 0 {
		t.Error("no INSERT spans with their SQL under the request")
	}
	for _, s := range spans {
		if s.Attrs["db.system"] == "postgresql" && (strings.Contains(s.Attrs["db.query.text"], "Tracy") || s.ParentID == "") {
			t.Errorf("DB span with an argument value or without a parent: %+v", s)
		}
		if strings.HasPrefix(s.Name, "GET /readyz") || strings.HasPrefix(s.Name, "GET /healthz") {
			t.Errorf("health checks must not be traced: %s", s.Name)
		}
	}

	// The delivery job, its SQL, and the outbound request under it.
	job := find("job webhook_delivery", "worker")
	if job.Attrs["job.queue"] != "webhooks" || job.Attrs["job.attempt"] != "1" || job.Kind != tracepb.Span_SPAN_KIND_CONSUMER {
		t.Errorf("job span %+v", job)
	}
	// The job's trace is its own, linked to the request that enqueued it.
	var linked bool
	for _, l := range job.Links {
		linked = linked || l.TraceID == req.TraceID
	}
	if !linked || job.TraceID == req.TraceID {
		t.Errorf("the job span (trace %s, links %+v) does not link to the request's trace %s", job.TraceID, job.Links, req.TraceID)
	}
	hook := find("webhook POST", "worker")
	if hook.ParentID != job.SpanID || hook.TraceID != job.TraceID {
		t.Errorf("the webhook span is not under the job span")
	}
	var jobSQL bool
	for _, s := range spans {
		jobSQL = jobSQL || (s.ParentID == job.SpanID && s.Attrs["db.system"] == "postgresql")
	}
	if !jobSQL {
		t.Error("no DB spans under the job span")
	}
	mu.Lock()
	if want := "00-" + hook.TraceID + "-" + hook.SpanID + "-01"; traceparents[0] != want {
		t.Errorf("receiver got traceparent %q, want %q", traceparents[0], want)
	}
	mu.Unlock()

	// The request's access log line carries its trace id.
	var found bool
	for _, line := range strings.Split(serveLog.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "http request" || rec["route"] != "/api/v1/orders" {
			continue
		}
		found = true
		if rec["trace_id"] != req.TraceID || rec["span_id"] == nil {
			t.Errorf("access log line has trace_id %v, want %s", rec["trace_id"], req.TraceID)
		}
	}
	if !found {
		t.Error("no access log line for the request")
	}
}
