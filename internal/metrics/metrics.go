// Package metrics holds Ordo's Prometheus metrics: one registry per
// process (never the global default one), with the Go runtime and process
// collectors, and the application's own metrics, all prefixed ordo_.
//
// Other packages do not import Prometheus: the web layer calls the
// methods of *Metrics, and the webhook and export services take small
// observer interfaces that Webhooks and Exports implement. Every method is
// a no-op on a nil *Metrics, so callers need no checks.
package metrics

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one process's registry and the metrics in it.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge

	jobs        *prometheus.CounterVec
	jobDuration *prometheus.HistogramVec

	webhookOutcomes *prometheus.CounterVec
	webhookLatency  prometheus.Histogram

	exportRows     *prometheus.CounterVec
	exportDuration *prometheus.HistogramVec

	redisErrors   *prometheus.CounterVec
	rateLimitOpen prometheus.Counter

	auditVerifyFailures prometheus.Counter
	auditChainsBroken   prometheus.Gauge
	auditPruned         prometheus.Counter
}

// New returns a registry holding the Go runtime and process collectors
// and Ordo's metrics. Store metrics are added by ObserveStore.
func New(log *slog.Logger) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), log: log}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)

	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ordo_http_requests_total",
		Help: "HTTP requests served, by route pattern (\"unmatched\" for none), method and status code.",
	}, []string{"route", "method", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ordo_http_request_duration_seconds",
		Help:    "Time to serve an HTTP request, from the first middleware to the last byte written, by route pattern and method.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method"})
	m.httpInFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ordo_http_requests_in_flight",
		Help: "HTTP requests being served now, event streams included.",
	})

	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ordo_jobs_total",
		Help: "Background job runs worked by this process, by kind, queue and outcome (completed, failed: to be retried, discarded: given up, cancelled, snoozed).",
	}, []string{"kind", "queue", "outcome"})
	m.jobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ordo_job_run_duration_seconds",
		Help:    "Time a background job's worker ran, by kind.",
		Buckets: prometheus.ExponentialBuckets(0.005, 4, 10), // 5 ms to 22 min
	}, []string{"kind"})

	m.webhookOutcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ordo_webhook_deliveries_total",
		Help: "Webhook delivery attempts by outcome: succeeded, failed_attempt (retried later), exhausted (no retries left), endpoint_disabled (the endpoint is or was just disabled).",
	}, []string{"outcome"})
	m.webhookLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "ordo_webhook_attempt_duration_seconds",
		Help:    "Time of one webhook delivery attempt, from connecting to the end of the response.",
		Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})

	m.exportRows = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ordo_export_rows_total",
		Help: "Orders written to completed exports, by file format.",
	}, []string{"format"})
	m.exportDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ordo_export_duration_seconds",
		Help:    "Time to write a completed export, by file format.",
		Buckets: prometheus.ExponentialBuckets(0.05, 3, 10), // 50 ms to 16 min
	}, []string{"format"})

	m.redisErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ordo_redis_errors_total",
		Help: "Redis commands that failed (a missing key is not a failure), by role: cache, ratelimit, pubsub, session or other.",
	}, []string{"role"})
	m.rateLimitOpen = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ordo_ratelimit_fail_open_total",
		Help: "Rate-limit checks that let a request through because the limiter's store failed.",
	})

	m.auditVerifyFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ordo_audit_verify_failures_total",
		Help: "Tenants' audit log chains the nightly verification found broken (edited, deleted, inserted or reordered entries, or a bad checkpoint), counted at each run.",
	})
	m.auditChainsBroken = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ordo_audit_chains_broken",
		Help: "Tenants whose audit log chain failed the last nightly verification run by this process.",
	})
	m.auditPruned = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ordo_audit_pruned_total",
		Help: "Audit log entries the nightly retention job deleted because they were older than their tenant's plan keeps them (audit_retention_days), each behind a signed retention cut.",
	})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.httpInFlight, m.jobs, m.jobDuration,
		m.webhookOutcomes, m.webhookLatency, m.exportRows, m.exportDuration, m.redisErrors, m.rateLimitOpen,
		m.auditVerifyFailures, m.auditChainsBroken, m.auditPruned)
	return m
}

// Gatherer is the registry, for tests and custom exposition.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Handler serves the metrics in the Prometheus text format (or
// OpenMetrics when asked). A collector that fails is logged and left out;
// the rest is still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:            errorLogger{m.log},
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            m.reg, // promhttp_metric_handler_errors_total
		Timeout:             10 * time.Second,
		MaxRequestsInFlight: 4,
	})
}

type errorLogger struct{ log *slog.Logger }

func (l errorLogger) Println(v ...any) {
	if l.log != nil {
		l.log.Warn("metrics", "err", v)
	}
}

// methods are the HTTP methods kept as label values; others are "other",
// so that a client cannot make new series at will.
var methods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// RequestStarted counts a request in flight; call the function it
// returns when the request is done, with its route pattern ("" when no
// route matched) and status code.
func (m *Metrics) RequestStarted(method string) func(route string, code int) {
	if m == nil {
		return func(string, int) {}
	}
	start := time.Now()
	m.httpInFlight.Inc()
	if !methods[method] {
		method = "other"
	}
	return func(route string, code int) {
		m.httpInFlight.Dec()
		if route == "" {
			route = "unmatched"
		}
		m.httpRequests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
		m.httpDuration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	}
}

// RateLimitFailOpen counts a request let through because the rate
// limiter's store failed.
func (m *Metrics) RateLimitFailOpen() {
	if m == nil {
		return
	}
	m.rateLimitOpen.Inc()
}
