package config

import (
	"strings"
	"testing"
)

func TestLoadTelemetry(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector:4318",
		"SENTRY_DSN":                  "https://abc123@o1.ingest.sentry.io/42",
		"ORDO_ENV":                    "staging",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.OTLPEndpoint != "http://otel-collector:4318" || c.SentryDSN == "" || c.Env != "staging" {
		t.Errorf("got %+v", c)
	}
	for _, kv := range c.Masked() {
		if strings.Contains(kv[1], "abc123") {
			t.Errorf("Masked shows the Sentry DSN: %s=%s", kv[0], kv[1])
		}
	}
	if d, _ := Load(env(nil)); d.Env != "production" || d.OTLPEndpoint != "" || d.SentryDSN != "" {
		t.Errorf("defaults: %+v", d)
	}
	for name, v := range map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "otel-collector:4318",
		"SENTRY_DSN":                  "https://o1.ingest.sentry.io/42", // no key
	} {
		_, err := Load(env(map[string]string{name: v}))
		if err == nil || !strings.HasPrefix(err.Error(), name+":") {
			t.Errorf("%s=%s: got %v", name, v, err)
		}
		if err != nil && name == "SENTRY_DSN" && strings.Contains(err.Error(), v) {
			t.Errorf("the error echoes the DSN: %v", err)
		}
	}
}
