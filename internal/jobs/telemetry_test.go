package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/trace"

	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/telemetry"
	"github.com/ordo/ordo/internal/telemetry/telemetrytest"
	"github.com/ordo/ordo/internal/testkit"
)

// The job middleware makes a span per attempt and reports a job's last
// failure, not earlier ones, snoozes or cancellations.
func TestJobMiddleware(t *testing.T) {
	t.Parallel()
	sentry := telemetrytest.NewSentry(t)
	col := telemetrytest.NewCollector(t)
	ctx := context.Background()
	tel, err := telemetry.Setup(ctx, telemetry.Config{OTLPEndpoint: col.URL, SentryDSN: sentry.DSN, Role: "worker", Version: "v1.2.3"}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	mw := jobs.WorkTelemetry(tel)
	boom := errors.New("boom")
	run := func(id int64, attempt int, err error) {
		job := &rivertype.JobRow{ID: id, Kind: "email", Queue: "email", Attempt: attempt, MaxAttempts: 3}
		got := mw.Work(ctx, job, func(ctx context.Context) error {
			if !trace.SpanFromContext(ctx).SpanContext().IsValid() {
				t.Error("the job's context has no span")
			}
			return err
		})
		if !errors.Is(got, err) && got != err {
			t.Errorf("middleware changed the error: %v", got)
		}
	}
	run(1, 1, nil)
	run(2, 1, boom)                                // retried: not reported
	run(3, 3, river.JobSnooze(time.Minute))        // snoozed: not reported
	run(4, 3, river.JobCancel(errors.New("stop"))) // cancelled: not reported
	run(5, 3, boom)                                // discarded: reported
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic was swallowed")
			}
		}()
		mw.Work(ctx, &rivertype.JobRow{ID: 6, Kind: "email", Queue: "email", Attempt: 3, MaxAttempts: 3},
			func(context.Context) error { panic("kaboom") })
	}()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	spans := col.Spans()
	if len(spans) != 6 {
		t.Fatalf("got %d spans, want 6", len(spans))
	}
	for _, s := range spans {
		if s.Name != "job email" || s.Attrs["job.queue"] != "email" || s.Attrs["job.kind"] != "email" || s.Attrs["job.id"] == "" ||
			s.Resource["service.name"] != "ordo" || s.Resource["service.role"] != "worker" || s.Resource["service.version"] != "v1.2.3" {
			t.Errorf("span %+v", s)
		}
		if wantErr := s.Attrs["job.id"] != "1" && s.Attrs["job.id"] != "3"; s.Error != wantErr {
			t.Errorf("job %s: error status %v, want %v", s.Attrs["job.id"], s.Error, wantErr)
		}
	}
	events := sentry.Events()
	var msgs []string
	for _, ev := range events {
		b, _ := json.Marshal(ev["exception"])
		msgs = append(msgs, string(b))
	}
	if len(events) != 2 || !strings.Contains(msgs[0]+msgs[1], "job email 5 failed on its last attempt") || !strings.Contains(msgs[0]+msgs[1], "kaboom") {
		t.Errorf("want reports of jobs 5 and 6 only, got %d:\n%s", len(events), strings.Join(msgs, "\n"))
	}
	for _, ev := range events {
		if ev["environment"] != "production" || ev["release"] != "ordo@v1.2.3" {
			t.Errorf("event environment %v release %v", ev["environment"], ev["release"])
		}
		if tags, _ := ev["tags"].(map[string]any); tags["trace_id"] == nil {
			t.Errorf("event has no trace_id tag: %v", ev["tags"])
		}
	}
}

// A job inserted under a span records its trace context in its metadata
// (keeping what was there), and the job's span links to it.
func TestJobInsertMiddleware(t *testing.T) {
	t.Parallel()
	col := telemetrytest.NewCollector(t)
	ctx := context.Background()
	tel, err := telemetry.Setup(ctx, telemetry.Config{OTLPEndpoint: col.URL, Role: "serve"}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	ins := jobs.InsertTelemetry(tel)
	params := []*rivertype.JobInsertParams{{Kind: "email", Metadata: []byte(`{"keep":1}`)}, {Kind: "email"}}
	insert := func(ctx context.Context) ([]*rivertype.JobInsertResult, error) { return nil, nil }
	if _, err := ins.InsertMany(ctx, params, insert); err != nil {
		t.Fatal(err)
	}
	if string(params[0].Metadata) != `{"keep":1}` || params[1].Metadata != nil {
		t.Errorf("without a span the metadata changed: %s, %s", params[0].Metadata, params[1].Metadata)
	}
	sctx, span := tel.TracerProvider().Tracer("test").Start(ctx, "request")
	if _, err := ins.InsertMany(sctx, params, insert); err != nil {
		t.Fatal(err)
	}
	span.End()
	var meta map[string]any
	if err := json.Unmarshal(params[0].Metadata, &meta); err != nil || meta["keep"] != float64(1) || meta["traceparent"] == nil {
		t.Errorf("metadata %s", params[0].Metadata)
	}
	job := &rivertype.JobRow{ID: 1, Kind: "email", Queue: "email", Attempt: 1, MaxAttempts: 3, Metadata: params[1].Metadata}
	if err := jobs.WorkTelemetry(tel).Work(ctx, job, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	want := span.SpanContext()
	for _, s := range col.Spans() {
		if s.Name != "job email" {
			continue
		}
		if len(s.Links) != 1 || s.Links[0].TraceID != want.TraceID().String() || s.Links[0].SpanID != want.SpanID().String() {
			t.Errorf("job span links %+v, want the request span %s/%s", s.Links, want.TraceID(), want.SpanID())
		}
		if s.TraceID == want.TraceID().String() {
			t.Error("the job span is in the request's trace")
		}
		return
	}
	t.Error("no job span")
}
