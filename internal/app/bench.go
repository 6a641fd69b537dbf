package app

import (
	"context"
	"log/slog"

	"github.com/ordo/ordo/internal/bench"
	"github.com/ordo/ordo/internal/config"
)

// OpenForBench opens Ordo's services for cfg and builds the HTTP handler
// as serve does, for `ordo bench` and its test. Metrics and tracing are
// off, as in a server without their settings.
func OpenForBench(ctx context.Context, cfg config.Config, log *slog.Logger) (*bench.Ordo, error) {
	svc, err := openServices(ctx, cfg, log, openOpts{migrate: cfg.Mode() == config.ModeEmbedded})
	if err != nil {
		return nil, err
	}
	handler, err := svc.webHandler(nil, nil)
	if err != nil {
		svc.close()
		return nil, err
	}
	// Counting usage is part of what is measured: flushed as serve
	// does, in batches.
	cctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	go svc.usage.Run(cctx)
	closeAll := func() {
		stop()
		svc.flushUsage(context.Background())
		svc.close()
	}
	return &bench.Ordo{Handler: handler, Store: svc.store, Auth: svc.auth, JobRunner: svc.jobRunner, Close: closeAll}, nil
}
