package main_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/ordo/ordo/internal/testkit"
)

// `ordo audit verify` exits 0 on an intact audit log and 1 naming the
// entry once a row is edited in the database; `ordo audit checkpoint`
// signs the head, and a checkpoint verified with another public key
// fails. A missing --tenant is a usage error (2).
func TestAuditVerifyCLI(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	env := []string{"ORDO_DATA_DIR=" + data}
	run := func(want int, args ...string) string {
		t.Helper()
		out, errOut, code := runIn(t, dir, env, "a strong passphrase\n", args...)
		if code != want {
			t.Fatalf("ordo %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out + errOut
	}
	run(0, "users", "create", "--email", "ops@example.com")
	run(0, "tenants", "create", "--name", "Chained", "--owner", "ops@example.com")
	run(0, "apikeys", "create", "--tenant", "chained", "--role", "admin")

	if out := run(0, "audit", "verify", "--tenant", "chained"); !strings.Contains(out, "ok: the audit log is intact") {
		t.Fatalf("verify:\n%s", out)
	}
	if out := run(0, "audit", "checkpoint"); !strings.Contains(out, "1 checkpoints signed") {
		t.Fatalf("checkpoint:\n%s", out)
	}
	if out := run(0, "audit", "verify", "--tenant", "chained"); !strings.Contains(out, "1 checkpoints") {
		t.Fatalf("verify after a checkpoint:\n%s", out)
	}
	pub := strings.TrimSpace(run(0, "audit", "pubkey"))
	if b, err := base64.StdEncoding.DecodeString(pub); err != nil || len(b) != 32 {
		t.Fatalf("pubkey %q: %v", pub, err)
	}
	run(0, "audit", "verify", "--tenant", "chained", "--pubkey", pub)
	other := base64.StdEncoding.EncodeToString(make([]byte, 32))
	if out := run(1, "audit", "verify", "--tenant", "chained", "--pubkey", other); !strings.Contains(out, "checkpoint") {
		t.Fatalf("verify with another key:\n%s", out)
	}
	run(2, "audit", "verify")

	// Retention at once: nothing with plan limits off; with them on, the
	// free plan keeps 90 days, and nothing here is that old.
	if out := run(0, "audit", "prune"); !strings.Contains(out, "plan limits are off") {
		t.Fatalf("prune without plan limits:\n%s", out)
	}
	if out, errOut, code := runIn(t, dir, append(env, "ORDO_PLAN_LIMITS=true"), "", "audit", "prune"); code != 0 || !strings.Contains(out, "0 audit log entries pruned") {
		t.Fatalf("prune with plan limits: exit %d\n%s%s", code, out, errOut)
	}
	run(0, "audit", "verify", "--tenant", "chained")

	db, err := sql.Open("sqlite", filepath.Join(data, "ordo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id string
	if err := db.QueryRowContext(context.Background(), `SELECT id FROM audit_log WHERE seq = 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(context.Background(), `UPDATE audit_log SET ip = '203.0.113.9' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	out := run(1, "audit", "verify", "--tenant", "chained")
	if !strings.Contains(out, "edited entry "+id) {
		t.Fatalf("verify after an edit:\n%s", out)
	}
}
