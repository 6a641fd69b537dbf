package jobs

// River middleware that traces jobs and reports their last failures. It
// lives with the jobs seam, not in telemetry, because it is River glue:
// telemetry gives the tracer and the error reporter, and knows no River.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/ordo/ordo/internal/telemetry"
)

// WorkTelemetry returns River worker middleware that runs each job
// attempt in a consumer span named "job KIND" (with its kind, queue,
// attempt and id), records its error or panic on the span, and reports
// to t's error reporter the jobs that fail for the last time (River then
// discards them). With neither tracing nor reporting on, it returns nil:
// install nothing.
func WorkTelemetry(t *telemetry.Telemetry) rivertype.WorkerMiddleware {
	tp := t.TracerProvider()
	if tp == nil && !t.Reporting() {
		return nil
	}
	m := &jobMiddleware{report: t.ReportError}
	if tp != nil {
		m.tracer = tp.Tracer(telemetry.TracerName)
	}
	return m
}

type jobMiddleware struct {
	river.MiddlewareDefaults
	tracer trace.Tracer // nil: no spans
	report func(context.Context, error)
}

// InsertTelemetry returns River insert middleware that records, in
// each job's metadata, the trace context of the code that enqueued it (a
// request, another job), so that the job's span links back to it. With
// tracing off it returns nil: install nothing.
func InsertTelemetry(t *telemetry.Telemetry) rivertype.JobInsertMiddleware {
	if t.TracerProvider() == nil {
		return nil
	}
	return &jobInsertMiddleware{}
}

type jobInsertMiddleware struct{ river.MiddlewareDefaults }

// metadataTraceparent is the job metadata key of the enqueuer's W3C
// traceparent.
const metadataTraceparent = "traceparent"

func (m *jobInsertMiddleware) InsertMany(ctx context.Context, params []*rivertype.JobInsertParams,
	doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	if tp := carrier.Get(metadataTraceparent); tp != "" {
		for _, p := range params {
			meta := map[string]any{}
			if len(p.Metadata) > 0 {
				if err := json.Unmarshal(p.Metadata, &meta); err != nil {
					continue // not an object: leave it alone
				}
			}
			meta[metadataTraceparent] = tp
			if b, err := json.Marshal(meta); err == nil {
				p.Metadata = b
			}
		}
	}
	return doInner(ctx)
}

// enqueuer is the span context recorded in a job's metadata, if any.
func enqueuer(metadata []byte) trace.SpanContext {
	var meta struct {
		Traceparent string `json:"traceparent"`
	}
	if len(metadata) == 0 || json.Unmarshal(metadata, &meta) != nil || meta.Traceparent == "" {
		return trace.SpanContext{}
	}
	ctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{metadataTraceparent: meta.Traceparent})
	return trace.SpanContextFromContext(ctx)
}

// LastFailure is what a job that failed for the last time is reported as.
type LastFailure struct {
	Kind    string
	ID      int64
	Attempt int
	Err     error
}

func (e *LastFailure) Error() string {
	return fmt.Sprintf("job %s %d failed on its last attempt (%d): %v", e.Kind, e.ID, e.Attempt, e.Err)
}

func (e *LastFailure) Unwrap() error { return e.Err }

func (m *jobMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) (err error) {
	span := trace.SpanFromContext(ctx)
	if m.tracer != nil {
		// A job's attempt is a trace of its own (retries may come a day
		// later), linked to the request or job that enqueued it.
		var links []trace.Link
		if sc := enqueuer(job.Metadata); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc})
		}
		ctx, span = m.tracer.Start(ctx, "job "+job.Kind, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithLinks(links...), trace.WithAttributes(
			attribute.String("messaging.system", "river"),
			attribute.String("messaging.operation.type", "process"),
			attribute.String("messaging.destination.name", job.Queue),
			attribute.String("job.kind", job.Kind),
			attribute.String("job.queue", job.Queue),
			attribute.Int("job.attempt", job.Attempt),
			attribute.Int64("job.id", job.ID),
		))
	}
	last := job.Attempt >= job.MaxAttempts
	defer func() {
		if p := recover(); p != nil {
			// River recovers it and retries; note it, then let it go on.
			perr := fmt.Errorf("panic: %v", p)
			m.failed(ctx, span, job, last, perr)
			span.End()
			panic(p)
		}
		if err != nil {
			m.failed(ctx, span, job, last, err)
		}
		span.End()
	}()
	return doInner(ctx)
}

// failed records err on the span and reports it when the job will not be
// tried again. A snooze is not a failure; a cancellation is deliberate.
func (m *jobMiddleware) failed(ctx context.Context, span trace.Span, job *rivertype.JobRow, last bool, err error) {
	var snooze *rivertype.JobSnoozeError
	if errors.As(err, &snooze) {
		span.SetAttributes(attribute.Bool("job.snoozed", true))
		return
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	var cancel *rivertype.JobCancelError
	if errors.As(err, &cancel) {
		span.SetAttributes(attribute.Bool("job.cancelled", true))
		return
	}
	if last {
		span.SetAttributes(attribute.Bool("job.discarded", true))
		m.report(ctx, &LastFailure{Kind: job.Kind, ID: job.ID, Attempt: job.Attempt, Err: err})
	}
}
