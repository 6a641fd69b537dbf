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
// FlushAfter requests are waiting, one UPSERT per tenant. A request costs
// a map increment under a mutex, never a database write. What a process
// counted but had not flushed when it dies is lost (at most FlushEvery's
// worth); Flush at shutdown writes the rest.
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

// Flush writes what was counted: one UPSERT per tenant. Counts that fail
// to be written are kept for the next flush.
func (c *RequestCounter) Flush(ctx context.Context) error {
	c.mu.Lock()
	batch := c.counts
	c.counts, c.pending = make(map[uuid.UUID]int64, len(batch)), 0
	c.mu.Unlock()
	month := c.now()
	var first error
	for id, n := range batch {
		err := c.store.UsageAdd(ctx, id, month, CountAPIRequests, n)
		if err == nil {
			continue
		}
		if first == nil {
			first = err
		}
		if errors.Is(err, apperr.ErrInvalid) {
			// The tenant was deleted meanwhile (its foreign key fails):
			// nothing left to count for.
			continue
		}
		// Anything else is tried again with the next batch.
		c.mu.Lock()
		c.counts[id] += n
		c.pending += n
		c.mu.Unlock()
	}
	return first
}

// ValueCache resolves one limit of tenants, keeping each answer for TTL in
// process: for a limit checked on every request (the API rate), where a
// database read per request would cost more than the limit saves. An
// operator's change reaches a process within TTL.
type ValueCache struct {
	r interface {
		PlanOverrides(ctx context.Context, tenantID uuid.UUID) (Overrides, error)
	}
	name Limit
	ttl  time.Duration
	now  func() time.Time

	mu sync.Mutex
	m  map[uuid.UUID]cachedValue
}

type cachedValue struct {
	v       int64
	expires time.Time
}

// maxCached bounds a ValueCache: past it, the cache starts afresh.
const maxCached = 100_000

// NewValueCache returns a cache of limit name read through r.
func NewValueCache(r interface {
	PlanOverrides(ctx context.Context, tenantID uuid.UUID) (Overrides, error)
}, name Limit, ttl time.Duration) *ValueCache {
	return &ValueCache{r: r, name: name, ttl: ttl, now: time.Now, m: map[uuid.UUID]cachedValue{}}
}

// Get returns the tenant's value of the cache's limit.
func (c *ValueCache) Get(ctx context.Context, tenantID uuid.UUID) (int64, error) {
	now := c.now()
	c.mu.Lock()
	cv, ok := c.m[tenantID]
	c.mu.Unlock()
	if ok && now.Before(cv.expires) {
		return cv.v, nil
	}
	o, err := c.r.PlanOverrides(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	v := o.Value(c.name)
	c.mu.Lock()
	if len(c.m) >= maxCached {
		c.m = map[uuid.UUID]cachedValue{}
	}
	c.m[tenantID] = cachedValue{v: v, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return v, nil
}
