package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/config"
	"github.com/ordo/ordo/internal/metrics"
	"github.com/ordo/ordo/internal/operator"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/telemetry"
	"github.com/ordo/ordo/internal/web"
)

// serve runs the web server until ctx ends, then shuts down gracefully:
// it stops accepting, lets in-flight requests and running jobs finish
// within the shutdown timeout, and returns nil.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	embedded := cfg.Mode() == config.ModeEmbedded
	tel, stopTelemetry, err := startTelemetry(ctx, cfg, log, "serve")
	if err != nil {
		return err
	}
	defer stopTelemetry()
	m := newMetrics(cfg, log)
	svc, err := openServices(ctx, cfg, log, openOpts{migrate: embedded, metrics: m, tel: tel})
	if err != nil {
		return err
	}
	defer svc.close()

	handler, err := svc.webHandler(m, tel)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on port %d: %w", cfg.Port, err)
	}
	ms, err := serveMetrics(ctx, cfg.MetricsAddr, cfg.Pprof, m, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer ms.close()

	// In embedded mode this process is also the worker.
	var runner store.JobRunner
	if embedded {
		runner, err = svc.jobRunner()
		if err != nil {
			ln.Close()
			return err
		}
		defer m.WatchJobs(runner)()
		// Jobs are stopped by Stop below, not by ctx, so that running
		// jobs get to finish.
		if err := runner.Start(context.WithoutCancel(ctx)); err != nil {
			ln.Close()
			return fmt.Errorf("start job workers: %w", err)
		}
	}

	go svc.usage.Run(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("ordo serving", "addr", ln.Addr().String(), "url", svc.cfg.BaseURL, "mode", cfg.Mode(), "version", Version(), "worker", embedded)

	var serveErr error
	select {
	case err := <-errc:
		serveErr = fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}

	// From now on every response closes its connection, so that clients
	// open a new one (to another instance) instead of reusing one that
	// Shutdown would close under them; /readyz fails during the drain so
	// that the load balancer stops sending.
	srv.SetKeepAlivesEnabled(false)
	if cfg.ShutdownDrain > 0 && serveErr == nil {
		svc.draining.Store(true)
		log.Info("draining", "for", cfg.ShutdownDrain.String())
		time.Sleep(cfg.ShutdownDrain)
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// Requests and jobs drain side by side, each within the timeout.
	var wg sync.WaitGroup
	var httpErr, jobsErr error
	wg.Go(func() {
		if err := srv.Shutdown(sctx); err != nil {
			httpErr = fmt.Errorf("http shutdown: %w", err)
			_ = srv.Close()
		}
	})
	if runner != nil {
		wg.Go(func() { jobsErr = stopJobs(sctx, runner) })
	}
	wg.Wait()
	// The requests and jobs are done: count the last ones.
	svc.flushUsage(sctx)
	if err := errors.Join(serveErr, httpErr, jobsErr); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// flushUsage writes what svc.usage counted and has not written yet.
func (svc *services) flushUsage(ctx context.Context) {
	if err := svc.usage.Flush(ctx); err != nil {
		svc.log.Warn("write usage counts", "err", err)
	}
}

// stopJobs lets running jobs finish within ctx; past it, it cancels them
// so that they are marked for retry now rather than rescued much later.
func stopJobs(ctx context.Context, runner store.JobRunner) error {
	err := runner.Stop(ctx)
	if err == nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if cerr := runner.StopAndCancel(cctx); cerr != nil {
		return fmt.Errorf("stop job workers: %w (then cancelling: %v)", err, cerr)
	}
	return fmt.Errorf("stop job workers: %w; running jobs were cancelled and will be retried", err)
}

// worker runs only the job workers until ctx ends, then lets running jobs
// finish within the shutdown timeout. Several may share one database. With
// port (`ordo worker -port N`) it also serves /healthz, /readyz and
// /metrics there, so that an orchestrator can probe and scrape it.
func worker(ctx context.Context, cfg config.Config, log *slog.Logger, port int) error {
	tel, stopTelemetry, err := startTelemetry(ctx, cfg, log, "worker")
	if err != nil {
		return err
	}
	defer stopTelemetry()
	m := newMetrics(cfg, log)
	if m == nil && port != 0 {
		// The health port serves /metrics too.
		m = metrics.New(log)
	}
	svc, err := openServices(ctx, cfg, log, openOpts{migrate: cfg.Mode() == config.ModeEmbedded, metrics: m, tel: tel})
	if err != nil {
		return err
	}
	defer svc.close()
	// Up while waiting for migrations too: the runtime metrics show a
	// worker that is alive but not working.
	ms, err := serveMetrics(ctx, cfg.MetricsAddr, cfg.Pprof, m, log)
	if err != nil {
		return err
	}
	defer ms.close()
	// Ready once its dependencies are and its job workers have started.
	var working atomic.Bool
	checks := append(svc.readinessChecks(), web.Check{Name: "jobs", Func: func(context.Context) error {
		if !working.Load() {
			return errors.New("job workers not started")
		}
		return nil
	}})
	hs, err := serveWorkerHealth(ctx, port, web.HealthHandler(log, checks, m, cfg.MetricsToken), log)
	if err != nil {
		return err
	}
	defer hs.close()
	if err := svc.waitForSchema(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	runner, err := svc.jobRunner()
	if err != nil {
		return err
	}
	defer m.WatchJobs(runner)()
	if err := runner.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start job workers: %w", err)
	}
	working.Store(true)
	go svc.usage.Run(ctx)
	log.Info("ordo worker running", "mode", cfg.Mode(), "version", Version(), "queues", cfg.Concurrency)
	<-ctx.Done()
	// /readyz fails from now on; /healthz answers until the jobs have stopped.
	svc.draining.Store(true)
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	jobsErr := stopJobs(sctx, runner)
	svc.flushUsage(sctx)
	if jobsErr != nil {
		return jobsErr
	}
	log.Info("stopped")
	return nil
}

// serveWorkerHealth serves h on port (all interfaces), or nothing when
// port is 0; it fails at once, naming the port, when it cannot listen.
func serveWorkerHealth(ctx context.Context, port int, h http.Handler, log *slog.Logger) (*metricsServer, error) {
	if port == 0 {
		return nil, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("-port: listen on port %d: %w", port, err)
	}
	hs := startSideServer(ctx, ln, h, log, "worker health server")
	log.Info("serving worker health", "addr", ln.Addr().String(), "paths", "/healthz /readyz /metrics")
	return hs, nil
}

// webHandler builds the web server on svc, with metrics and telemetry
// when they are on (both may be nil).
func (svc *services) webHandler(m *metrics.Metrics, tel *telemetry.Telemetry) (*web.Server, error) {
	limits, err := svc.limits()
	if err != nil {
		return nil, err
	}
	auditKey, err := audit.SigningKey(svc.cfg.AuditSigningKey, svc.cfg.Secret)
	if err != nil {
		return nil, err
	}
	return web.New(web.Options{
		AuditPublicKey: auditKey.Public().(ed25519.PublicKey),
		Log:            svc.log,
		Version:        Version(),
		MaxBodyBytes:   svc.cfg.MaxBodyBytes,
		Checks:         svc.readinessChecks(),
		Wrote:          svc.wrote,
		Auth:           svc.auth,
		Tenants:        svc.tenants,
		Accounts:       svc.accounts,
		Passkeys:       svc.passkeys,
		Operators:      operator.NewService(store.Narrow[operator.Tx]{Store: svc.store}),
		Orders:         order.NewService(store.Narrow[order.Tx]{Store: svc.store}, nil).WithBlobs(svc.blobs).WithLimits(svc.planLimits),
		Attachments:    svc.attachments,
		Exports:        svc.exports,
		Invoices:       svc.invoices,
		Webhooks:       svc.webhooks,
		SSO:            svc.sso,
		Blobs:          svc.blobs,
		Signer:         svc.signer,
		BaseURL:        svc.cfg.BaseURL,
		SupportEmail:   svc.cfg.SupportEmail,
		DeletionGrace:  svc.cfg.TenantDeletionGrace,
		Usage: func(ctx context.Context, id uuid.UUID) (plan.Report, error) {
			return plan.Usage(ctx, svc.store, svc.planLimits, id, time.Now())
		},
		StorageOrigins: svc.storageOrigins,
		Idempotency:    svc.store,
		PubSub:         svc.pubsub,
		Sessions:       svc.sessionManager(),
		Limits:         limits,
		TrustProxy:     svc.cfg.TrustProxy,
		MailLogged:     svc.cfg.SMTPURL == "",
		HSTS:           strings.HasPrefix(svc.cfg.BaseURL, "https://"),
		APIUsage:       svc.usage,
		Metrics:        m,
		MetricsToken:   svc.cfg.MetricsToken,
		// Both nil when off.
		TracerProvider: tel.TracerProvider(),
		ReportError:    reporter(tel),
	})
}
