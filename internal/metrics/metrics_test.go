package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/google/uuid"
	"io"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/metrics"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/testkit"
)

type fakeStore struct{ err error }

func (f fakeStore) PoolStats() store.PoolStats {
	return store.PoolStats{MaxConns: 8, TotalConns: 3, AcquiredConns: 1, IdleConns: 2, AcquireCount: 42,
		AcquireDuration: time.Second, EmptyAcquireCount: 2, EmptyAcquireWait: time.Millisecond}
}

func (f fakeStore) JobQueueDepth(context.Context) ([]store.JobQueueCount, error) {
	return []store.JobQueueCount{{Queue: "email", State: "available", Count: 5}}, f.err
}

func (f fakeStore) JobTenantBacklog(_ context.Context, _ *uuid.UUID, top int) ([]jobs.Backlog, error) {
	return []jobs.Backlog{{Queue: "webhooks", Tenant: "0193", Slug: "acme", Waiting: 1200, Running: 7, OldestWait: 90 * time.Second},
		{Queue: "webhooks", Tenant: "-", Waiting: 1}}[:min(top, 2)], f.err
}

type fakeRunner struct{ events chan *river.Event }

func (f fakeRunner) Subscribe(...river.EventKind) (<-chan *river.Event, func()) {
	return f.events, func() {}
}

// exercised returns metrics with a value in every family, and their
// exposition.
func exercised(t *testing.T) (*metrics.Metrics, string) {
	t.Helper()
	m := metrics.New(testkit.Logger(t))
	require.NoError(t, m.ObserveStore(fakeStore{}, []string{"email", "exports"}))

	m.RequestStarted("GET")("/app/orders/{id}", 200)
	m.RequestStarted("BREW")("", 404)
	m.RateLimitFailOpen()
	m.Webhooks().Attempt("succeeded", 30*time.Millisecond)
	m.Webhooks().Attempt("endpoint_disabled", 0)
	m.Exports().Completed("csv", 1200, 2*time.Second)
	m.Audit().Verified(5, 2)
	m.Audit().Verified(5, 1)
	m.Audit().Pruned(1500)

	hook := m.RedisHook(func(cmd redis.Cmder) string {
		if cmd.Name() == "get" {
			return "cache"
		}
		return ""
	})
	fail := hook.ProcessHook(func(context.Context, redis.Cmder) error { return errors.New("connection refused") })
	miss := hook.ProcessHook(func(context.Context, redis.Cmder) error { return redis.Nil })
	ctx := context.Background()
	_ = fail(ctx, redis.NewStringCmd(ctx, "get", "ordo:cache:k"))
	_ = fail(ctx, redis.NewStringCmd(ctx, "ping"))
	_ = miss(ctx, redis.NewStringCmd(ctx, "get", "ordo:cache:k"))

	events := make(chan *river.Event, 4)
	stop := m.WatchJobs(fakeRunner{events})
	stats := &river.JobStatistics{RunDuration: 120 * time.Millisecond}
	events <- &river.Event{Kind: river.EventKindJobCompleted, Job: &rivertype.JobRow{Kind: "email", Queue: "email", State: rivertype.JobStateCompleted}, JobStats: stats}
	events <- &river.Event{Kind: river.EventKindJobFailed, Job: &rivertype.JobRow{Kind: "export", Queue: "exports", State: rivertype.JobStateDiscarded}, JobStats: stats}
	require.Eventually(t, func() bool { return len(events) == 0 }, 5*time.Second, 5*time.Millisecond)
	stop() // waits for the last event received to be counted

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	body, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	return m, string(body)
}

