package plan

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
)

// RequestCounter counts API requests per tenant in memory and adds them to
// tenant_usage.api_requests in batches: every FlushEvery, or sooner once
// FlushAfter requests wait, one UPSERT per tenant. A request costs a map
// increment under a mutex, never a database write. What a process counted
// but had not flushed when it dies is lost (at most FlushEvery's worth);
// Flush at shutdown writes the rest.
type RequestCounter struct {
	store Adder
	log   *slog.Logger
	now   func() time.Time

	mu      sync.Mutex
	counts  map[uuid.UUID]int64
	pending int64
	kick    chan struct{}
}

// Batch bounds of a RequestCounter.
const (
	FlushEvery = 5 * time.Second
	FlushAfter = 1000
)

// NewRequestCounter returns a counter that writes to st; Run flushes it.
func NewRequestCounter(st Adder, log *slog.Logger) *RequestCounter {
	return &RequestCounter{store: st, log: log, now: time.Now, counts: map[uuid.UUID]int64{}, kick: make(chan struct{}, 1)}
}

// Add counts one request of the tenant.
func (c *RequestCounter) Add(tenantID uuid.UUID) {
	c.mu.Lock()
	c.counts[tenantID]++
	c.pending++
	full := c.pending >= FlushAfter
	c.mu.Unlock()
	if full {
		select {
		case c.kick <- struct{}{}:
		default: // a flush is already asked for
		}
	}
}

// Run flushes every FlushEvery, or when FlushAfter requests wait, until ctx
// ends; call Flush after the server has stopped for the last requests.
func (c *RequestCounter) Run(ctx context.Context) {
	t := time.NewTicker(FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.kick:
		}
		if err := c.Flush(context.WithoutCancel(ctx)); err != nil && c.log != nil {
			c.log.WarnContext(ctx, "count API requests", "err", err)
		}
	}
}

// Flush writes what was counted: one UPSERT per tenant, in the month of
// the flush (a batch straddling midnight at a month's end counts in the
// new month: at most FlushEvery of requests). Counts that fail to be
// written are kept for the next flush.
func (c *RequestCounter) Flush(ctx context.Context) error {
	c.mu.Lock()
	batch := c.counts
	c.counts, c.pending = make(map[uuid.UUID]int64, len(batch)), 0
	c.mu.Unlock()
	month := Month(c.now())
	var errs []error
	for id, n := range batch {
		err := c.store.UsageAdd(ctx, id, month, CountAPIRequests, n)
		if err == nil {
			continue
		}
		errs = append(errs, err)
		if errors.Is(err, apperr.ErrInvalid) {
			// The tenant was deleted meanwhile (its foreign key fails):
			// nothing left to count for.
			continue
		}
		c.mu.Lock()
		c.counts[id] += n
		c.pending += n
		c.mu.Unlock()
	}
	return errors.Join(errs...)
}
