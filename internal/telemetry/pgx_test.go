package telemetry

import (
	"strings"
	"testing"
)

func TestOperation(t *testing.T) {
	t.Parallel()
	for sql, want := range map[string]string{
		"SELECT 1":                              "SELECT",
		"  insert into orders (id) values ($1)": "INSERT",
		"WITH x AS (SELECT 1) SELECT * FROM x":  "WITH",
		"-- name: Get\nupdate t set a = 1":      "UPDATE",
		"":                                      "postgresql",
		"(SELECT 1)":                            "postgresql",
	} {
		if got := operation(sql); got != want {
			t.Errorf("operation(%q) = %q, want %q", sql, got, want)
		}
	}
	long := strings.Repeat("é", maxStatement)
	if got := truncate(long, maxStatement); len(got) > maxStatement+40 || !strings.HasSuffix(got, " bytes)") {
		t.Errorf("truncate gave %d bytes", len(got))
	}
}
