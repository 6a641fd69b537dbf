package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/store"
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
