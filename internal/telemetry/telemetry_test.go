package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/ordo/ordo/internal/telemetry"
	"github.com/ordo/ordo/internal/telemetry/telemetrytest"
	"github.com/ordo/ordo/internal/testkit"
)

// recorder is a tracer provider that keeps ended spans in memory.
func recorder(t *testing.T) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

func TestLogHandler(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(telemetry.LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	tp, _ := recorder(t)
	ctx, span := tp.Tracer("t").Start(context.Background(), "op")
	log.InfoContext(ctx, "traced")
	span.End()
	log.InfoContext(context.Background(), "untraced")
	log.Info("no context")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines:\n%s", len(lines), buf.String())
	}
	var traced, untraced map[string]any
	_ = json.Unmarshal([]byte(lines[0]), &traced)
	_ = json.Unmarshal([]byte(lines[1]), &untraced)
	sc := span.SpanContext()
	if traced["trace_id"] != sc.TraceID().String() || traced["span_id"] != sc.SpanID().String() || traced["component"] != "test" {
		t.Errorf("traced line: %s", lines[0])
	}
	if _, ok := untraced["trace_id"]; ok {
		t.Errorf("untraced line has a trace id: %s", lines[1])
	}
}

func TestHTTPHandler(t *testing.T) {
	t.Parallel()
	tp, rec := recorder(t)
	mux := http.NewServeMux()
	var gotSpan trace.SpanContext
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		gotSpan = trace.SpanContextFromContext(r.Context())
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	route := func(r *http.Request) string {
		_, p := mux.Handler(r)
		_, path, _ := strings.Cut(p, " ")
		return path
	}
	h := telemetry.HTTPHandler(tp, mux, route, "/healthz")
	// A proxy's traceparent is continued.
	req := httptest.NewRequest("GET", "/orders/42", nil)
	req.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nowhere/1", nil))

	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2 (health checks are not traced)", len(spans))
	}
	s := spans[0]
	if s.Name() != "GET /orders/{id}" || s.SpanKind() != trace.SpanKindServer {
		t.Errorf("span %q kind %v", s.Name(), s.SpanKind())
	}
	if s.SpanContext().TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || s.Parent().SpanID().String() != "b7ad6b7169203331" {
		t.Errorf("the incoming traceparent was not continued: %v, parent %v", s.SpanContext().TraceID(), s.Parent().SpanID())
	}
	if gotSpan.SpanID() != s.SpanContext().SpanID() {
		t.Error("the handler's context does not carry the span")
	}
	if route := attr(s, "http.route"); route != "/orders/{id}" {
		t.Errorf("http.route = %q", route)
	}
	if spans[1].Name() != "GET" {
		t.Errorf("an unrouted request's span is named %q; raw paths must not name spans", spans[1].Name())
	}
	// Off: nothing wraps the handler.
	if got := telemetry.HTTPHandler(nil, mux, route); got != http.Handler(mux) {
		t.Error("HTTPHandler with no provider must return the handler as is")
	}
}

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

func TestTransport(t *testing.T) {
	t.Parallel()
	tp, rec := recorder(t)
	var traceparent string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		traceparent = r.Header.Get("traceparent")
	}))
	defer srv.Close()
	c := &http.Client{Transport: telemetry.Transport(tp, "webhook", http.DefaultTransport)}
	ctx, parent := tp.Tracer("t").Start(context.Background(), "job")
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL, nil)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	parent.End()
	var client sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == "webhook POST" {
			client = s
		}
	}
	if client == nil || client.SpanKind() != trace.SpanKindClient || client.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Fatalf("no client span under the job span: %v", rec.Ended())
	}
	want := "00-" + client.SpanContext().TraceID().String() + "-" + client.SpanContext().SpanID().String() + "-01"
	if traceparent != want {
		t.Errorf("receiver got traceparent %q, want %q", traceparent, want)
	}
	if telemetry.Transport(nil, "webhook", http.DefaultTransport) != http.DefaultTransport {
		t.Error("Transport with no provider must return the transport as is")
	}
}

