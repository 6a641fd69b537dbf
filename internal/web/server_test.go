package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/testkit"
)

func newTestServer(t *testing.T, checks ...Check) *Server {
	s, err := New(Options{Log: testkit.Logger(t), Version: "test", MaxBodyBytes: 1024, Checks: checks})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json", ct)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	ok := Check{Name: "database", Func: func(context.Context) error { return nil }}
	down := Check{Name: "redis", Func: func(context.Context) error { return errors.New("connection refused") }}
	// A replica that is down degrades readiness, it does not fail it.
	replicaDown := Check{Name: "replicas", Optional: true, Func: func(context.Context) error { return errors.New("replica-1 is down") },
		Detail: func() string { return "replica-1 down, lag 0.000s" }}
	tests := []struct {
		name       string
		checks     []Check
		path       string
		wantStatus int
		wantFailed []string
	}{
		{"healthz ignores dependencies", []Check{down}, "/healthz", 200, nil},
		{"ready", []Check{ok}, "/readyz", 200, []string{}},
		{"not ready names the failure", []Check{ok, down}, "/readyz", 503, []string{"redis"}},
		{"an optional check degrades", []Check{ok, replicaDown}, "/readyz", 200, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			newTestServer(t, tt.checks...).ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantFailed == nil {
				return
			}
			var body struct {
				Failed []string                `json:"failed"`
				Checks map[string]*checkResult `json:"checks"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if strings.Join(body.Failed, ",") != strings.Join(tt.wantFailed, ",") {
				t.Errorf("failed = %v, want %v", body.Failed, tt.wantFailed)
			}
			for _, name := range tt.wantFailed {
				if c := body.Checks[name]; c == nil || c.Status != "fail" {
					t.Errorf("check %s should be reported failed: %+v", name, c)
				}
			}
			for _, c := range tt.checks {
				if got := body.Checks[c.Name]; c.Optional && (got == nil || got.Status != "degraded" || got.Detail != c.Detail()) {
					t.Errorf("optional check %s should be reported degraded with its detail: %+v", c.Name, got)
				}
			}
			if strings.Contains(rec.Body.String(), "connection refused") {
				t.Error("readyz must not show internal error text")
			}
		})
	}
}

func TestPanicBecomesProblem(t *testing.T) {
	t.Parallel()
	h := withRequestID(withRecover(testkit.Logger(t), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret internal detail")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/boom", nil))
	if rec.Code != 500 {
		t.Fatalf("status %d", rec.Code)
	}
	p := decodeProblem(t, rec)
	if p.Status != 500 || p.RequestID == "" || p.RequestID != rec.Header().Get("X-Request-ID") {
		t.Errorf("problem %+v", p)
	}
	if strings.Contains(rec.Body.String(), "secret internal detail") {
		t.Error("panic text leaked to the client")
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	log := testkit.Logger(t)
	h := withBodyLimit(10, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v any
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			writeError(w, r, log, err)
			return
		}
	}))
	for _, chunked := range []bool{false, true} {
		req := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(`{"a":"0123456789"}`))
		if chunked {
			req.ContentLength = -1 // the declared length is not known up front
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked=%v: status %d, want 413", chunked, rec.Code)
		}
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	req := httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("X-Request-ID", "from-proxy-123")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if got := rec.Header().Get("X-Request-ID"); got != "from-proxy-123" {
		t.Errorf("sane incoming id not kept: %q", got)
	}
	req = httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("X-Request-ID", "bad id\nwith newline")
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if got := rec.Header().Get("X-Request-ID"); got == "" || strings.Contains(got, " ") {
		t.Errorf("bad incoming id should be replaced, got %q", got)
	}
}

func TestErrorKinds(t *testing.T) {
	t.Parallel()
	log := testkit.Logger(t)
	tests := []struct {
		err        error
		wantStatus int
		wantField  string
	}{
		{apperr.NotFound("order"), 404, ""},
		{apperr.Conflict("slug taken"), 409, ""},
		{apperr.Invalid("email", "must be an e-mail address"), 422, "email"},
		{errors.New("pq: connection reset"), 500, ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		writeError(rec, httptest.NewRequest("GET", "/x", nil), log, tt.err)
		p := decodeProblem(t, rec)
		if rec.Code != tt.wantStatus || p.Status != tt.wantStatus {
			t.Errorf("%v: status %d, want %d", tt.err, rec.Code, tt.wantStatus)
		}
		if tt.wantField != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tt.wantField) {
			t.Errorf("%v: errors %+v, want field %s", tt.err, p.Errors, tt.wantField)
		}
		if tt.wantStatus == 500 && strings.Contains(rec.Body.String(), "connection reset") {
			t.Error("internal error text leaked")
		}
	}
}

func TestUnknownAPIPathIsProblem(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	newTestServer(t).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/nope", nil))
	if rec.Code != 404 {
		t.Fatalf("status %d", rec.Code)
	}
	decodeProblem(t, rec)
}
