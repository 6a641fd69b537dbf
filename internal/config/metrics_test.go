package config

import (
	"strings"
	"testing"
)

func TestLoadMetrics(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsAddr != "" || c.MetricsToken != "" {
		t.Errorf("metrics must be off by default: addr %q, token %q", c.MetricsAddr, c.MetricsToken)
	}
	token := strings.Repeat("t", 24)
	for _, addr := range []string{"127.0.0.1:9090", ":9090", "[::1]:9090", "localhost:0"} {
		c, err := Load(env(map[string]string{"ORDO_METRICS_ADDR": addr, "ORDO_METRICS_TOKEN": token}))
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if c.MetricsAddr != addr || c.MetricsToken != token {
			t.Errorf("got addr %q, token %q", c.MetricsAddr, c.MetricsToken)
		}
		for _, kv := range c.Masked() {
			if kv[0] == "ORDO_METRICS_TOKEN" && kv[1] == token {
				t.Error("Masked shows the metrics token")
			}
		}
	}
	for name, e := range map[string]map[string]string{
		"ORDO_METRICS_ADDR":  {"ORDO_METRICS_ADDR": "9090"},
		"ORDO_METRICS_TOKEN": {"ORDO_METRICS_TOKEN": "short"},
	} {
		if _, err := Load(env(e)); err == nil || !strings.HasPrefix(err.Error(), name+": ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: want one error about %s, got %v", e, name, err)
		}
	}
	for _, bad := range []string{"host:port", ":70000", "127.0.0.1"} {
		if _, err := Load(env(map[string]string{"ORDO_METRICS_ADDR": bad})); err == nil {
			t.Errorf("ORDO_METRICS_ADDR=%s: want an error", bad)
		}
	}
}
