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

// Tally counts the usage that comes too often for a write each: API
// requests, and successful webhook deliveries (thousands a second from one
// tenant, which would all update its one tenant_usage row, each waiting for
// the last to commit). It counts in memory and adds to tenant_usage in
// batches: every FlushEvery, or sooner once FlushAfter counts wait, one
// UPSERT per tenant and counter. Counting costs a map increment under a
// mutex, never a database write. What a process counted but had not
// flushed when it dies is lost (at most FlushEvery's worth); Flush at
// shutdown writes the rest. Usage that a limit checks (orders) is counted
// in the transaction that does it instead (Adder).
type Tally struct {
	store Adder
	log   *slog.Logger
	now   func() time.Time

	mu      sync.Mutex
	counts  map[tallyKey]int64
	pending int64
	kick    chan struct{}
}

type tallyKey struct {
	tenant  uuid.UUID
	counter Counter
}

// Batch bounds of a Tally.
const (
	FlushEvery = 5 * time.Second
	FlushAfter = 1000
)

// UsageCounter counts usage as it happens, without writing it at once:
// what the web server (API requests) and the webhook deliverer (successful
// deliveries) need of a Tally.
type UsageCounter interface {
	Add(tenantID uuid.UUID, c Counter, n int64)
}

var _ UsageCounter = (*Tally)(nil)

// NewTally returns a tally that writes to st; Run flushes it.
func NewTally(st Adder, log *slog.Logger) *Tally {
	return &Tally{store: st, log: log, now: time.Now, counts: map[tallyKey]int64{}, kick: make(chan struct{}, 1)}
}

// Add counts n of counter c for the tenant.
func (t *Tally) Add(tenantID uuid.UUID, c Counter, n int64) {
	t.mu.Lock()
	t.counts[tallyKey{tenantID, c}] += n
	t.pending += n
	full := t.pending >= FlushAfter
	t.mu.Unlock()
	if full {
		select {
		case t.kick <- struct{}{}:
		default: // a flush is already asked for
		}
	}
}

// Run flushes every FlushEvery, or when FlushAfter counts wait, until ctx
// ends; call Flush after the work has stopped for the last counts.
func (t *Tally) Run(ctx context.Context) {
	tick := time.NewTicker(FlushEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-t.kick:
		}
		if err := t.Flush(context.WithoutCancel(ctx)); err != nil && t.log != nil {
			t.log.WarnContext(ctx, "write usage counts", "err", err)
		}
	}
}

// Flush writes what was counted: one UPSERT per tenant and counter, in the
// month of the flush (a batch straddling midnight at a month's end counts
// in the new month: at most FlushEvery of counts). Counts that fail to be
// written are kept for the next flush.
func (t *Tally) Flush(ctx context.Context) error {
	t.mu.Lock()
	batch := t.counts
	t.counts, t.pending = make(map[tallyKey]int64, len(batch)), 0
	t.mu.Unlock()
	month := Month(t.now())
	var errs []error
	for k, n := range batch {
		err := t.store.UsageAdd(ctx, k.tenant, month, k.counter, n)
		if err == nil {
			continue
		}
		errs = append(errs, err)
		if errors.Is(err, apperr.ErrInvalid) {
			// The tenant was deleted meanwhile (its foreign key fails):
			// nothing left to count for.
			continue
		}
		t.mu.Lock()
		t.counts[k] += n
		t.pending += n
		t.mu.Unlock()
	}
	return errors.Join(errs...)
}
