package telemetry

import (
	"context"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/trace"
)

// sentryReporter sends errors to Sentry through a client of its own, not
// sentry-go's global hub.
type sentryReporter struct {
	client      *sentry.Client
	hub         *sentry.Hub
	environment string
}

func newSentry(cfg Config) (*sentryReporter, error) {
	env := cfg.Environment
	if env == "" {
		env = "production"
	}
	c, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:         cfg.SentryDSN,
		Environment: env,
		Release:     "ordo@" + cfg.Version,
		// Requests and their bodies may hold personal data: never sent.
		SendDefaultPII: false,
	})
	if err != nil {
		return nil, err
	}
	scope := sentry.NewScope()
	if cfg.Role != "" {
		scope.SetTag("service.role", cfg.Role)
	}
	return &sentryReporter{client: c, hub: sentry.NewHub(c, scope), environment: env}, nil
}

// capture reports err; the current stack is attached, which for a panic
// recovered in a deferred function still holds the panicking frames.
func (s *sentryReporter) capture(ctx context.Context, err error) {
	hub := s.hub.Clone()
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		hub.ConfigureScope(func(scope *sentry.Scope) {
			scope.SetTag("trace_id", sc.TraceID().String())
			scope.SetContext("trace", sentry.Context{"trace_id": sc.TraceID().String(), "span_id": sc.SpanID().String()})
		})
	}
	hub.CaptureException(err)
}
