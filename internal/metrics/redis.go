package metrics

import (
	"context"
	"errors"
	"net"

	"github.com/redis/go-redis/v9"
)

// RedisHook counts failed Redis commands by the role role says a command
// plays (cache, ratelimit, pubsub, session; "" is counted as other). A missing key (redis.Nil),
// a watched key that changed and a caller that went away are not Redis
// failures and are not counted. Add it with client.AddHook.
func (m *Metrics) RedisHook(role func(redis.Cmder) string) redis.Hook {
	return redisHook{m: m, role: role}
}

type redisHook struct {
	m    *Metrics
	role func(redis.Cmder) string
}

func (h redisHook) failed(err error) bool {
	return err != nil && !errors.Is(err, redis.Nil) && !errors.Is(err, redis.TxFailedErr) && !errors.Is(err, context.Canceled)
}

func (h redisHook) count(role string) {
	if h.m == nil {
		return
	}
	if role == "" {
		role = "other"
	}
	h.m.redisErrors.WithLabelValues(role).Inc()
}

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook {
	// Dial failures surface again as the failure of the command that
	// needed the connection, which ProcessHook counts with its role.
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return next(ctx, network, addr)
	}
}

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if h.failed(err) {
			h.count(h.role(cmd))
		}
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if h.failed(err) {
			// One failure per pipeline, with the role of its first
			// command that names one.
			role := ""
			for _, c := range cmds {
				if role = h.role(c); role != "" {
					break
				}
			}
			h.count(role)
		}
		return err
	}
}
