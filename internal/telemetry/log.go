package telemetry

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"
)

// LogHandler wraps h so that every record logged with a context that
// carries a valid span gets trace_id and span_id attributes, the ids a
// tracing backend shows: logs and traces can then be joined both ways.
// A record logged during an HTTP request (see WithRequestLog) also gets
// the request's request_id, and tenant_id and user_id or api_key_id once
// it is authenticated (SetLogPrincipal): ids only, never a secret. It
// costs a context lookup or two per record. Wrapping twice is wrapping
// once.
func LogHandler(h slog.Handler) slog.Handler {
	if lh, ok := h.(logHandler); ok {
		return lh
	}
	return logHandler{h}
}

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		var as []slog.Attr
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			as = append(as, slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
		}
		if p, ok := ctx.Value(requestLogKey{}).(*atomic.Pointer[requestLog]); ok {
			as = p.Load().attrs(as)
		}
		if len(as) > 0 {
			// The record may share attributes with the caller's copy.
			r = r.Clone()
			r.AddAttrs(as...)
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(as)}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{h.Handler.WithGroup(name)}
}

// requestLog is what LogHandler adds to a line logged during a request.
// It is replaced whole, never changed, so that a goroutine of the request
// may log while the principal is being set.
type requestLog struct {
	requestID                  string
	tenantID, userID, apiKeyID uuid.UUID
}

func (l *requestLog) attrs(as []slog.Attr) []slog.Attr {
	as = append(as, slog.String("request_id", l.requestID))
	for _, f := range []struct {
		key string
		id  uuid.UUID
	}{{"tenant_id", l.tenantID}, {"user_id", l.userID}, {"api_key_id", l.apiKeyID}} {
		if f.id != uuid.Nil {
			as = append(as, slog.String(f.key, f.id.String()))
		}
	}
	return as
}

type requestLogKey struct{}

// WithRequestLog makes every line logged with ctx, or a context derived
// from it, carry requestID (with LogHandler). The holder it puts in ctx
// is filled in later by SetLogPrincipal: authentication happens deeper in
// the middleware, after the access log has its context.
func WithRequestLog(ctx context.Context, requestID string) context.Context {
	p := new(atomic.Pointer[requestLog])
	p.Store(&requestLog{requestID: requestID})
	return context.WithValue(ctx, requestLogKey{}, p)
}

// SetLogPrincipal records who makes the request of ctx, for its log
// lines: the tenant, and the user or the API key (its id, never the key).
// Zero ids are left out. Outside WithRequestLog it does nothing.
func SetLogPrincipal(ctx context.Context, tenantID, userID, apiKeyID uuid.UUID) {
	p, ok := ctx.Value(requestLogKey{}).(*atomic.Pointer[requestLog])
	if !ok {
		return
	}
	l := *p.Load()
	l.tenantID, l.userID, l.apiKeyID = tenantID, userID, apiKeyID
	p.Store(&l)
}
