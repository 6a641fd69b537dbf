package sqlitestore

import (
	"context"
	"fmt"

	"github.com/ordo/ordo/internal/store"
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
	rows, err := s.rw.QueryContext(ctx, `SELECT queue, state, count(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running') GROUP BY queue, state ORDER BY queue, state`)
	if err != nil {
		return nil, fmt.Errorf("count queued jobs: %w", err)
	}
	defer rows.Close()
	var out []store.JobQueueCount
	for rows.Next() {
		var c store.JobQueueCount
		if err := rows.Scan(&c.Queue, &c.State, &c.Count); err != nil {
			return nil, fmt.Errorf("count queued jobs: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count queued jobs: %w", err)
	}
	return out, nil
}
