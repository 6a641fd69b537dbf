// Package telemetry connects Ordo to the outside observers it supports:
// OpenTelemetry traces sent over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT
// is set, and Sentry error reports when SENTRY_DSN is set. With neither,
// Setup returns a Telemetry that does nothing, and the instrumentation
// (HTTP server, PostgreSQL queries, jobs, outbound webhooks) is not even
// installed.
//
// Instrumentation takes its TracerProvider explicitly. The only global is
// the one the OpenTelemetry API itself keeps (otel.SetTracerProvider and
// the propagator), which Setup sets for libraries that read it and
// Shutdown restores.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Config says what to turn on; the zero value turns everything off.
type Config struct {
	// OTLPEndpoint is OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base
	// URL, to which /v1/traces is appended as the OpenTelemetry spec
	// says. Empty turns tracing off. The exporter reads the other
	// OTEL_EXPORTER_OTLP_* variables (headers, timeout, compression)
	// from the process environment itself.
	OTLPEndpoint string
	// SentryDSN is SENTRY_DSN; empty turns error reports off.
	SentryDSN string
	// Environment is the deployment's name for Sentry (ORDO_ENV).
	Environment string
	// Role is the command this process runs (serve, worker), recorded as
	// the service.role resource attribute. Version is the build's.
	Role    string
	Version string
}

// Telemetry is one process's tracing and error reporting. A nil
// *Telemetry is valid and does nothing.
type Telemetry struct {
	log    *slog.Logger
	tp     *sdktrace.TracerProvider // nil when tracing is off
	sentry *sentryReporter          // nil when Sentry is off

	prevTP   trace.TracerProvider
	prevProp propagation.TextMapPropagator
}

// propagator is W3C trace context, in and out.
var propagator = propagation.TraceContext{}

// Setup starts what cfg turns on. Call Shutdown when the process stops:
// it flushes spans and error reports.
func Setup(ctx context.Context, cfg Config, log *slog.Logger) (*Telemetry, error) {
	t := &Telemetry{log: log}
	if cfg.SentryDSN != "" {
		s, err := newSentry(cfg)
		if err != nil {
			return nil, fmt.Errorf("SENTRY_DSN: %w", err)
		}
		t.sentry = s
		log.Info("reporting errors to Sentry", "environment", s.environment)
	}
	if cfg.OTLPEndpoint == "" {
		return t, nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(strings.TrimRight(cfg.OTLPEndpoint, "/")+"/v1/traces"))
	if err != nil {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(
			attribute.String("service.name", "ordo"),
			attribute.String("service.version", cfg.Version),
			attribute.String("service.role", cfg.Role),
			attribute.String("deployment.environment.name", cfg.Environment),
		),
		// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the above.
		resource.WithFromEnv(),
	)
	if err != nil && res == nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	t.tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t.prevTP, t.prevProp = otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(t.tp)
	otel.SetTextMapPropagator(propagator)
	// Export failures (collector down) go to our log, as JSON.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("opentelemetry", "err", err) }))
	log.Info("sending traces over OTLP", "endpoint", cfg.OTLPEndpoint)
	return t, nil
}

// TracerProvider is the provider to instrument with, or nil when tracing
// is off, in which case nothing should be instrumented.
func (t *Telemetry) TracerProvider() trace.TracerProvider {
	if t == nil || t.tp == nil {
		return nil
	}
	return t.tp
}

// Reporting reports whether errors go anywhere (Sentry).
func (t *Telemetry) Reporting() bool { return t != nil && t.sentry != nil }

// ReportError sends an unexpected error to Sentry, tagged with the trace
// of ctx when there is one. It does nothing without Sentry.
func (t *Telemetry) ReportError(ctx context.Context, err error) {
	if t == nil || t.sentry == nil || err == nil {
		return
	}
	t.sentry.capture(ctx, err)
}

// Shutdown flushes and stops what Setup started, within ctx.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	var errs []error
	if t.tp != nil {
		if err := t.tp.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("flush traces: %w", err))
		}
		otel.SetTracerProvider(t.prevTP)
		otel.SetTextMapPropagator(t.prevProp)
	}
	if t.sentry != nil {
		timeout := 5 * time.Second
		if d, ok := ctx.Deadline(); ok {
			timeout = time.Until(d)
		}
		if !t.sentry.client.Flush(timeout) {
			errs = append(errs, errors.New("flush Sentry events: timed out"))
		}
	}
	return errors.Join(errs...)
}

// TracerName names Ordo's tracer (the instrumentation scope of its spans).
const TracerName = "github.com/ordo/ordo"

// tracer is Ordo's tracer from tp.
func tracer(tp trace.TracerProvider) trace.Tracer {
	return tp.Tracer(TracerName)
}
