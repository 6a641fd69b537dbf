package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/metrics"
	"github.com/ordo/ordo/internal/web"
)

// redisFloorPrefix keys the read replicas' per-tenant floors in the cache.
const redisFloorPrefix = "replica-floor:"

// cacheFloors keeps the read replicas' floors (pgstore.Floors) in the
// shared cache: Redis when configured, so that every process sees a
// tenant's write at once (not the near cache, whose copies may be a second
// old), in process otherwise. The cache opens after the store; until then,
// and whenever the cache fails, reads go to the primary.
//
// Two processes marking one tenant at once may leave the lower of their
// two positions; both are positions the primary had after the writes
// their requests made, so neither request can miss its own write.
type cacheFloors struct{ svc *services }

func (f cacheFloors) Floor(ctx context.Context, tenant uuid.UUID) (uint64, error) {
	c := f.svc.shared
	if c == nil {
		return 0, fmt.Errorf("no cache for replica floors yet")
	}
	b, ok, err := c.Get(ctx, redisFloorPrefix+tenant.String())
	if err != nil || !ok {
		return 0, err
	}
	return strconv.ParseUint(string(b), 10, 64)
}

func (f cacheFloors) SetFloor(ctx context.Context, tenant uuid.UUID, lsn uint64, ttl time.Duration) error {
	c := f.svc.shared
	if c == nil {
		return fmt.Errorf("no cache for replica floors yet")
	}
	return c.Set(ctx, redisFloorPrefix+tenant.String(), []byte(strconv.FormatUint(lsn, 10)), ttl)
}

// wrote is web.Options.Wrote: it raises the tenant's floor so that its
// next reads see its write, on a replica that has replayed it or on the
// primary. A failure is logged, and costs the tenant at most a stale list
// for up to DATABASE_REPLICA_MAX_LAG.
func (s *services) wrote(ctx context.Context, tenant uuid.UUID) {
	if s.pg == nil || len(s.cfg.ReplicaURLs) == 0 {
		return
	}
	if err := s.pg.MarkWritten(ctx, tenant); err != nil {
		s.log.WarnContext(ctx, "could not record a write for read-your-writes on replicas", "err", err)
	}
}

func (s *services) replicaStatus() (int64, []metrics.Replica) {
	primary, rs := s.pg.ReplicaStatus()
	out := make([]metrics.Replica, len(rs))
	for i, r := range rs {
		out[i] = metrics.Replica{Name: r.Name, Up: r.Up, Lag: r.Lag, Reads: r.Reads}
	}
	return primary, out
}

// replicaCheck reports the replicas on /readyz: each one's lag, and
// "degraded" (not a failure: reads go to the primary) when one is down or
// beyond DATABASE_REPLICA_MAX_LAG.
func (s *services) replicaCheck() web.Check {
	return web.Check{Name: "replicas", Optional: true,
		Func: func(context.Context) error {
			_, rs := s.pg.ReplicaStatus()
			var bad []string
			for _, r := range rs {
				switch {
				case !r.Up:
					bad = append(bad, r.Name+" is down")
				case r.Lag > s.cfg.ReplicaMaxLag:
					bad = append(bad, fmt.Sprintf("%s lags %s, beyond %s", r.Name, r.Lag.Round(time.Millisecond), s.cfg.ReplicaMaxLag))
				}
			}
			if len(bad) > 0 {
				return fmt.Errorf("reads go to the primary: %s", strings.Join(bad, "; "))
			}
			return nil
		},
		Detail: func() string {
			_, rs := s.pg.ReplicaStatus()
			parts := make([]string, len(rs))
			for i, r := range rs {
				state := "up"
				if !r.Up {
					state = "down"
				}
				parts[i] = fmt.Sprintf("%s %s, lag %.3fs", r.Name, state, r.Lag.Seconds())
			}
			return strings.Join(parts, "; ")
		}}
}