func TestExposition(t *testing.T) {
	t.Parallel()
	_, text := exercised(t)
	testkit.CheckMetrics(t, []byte(text))
	for _, want := range []string{
		`ordo_http_requests_total{code="200",method="GET",route="/app/orders/{id}"} 1`,
		`ordo_http_requests_total{code="404",method="other",route="unmatched"} 1`,
		`ordo_http_request_duration_seconds_count{method="GET",route="/app/orders/{id}"} 1`,
		`ordo_http_requests_in_flight 0`,
		`ordo_ratelimit_fail_open_total 1`,
		`ordo_webhook_deliveries_total{outcome="endpoint_disabled"} 1`,
		`ordo_webhook_attempt_duration_seconds_count 1`,
		`ordo_export_rows_total{format="csv"} 1200`,
		`ordo_export_duration_seconds_count{format="csv"} 1`,
		`ordo_audit_verify_failures_total 3`,
		`ordo_audit_chains_broken 1`,
		`ordo_audit_pruned_total 1500`,
		`ordo_redis_errors_total{role="cache"} 1`,
		`ordo_redis_errors_total{role="other"} 1`,
		`ordo_jobs_total{kind="email",outcome="completed",queue="email"} 1`,
		`ordo_jobs_total{kind="export",outcome="discarded",queue="exports"} 1`,
		`ordo_job_run_duration_seconds_count{kind="email"} 1`,
		`ordo_job_queue_depth{queue="email",state="available"} 5`,
		`ordo_job_queue_depth{queue="exports",state="retryable"} 0`,
		`ordo_job_queue_depth_up 1`,
		`ordo_db_pool_max_connections 8`,
		`ordo_db_pool_acquires_total 42`,
		`ordo_db_pool_empty_acquires_total 2`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		require.Contains(t, text, want)
	}
}

// A failing queue count leaves the rest of the scrape alone.
func TestQueueDepthFailure(t *testing.T) {
	t.Parallel()
	m := metrics.New(testkit.Logger(t))
	require.NoError(t, m.ObserveStore(fakeStore{err: errors.New("database down")}, nil))
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	require.Contains(t, rec.Body.String(), "ordo_job_queue_depth_up 0")
	require.Contains(t, rec.Body.String(), "ordo_db_pool_connections 3")
}

// Every method is a no-op on nil metrics (metrics off).
func TestNil(t *testing.T) {
	t.Parallel()
	var m *metrics.Metrics
	m.RequestStarted("GET")("/", 200)
	m.RateLimitFailOpen()
	m.Webhooks().Attempt("succeeded", time.Second)
	m.Exports().Completed("csv", 1, time.Second)
	m.Audit().Verified(1, 1)
	m.Audit().Pruned(1)
	require.NoError(t, m.ObserveStore(fakeStore{}, nil))
	m.WatchJobs(fakeRunner{})()
}

// The Grafana dashboard uses only metrics the app registers, so that it
// cannot drift from the code.
func TestDashboardMetricsExist(t *testing.T) {
	t.Parallel()
	m, _ := exercised(t)
	fams, err := m.Gatherer().Gather()
	require.NoError(t, err)
	have := map[string]bool{}
	for _, f := range fams {
		have[f.GetName()] = true
	}

	raw, err := os.ReadFile("../../deploy/grafana/ordo-dashboard.json")
	require.NoError(t, err)
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &dash))
	name := regexp.MustCompile(`\b(?:ordo|go|process)_[a-z0-9_]+`)
	family := func(n string) string {
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(n, suf); ok && have[b] {
				return b
			}
		}
		return n
	}
	var used []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			require.NotEmpty(t, tg.Expr, "panel %q has a target without expr", p.Title)
			for _, n := range name.FindAllString(tg.Expr, -1) {
				if !have[family(n)] {
					t.Errorf("panel %q uses %s, which the app does not register", p.Title, n)
				}
				used = append(used, family(n))
			}
		}
	}
	// Variables and anything else in the file too.
	for _, n := range regexp.MustCompile(`\bordo_[a-z0-9_]+`).FindAllString(string(raw), -1) {
		if !have[family(n)] {
			t.Errorf("the dashboard uses %s, which the app does not register", n)
		}
	}
	for _, want := range []string{"ordo_http_requests_total", "ordo_http_request_duration_seconds", "ordo_jobs_total",
		"ordo_job_queue_depth", "ordo_job_run_duration_seconds", "ordo_webhook_deliveries_total", "ordo_export_rows_total",
		"ordo_redis_errors_total", "ordo_ratelimit_fail_open_total", "ordo_db_pool_acquired_connections"} {
		require.True(t, slices.Contains(used, want), "the dashboard has no panel on %s", want)
	}
	require.Contains(t, string(raw), "${DS_PROMETHEUS}")
}
