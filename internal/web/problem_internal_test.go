package web

import (
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"syscall"
	"testing"

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
