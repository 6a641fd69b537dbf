package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/ordo/ordo/internal/metrics"
)

// withMetrics counts and times every request by its route pattern, found
// up front with mux so that requests a middleware answers (a 429, a 413)
// are labelled with their route too. Raw paths never become labels: a
// request no route matches is "unmatched".
func withMetrics(m *metrics.Metrics, mux *http.ServeMux, next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done := m.RequestStarted(r.Method)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			// Also when a handler aborts with http.ErrAbortHandler.
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			done(routeLabel(mux, r), rec.status)
		}()
		next.ServeHTTP(rec, r)
	})
}

// routeLabel is the path of the pattern mux routes r to ("GET
// /app/orders/{id}" gives "/app/orders/{id}"), or "" when none matches.
func routeLabel(mux *http.ServeMux, r *http.Request) string {
	if r.Method == http.MethodConnect {
		// The mux answers CONNECT with the raw path; it is never routed.
		return ""
	}
	_, pattern := mux.Handler(r)
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

// withMetricsEndpoint serves /metrics on the main port to scrapers that
// send "Authorization: Bearer <token>". Everyone else gets the same 404 as
// for any unknown path, so the endpoint is not advertised. It runs before
// sessions and API-key authentication, which must not see the token.
func withMetricsEndpoint(m *metrics.Metrics, token string, next http.Handler) http.Handler {
	if m == nil || token == "" {
		return next
	}
	want := sha256.Sum256([]byte(token))
	h := m.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		// Hashes have equal lengths: the comparison reveals nothing about
		// the token's length either.
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || !strings.EqualFold(scheme, "Bearer") ||
			subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}
