package cache

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// ReadThrough returns key's value from c as JSON when it holds one that
// fresh accepts (nil: any), and otherwise loads the value, stores it for
// ttl and returns it. A failing cache is logged and bypassed: the value is
// then always loaded. A nil c loads every time.
func ReadThrough[T any](ctx context.Context, c Cache, log *slog.Logger, key string, ttl time.Duration, fresh func(T) bool,
	load func() (T, error)) (T, error) {
	if c != nil {
		if b, ok, err := c.Get(ctx, key); err != nil {
			log.WarnContext(ctx, "cache unavailable; reading the database", "err", err)
		} else if ok {
			var v T
			if json.Unmarshal(b, &v) == nil && (fresh == nil || fresh(v)) {
				return v, nil
			}
		}
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	if c != nil {
		if b, err := json.Marshal(v); err == nil {
			if err := c.Set(ctx, key, b, ttl); err != nil {
				log.WarnContext(ctx, "cache unavailable", "err", err)
			}
		}
	}
	return v, nil
}

// Forget drops keys from c (if any) after the change they cached has
// committed, even if ctx is cancelled. A failure is logged loudly: until
// the entries expire, stale values may be served.
func Forget(ctx context.Context, c Cache, log *slog.Logger, keys ...string) {
	if c == nil || len(keys) == 0 {
		return
	}
	if err := c.Delete(context.WithoutCancel(ctx), keys...); err != nil {
		log.ErrorContext(ctx, "cache invalidation failed; entries expire within their TTL", "keys", keys, "err", err)
	}
}
