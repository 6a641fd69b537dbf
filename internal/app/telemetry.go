package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/ordo/ordo/internal/config"
	"github.com/ordo/ordo/internal/telemetry"
)

// startTelemetry starts tracing and error reporting as cfg says, for the
// process running cmd (serve, worker); stop flushes them.
func startTelemetry(ctx context.Context, cfg config.Config, log *slog.Logger, cmd string) (tel *telemetry.Telemetry, stop func(), err error) {
	tel, err = telemetry.Setup(ctx, telemetry.Config{
		OTLPEndpoint: cfg.OTLPEndpoint,
		SentryDSN:    cfg.SentryDSN,
		Environment:  cfg.Env,
		Role:         cmd,
		Version:      Version(),
	}, log)
	if err != nil {
		return nil, nil, err
	}
	return tel, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(sctx); err != nil {
			log.Warn("telemetry shutdown", "err", err)
		}
	}, nil
}

// reporter is tel's error reporter for web.Options, nil when errors are
// reported nowhere.
func reporter(tel *telemetry.Telemetry) func(context.Context, error) {
	if !tel.Reporting() {
		return nil
	}
	return tel.ReportError
}
