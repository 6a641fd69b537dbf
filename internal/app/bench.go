package app

import (
	"context"
	"log/slog"
	"strings"

	"github.com/ordo/ordo/internal/bench"
	"github.com/ordo/ordo/internal/config"
	"github.com/ordo/ordo/internal/orders"
	"github.com/ordo/ordo/internal/web"
)

// OpenForBench opens Ordo's services for cfg and builds the HTTP handler
// the way serve does, for `ordo bench` and its test. Metrics are off, as
// in a server without ORDO_METRICS settings. Keep it in step with serve.
func OpenForBench(ctx context.Context, cfg config.Config, log *slog.Logger) (*bench.Ordo, error) {
	svc, err := openServices(ctx, cfg, log, openOpts{migrate: cfg.Mode() == config.ModeEmbedded})
	if err != nil {
		return nil, err
	}
	limits, err := svc.limits()
	if err != nil {
		svc.close()
		return nil, err
	}
	handler, err := web.New(web.Options{
		Log:          log,
		Version:      Version(),
		MaxBodyBytes: cfg.MaxBodyBytes,
		Checks:       svc.readinessChecks(),
		Auth:         svc.auth,
		Orders:       orders.New(svc.store, nil).WithBlobs(svc.blobs).WithCache(svc.dashboardCache(), log),
		Attachments:  svc.attachments,
		Exports:      svc.exports,
		Invoices:     svc.invoices,
		Webhooks:     svc.webhooks,
		Blobs:        svc.blobs,
		Signer:       svc.signer,
		Store:        svc.store,
		PubSub:       svc.pubsub,
		Sessions:     svc.sessionManager(),
		Limits:       limits,
		TrustProxy:   cfg.TrustProxy,
		HSTS:         strings.HasPrefix(svc.cfg.BaseURL, "https://"),
	})
	if err != nil {
		svc.close()
		return nil, err
	}
	return &bench.Ordo{Handler: handler, Store: svc.store, Auth: svc.auth, JobRunner: svc.jobRunner, Close: svc.close}, nil
}
