package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/audit"
)

// prunedMidway is an audit.ExportStore whose retention cut moves on
// between the export's first and second look at the checkpoints, as when
// the nightly prune runs while an owner downloads the log.
type prunedMidway struct {
	entries []audit.Entry
	head    audit.Head
	cuts    [][]audit.Checkpoint // one per call
	calls   int
}

func (s *prunedMidway) AuditHeadGet(context.Context, uuid.UUID) (audit.Head, error) {
	return s.head, nil
}

func (s *prunedMidway) AuditChainPage(_ context.Context, _ uuid.UUID, afterSeq int64, _ uuid.UUID, limit int) ([]audit.Entry, error) {
	var out []audit.Entry
	for _, e := range s.entries {
		if e.Seq > afterSeq && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *prunedMidway) AuditCheckpoints(context.Context, uuid.UUID) ([]audit.Checkpoint, error) {
	c := s.cuts[min(s.calls, len(s.cuts)-1)]
	s.calls++
	return c, nil
}

// An export that a prune overtook fails rather than hand out a file whose
// start reads as deleted; one it did not overtake verifies.
func TestExportPrunedMidway(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	es, head := chain(6)
	at := func(i int) audit.Head { return audit.Head{TenantID: es[i].TenantID, Seq: es[i].Seq, Hash: es[i].Hash} }
	now := time.Date(2026, 12, 4, 4, 0, 0, 0, time.UTC)
	first, second := audit.SignCut(key, at(1), now), audit.SignCut(key, at(3), now)
	cp := audit.Sign(key, head, now)

	s := &prunedMidway{entries: es[2:], head: head, cuts: [][]audit.Checkpoint{{first, cp}, {second, cp}}}
	var b bytes.Buffer
	err = audit.WriteExport(context.Background(), &b, s, head.TenantID, "acme", pub, now)
	require.ErrorIs(t, err, audit.ErrPrunedDuringExport)

	s = &prunedMidway{entries: es[2:], head: head, cuts: [][]audit.Checkpoint{{first, cp}}}
	b.Reset()
	require.NoError(t, audit.WriteExport(context.Background(), &b, s, head.TenantID, "acme", pub, now))
	x, err := audit.ReadExport(&b)
	require.NoError(t, err)
	r := audit.Verify(x.Entries, x.Head, x.Checkpoints, x.PublicKey)
	require.Nil(t, r.Problem)
	require.Equal(t, int64(3), r.Start)
}
