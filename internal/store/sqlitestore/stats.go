package sqlitestore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

// PoolStats reports on the application's connections; River's own single
// connection (JobRunner) is not counted. database/sql does not count
// acquires, only those that waited.
func (s *Store) PoolStats() store.PoolStats {
	st := s.rw.Stats()
	return store.PoolStats{
		MaxConns:          st.MaxOpenConnections,
		TotalConns:        st.OpenConnections,
		AcquiredConns:     st.InUse,
		IdleConns:         st.Idle,
		AcquireCount:      -1,
		AcquireDuration:   -1,
		EmptyAcquireCount: st.WaitCount,
		EmptyAcquireWait:  st.WaitDuration,
	}
}

// JobQueueDepth reads river_job directly: River's own API lists jobs, it
// does not count them.
func (s *Store) JobQueueDepth(ctx context.Context) ([]store.JobQueueCount, error) {
	args := make([]any, len(store.JobQueueDepthStates))
	ph := make([]string, len(args))
	for i, st := range store.JobQueueDepthStates {
		args[i], ph[i] = st, "$"+strconv.Itoa(i+1)
	}
	rows, err := s.rw.QueryContext(ctx, `SELECT queue, state, count(*) FROM river_job
		WHERE state IN (`+strings.Join(ph, ", ")+`) GROUP BY queue, state ORDER BY queue, state`, args...)
	if err != nil {
		return nil, fmt.Errorf("count queued jobs: %w", err)
	}
	out, err := collect(rows, func(r scanner) (store.JobQueueCount, error) {
		var c store.JobQueueCount
		return c, r.Scan(&c.Queue, &c.State, &c.Count)
	})
	if err != nil {
		return nil, fmt.Errorf("count queued jobs: %w", err)
	}
	return out, nil
}

// topBacklogSQL is JobTenantBacklog without a tenant: the top tenants of
// each queue by waiting jobs, at most ?1 each.
const topBacklogSQL = `
	WITH per AS (
		SELECT queue, coalesce(json_extract(args, '$.tenant_id'), '-') AS k,
			count(*) FILTER (WHERE state = 'available') AS waiting,
			count(*) FILTER (WHERE state = 'running') AS running,
			coalesce((julianday('now') - julianday(min(scheduled_at) FILTER (WHERE state = 'available'))) * 86400.0, 0.0) AS oldest
		FROM river_job
		WHERE state IN ('available', 'running')
		GROUP BY 1, 2
	), ranked AS (
		SELECT *, row_number() OVER (PARTITION BY queue ORDER BY waiting DESC, k) AS n FROM per
	)
	SELECT r.queue, r.k, coalesce(te.slug, ''), r.waiting, r.running, max(r.oldest, 0.0)
	FROM ranked r LEFT JOIN tenants te ON te.id = r.k
	WHERE r.n <= ?1
	ORDER BY r.queue, r.n`

// tenantBacklogSQL is JobTenantBacklog for one tenant (?1, its ID as
// text): the queues with waiting jobs are found by a loose scan of
// river_job_tenant_available (one probe a queue), and the tenant's waiting
// jobs of each by the same index, so a page of one tenant does not read
// every tenant's waiting jobs. Running jobs are few (at most the workers):
// River's (state, queue, ...) index gives them.
const tenantBacklogSQL = `
	WITH RECURSIVE queues(queue) AS (
		SELECT (SELECT queue FROM river_job WHERE state = 'available' ORDER BY queue LIMIT 1)
		UNION ALL
		SELECT (SELECT j.queue FROM river_job j WHERE j.state = 'available' AND j.queue > q.queue ORDER BY j.queue LIMIT 1)
		FROM queues q WHERE q.queue IS NOT NULL
	), mine(queue, waiting, running, oldest) AS (
		SELECT q.queue,
			(SELECT count(*) FROM river_job j
				WHERE j.state = 'available' AND j.queue = q.queue AND coalesce(json_extract(j.args, '$.tenant_id'), '-') = ?1),
			0,
			(SELECT min(j.scheduled_at) FROM river_job j
				WHERE j.state = 'available' AND j.queue = q.queue AND coalesce(json_extract(j.args, '$.tenant_id'), '-') = ?1)
		FROM queues q WHERE q.queue IS NOT NULL
		UNION ALL
		SELECT queue, 0, count(*), NULL FROM river_job
		WHERE state = 'running' AND coalesce(json_extract(args, '$.tenant_id'), '-') = ?1 GROUP BY queue
	)
	SELECT queue, ?1, coalesce((SELECT slug FROM tenants WHERE id = ?1), ''), sum(waiting), sum(running),
		max(coalesce((julianday('now') - julianday(min(oldest))) * 86400.0, 0.0), 0.0)
	FROM mine
	GROUP BY queue HAVING sum(waiting) + sum(running) > 0
	ORDER BY queue`

func (s *Store) JobTenantBacklog(ctx context.Context, tenantID *uuid.UUID, top int) ([]jobs.Backlog, error) {
	query, args := topBacklogSQL, []any{top}
	if tenantID != nil {
		// One row a queue, which any top of at least 1 keeps.
		if top < 1 {
			return nil, nil
		}
		query, args = tenantBacklogSQL, []any{tenantID.String()}
	}
	rows, err := s.rw.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("tenant job backlog: %w", err)
	}
	defer rows.Close()
	return sqlshared.ScanJobBacklog(rows)
}
