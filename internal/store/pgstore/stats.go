package pgstore

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

func (s *Store) PoolStats() store.PoolStats {
	st := s.pool.Stat()
	return store.PoolStats{
		MaxConns:          int(st.MaxConns()),
		TotalConns:        int(st.TotalConns()),
		AcquiredConns:     int(st.AcquiredConns()),
		IdleConns:         int(st.IdleConns()),
		AcquireCount:      st.AcquireCount(),
		AcquireDuration:   st.AcquireDuration(),
		EmptyAcquireCount: st.EmptyAcquireCount(),
		EmptyAcquireWait:  st.EmptyAcquireWaitTime(),
	}
}

// JobQueueDepth reads river_job directly: River's own API lists jobs, it
// does not count them. The (state, queue, priority, scheduled_at, id)
// index River keeps serves the WHERE clause.
func (s *Store) JobQueueDepth(ctx context.Context) ([]store.JobQueueCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT queue, state::text, count(*) FROM river_job
		WHERE state = ANY($1::river_job_state[]) GROUP BY queue, state ORDER BY queue, state`, store.JobQueueDepthStates)
	if err != nil {
		return nil, fmt.Errorf("count queued jobs: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[store.JobQueueCount])
	if err != nil {
		return nil, fmt.Errorf("count queued jobs: %w", err)
	}
	return out, nil
}

// topBacklogSQL is JobTenantBacklog without a tenant: the top tenants of
// each queue by waiting jobs, at most $1 each.
const topBacklogSQL = `
	WITH per AS (
		SELECT queue, coalesce(args->>'tenant_id', '-') AS k,
			count(*) FILTER (WHERE state = 'available') AS waiting,
			count(*) FILTER (WHERE state = 'running') AS running,
			coalesce(extract(epoch FROM now() - min(scheduled_at) FILTER (WHERE state = 'available')), 0)::float8 AS oldest
		FROM river_job
		WHERE state IN ('available', 'running')
		GROUP BY 1, 2
	), ranked AS (
		SELECT *, row_number() OVER (PARTITION BY queue ORDER BY waiting DESC, k) AS n FROM per
	)
	SELECT r.queue, r.k, coalesce(te.slug, ''), r.waiting, r.running, greatest(r.oldest, 0)
	FROM ranked r
	LEFT JOIN tenants te ON te.id = CASE WHEN r.k ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN r.k::uuid END
	WHERE r.n <= $1
	ORDER BY r.queue, r.n`

// tenantBacklogSQL is JobTenantBacklog for one tenant ($1, its ID as
// text): the queues with waiting jobs are found by a loose scan of
// river_job_tenant_available (one probe a queue), and the tenant's waiting
// jobs of each by the same index, so a page of one tenant does not read
// every tenant's waiting jobs. Running jobs are few (at most the workers):
// River's (state, queue, ...) index gives them. The counts are a lateral
// subquery per queue, not a join: joined, PostgreSQL 15 scanned the whole
// table (the recursive CTE's row estimate is a guess).
const tenantBacklogSQL = `
	WITH RECURSIVE queues(queue) AS (
		(SELECT queue FROM river_job WHERE state = 'available' ORDER BY queue LIMIT 1)
		UNION ALL
		SELECT (SELECT j.queue FROM river_job j WHERE j.state = 'available' AND j.queue > q.queue ORDER BY j.queue LIMIT 1)
		FROM queues q WHERE q.queue IS NOT NULL
	), mine(queue, waiting, running, oldest) AS (
		SELECT q.queue, w.n, 0::bigint, w.oldest FROM queues q CROSS JOIN LATERAL (
			SELECT count(*) AS n, min(j.scheduled_at) AS oldest FROM river_job j
			WHERE j.state = 'available' AND j.queue = q.queue AND coalesce(j.args->>'tenant_id', '-') = $1) w
		WHERE q.queue IS NOT NULL
		UNION ALL
		SELECT queue, 0::bigint, count(*), NULL::timestamptz FROM river_job
		WHERE state = 'running' AND coalesce(args->>'tenant_id', '-') = $1 GROUP BY queue
	)
	SELECT queue, $1, coalesce((SELECT slug FROM tenants WHERE id = $1::uuid), ''), sum(waiting)::bigint, sum(running)::bigint,
		greatest(coalesce(extract(epoch FROM now() - min(oldest)), 0)::float8, 0)
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
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("tenant job backlog: %w", err)
	}
	defer rows.Close()
	return sqlshared.ScanJobBacklog(rows)
}
