package telemetry

import (
	"net/http"
	"slices"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
)

// HTTPHandler traces every request next serves as a server span named
// "METHOD route", where route gives the request's route pattern ("" when
// none matches: the span is then named by the method alone, so raw paths
// never name spans). Requests for the skip paths (health checks,
// metrics scrapes) are not traced. A traceparent header from the client
// continues its trace. With tp nil it returns next.
func HTTPHandler(tp trace.TracerProvider, next http.Handler, route func(*http.Request) string, skip ...string) http.Handler {
	if tp == nil {
		return next
	}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt := route(r); rt != "" {
			trace.SpanFromContext(r.Context()).SetAttributes(attribute.String("http.route", rt))
		}
		next.ServeHTTP(w, r)
	})
	return otelhttp.NewHandler(inner, "http.server",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(propagator),
		// Prometheus has the HTTP metrics already.
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithFilter(func(r *http.Request) bool { return !slices.Contains(skip, r.URL.Path) }),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			if rt := route(r); rt != "" {
				return r.Method + " " + rt
			}
			return r.Method
		}),
	)
}

// Transport traces every request sent through base as a client span named
// "name METHOD", and sends the trace's traceparent header along so that
// the receiver can continue it. With tp nil it returns base.
func Transport(tp trace.TracerProvider, name string, base http.RoundTripper) http.RoundTripper {
	if tp == nil {
		return base
	}
	return otelhttp.NewTransport(base,
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(propagator),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return name + " " + r.Method }),
	)
}
