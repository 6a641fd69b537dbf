package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ordo/ordo/internal/config"
	"github.com/ordo/ordo/internal/metrics"
)

// newMetrics returns the process's metrics registry, or nil when metrics
// are served nowhere (neither ORDO_METRICS_ADDR nor ORDO_METRICS_TOKEN),
// which turns every measurement into a no-op.
func newMetrics(cfg config.Config, log *slog.Logger) *metrics.Metrics {
	if cfg.MetricsAddr == "" && cfg.MetricsToken == "" {
		return nil
	}
	return metrics.New(log)
}

// metricsServer serves /metrics on a listener of its own.
type metricsServer struct {
	srv  *http.Server
	done chan struct{}
}

// serveMetrics starts serving m at /metrics on addr (ORDO_METRICS_ADDR),
// and with withPprof (ORDO_PPROF) Go's profiles at /debug/pprof/; it
// returns nil when addr is empty.
func serveMetrics(ctx context.Context, addr string, withPprof bool, m *metrics.Metrics, log *slog.Logger) (*metricsServer, error) {
	if addr == "" || m == nil {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ORDO_METRICS_ADDR: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	if withPprof {
		// The private listener only: a CPU profile costs the process
		// while it runs, and the profiles show its code and memory.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	ms := startSideServer(ctx, ln, mux, log, "metrics server")
	log.Info("serving metrics", "addr", ln.Addr().String(), "path", "/metrics")
	return ms, nil
}

// startSideServer serves h on ln in the background: the small servers
// beside the main one (metrics, a worker's health), with the same
// timeouts. what names it in the log should it stop on its own.
func startSideServer(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, what string) *metricsServer {
	ms := &metricsServer{done: make(chan struct{}), srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}}
	go func() {
		defer close(ms.done)
		if err := ms.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error(what+" stopped", "err", err)
		}
	}()
	return ms
}

// close stops the metrics server; scrapes in flight get a moment to end.
func (ms *metricsServer) close() {
	if ms == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := ms.srv.Shutdown(ctx); err != nil {
		_ = ms.srv.Close()
	}
	<-ms.done
}

// Redis key prefixes of each role; openRedisRoles and sessionManager use
// them, and redisRole tells the roles apart by them.
const (
	redisCachePrefix     = "ordo:cache:"
	redisRatelimitPrefix = "ordo:rl:"
	redisSessionPrefix   = "ordo:session:"
	redisPubSubPrefix    = "ordo:"
)

// redisRole names the role a Redis command plays, for the error metric,
// from its command name and the prefix of its keys; "" when unknown.
func redisRole(cmd redis.Cmder) string {
	switch strings.ToLower(cmd.Name()) {
	case "publish", "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "pubsub":
		return "pubsub"
	}
	args := cmd.Args()
	if len(args) == 0 {
		return ""
	}
	for _, a := range args[1:] {
		s, ok := a.(string)
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(s, redisCachePrefix):
			return "cache"
		case strings.HasPrefix(s, redisRatelimitPrefix):
			return "ratelimit"
		case strings.HasPrefix(s, redisSessionPrefix):
			return "session"
		}
	}
	return ""
}
