// Package idempotency holds the records behind the Idempotency-Key header
// (Stripe's semantics): the first request with a key runs and its
// response is kept for 24 hours; a retry with the same body gets that
// response again, one with another body is refused, and one that arrives
// while the first is still running is told to wait.
package idempotency

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// TTL is how long a key is remembered.
const TTL = 24 * time.Hour

// StaleAfter is when a request that never finished (its process died) no
// longer blocks retries.
const StaleAfter = time.Minute

// Record is one key's state.
type Record struct {
	TenantID    uuid.UUID
	Key         string
	RequestHash []byte // method, path and body
	Done        bool
	Status      int
	Headers     map[string]string
	Body        []byte
	LockedAt    time.Time
	CreatedAt   time.Time
	// KeyedEffect says that the request's effect carries the key itself
	// (an order stores the key it was created with), so a retry that finds
	// no record still does not repeat it. Its record may then be saved
	// without waiting for durability: a crash that loses it loses nothing.
	KeyedEffect bool
}

// Store keeps the records.
type Store interface {
	// IdempotencyBegin claims the key for a new request. If the key is
	// taken (and not stale or expired) it returns the existing record and
	// false; otherwise it stores rec as in flight and returns it and true.
	IdempotencyBegin(ctx context.Context, rec Record, now time.Time) (Record, bool, error)
	// IdempotencyFinish stores the response of the request holding the key.
	IdempotencyFinish(ctx context.Context, rec Record) error
	// IdempotencyRelease forgets a key whose request failed, so that a
	// retry runs again.
	IdempotencyRelease(ctx context.Context, tenantID uuid.UUID, key string) error
}
