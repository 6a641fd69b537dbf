package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ordo/ordo/internal/testkit"
)

// An unreachable dependency is a 503 with Retry-After; a bug stays a 500.
func TestDependencyDown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"refused", fmt.Errorf("ExportGet: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), 503},
		{"reset", fmt.Errorf("query: %w", syscall.ECONNRESET), 503},
		{"admin shutdown", fmt.Errorf("OrderGet: %w", &pgconn.PgError{Code: "57P01"}), 503},
		{"connection exception", &pgconn.PgError{Code: "08006"}, 503},
		{"unique violation", &pgconn.PgError{Code: "23505"}, 500},
		{"a bug", errors.New("nil map"), 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			writeError(w, httptest.NewRequest("GET", "/api/v1/orders", nil), testkit.Logger(t), tc.err)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			if tc.want == 503 && w.Header().Get("Retry-After") == "" {
				t.Fatal("no Retry-After")
			}
		})
	}
}

// A handler's rate-limit refusal, returned as an error (wrapped or not),
// is the same 429 the limiter used to write itself: Retry-After in whole
// seconds (at least 1) and the rate-limited problem.
func TestRateLimitedErrorIs429(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		err           error
		retry, detail string
	}{
		{"plain", &rateLimitedError{after: 2500 * time.Millisecond}, "3", "too many attempts; try again in 3 seconds"},
		{"wrapped", fmt.Errorf("login: %w", &rateLimitedError{after: time.Second}), "1", "too many attempts; try again in 1 second"},
		{"no wait", &rateLimitedError{}, "1", "too many attempts; try again in 1 second"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			writeError(w, httptest.NewRequest("POST", "/api/v1/auth/login", nil), testkit.Logger(t), tc.err)
			if w.Code != http.StatusTooManyRequests {
				t.Fatalf("status %d, want 429", w.Code)
			}
			if got := w.Header().Get("Retry-After"); got != tc.retry {
				t.Fatalf("Retry-After %q, want %q", got, tc.retry)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q", ct)
			}
			var p Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.Type != problemType("rate-limited") || p.Status != 429 || p.Detail != tc.detail || p.Instance != "/api/v1/auth/login" {
				t.Fatalf("problem %+v", p)
			}
		})
	}
}
