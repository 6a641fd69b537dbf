package metrics

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/store"
)

// Store is what the store collectors read; store.Store satisfies it.
type Store interface {
	PoolStats() store.PoolStats
	JobQueueDepth(ctx context.Context) ([]store.JobQueueCount, error)
	JobTenantBacklog(ctx context.Context, tenantID *uuid.UUID, top int) ([]jobs.Backlog, error)
}

// TopTenants is how many tenants of each queue the per-tenant job metrics
// name: the ones with the most jobs waiting. A bounded number of series,
// however many tenants there are.
const TopTenants = 5

// ObserveStore adds the database pool metrics and the job queue depth,
// read from st at each scrape. queues are reported even when empty, so
// that their series exist at zero.
func (m *Metrics) ObserveStore(st Store, queues []string) error {
	if m == nil {
		return nil
	}
	return m.reg.Register(&storeCollector{st: st, queues: queues})
}

var (
	poolMax = prometheus.NewDesc("ordo_db_pool_max_connections",
		"Most connections the database pool opens.", nil, nil)
	poolTotal = prometheus.NewDesc("ordo_db_pool_connections",
		"Open database connections: acquired, idle and being opened.", nil, nil)
	poolAcquired = prometheus.NewDesc("ordo_db_pool_acquired_connections",
		"Database connections in use by a query or transaction.", nil, nil)
	poolIdle = prometheus.NewDesc("ordo_db_pool_idle_connections",
		"Database connections idle in the pool.", nil, nil)
	poolAcquires = prometheus.NewDesc("ordo_db_pool_acquires_total",
		"Connections handed out by the database pool (PostgreSQL only).", nil, nil)
	poolAcquireSeconds = prometheus.NewDesc("ordo_db_pool_acquire_duration_seconds_total",
		"Time spent acquiring database connections (PostgreSQL only).", nil, nil)
	poolEmpty = prometheus.NewDesc("ordo_db_pool_empty_acquires_total",
		"Acquires that found no idle database connection and had to wait for one.", nil, nil)
	poolEmptyWait = prometheus.NewDesc("ordo_db_pool_empty_acquire_wait_seconds_total",
		"Time spent waiting for a database connection when none was idle.", nil, nil)
	queueDepth = prometheus.NewDesc("ordo_job_queue_depth",
		"Jobs waiting or running, by queue and state (available, scheduled, retryable, running), from the database: the same for every process.",
		[]string{"queue", "state"}, nil)
	queueDepthUp = prometheus.NewDesc("ordo_job_queue_depth_up",
		"1 if the last count of queued jobs succeeded, 0 if the database query failed.", nil, nil)
	tenantWaiting = prometheus.NewDesc("ordo_job_tenant_waiting",
		"Jobs waiting to run, for the 5 tenants of each queue with the most (tenant: its slug; - for jobs of no tenant).",
		[]string{"queue", "tenant"}, nil)
	tenantRunning = prometheus.NewDesc("ordo_job_tenant_running",
		"Jobs running, for the same tenants as ordo_job_tenant_waiting.", []string{"queue", "tenant"}, nil)
	tenantOldestWait = prometheus.NewDesc("ordo_job_tenant_oldest_wait_seconds",
		"How long the tenant's longest-waiting job has waited since it could run, for the same tenants as ordo_job_tenant_waiting.",
		[]string{"queue", "tenant"}, nil)
)

type storeCollector struct {
	st     Store
	queues []string
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolMax, poolTotal, poolAcquired, poolIdle, poolAcquires, poolAcquireSeconds,
		poolEmpty, poolEmptyWait, queueDepth, queueDepthUp, tenantWaiting, tenantRunning, tenantOldestWait} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.st.PoolStats()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(poolMax, float64(s.MaxConns))
	gauge(poolTotal, float64(s.TotalConns))
	gauge(poolAcquired, float64(s.AcquiredConns))
	gauge(poolIdle, float64(s.IdleConns))
	if s.AcquireCount >= 0 {
		counter(poolAcquires, float64(s.AcquireCount))
		counter(poolAcquireSeconds, s.AcquireDuration.Seconds())
	}
	counter(poolEmpty, float64(s.EmptyAcquireCount))
	counter(poolEmptyWait, s.EmptyAcquireWait.Seconds())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.st.JobQueueDepth(ctx)
	if err != nil {
		// The pool metrics are still worth having: report the failure
		// rather than failing the whole scrape.
		gauge(queueDepthUp, 0)
		return
	}
	gauge(queueDepthUp, 1)
	seen := map[[2]string]bool{}
	for _, q := range counts {
		seen[[2]string{q.Queue, q.State}] = true
		ch <- prometheus.MustNewConstMetric(queueDepth, prometheus.GaugeValue, float64(q.Count), q.Queue, q.State)
	}
	for _, q := range c.queues {
		for _, st := range store.JobQueueDepthStates {
			if !seen[[2]string{q, st}] {
				ch <- prometheus.MustNewConstMetric(queueDepth, prometheus.GaugeValue, 0, q, st)
			}
		}
	}
	backlog, err := c.st.JobTenantBacklog(ctx, nil, TopTenants)
	if err != nil {
		return // the depth above says whether the database answers
	}
	for _, b := range backlog {
		name := b.Slug
		if name == "" {
			name = b.Tenant // no tenant ("-"), or one since deleted
		}
		ch <- prometheus.MustNewConstMetric(tenantWaiting, prometheus.GaugeValue, float64(b.Waiting), b.Queue, name)
		ch <- prometheus.MustNewConstMetric(tenantRunning, prometheus.GaugeValue, float64(b.Running), b.Queue, name)
		ch <- prometheus.MustNewConstMetric(tenantOldestWait, prometheus.GaugeValue, b.OldestWait.Seconds(), b.Queue, name)
	}
}
