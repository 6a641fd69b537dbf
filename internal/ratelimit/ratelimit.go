// Package ratelimit limits how often a key (an IP, a user, an API key) may
// act, with the GCRA algorithm of github.com/throttled/throttled: counters
// in Redis when REDIS_URL is set, so that every process shares them, and
// in process otherwise. Both use the same algorithm, so limits behave the
// same in either mode.
package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/throttled/throttled/v2"
	goredisstore "github.com/throttled/throttled/v2/store/goredisstore.v9"
	"github.com/throttled/throttled/v2/store/memstore"
)

// Quota is a sustained rate with a burst: Per/Rate apart on average, and
// up to Burst at once.
type Quota struct {
	Rate  int           // requests...
	Per   time.Duration // ...per this period
	Burst int           // requests allowed at once from a fresh state
	// Lease, above 1, is how many requests a process takes from the
	// store at once and then spends on its own (see Limiter.Allow):
	// for the limits every API request checks, whose store is Redis.
	Lease int
}

// LeaseFor is the lease of a limit with this burst that keeps it within 5%
// of its setting per process: a twentieth of the burst, at most 100.
func LeaseFor(burst int) int { return min(max(burst/20, 1), 100) }

// Result is the outcome of one check, with what the RateLimit headers
// report.
type Result struct {
	Allowed    bool
	Limit      int
	Remaining  int
	RetryAfter time.Duration // when not allowed: wait this long
	ResetAfter time.Duration // until the key is back to a fresh state
}

// Limiter checks keys against one quota.
type Limiter struct {
	gcra  *throttled.GCRARateLimiterCtx
	quota Quota
	now   func() time.Time

	mu     sync.Mutex
	leases map[string]*lease
}

// lease is what is left of the requests a process took from the store for
// one key; left, res and expires are guarded by the Limiter's mu.
type lease struct {
	call    sync.Mutex // held while asking the store about the key
	left    int
	res     Result // the store's answer when it was taken
	expires time.Time
}

// maxLeases bounds the keys a limiter holds leases for; past it, expired
// ones go, or else all (what they held is then spent on nothing).
const maxLeases = 10_000

// Store holds the counters: in Redis or in process.
type Store = throttled.GCRAStoreCtx

// NewMemoryStore keeps counters for up to maxKeys keys in process.
func NewMemoryStore(maxKeys int) (Store, error) { return memstore.NewCtx(maxKeys) }

// NewRedisStore keeps counters in Redis under prefix.
func NewRedisStore(client redis.UniversalClient, prefix string) (Store, error) {
	return goredisstore.NewCtx(client, prefix)
}

// New returns a limiter for q on st.
func New(st Store, q Quota) (*Limiter, error) {
	if q.Rate < 1 || q.Per <= 0 || q.Burst < 1 {
		return nil, fmt.Errorf("ratelimit: invalid quota %+v", q)
	}
	// throttled counts the burst beyond the first request.
	l, err := throttled.NewGCRARateLimiterCtx(st, throttled.RateQuota{
		MaxRate:  throttled.PerDuration(q.Rate, q.Per),
		MaxBurst: q.Burst - 1,
	})
	if err != nil {
		return nil, fmt.Errorf("ratelimit: %w", err)
	}
	return &Limiter{gcra: l, quota: q, now: time.Now}, nil
}

