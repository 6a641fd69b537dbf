package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/ordo/ordo/internal/metrics"
)

// Check is one dependency that readiness depends on.
type Check struct {
	Name string
	Func func(ctx context.Context) error
	// Optional checks report "degraded" instead of failing readiness: a
	// dependency the process works without (a read replica).
	Optional bool
	// Detail, when set, adds a line to the check's result, such as a
	// replica's lag. It must not name hosts or users.
	Detail func() string
}

// handleHealthz answers while the process is alive; it touches nothing.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

type checkResult struct {
	Status string `json:"status"`
	TookMS int64  `json:"took_ms"`
	Detail string `json:"detail,omitempty"`
	err    error
}

// handleReadyz runs every check concurrently with a short timeout and
// answers 503, naming what failed (the details are logged), if any did.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	results := make(map[string]checkResult, len(s.checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range s.checks {
		wg.Go(func() {
			start := time.Now()
			err := c.Func(ctx)
			res := checkResult{Status: "ok", TookMS: time.Since(start).Milliseconds()}
			switch {
			case err != nil && c.Optional:
				res.Status, res.err = "degraded", err
			case err != nil:
				res.Status, res.err = "fail", err
			}
			if c.Detail != nil {
				res.Detail = c.Detail()
			}
			mu.Lock()
			results[c.Name] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	status, code := "ok", http.StatusOK
	failed := []string{}
	for _, c := range s.checks {
		if res := results[c.Name]; res.Status == "degraded" {
			s.log.WarnContext(r.Context(), "degraded", "check", c.Name, "err", res.err)
		} else if res.Status != "ok" {
			failed = append(failed, c.Name)
			// The reason goes to the log, not to whoever asks: it can
			// name hosts, users and databases.
			s.log.WarnContext(r.Context(), "not ready", "check", c.Name, "err", res.err)
		}
	}
	if len(failed) > 0 {
		status, code = "unavailable", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "failed": failed, "checks": results})
}

// HealthHandler is the whole HTTP surface of a process that has no web
// server of its own (`ordo worker -port N`): GET /healthz, GET /readyz with
// checks, and GET /metrics when m is not nil (with token, only to scrapers
// that send it, as on the main port; without, to anyone, as on
// ORDO_METRICS_ADDR: the port is the worker's own, never published).
// Anything else is a 404.
func HealthHandler(log *slog.Logger, checks []Check, m *metrics.Metrics, token string) http.Handler {
	s := &Server{log: log, checks: checks}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	if m == nil {
		return mux
	}
	if token != "" {
		return withMetricsEndpoint(m, token, mux)
	}
	mux.Handle("GET /metrics", m.Handler())
	return mux
}
