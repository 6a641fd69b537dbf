package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/config"
)

// chainStore is an audit.ExportStore over a chain held in memory.
type chainStore struct {
	entries []audit.Entry
	head    audit.Head
	cps     []audit.Checkpoint
}

func (s *chainStore) AuditHeadGet(context.Context, uuid.UUID) (audit.Head, error) { return s.head, nil }

func (s *chainStore) AuditChainPage(_ context.Context, _ uuid.UUID, afterSeq int64, _ uuid.UUID, limit int) ([]audit.Entry, error) {
	var out []audit.Entry
	for _, e := range s.entries {
		if e.Seq > afterSeq && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *chainStore) AuditCheckpoints(context.Context, uuid.UUID) ([]audit.Checkpoint, error) {
	return s.cps, nil
}

// `ordo audit verify --file` verifies an export offline with the
// messages of --tenant: ok when intact, the entry named when a line is
// edited, a checkpoint refused with another public key.
func TestAuditVerifyFile(t *testing.T) {
	t.Parallel()
	pub, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	tenantID := uuid.New()
	s := &chainStore{}
	prev := audit.GenesisHash
	for i := range 4 {
		e := audit.Entry{ID: uuid.New(), TenantID: tenantID, ActorType: "system", ActorName: "Ordo", Action: "order.created",
			EntityType: "order", EntityID: "A-" + string(rune('1'+i)), Metadata: []byte(`{"n": 1}`),
			CreatedAt: time.Now().UTC().Truncate(time.Microsecond), Seq: int64(i + 1), PrevHash: prev}
		e.Hash = audit.Hash(prev, e)
		prev = e.Hash
		s.entries = append(s.entries, e)
	}
	s.head = audit.Head{TenantID: tenantID, Seq: 4, Hash: prev}
	s.cps = []audit.Checkpoint{audit.Sign(key, s.head, time.Now())}
	var b bytes.Buffer
	require.NoError(t, audit.WriteExport(t.Context(), &b, s, tenantID, "acme", pub, time.Now()))
	dir := t.TempDir()
	file := filepath.Join(dir, "export.jsonl")
	require.NoError(t, os.WriteFile(file, b.Bytes(), 0o600))

	verify := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := auditCommand(t.Context(), append([]string{"verify"}, args...), config.Config{}, nil, &out, io.Discard)
		return out.String(), err
	}
	out, err := verify("--file", file, "--pubkey", base64.StdEncoding.EncodeToString(pub))
	require.NoError(t, err)
	require.Contains(t, out, "tenant acme: 4 entries chained (head 4), 1 checkpoints")
	require.Contains(t, out, "ok: the audit log is intact")

	out, err = verify("--file", file)
	require.NoError(t, err, "with the export's own key")
	require.Contains(t, out, "pass --pubkey")

	other, _, _ := ed25519.GenerateKey(nil)
	_, err = verify("--file", file, "--pubkey", base64.StdEncoding.EncodeToString(other))
	require.ErrorContains(t, err, "audit chain broken at seq 4: checkpoint")

	edited := filepath.Join(dir, "edited.jsonl")
	require.NoError(t, os.WriteFile(edited, []byte(strings.Replace(b.String(), `"A-2"`, `"A-9"`, 1)), 0o600))
	_, err = verify("--file", edited, "--pubkey", base64.StdEncoding.EncodeToString(pub))
	require.ErrorContains(t, err, "tenant acme: audit chain broken at seq 2: edited entry "+s.entries[1].ID.String())

	_, err = verify("--file", file, "--tenant", "acme")
	var usage usageError
	require.True(t, errors.As(err, &usage), "both --file and --tenant: %v", err)
}

// An export of a chain retention pruned verifies from its signed cut;
// without the cut line, its start reads as deleted.
func TestAuditVerifyFilePruned(t *testing.T) {
	t.Parallel()
	pub, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	tenantID := uuid.New()
	s := &chainStore{}
	prev := audit.GenesisHash
	var all []audit.Entry
	for i := range 5 {
		e := audit.Entry{ID: uuid.New(), TenantID: tenantID, ActorType: "system", ActorName: "Ordo", Action: "order.created",
			EntityType: "order", EntityID: "A-" + string(rune('1'+i)), Metadata: []byte(`{"n": 1}`),
			CreatedAt: time.Now().UTC().Truncate(time.Microsecond), Seq: int64(i + 1), PrevHash: prev}
		e.Hash = audit.Hash(prev, e)
		prev = e.Hash
		all = append(all, e)
	}
	s.entries = all[2:] // 1 and 2 pruned
	s.head = audit.Head{TenantID: tenantID, Seq: 5, Hash: prev}
	s.cps = []audit.Checkpoint{audit.SignCut(key, audit.Head{TenantID: tenantID, Seq: 2, Hash: all[1].Hash}, time.Now()),
		audit.Sign(key, s.head, time.Now())}
	var b bytes.Buffer
	require.NoError(t, audit.WriteExport(t.Context(), &b, s, tenantID, "acme", pub, time.Now()))
	dir := t.TempDir()
	verify := func(text string) (string, error) {
		file := filepath.Join(dir, uuid.NewString()+".jsonl")
		require.NoError(t, os.WriteFile(file, []byte(text), 0o600))
		var out bytes.Buffer
		err := auditCommand(t.Context(), []string{"verify", "--file", file, "--pubkey", base64.StdEncoding.EncodeToString(pub)},
			config.Config{}, nil, &out, io.Discard)
		return out.String(), err
	}
	out, err := verify(b.String())
	require.NoError(t, err)
	require.Contains(t, out, "tenant acme: 3 entries chained (head 5), 2 checkpoints, starting at seq 3 after a signed retention cut")

	lines := strings.SplitAfter(b.String(), "\n")
	require.Contains(t, lines[1], `"type":"cut"`)
	_, err = verify(lines[0] + strings.Join(lines[2:], ""))
	require.ErrorContains(t, err, "tenant acme: audit chain broken at seq 1: deleted entry "+all[2].ID.String())
}
