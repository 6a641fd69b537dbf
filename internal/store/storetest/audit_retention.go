package storetest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/store"
)

// pruneCounts is an audit.PruneObserver.
type pruneCounts struct{ n int }

func (c *pruneCounts) Pruned(n int) { c.n += n }

// checkAuditRetention checks retention's prune on s: it deletes the
// chain's old start in batches behind a signed cut, never past the newest
// checkpoint, and what remains verifies, in the database and exported (Go
// and Python); tampering after a prune is still named, and so is the
// chain's start deleted by hand without a cut or behind a forged one.
func checkAuditRetention(t *testing.T, s store.Store, exec func(ctx context.Context, sql string) error, key ed25519.PrivateKey) {
	ctx := context.Background()
	pub := key.Public().(ed25519.PublicKey)
	old := now().Add(-100 * 24 * time.Hour)
	before := now().Add(-90 * 24 * time.Hour)

	// write makes a tenant with entries written at the times given, one
	// transaction each, and returns them in chain order.
	write := func(t *testing.T, at ...time.Time) (uuid.UUID, []audit.Entry) {
		t.Helper()
		tenantID, actor := seedTenantUser(t, s)
		for i, c := range at {
			require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
				return tx.AuditInsert(ctx, audit.Entry{ID: newID(), TenantID: tenantID, ActorType: "user", ActorID: &actor.ID, ActorName: "Zoë",
					ActorEmail: actor.Email, Action: "order.created", EntityType: "order", EntityID: fmt.Sprintf("A-%d", i),
					Metadata: json.RawMessage(`{"n": 1}`), CreatedAt: c})
			}))
		}
		es, _, err := s.AuditChain(ctx, tenantID)
		require.NoError(t, err)
		require.Len(t, es, len(at))
		return tenantID, es
	}
	times := func(nOld, nNew int) []time.Time {
		var out []time.Time
		for range nOld {
			out = append(out, old)
		}
		for range nNew {
			out = append(out, now())
		}
		return out
	}
	checkpoint := func(t *testing.T, e audit.Entry) {
		t.Helper()
		require.NoError(t, s.AuditCheckpointInsert(ctx, audit.Sign(key, audit.Head{TenantID: e.TenantID, Seq: e.Seq, Hash: e.Hash}, now())))
	}
	verify := func(t *testing.T, tenantID uuid.UUID) audit.Report {
		t.Helper()
		es, head, err := s.AuditChain(ctx, tenantID)
		require.NoError(t, err)
		cps, err := s.AuditCheckpoints(ctx, tenantID)
		require.NoError(t, err)
		return audit.Verify(es, head, cps, pub)
	}
	// pruned is a tenant with 6 old entries and 4 new ones, checkpointed
	// at 3 and at its head, pruned in batches of 4: entries 7 to 10 stay
	// behind a cut at 6.
	pruned := func(t *testing.T) (uuid.UUID, []audit.Entry) {
		t.Helper()
		tenantID, es := write(t, times(6, 4)...)
		checkpoint(t, es[2])
		checkpoint(t, es[9])
		n, err := audit.PruneTenant(ctx, s, key, tenantID, before, now(), 4)
		require.NoError(t, err)
		require.Equal(t, 6, n, "the old entries, in two batches")
		return tenantID, es
	}

	t.Run("PruneVerifies", func(t *testing.T) {
		t.Parallel()
		tenantID, es := pruned(t)
		got, head, err := s.AuditChain(ctx, tenantID)
		require.NoError(t, err)
		require.Len(t, got, 4)
		require.Equal(t, es[6].ID, got[0].ID, "the chain starts at the first new entry")
		require.Equal(t, int64(10), head.Seq)
		cps, err := s.AuditCheckpoints(ctx, tenantID)
		require.NoError(t, err)
		require.Len(t, cps, 2, "the cut, and the checkpoint at the head: the one at 3 went with its entry")
		require.True(t, cps[0].Cut)
		require.Equal(t, int64(6), cps[0].Seq)
		require.Equal(t, es[5].Hash, cps[0].Hash, "the cut pins the first kept entry's predecessor")
		require.False(t, cps[1].Cut)
		require.Equal(t, int64(10), cps[1].Seq)
		r := audit.Verify(got, head, cps, pub)
		require.Nil(t, r.Problem)
		require.Equal(t, 4, r.Chained)
		require.Equal(t, int64(7), r.Start)
		require.Equal(t, 2, r.Checkpoints)

		// Nothing more is old: a second run prunes nothing.
		n, err := audit.PruneTenant(ctx, s, key, tenantID, before, now(), 4)
		require.NoError(t, err)
		require.Zero(t, n)

		// New entries chain on.
		_, actor := seedTenantUser(t, s)
		require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
			return tx.AuditInsert(ctx, audit.Entry{ID: newID(), TenantID: tenantID, ActorType: "user", ActorID: &actor.ID, Action: "order.created",
				EntityType: "order", EntityID: "B", CreatedAt: now()})
		}))
		r = verify(t, tenantID)
		require.Nil(t, r.Problem)
		require.Equal(t, 5, r.Chained)
	})

	t.Run("NotPastNewestCheckpoint", func(t *testing.T) {
		t.Parallel()
		tenantID, es := write(t, times(8, 0)...)
		checkpoint(t, es[4])
		n, err := audit.PruneTenant(ctx, s, key, tenantID, now().Add(time.Hour), now(), 100)
		require.NoError(t, err)
		require.Equal(t, 5, n, "entries 6 to 8 are pinned by no checkpoint yet")
		r := verify(t, tenantID)
		require.Nil(t, r.Problem)
		require.Equal(t, int64(6), r.Start)
		require.Equal(t, 3, r.Chained)

		// Checkpointed, the rest goes too: an empty chain behind its cut
		// still verifies, and the next entry chains on from the head.
		checkpoint(t, es[7])
		n, err = audit.PruneTenant(ctx, s, key, tenantID, now().Add(time.Hour), now(), 100)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		r = verify(t, tenantID)
		require.Nil(t, r.Problem)
		require.Equal(t, 0, r.Chained)
		require.Equal(t, int64(9), r.Start)
		_, actor := seedTenantUser(t, s)
		require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
			return tx.AuditInsert(ctx, audit.Entry{ID: newID(), TenantID: tenantID, ActorType: "user", ActorID: &actor.ID, Action: "order.created",
				EntityType: "order", EntityID: "B", CreatedAt: now()})
		}))
		r = verify(t, tenantID)
		require.Nil(t, r.Problem)
		require.Equal(t, 1, r.Chained)
		require.Equal(t, int64(9), r.Head)
	})

	t.Run("PruneRefuses", func(t *testing.T) {
		t.Parallel()
		tenantID, es := write(t, times(5, 0)...)
		checkpoint(t, es[2])
		at := func(i int) audit.Head { return audit.Head{TenantID: tenantID, Seq: es[i].Seq, Hash: es[i].Hash} }
		_, err := s.AuditPrune(ctx, audit.SignCut(key, at(3), now()))
		require.ErrorIs(t, err, audit.ErrCutRefused, "past the newest checkpoint")
		wrong := at(1)
		wrong.Hash = es[0].Hash
		_, err = s.AuditPrune(ctx, audit.SignCut(key, wrong, now()))
		require.ErrorIs(t, err, audit.ErrCutRefused, "a cut that signs another hash than the entry's")
		es2, _, err := s.AuditChain(ctx, tenantID)
		require.NoError(t, err)
		require.Len(t, es2, 5, "a refused prune deletes nothing")

		n, err := s.AuditPrune(ctx, audit.SignCut(key, at(1), now()))
		require.NoError(t, err)
		require.Equal(t, 2, n)
		_, err = s.AuditPrune(ctx, audit.SignCut(key, at(1), now()))
		require.ErrorIs(t, err, audit.ErrCutRefused, "the chain is already cut there")
		n, err = s.AuditPrune(ctx, audit.SignCut(key, at(2), now()))
		require.NoError(t, err)
		require.Equal(t, 1, n)
		r := verify(t, tenantID)
		require.Nil(t, r.Problem)
		require.Equal(t, int64(4), r.Start)

		// A chain that does not verify is not cut: that would sign
		// the tampering into its start.
		tenantID, es = write(t, times(5, 0)...)
		checkpoint(t, es[4])
		require.NoError(t, exec(ctx, fmt.Sprintf(`UPDATE audit_log SET actor_name = 'someone else' WHERE id = '%s'`, es[1].ID)))
		n, err = audit.PruneTenant(ctx, s, key, tenantID, now().Add(time.Hour), now(), 100)
		require.ErrorIs(t, err, audit.ErrNotVerified)
		require.Zero(t, n)
		es2, _, err = s.AuditChain(ctx, tenantID)
		require.NoError(t, err)
		require.Len(t, es2, 5)
	})

	for _, c := range []struct {
		name   string
		tamper func(tenantID uuid.UUID, es []audit.Entry) string
		kind   string
		seq    int64
		entry  func(es []audit.Entry) uuid.UUID
	}{
		{"Edit", func(_ uuid.UUID, es []audit.Entry) string {
			return fmt.Sprintf(`UPDATE audit_log SET action = 'member.removed' WHERE id = '%s'`, es[7].ID)
		}, audit.Edited, 8, func(es []audit.Entry) uuid.UUID { return es[7].ID }},
		{"DeleteFirstKept", func(_ uuid.UUID, es []audit.Entry) string {
			return fmt.Sprintf(`DELETE FROM audit_log WHERE id = '%s'`, es[6].ID)
		}, audit.Deleted, 7, func(es []audit.Entry) uuid.UUID { return es[7].ID }},
		{"Swap", func(_ uuid.UUID, es []audit.Entry) string {
			return fmt.Sprintf(`UPDATE audit_log SET seq = CASE WHEN id = '%s' THEN 8 ELSE 7 END WHERE id IN ('%s', '%s')`, es[6].ID, es[6].ID, es[7].ID)
		}, audit.Reordered, 7, func(es []audit.Entry) uuid.UUID { return es[7].ID }},
		// The cut moved on by hand, to hide entry 7: its signature fails.
		{"MoveCut", func(tenantID uuid.UUID, es []audit.Entry) string {
			return fmt.Sprintf(`UPDATE audit_chain_cuts SET seq = 7, hash = (SELECT hash FROM audit_log WHERE id = '%s') WHERE tenant_id = '%s'; DELETE FROM audit_log WHERE id = '%s'`,
				es[6].ID, tenantID, es[6].ID)
		}, audit.BadCheckpoint, 7, func([]audit.Entry) uuid.UUID { return uuid.Nil }},
		// A checkpoint's signature passed off as a cut's: the tags differ.
		{"CheckpointAsCut", func(tenantID uuid.UUID, es []audit.Entry) string {
			return fmt.Sprintf(`DELETE FROM audit_log WHERE tenant_id = '%s' AND seq <= 10; UPDATE audit_chain_cuts SET (seq, hash, signed_at, signature) =
				(SELECT seq, hash, signed_at, signature FROM audit_checkpoints WHERE tenant_id = '%s' AND seq = 10) WHERE tenant_id = '%s'`,
				tenantID, tenantID, tenantID)
		}, audit.BadCheckpoint, 10, func([]audit.Entry) uuid.UUID { return uuid.Nil }},
		// The cut deleted: the chain's start is missing, as by hand.
		{"DeleteCut", func(tenantID uuid.UUID, es []audit.Entry) string {
			return fmt.Sprintf(`DELETE FROM audit_chain_cuts WHERE tenant_id = '%s'`, tenantID)
		}, audit.Deleted, 1, func(es []audit.Entry) uuid.UUID { return es[6].ID }},
	} {
		t.Run("PruneThenTamper"+c.name, func(t *testing.T) {
			t.Parallel()
			tenantID, es := pruned(t)
			require.NoError(t, exec(ctx, c.tamper(tenantID, es)))
			r := verify(t, tenantID)
			require.NotNil(t, r.Problem, "tampering goes unnoticed")
			require.Equal(t, c.kind, r.Problem.Kind, r.Problem.Error())
			require.Equal(t, c.seq, r.Problem.Seq, r.Problem.Error())
			require.Equal(t, c.entry(es), r.Problem.EntryID, r.Problem.Error())

			x := exportAndRead(t, s, tenantID, pub)
			rx := audit.Verify(x.Entries, x.Head, x.Checkpoints, x.PublicKey)
			require.Equal(t, r.Problem, rx.Problem, "the export verifies as the database does")
		})
	}

	// The oldest rows deleted by hand, with no cut: a deletion, named at
	// the first entry left.
	t.Run("DeleteStartWithoutCut", func(t *testing.T) {
		t.Parallel()
		tenantID, es := write(t, times(6, 0)...)
		checkpoint(t, es[5])
		require.NoError(t, exec(ctx, fmt.Sprintf(`DELETE FROM audit_log WHERE tenant_id = '%s' AND seq <= 3`, tenantID)))
		r := verify(t, tenantID)
		require.NotNil(t, r.Problem)
		require.Equal(t, audit.Deleted, r.Problem.Kind, r.Problem.Error())
		require.Equal(t, int64(1), r.Problem.Seq)
		require.Equal(t, es[3].ID, r.Problem.EntryID)
	})

	t.Run("Export", func(t *testing.T) {
		t.Parallel()
		tenantID, es := pruned(t)
		var b bytes.Buffer
		require.NoError(t, audit.WriteExport(ctx, &b, s, tenantID, "t", pub, now()))
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		require.Len(t, lines, 1+1+4+1, "a header, the cut, the entries, the checkpoint")
		require.Contains(t, lines[1], `"type":"cut"`)

		python := pythonVerifier(t)
		check := func(t *testing.T, lines []string) (audit.Report, string) {
			t.Helper()
			text := strings.Join(lines, "\n") + "\n"
			// As `ordo audit verify --file` does: ReadExport, then Verify.
			x, err := audit.ReadExport(strings.NewReader(text))
			require.NoError(t, err)
			r := audit.Verify(x.Entries, x.Head, x.Checkpoints, pub)
			if python == nil {
				return r, ""
			}
			return r, python(t, text, pub)
		}
		r, py := check(t, lines)
		require.Nil(t, r.Problem)
		require.Equal(t, 4, r.Chained)
		require.Equal(t, int64(7), r.Start)
		if python != nil {
			require.True(t, strings.HasPrefix(py, "ok"), "python verifier: %s", py)
		}

		edit := func(i int, f func(m map[string]any)) []string {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(lines[i]), &m))
			f(m)
			out := append([]string(nil), lines...)
			j, err := json.Marshal(m)
			require.NoError(t, err)
			out[i] = string(j)
			return out
		}
		for _, c := range []struct {
			name   string
			tamper func() []string
			want   audit.Problem
		}{
			{"DropCut", func() []string {
				return append(append([]string(nil), lines[:1]...), lines[2:]...)
			}, audit.Problem{Kind: audit.Deleted, Seq: 1, EntryID: es[6].ID}},
			{"Edit", func() []string {
				return edit(3, func(m map[string]any) { m["ip"] = "203.0.113.9" })
			}, audit.Problem{Kind: audit.Edited, Seq: 8, EntryID: es[7].ID}},
			{"DeleteFirstKept", func() []string {
				return append(append([]string(nil), lines[:2]...), lines[3:]...)
			}, audit.Problem{Kind: audit.Deleted, Seq: 7, EntryID: es[7].ID}},
			{"MoveCut", func() []string {
				return edit(1, func(m map[string]any) { m["seq"] = 5 })
			}, audit.Problem{Kind: audit.BadCheckpoint, Seq: 5}},
			// A cut's signature passed off as a checkpoint's proves no
			// cut: the chain's start is missing.
			{"CutAsCheckpoint", func() []string {
				return edit(1, func(m map[string]any) { m["type"] = "checkpoint" })
			}, audit.Problem{Kind: audit.Deleted, Seq: 1, EntryID: es[6].ID}},
		} {
			t.Run(c.name, func(t *testing.T) {
				r, py := check(t, c.tamper())
				require.NotNil(t, r.Problem, "tampering goes unnoticed")
				got := audit.Problem{Kind: r.Problem.Kind, Seq: r.Problem.Seq, EntryID: r.Problem.EntryID}
				require.Equal(t, c.want, got, r.Problem.Error())
				if python == nil {
					return
				}
				parts := strings.SplitN(r.Problem.Error(), ": ", 3)
				require.Equal(t, parts[0]+": "+parts[1], py, "the python verifier names what Verify names")
			})
		}
	})

	// The nightly job: only tenants whose plan keeps entries for a time
	// are pruned, and the count is reported.
	t.Run("Job", func(t *testing.T) {
		t.Parallel()
		kept, es := write(t, times(3, 1)...)
		checkpoint(t, es[3])
		cut, es2 := write(t, times(3, 1)...)
		checkpoint(t, es2[3])
		var counts pruneCounts
		w := &audit.RetentionWorker{Store: s, Key: key, Log: slog.New(slog.DiscardHandler), Observer: &counts}
		require.NoError(t, w.Work(ctx, nil), "without Days (plan limits off) nothing is pruned")
		require.Zero(t, counts.n)
		w.Days = func(_ context.Context, id uuid.UUID) (int64, error) {
			if id == cut {
				return 90, nil
			}
			return -1, nil // kept, and every other test's tenant
		}
		require.NoError(t, w.Work(ctx, nil))
		require.Equal(t, 3, counts.n)
		require.Equal(t, int64(4), verify(t, cut).Start)
		require.Nil(t, verify(t, cut).Problem)
		require.Equal(t, int64(1), verify(t, kept).Start)
		require.Equal(t, 4, verify(t, kept).Chained)
	})
}
