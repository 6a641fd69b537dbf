package testkit

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// CheckMetrics runs `promtool check metrics` (Debian package prometheus)
// on a metrics exposition and fails the test on any problem it reports.
func CheckMetrics(t testing.TB, exposition []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		Missing(t, "promtool is not installed (apt-get install prometheus)")
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
