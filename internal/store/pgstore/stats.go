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

func (s *Store) JobTenantBacklog(ctx context.Context, tenantID *uuid.UUID, top int) ([]jobs.Backlog, error) {
	var tid *string
	if tenantID != nil {
		t := tenantID.String()
		tid = &t
	}
	rows, err := s.pool.Query(ctx, `
		WITH per AS (
			SELECT queue, coalesce(args->>'tenant_id', '-') AS k,
				count(*) FILTER (WHERE state = 'available') AS waiting,
				count(*) FILTER (WHERE state = 'running') AS running,
				coalesce(extract(epoch FROM now() - min(scheduled_at) FILTER (WHERE state = 'available')), 0)::float8 AS oldest
			FROM river_job
			WHERE state IN ('available', 'running') AND ($1::text IS NULL OR coalesce(args->>'tenant_id', '-') = $1)
			GROUP BY 1, 2
		), ranked AS (
			SELECT *, row_number() OVER (PARTITION BY queue ORDER BY waiting DESC, k) AS n FROM per
		)
		SELECT r.queue, r.k, coalesce(te.slug, ''), r.waiting, r.running, greatest(r.oldest, 0)
		FROM ranked r
		LEFT JOIN tenants te ON te.id = CASE WHEN r.k ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN r.k::uuid END
		WHERE r.n <= $2
		ORDER BY r.queue, r.n`, tid, top)
	if err != nil {
		return nil, fmt.Errorf("tenant job backlog: %w", err)
	}
	defer rows.Close()
	return sqlshared.ScanJobBacklog(rows)
}