// Allow spends one request of key's quota.
//
// With a Lease, a process asks the store for Lease requests at once and
// answers the next ones from what is left, without a round trip, for up
// to the quota's Per. What one process holds, the others cannot spend:
// across processes a key is limited up to Lease requests per other process
// early (a twentieth of the burst each, with LeaseFor), and one burst may
// exceed Burst by Lease per process. When the store has no whole lease
// left, Allow asks for one request, so the limit itself stays exact. A
// process asks the store about one key one call at a time: concurrent
// compare-and-swaps on one key fail each other (throttled gives up after
// 10), and the requests waiting meanwhile are mostly answered by the lease
// the call brings.
func (l *Limiter) Allow(ctx context.Context, key string) (Result, error) {
	if l.quota.Lease <= 1 {
		return l.ask(ctx, key, 1)
	}
	ls := l.lease(key)
	if r, ok := l.spend(ls); ok {
		return r, nil
	}
	ls.call.Lock()
	defer ls.call.Unlock()
	if r, ok := l.spend(ls); ok {
		return r, nil // another request's call brought a lease
	}
	r, err := l.ask(ctx, key, l.quota.Lease)
	if err != nil {
		return Result{}, err
	}
	if !r.Allowed {
		return l.ask(ctx, key, 1)
	}
	l.mu.Lock()
	ls.left, ls.res, ls.expires = l.quota.Lease-1, r, l.now().Add(max(l.quota.Per, time.Second))
	l.mu.Unlock()
	r.Remaining += l.quota.Lease - 1
	return r, nil
}

// ask spends n requests of key's quota in the store.
func (l *Limiter) ask(ctx context.Context, key string, n int) (Result, error) {
	limited, r, err := l.gcra.RateLimitCtx(ctx, key, n)
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit %q: %w", key, err)
	}
	return Result{Allowed: !limited, Limit: r.Limit, Remaining: r.Remaining, RetryAfter: r.RetryAfter, ResetAfter: r.ResetAfter}, nil
}

// spend spends one request of a lease, if it has one left.
func (l *Limiter) spend(ls *lease) (Result, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ls.left == 0 || !l.now().Before(ls.expires) {
		return Result{}, false
	}
	ls.left--
	r := ls.res
	r.Remaining += ls.left
	return r, true
}

// lease returns key's lease, new and empty if it has none.
func (l *Limiter) lease(key string) *lease {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ls, ok := l.leases[key]; ok {
		return ls
	}
	if l.leases == nil {
		l.leases = map[string]*lease{}
	}
	if len(l.leases) >= maxLeases {
		now := l.now()
		for k, old := range l.leases {
			if !now.Before(old.expires) || old.left == 0 {
				delete(l.leases, k)
			}
		}
		if len(l.leases) >= maxLeases {
			clear(l.leases)
		}
	}
	ls := &lease{}
	l.leases[key] = ls
	return ls
}

// Peek reports whether key could spend one more request, spending none:
// for limits that count only some outcomes (failed password checks), which
// are checked before the attempt and spent with Allow after it fails.
// ResetAfter is positive while anything spent has not drained yet, so
// Used tells whether key has spent anything recently.
func (l *Limiter) Peek(ctx context.Context, key string) (Result, error) {
	// throttled treats a quantity of 0 as a look: nothing is added, and
	// RetryAfter is set (not -1) only if one more would be limited.
	_, r, err := l.gcra.RateLimitCtx(ctx, key, 0)
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit %q: %w", key, err)
	}
	return Result{Allowed: r.RetryAfter < 0, Limit: r.Limit, Remaining: r.Remaining, RetryAfter: max(r.RetryAfter, 0), ResetAfter: r.ResetAfter}, nil
}

// Used reports whether the key this result is about has spent any of its
// quota that has not drained yet.
func (r Result) Used() bool { return r.ResetAfter > 0 }

// PerMinute hands out limiters of a given rate per minute (the burst a
// minute's worth, leased with LeaseFor) on one store, one limiter per distinct rate: for rates
// that differ by key, such as each tenant's plan.
type PerMinute struct {
	st Store
	mu sync.Mutex
	m  map[int]*Limiter
}

// NewPerMinute returns limiters on st.
func NewPerMinute(st Store) *PerMinute { return &PerMinute{st: st, m: map[int]*Limiter{}} }

// Get returns the limiter of rate requests per minute (at least 1).
func (p *PerMinute) Get(rate int) (*Limiter, error) {
	rate = max(rate, 1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if l, ok := p.m[rate]; ok {
		return l, nil
	}
	l, err := New(p.st, Quota{Rate: rate, Per: time.Minute, Burst: rate, Lease: LeaseFor(rate)})
	if err != nil {
		return nil, err
	}
	p.m[rate] = l
	return l, nil
}
