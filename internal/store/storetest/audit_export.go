package storetest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/store"
)

// exportAndRead writes the tenant's audit export and reads it back.
func exportAndRead(t *testing.T, s store.Store, tenantID uuid.UUID, pub ed25519.PublicKey) audit.Export {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, audit.WriteExport(context.Background(), &b, s, tenantID, "t", pub, now()))
	x, err := audit.ReadExport(&b)
	require.NoError(t, err)
	return x
}

// checkAuditExport exports a tenant's log with its proofs, pages of the
// chain and the head included, and checks that both verifiers, Verify
// over ReadExport and the independent Python one
// (internal/audit/testdata/verify_export.py), accept it whole and name
// the entry when a line of it is edited, deleted, inserted or swapped.
func checkAuditExport(t *testing.T, s store.Store, write func(t *testing.T, n int) (uuid.UUID, []audit.Entry), key ed25519.PrivateKey) {
	ctx := context.Background()
	pub := key.Public().(ed25519.PublicKey)
	tenantID, es := write(t, 6)

	// Pages of the chain, from the start and after a cursor.
	page, err := s.AuditChainPage(ctx, tenantID, 0, uuid.Nil, 4)
	require.NoError(t, err)
	require.Len(t, page, 4)
	for i, e := range page {
		require.Equal(t, es[i].ID, e.ID)
		require.Equal(t, es[i].Hash, e.Hash)
	}
	page, err = s.AuditChainPage(ctx, tenantID, page[3].Seq, page[3].ID, 4)
	require.NoError(t, err)
	require.Len(t, page, 2)
	require.Equal(t, es[5].ID, page[1].ID)
	head, err := s.AuditHeadGet(ctx, tenantID)
	require.NoError(t, err)
	require.Equal(t, int64(6), head.Seq)
	require.Equal(t, es[5].Hash, head.Hash)
	none, err := s.AuditHeadGet(ctx, newID())
	require.NoError(t, err)
	require.Zero(t, none.Seq, "a tenant with nothing chained has a zero head")

	require.NoError(t, s.AuditCheckpointInsert(ctx, audit.Sign(key, audit.Head{TenantID: tenantID, Seq: 4, Hash: es[3].Hash}, now())))
	require.NoError(t, s.AuditCheckpointInsert(ctx, audit.Sign(key, head, now())))
	var b bytes.Buffer
	require.NoError(t, audit.WriteExport(ctx, &b, s, tenantID, "t", pub, now()))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	require.Len(t, lines, 1+6+2, "a header, the entries, the checkpoints")

	python := pythonVerifier(t)
	verify := func(t *testing.T, lines []string) (audit.Report, string) {
		t.Helper()
		text := strings.Join(lines, "\n") + "\n"
		x, err := audit.ReadExport(strings.NewReader(text))
		require.NoError(t, err)
		r := audit.Verify(x.Entries, x.Head, x.Checkpoints, pub)
		if python == nil {
			return r, ""
		}
		return r, python(t, text, pub)
	}

	r, py := verify(t, lines)
	require.Nil(t, r.Problem)
	require.Equal(t, 6, r.Chained)
	require.Equal(t, 2, r.Checkpoints)
	if python != nil {
		require.True(t, strings.HasPrefix(py, "ok"), "python verifier: %s", py)
	}

	// entry i's line (1-based seq) as a map, and back.
	line := func(seq int) map[string]any {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(lines[seq]), &m))
		return m
	}
	enc := func(m map[string]any) string {
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return string(b)
	}
	forged := newID()
	for _, c := range []struct {
		name   string
		tamper func() []string
		want   audit.Problem
	}{
		{"Edit", func() []string {
			out := append([]string(nil), lines...)
			m := line(3)
			m["ip"] = "203.0.113.9"
			out[3] = enc(m)
			return out
		}, audit.Problem{Kind: audit.Edited, Seq: 3, EntryID: es[2].ID}},
		{"Delete", func() []string {
			return append(append([]string(nil), lines[:3]...), lines[4:]...)
		}, audit.Problem{Kind: audit.Deleted, Seq: 3, EntryID: es[3].ID}},
		{"Insert", func() []string {
			m := line(3)
			m["id"], m["action"] = forged.String(), "member.removed"
			out := append([]string(nil), lines[:4]...)
			return append(append(out, enc(m)), lines[4:]...)
		}, audit.Problem{Kind: audit.Inserted, Seq: 3, EntryID: forged}},
		{"Swap", func() []string {
			// Entries 2 and 3 change places in the chain.
			out := append([]string(nil), lines...)
			a, b := line(2), line(3)
			a["seq"], b["seq"] = 3, 2
			out[2], out[3] = enc(b), enc(a)
			return out
		}, audit.Problem{Kind: audit.Reordered, Seq: 2, EntryID: es[2].ID}},
		{"DeleteLast", func() []string {
			return append(append([]string(nil), lines[:6]...), lines[7:]...)
		}, audit.Problem{Kind: audit.Deleted, Seq: 6}},
		{"Signature", func() []string {
			out := append([]string(nil), lines...)
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(lines[7]), &m))
			sig := m["signature"].(string)
			m["signature"] = sig[:10] + map[bool]string{true: "0", false: "1"}[sig[10] != '0'] + sig[11:]
			out[7] = enc(m)
			return out
		}, audit.Problem{Kind: audit.BadCheckpoint, Seq: 4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, py := verify(t, c.tamper())
			require.NotNil(t, r.Problem, "tampering goes unnoticed")
			got := audit.Problem{Kind: r.Problem.Kind, Seq: r.Problem.Seq, EntryID: r.Problem.EntryID}
			require.Equal(t, c.want, got, r.Problem.Error())
			if python == nil {
				return
			}
			parts := strings.SplitN(r.Problem.Error(), ": ", 3) // "… at seq N", "kind [entry ID]", detail
			want := parts[0] + ": " + parts[1]
			require.Equal(t, want, py, "the python verifier names what Verify names")
		})
	}
}

// pythonVerifier runs internal/audit/testdata/verify_export.py on an
// export; nil when python3 is missing outside CI (in CI it must be there).
func pythonVerifier(t *testing.T) func(t *testing.T, export string, pub ed25519.PublicKey) string {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 is needed in CI for the independent audit export verifier: %v", err)
		}
		t.Log("python3 is missing: the independent audit export verifier is not run")
		return nil
	}
	_, here, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(here), "..", "..", "audit", "testdata", "verify_export.py")
	return func(t *testing.T, export string, pub ed25519.PublicKey) string {
		t.Helper()
		f := filepath.Join(t.TempDir(), "export.jsonl")
		require.NoError(t, os.WriteFile(f, []byte(export), 0o600))
		out, err := exec.Command(py, script, f, base64.StdEncoding.EncodeToString(pub)).CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
			t.Fatalf("python verifier: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
}
