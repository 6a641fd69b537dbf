package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/ordo/ordo/internal/metrics"
)

// routeKey holds the request's route pattern (see withRoute).
const routeKey ctxKey = 300

// withRoute finds the route pattern mux routes a request to, once, up
// front (so that requests a middleware answers, a 429 or a 413, have their
// route too), for the access log, the metrics and the trace span to read
// with routeOf.
func withRoute(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), routeKey, routeLabel(mux, r))))
	})
}

// routeOf is the route pattern withRoute found for r ("" for none).
func routeOf(r *http.Request) string {
	route, _ := r.Context().Value(routeKey).(string)
	return route
}

// withMetrics counts and times every request by its route pattern. Raw
// paths never become labels: a request no route matches is "unmatched".
func withMetrics(m *metrics.Metrics, next http.Handler) http.Handler {
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
			done(routeOf(r), rec.status)
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