// The job middleware makes a span per attempt and reports a job's last
// failure, not earlier ones, snoozes or cancellations.
func TestJobMiddleware(t *testing.T) {
	t.Parallel()
	sentry := telemetrytest.NewSentry(t)
	col := telemetrytest.NewCollector(t)
	ctx := context.Background()
	tel, err := telemetry.Setup(ctx, telemetry.Config{OTLPEndpoint: col.URL, SentryDSN: sentry.DSN, Role: "worker", Version: "v1.2.3"}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	mw := tel.JobMiddleware()
	boom := errors.New("boom")
	run := func(id int64, attempt int, err error) {
		job := &rivertype.JobRow{ID: id, Kind: "email", Queue: "email", Attempt: attempt, MaxAttempts: 3}
		got := mw.Work(ctx, job, func(ctx context.Context) error {
			if !trace.SpanFromContext(ctx).SpanContext().IsValid() {
				t.Error("the job's context has no span")
			}
			return err
		})
		if !errors.Is(got, err) && got != err {
			t.Errorf("middleware changed the error: %v", got)
		}
	}
	run(1, 1, nil)
	run(2, 1, boom)                                // retried: not reported
	run(3, 3, river.JobSnooze(time.Minute))        // snoozed: not reported
	run(4, 3, river.JobCancel(errors.New("stop"))) // cancelled: not reported
	run(5, 3, boom)                                // discarded: reported
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic was swallowed")
			}
		}()
		mw.Work(ctx, &rivertype.JobRow{ID: 6, Kind: "email", Queue: "email", Attempt: 3, MaxAttempts: 3},
			func(context.Context) error { panic("kaboom") })
	}()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	spans := col.Spans()
	if len(spans) != 6 {
		t.Fatalf("got %d spans, want 6", len(spans))
	}
	for _, s := range spans {
		if s.Name != "job email" || s.Attrs["job.queue"] != "email" || s.Attrs["job.kind"] != "email" || s.Attrs["job.id"] == "" ||
			s.Resource["service.name"] != "ordo" || s.Resource["service.role"] != "worker" || s.Resource["service.version"] != "v1.2.3" {
			t.Errorf("span %+v", s)
		}
		if wantErr := s.Attrs["job.id"] != "1" && s.Attrs["job.id"] != "3"; s.Error != wantErr {
			t.Errorf("job %s: error status %v, want %v", s.Attrs["job.id"], s.Error, wantErr)
		}
	}
	events := sentry.Events()
	var msgs []string
	for _, ev := range events {
		b, _ := json.Marshal(ev["exception"])
		msgs = append(msgs, string(b))
	}
	if len(events) != 2 || !strings.Contains(msgs[0]+msgs[1], "job email 5 failed on its last attempt") || !strings.Contains(msgs[0]+msgs[1], "kaboom") {
		t.Errorf("want reports of jobs 5 and 6 only, got %d:\n%s", len(events), strings.Join(msgs, "\n"))
	}
	for _, ev := range events {
		if ev["environment"] != "production" || ev["release"] != "ordo@v1.2.3" {
			t.Errorf("event environment %v release %v", ev["environment"], ev["release"])
		}
		if tags, _ := ev["tags"].(map[string]any); tags["trace_id"] == nil {
			t.Errorf("event has no trace_id tag: %v", ev["tags"])
		}
	}
}

