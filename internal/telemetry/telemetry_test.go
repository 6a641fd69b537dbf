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

	"github.com/google/uuid"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/telemetry"
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

// Off, Setup installs nothing, and the nil-safe methods do nothing.
func TestSetupOff(t *testing.T) {
	t.Parallel()
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	if tel.TracerProvider() != nil || tel.Reporting() || jobs.WorkTelemetry(tel) != nil || jobs.InsertTelemetry(tel) != nil {
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
