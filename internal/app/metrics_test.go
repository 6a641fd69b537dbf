package app

import (
	"context"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/redis/go-redis/v9"

	"github.com/ordo/ordo/internal/cache"
	"github.com/ordo/ordo/internal/metrics"
	"github.com/ordo/ordo/internal/pubsub"
	"github.com/ordo/ordo/internal/ratelimit"
	"github.com/ordo/ordo/internal/testkit"
)

// Each Redis role's failures are counted under its own label, through the
// adapters Ordo really uses, against a Redis that is not there.
func TestRedisErrorRoles(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	m := metrics.New(testkit.Logger(t))
	client := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer client.Close()
	client.AddHook(m.RedisHook(redisRole))
	ctx := context.Background()

	_, _, _ = cache.NewRedis(client, redisCachePrefix).Get(ctx, "k")
	_ = pubsub.NewRedis(client, redisPubSubPrefix).Publish(ctx, "c", []byte("x"))
	_, _, _ = goredisstore.NewWithPrefix(client, redisSessionPrefix).FindCtx(ctx, "token")
	rl, err := ratelimit.NewRedisStore(client, redisRatelimitPrefix)
	if err != nil {
		t.Fatal(err)
	}
	lim, err := ratelimit.New(rl, ratelimit.Quota{Rate: 1, Per: time.Minute, Burst: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lim.Allow(ctx, "key"); err == nil {
		t.Fatal("the limiter should fail without Redis")
	}
	_ = client.Ping(ctx).Err()

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, role := range []string{"cache", "pubsub", "session", "ratelimit", "other"} {
		if !strings.Contains(string(body), `ordo_redis_errors_total{role="`+role+`"}`) {
			t.Errorf("no Redis error counted for role %s:\n%s", role, grep(string(body), "ordo_redis"))
		}
	}
}

func grep(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