// A job inserted under a span records its trace context in its metadata
// (keeping what was there), and the job's span links to it.
func TestJobInsertMiddleware(t *testing.T) {
	t.Parallel()
	col := telemetrytest.NewCollector(t)
	ctx := context.Background()
	tel, err := telemetry.Setup(ctx, telemetry.Config{OTLPEndpoint: col.URL, Role: "serve"}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	ins := tel.JobInsertMiddleware()
	params := []*rivertype.JobInsertParams{{Kind: "email", Metadata: []byte(`{"keep":1}`)}, {Kind: "email"}}
	insert := func(ctx context.Context) ([]*rivertype.JobInsertResult, error) { return nil, nil }
	if _, err := ins.InsertMany(ctx, params, insert); err != nil {
		t.Fatal(err)
	}
	if string(params[0].Metadata) != `{"keep":1}` || params[1].Metadata != nil {
		t.Errorf("without a span the metadata changed: %s, %s", params[0].Metadata, params[1].Metadata)
	}
	sctx, span := tel.TracerProvider().Tracer("test").Start(ctx, "request")
	if _, err := ins.InsertMany(sctx, params, insert); err != nil {
		t.Fatal(err)
	}
	span.End()
	var meta map[string]any
	if err := json.Unmarshal(params[0].Metadata, &meta); err != nil || meta["keep"] != float64(1) || meta["traceparent"] == nil {
		t.Errorf("metadata %s", params[0].Metadata)
	}
	job := &rivertype.JobRow{ID: 1, Kind: "email", Queue: "email", Attempt: 1, MaxAttempts: 3, Metadata: params[1].Metadata}
	if err := tel.JobMiddleware().Work(ctx, job, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	want := span.SpanContext()
	for _, s := range col.Spans() {
		if s.Name != "job email" {
			continue
		}
		if len(s.Links) != 1 || s.Links[0].TraceID != want.TraceID().String() || s.Links[0].SpanID != want.SpanID().String() {
			t.Errorf("job span links %+v, want the request span %s/%s", s.Links, want.TraceID(), want.SpanID())
		}
		if s.TraceID == want.TraceID().String() {
			t.Error("the job span is in the request's trace")
		}
		return
	}
	t.Error("no job span")
}

// Off, Setup installs nothing, and the nil-safe methods do nothing.
func TestSetupOff(t *testing.T) {
	t.Parallel()
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	if tel.TracerProvider() != nil || tel.Reporting() || tel.JobMiddleware() != nil || tel.JobInsertMiddleware() != nil {
		t.Error("telemetry is on with an empty configuration")
	}
	tel.ReportError(context.Background(), errors.New("x"))
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var none *telemetry.Telemetry
	if none.TracerProvider() != nil || none.Shutdown(context.Background()) != nil {
		t.Error("a nil Telemetry must do nothing")
	}
}

// Every line logged during a request carries its id, and once
// authenticated its tenant and user or API key, also through a handler
// wrapped with attributes and from contexts derived from the request's.
func TestLogHandlerRequestFields(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(telemetry.LogHandler(telemetry.LogHandler(slog.NewJSONHandler(&buf, nil)))).With("component", "test")
	ctx := telemetry.WithRequestLog(context.Background(), "req-1")
	log.InfoContext(ctx, "anonymous")
	tenantID, userID, keyID := uuid.New(), uuid.New(), uuid.New()
	telemetry.SetLogPrincipal(ctx, tenantID, userID, uuid.Nil)
	type k struct{}
	log.InfoContext(context.WithValue(ctx, k{}, 1), "user")
	telemetry.SetLogPrincipal(ctx, tenantID, uuid.Nil, keyID)
	log.WarnContext(ctx, "key")
	log.InfoContext(context.Background(), "outside")

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		lines = append(lines, m)
	}
	if len(lines) != 4 {
		t.Fatalf("got %d lines:\n%s", len(lines), buf.String())
	}
	want := []map[string]any{
		{"request_id": "req-1"},
		{"request_id": "req-1", "tenant_id": tenantID.String(), "user_id": userID.String()},
		{"request_id": "req-1", "tenant_id": tenantID.String(), "api_key_id": keyID.String()},
		{},
	}
	for i, w := range want {
		for _, key := range []string{"request_id", "tenant_id", "user_id", "api_key_id"} {
			if got, ok := lines[i][key]; w[key] != got || (w[key] == nil && ok) {
				t.Errorf("line %d (%s): %s = %v, want %v", i, lines[i]["msg"], key, got, w[key])
			}
		}
		if lines[i]["component"] != "test" {
			t.Errorf("line %d lost its attributes: %v", i, lines[i])
		}
	}
}
