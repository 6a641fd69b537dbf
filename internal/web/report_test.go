package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ordo/ordo/internal/telemetry"
	"github.com/ordo/ordo/internal/telemetry/telemetrytest"
	"github.com/ordo/ordo/internal/testkit"
)

// A panic in a handler reaches Sentry (a stub server here) through
// Options.ReportError, and the client still gets a 500 problem.
func TestPanicReportedToSentry(t *testing.T) {
	t.Parallel()
	sentry := telemetrytest.NewSentry(t)
	log := testkit.Logger(t)
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{SentryDSN: sentry.DSN, Environment: "test", Version: "v9"}, log)
	if err != nil {
		t.Fatal(err)
	}
	h := withErrorReport(tel.ReportError, withRecover(log, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("handler exploded")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/app/orders/1", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", rec.Code)
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	events := sentry.Events()
	if len(events) != 1 {
		t.Fatalf("Sentry got %d events, want 1", len(events))
	}
	b, _ := json.Marshal(events[0]["exception"])
	if !strings.Contains(string(b), "panic serving GET /app/orders/1: handler exploded") || !strings.Contains(string(b), "stacktrace") {
		t.Errorf("event exception: %s", b)
	}
	if events[0]["environment"] != "test" {
		t.Errorf("environment %v", events[0]["environment"])
	}
}
