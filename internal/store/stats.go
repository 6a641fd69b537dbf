package store

import "time"

// PoolStats is a snapshot of a store's connection pool, for metrics.
// Counters only ever grow over the life of the store.
type PoolStats struct {
	// MaxConns is the most connections the pool opens.
	MaxConns int
	// TotalConns is the open connections: acquired, idle, and (PostgreSQL)
	// being opened.
	TotalConns int
	// AcquiredConns are in use by a query or transaction.
	AcquiredConns int
	// IdleConns wait in the pool.
	IdleConns int

	// AcquireCount is the connections handed out, and AcquireDuration the
	// time all of them took; both are -1 where the engine does not count
	// them (SQLite, through database/sql).
	AcquireCount    int64
	AcquireDuration time.Duration
	// EmptyAcquireCount is the acquires that found no idle connection and
	// had to wait for one, and EmptyAcquireWait the time they waited.
	EmptyAcquireCount int64
	EmptyAcquireWait  time.Duration
}

// JobQueueCount is how many jobs of a queue are in one state.
type JobQueueCount struct {
	Queue string
	State string // available, scheduled, retryable or running
	Count int64
}

// JobQueueDepthStates are the states JobQueueDepth counts: jobs waiting to
// run or running, not those that are done.
var JobQueueDepthStates = []string{"available", "scheduled", "retryable", "running"}
