package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ordo/ordo/internal/config"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/web"
)

// serve runs the web server until ctx ends, then shuts down gracefully:
// it stops accepting, lets in-flight requests and running jobs finish
// within the shutdown timeout, and returns nil.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	embedded := cfg.Mode() == config.ModeEmbedded
	svc, err := openServices(ctx, cfg, log, embedded)
	if err != nil {
		return err
	}
	defer svc.close()

	limits, err := svc.limits()
	if err != nil {
		return err
	}
	handler := web.New(web.Options{
		Log:          log,
		Version:      Version(),
		MaxBodyBytes: cfg.MaxBodyBytes,
		Checks:       svc.readinessChecks(),
		Auth:         svc.auth,
		Store:        svc.store,
		Sessions:     svc.sessionManager(),
		Limits:       limits,
		TrustProxy:   cfg.TrustProxy,
		HSTS:         strings.HasPrefix(svc.cfg.BaseURL, "https://"),
	})
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

	// In embedded mode this process is also the worker.
	var runner store.JobRunner
	if embedded {
		runner, err = svc.jobRunner()
		if err != nil {
			ln.Close()
			return err
		}
		// Jobs are stopped by Stop below, not by ctx, so that running
		// jobs get to finish.
		if err := runner.Start(context.WithoutCancel(ctx)); err != nil {
			ln.Close()
			return fmt.Errorf("start job workers: %w", err)
		}
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("ordo serving", "addr", ln.Addr().String(), "url", svc.cfg.BaseURL, "mode", cfg.Mode(), "version", Version(), "worker", embedded)

	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}

	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("http shutdown: %w", err))
	}
	if runner != nil {
		if err := runner.Stop(sctx); err != nil {
			errs = append(errs, fmt.Errorf("stop job workers: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// worker runs only the job workers until ctx ends, then lets running jobs
// finish within the shutdown timeout. Several may share one database.
func worker(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	svc, err := openServices(ctx, cfg, log, cfg.Mode() == config.ModeEmbedded)
	if err != nil {
		return err
	}
	defer svc.close()
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
	if err := runner.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start job workers: %w", err)
	}
	log.Info("ordo worker running", "mode", cfg.Mode(), "version", Version(), "queues", cfg.Concurrency)
	<-ctx.Done()
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := runner.Stop(sctx); err != nil {
		return fmt.Errorf("stop job workers: %w", err)
	}
	log.Info("stopped")
	return nil
}
