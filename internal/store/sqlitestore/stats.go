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

func (s *Store) JobTenantBacklog(ctx context.Context, tenantID *uuid.UUID, top int) ([]jobs.Backlog, error) {
	var tid any
	if tenantID != nil {
		tid = tenantID.String()
	}
	rows, err := s.rw.QueryContext(ctx, `
		WITH per AS (
			SELECT queue, coalesce(json_extract(args, '$.tenant_id'), '-') AS k,
				count(*) FILTER (WHERE state = 'available') AS waiting,
				count(*) FILTER (WHERE state = 'running') AS running,
				coalesce((julianday('now') - julianday(min(scheduled_at) FILTER (WHERE state = 'available'))) * 86400.0, 0.0) AS oldest
			FROM river_job
			WHERE state IN ('available', 'running') AND (?1 IS NULL OR coalesce(json_extract(args, '$.tenant_id'), '-') = ?1)
			GROUP BY 1, 2
		), ranked AS (
			SELECT *, row_number() OVER (PARTITION BY queue ORDER BY waiting DESC, k) AS n FROM per
		)
		SELECT r.queue, r.k, coalesce(te.slug, ''), r.waiting, r.running, max(r.oldest, 0.0)
		FROM ranked r LEFT JOIN tenants te ON te.id = r.k
		WHERE r.n <= ?2
		ORDER BY r.queue, r.n`, tid, top)
	if err != nil {
		return nil, fmt.Errorf("tenant job backlog: %w", err)
	}
	defer rows.Close()
	return sqlshared.ScanJobBacklog(rows)
}
