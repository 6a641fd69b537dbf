package telemetry

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// maxStatement caps the SQL text recorded on a span.
const maxStatement = 4096

// PgxTracer returns a pgx tracer (pgx.QueryTracer, pgx.BatchTracer and
// pgx.CopyFromTracer) that makes a client span per statement, with the SQL
// text but never the argument values. Only statements run under a
// sampled span (a request, a job) are traced: the job queue's own polling
// would otherwise make a trace of one span every second.
func PgxTracer(tp trace.TracerProvider) *PgxQueryTracer {
	return &PgxQueryTracer{tracer: tracer(tp)}
}

// PgxQueryTracer is PgxTracer's tracer.
type PgxQueryTracer struct{ tracer trace.Tracer }

var (
	_ pgx.QueryTracer    = (*PgxQueryTracer)(nil)
	_ pgx.CopyFromTracer = (*PgxQueryTracer)(nil)
	_ pgx.BatchTracer    = (*PgxQueryTracer)(nil)
)

func (t *PgxQueryTracer) start(ctx context.Context, conn *pgx.Conn, name string, attrs ...attribute.KeyValue) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	attrs = append(attrs, attribute.String("db.system", "postgresql"), attribute.String("db.system.name", "postgresql"))
	if conn != nil {
		if cfg := conn.Config(); cfg != nil {
			attrs = append(attrs,
				attribute.String("db.namespace", cfg.Database),
				attribute.String("server.address", cfg.Host),
				attribute.Int("server.port", int(cfg.Port)))
		}
	}
	ctx, _ = t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return ctx
}

func (t *PgxQueryTracer) end(ctx context.Context, rows int64, err error) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	} else if rows >= 0 {
		span.SetAttributes(attribute.Int64("db.response.rows_affected", rows))
	}
	span.End()
}

// TraceQueryStart implements pgx.QueryTracer.
func (t *PgxQueryTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx // before the work below
	}
	op := operation(data.SQL)
	return t.start(ctx, conn, op,
		attribute.String("db.operation.name", op),
		attribute.String("db.query.text", truncate(data.SQL, maxStatement)))
}

// TraceQueryEnd implements pgx.QueryTracer.
func (t *PgxQueryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	t.end(ctx, data.CommandTag.RowsAffected(), data.Err)
}

// TraceCopyFromStart implements pgx.CopyFromTracer.
func (t *PgxQueryTracer) TraceCopyFromStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceCopyFromStartData) context.Context {
	return t.start(ctx, conn, "COPY",
		attribute.String("db.operation.name", "COPY"),
		attribute.String("db.collection.name", data.TableName.Sanitize()),
		attribute.String("db.query.text", "COPY "+data.TableName.Sanitize()+" ("+strings.Join(data.ColumnNames, ", ")+") FROM STDIN"))
}

// TraceCopyFromEnd implements pgx.CopyFromTracer.
func (t *PgxQueryTracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromEndData) {
	t.end(ctx, data.CommandTag.RowsAffected(), data.Err)
}

// TraceBatchStart implements pgx.BatchTracer: a batch (the statements a
// transaction sends together) is a BATCH span with a child per statement.
func (t *PgxQueryTracer) TraceBatchStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	n := 0
	if data.Batch != nil {
		n = data.Batch.Len()
	}
	return t.start(ctx, conn, "BATCH", attribute.String("db.operation.name", "BATCH"), attribute.Int("db.operation.batch.size", n))
}

// TraceBatchQuery implements pgx.BatchTracer: one child span per statement,
// ending when its answer has been read.
func (t *PgxQueryTracer) TraceBatchQuery(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchQueryData) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return
	}
	op := operation(data.SQL)
	ctx = t.start(ctx, conn, op, attribute.String("db.operation.name", op), attribute.String("db.query.text", truncate(data.SQL, maxStatement)))
	t.end(ctx, data.CommandTag.RowsAffected(), data.Err)
}

// TraceBatchEnd implements pgx.BatchTracer.
func (t *PgxQueryTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	t.end(ctx, -1, data.Err)
}

// operation is a statement's first keyword, upper-cased ("SELECT",
// "INSERT", "WITH"), which names its span; "postgresql" when there is none.
func operation(sql string) string {
	sql = strings.TrimSpace(sql)
	for strings.HasPrefix(sql, "--") { // a leading comment line
		_, rest, ok := strings.Cut(sql, "\n")
		if !ok {
			return "postgresql"
		}
		sql = strings.TrimSpace(rest)
	}
	end := strings.IndexFunc(sql, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') })
	if end < 0 {
		end = len(sql)
	}
	if end == 0 {
		return "postgresql"
	}
	return strings.ToUpper(sql[:end])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "… (" + strconv.Itoa(len(s)) + " bytes)"
}
