package sqlitestore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

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
