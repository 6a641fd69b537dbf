package audit_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/audit"
)

// The canonical form is documented byte for byte (chain.go) and is what
// PostgreSQL's json_build_array(…)::text gives: a change here breaks every
// chain already written.
func TestCanonical(t *testing.T) {
	actor := uuid.MustParse("0191e1e0-0000-7000-8000-0000000000aa")
	e := audit.Entry{
		ID: uuid.MustParse("0191e1e0-0000-7000-8000-000000000002"), TenantID: uuid.MustParse("0191e1e0-0000-7000-8000-000000000001"),
		Seq: 7, ActorType: "user", ActorID: &actor, ActorName: "Zoë \"Z\" Müller", ActorEmail: "z@example.com",
		Action: "order.created", EntityType: "order", EntityID: "A-1", IP: "192.0.2.1", UserAgent: "ua\\1\t\n\x01<>&",
		RequestID: "r1", Metadata: []byte(`{"a": [1, 2], "b": "x"}`),
		CreatedAt: time.Date(2026, 12, 4, 15, 4, 5, 123456789, time.FixedZone("CET", 3600)),
	}
	want := `["ordo-audit-1", 7, "0191e1e0-0000-7000-8000-000000000001", "0191e1e0-0000-7000-8000-000000000002", ` +
		`"2026-12-04T14:04:05.123456Z", "user", "0191e1e0-0000-7000-8000-0000000000aa", "Zoë \"Z\" Müller", "z@example.com", ` +
		`"order.created", "order", "A-1", null, "192.0.2.1", "ua\\1\t\n\u0001<>&", "r1", "{\"a\": [1, 2], \"b\": \"x\"}"]`
	require.Equal(t, want, string(audit.Canonical(e)))
	sum := audit.Hash(audit.GenesisHash, e)
	require.Len(t, sum, 32)
	// SHA-256 of 32 zero bytes followed by want, computed with Python's
	// hashlib: another implementation of the documented form agrees.
	require.Equal(t, "d81cdc3f665b22f960ab8859ed916f2951d3a1102229916d01bbaff900605052", hex.EncodeToString(sum))
}

// chain builds n chained entries of one tenant.
func chain(n int) ([]audit.Entry, audit.Head) {
	tenant := uuid.MustParse("0191e1e0-0000-7000-8000-000000000001")
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	prev := audit.GenesisHash
	var out []audit.Entry
	for i := range n {
		e := audit.Entry{ID: uuid.Must(uuid.NewV7()), TenantID: tenant, Seq: int64(i + 1), ActorType: "system",
			Action: "order.created", EntityType: "order", EntityID: "A-" + string(rune('a'+i)), Metadata: []byte("{}"),
			CreatedAt: start.Add(time.Duration(i) * time.Second)}
		e.PrevHash = prev
		e.Hash = audit.Hash(prev, e)
		prev = e.Hash
		out = append(out, e)
	}
	return out, audit.Head{TenantID: tenant, Seq: int64(n), Hash: prev}
}

func TestVerify(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	signedAt := time.Date(2026, 12, 4, 11, 0, 0, 0, time.UTC)

	type tc struct {
		name   string
		tamper func(es []audit.Entry, h audit.Head, cps []audit.Checkpoint) ([]audit.Entry, audit.Head, []audit.Checkpoint)
		kind   string
		seq    int64
		entry  int // index into the untampered chain of the entry named; -1 for none
	}
	for _, c := range []tc{
		{"intact", func(es []audit.Entry, h audit.Head, cps []audit.Checkpoint) ([]audit.Entry, audit.Head, []audit.Checkpoint) {
			return es, h, cps
		}, "", 0, -1},
		{"edited", func(es []audit.Entry, h audit.Head, cps []audit.Checkpoint) ([]audit.Entry, audit.Head, []audit.Checkpoint) {
			es[2].ActorName = "someone else"
			return es, h, cps
		}, audit.Edited, 3, 2},
		{"deleted", func(es []audit.Entry, h audit.Head, cps []audit.Checkpoint) ([]audit.Entry, audit.Head, []audit.Checkpoint) {
			return append(es[:2:2], es[3:]...), h, cps
		}, audit.Deleted, 3, 3},
		{"last deleted", func(es []audit.Entry, h audit.Head, cps []audit.Checkpoint) ([]audit.Entry, audit.Head, []audit.Checkpoint) {
			return es[:4], h, cps
		}, audit.Deleted, 5, -1},
		// Only a checkpoint past the cut tells that the chain once went on.
		{"last deleted, head too", func(es []audit.Entry, h audit.Head, cps []audit.Checkpoint) ([]audit.Entry, audit.Head, []audit.Checkpoint) {
			cps = append(cps, audit.Sign(key, h, signedAt.Add(time.Hour)))
			return es[:3], audit.Head{TenantID: h.TenantID, Seq: 3, Hash: es[2].Hash}, cps
		}, audit.Deleted, 5, -1},
		{"inserted at a taken seq", func(es []audit.Entry, h audit.Head, cps []audit.Checkpoint) ([]audit.Entry, audit.Head, []audit.Checkpoint) {
			x := es[2]
			x.ID, x.Action = uuid.MustParse("ffffffff-ffff-7fff-bfff-ffffffffffff"), "forged"
			x.Hash = audit.Hash(x.PrevHash, x)
			out := append(append(append([]audit.Entry{}, es[:3]...), x), es[3:]...)
			return out, h, cps
		}, audit.Inserted, 3, -2},
		{"inserted sorting first", func(es []audit.Entry, h audit.Head, cps []audit.Checkpoint) ([]audit.Entry, audit.Head, []audit.Checkpoint) {
			x := es[2]
			x.ID, x.Action = uuid.Nil, "forged"
			x.Hash = audit.Hash(x.PrevHash, x)
			out := append(append(append([]audit.Entry{}, es[:2]...), x), es[2:]...)
			return out, h, cps
		}, audit.Inserted, 3, -2},
		{"inserted outside the chain", func(es []audit.Entry, h audit.Head, cps []audit.Checkpoint) ([]audit.Entry, audit.Head, []audit.Checkpoint) {
			x := es[3]
			x.ID, x.Seq, x.PrevHash, x.Hash = uuid.MustParse("ffffffff-ffff-7fff-bfff-ffffffffffff"), 0, nil, nil
			return append([]audit.Entry{x}, es...), h, cps
		}, audit.Inserted, 0, -2},
		{"reordered", func(es []audit.Entry, h audit.Head, cps []audit.Checkpoint) ([]audit.Entry, audit.Head, []audit.Checkpoint) {
			es[1].Seq, es[2].Seq = 3, 2
			es[1], es[2] = es[2], es[1]
			return es, h, cps
		}, audit.Reordered, 2, 2},
		{"rewritten under a checkpoint", func(es []audit.Entry, h audit.Head, cps []audit.Checkpoint) ([]audit.Entry, audit.Head, []audit.Checkpoint) {
			es[0].ActorName = "rewritten"
			prev := audit.GenesisHash
			for i := range es {
				es[i].PrevHash = prev
				es[i].Hash = audit.Hash(prev, es[i])
				prev = es[i].Hash
			}
			return es, audit.Head{TenantID: h.TenantID, Seq: h.Seq, Hash: prev}, cps
		}, audit.BadCheckpoint, 3, -1},
		{"forged checkpoint", func(es []audit.Entry, h audit.Head, cps []audit.Checkpoint) ([]audit.Entry, audit.Head, []audit.Checkpoint) {
			cps[0].SignedAt = cps[0].SignedAt.Add(time.Hour)
			return es, h, cps
		}, audit.BadCheckpoint, 3, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			es, h := chain(5)
			orig := append([]audit.Entry{}, es...)
			cps := []audit.Checkpoint{audit.Sign(key, audit.Head{TenantID: h.TenantID, Seq: 3, Hash: es[2].Hash}, signedAt)}
			es, h, cps = c.tamper(es, h, cps)
			r := audit.Verify(es, h, cps, pub)
			if c.kind == "" {
				require.Nil(t, r.Problem)
				require.Equal(t, 5, r.Chained)
				require.Equal(t, 1, r.Checkpoints)
				return
			}
			require.NotNil(t, r.Problem)
			require.Equal(t, c.kind, r.Problem.Kind, r.Problem.Error())
			require.Equal(t, c.seq, r.Problem.Seq, r.Problem.Error())
			switch {
			case c.entry >= 0:
				require.Equal(t, orig[c.entry].ID, r.Problem.EntryID, r.Problem.Error())
			case c.entry == -2: // the forged entry
				require.Contains(t, []uuid.UUID{uuid.Nil, uuid.MustParse("ffffffff-ffff-7fff-bfff-ffffffffffff")}, r.Problem.EntryID, r.Problem.Error())
				for _, e := range orig {
					require.NotEqual(t, e.ID, r.Problem.EntryID)
				}
			}
		})
	}
}

func TestSigningKey(t *testing.T) {
	a, err := audit.SigningKey("", "some secret of more than thirty-two characters")
	require.NoError(t, err)
	b, err := audit.SigningKey("", "some secret of more than thirty-two characters")
	require.NoError(t, err)
	require.Equal(t, a, b, "derived from the secret, the key is stable")
	_, err = audit.SigningKey("bm90IGEgc2VlZA==", "")
	require.Error(t, err)
	c, err := audit.SigningKey("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "")
	require.NoError(t, err)
	require.Len(t, c.Public(), ed25519.PublicKeySize)
}

// Entries written before the chain began (seq 0, created before its first
// entry) are counted, not reported.
func TestVerifyEntriesBeforeTheChain(t *testing.T) {
	es, h := chain(3)
	old := audit.Entry{ID: uuid.Must(uuid.NewV7()), TenantID: h.TenantID, Action: "auth.login", CreatedAt: es[0].CreatedAt.Add(-time.Hour)}
	r := audit.Verify(append([]audit.Entry{old}, es...), h, nil, nil)
	require.Nil(t, r.Problem)
	require.Equal(t, 1, r.Unchained)
	require.Equal(t, 3, r.Chained)
	require.Equal(t, int64(3), r.Head)
}

// A chain whose start retention pruned verifies from its signed cut, and
// only from one: the cut's tag is not a checkpoint's, and what a cut
// leaves behind it is still checked.
func TestVerifyRetentionCut(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	es, head := chain(6)
	at := func(i int) audit.Head { return audit.Head{TenantID: es[i].TenantID, Seq: es[i].Seq, Hash: es[i].Hash} }
	signedAt := time.Date(2026, 12, 4, 4, 0, 0, 0, time.UTC)
	cut := audit.SignCut(key, at(2), signedAt) // entries 1 to 3 pruned
	kept := es[3:]
	cps := []audit.Checkpoint{audit.Sign(key, at(0), signedAt), cut, audit.Sign(key, at(2), signedAt), audit.Sign(key, head, signedAt)}

	r := audit.Verify(kept, head, cps, pub)
	require.Nil(t, r.Problem)
	require.Equal(t, int64(4), r.Start)
	require.Equal(t, 3, r.Chained)
	require.Equal(t, 4, r.Checkpoints)

	// The same message under the checkpoint tag is another message.
	require.NotEqual(t, audit.CheckpointMessage(cut), audit.CheckpointMessage(audit.Sign(key, at(2), signedAt)))

	for _, c := range []struct {
		name    string
		entries []audit.Entry
		cps     []audit.Checkpoint
		want    audit.Problem
	}{
		{"NoCut", kept, nil, audit.Problem{Kind: audit.Deleted, Seq: 1, EntryID: es[3].ID}},
		{"CheckpointAsCut", kept, []audit.Checkpoint{func() audit.Checkpoint {
			c := audit.Sign(key, at(2), signedAt)
			c.Cut = true
			return c
		}()}, audit.Problem{Kind: audit.BadCheckpoint, Seq: 3}},
		{"CutAsCheckpoint", kept, []audit.Checkpoint{func() audit.Checkpoint { c := cut; c.Cut = false; return c }()},
			audit.Problem{Kind: audit.Deleted, Seq: 1, EntryID: es[3].ID}},
		{"CutMoved", es[4:], []audit.Checkpoint{func() audit.Checkpoint { c := cut; c.Seq, c.Hash = 4, es[3].Hash; return c }()},
			audit.Problem{Kind: audit.BadCheckpoint, Seq: 4}},
		{"EntryBehindCut", es[2:], []audit.Checkpoint{cut}, audit.Problem{Kind: audit.Inserted, Seq: 3, EntryID: es[2].ID}},
		// A forged seq below 1, without a cut: named, not a panic.
		{"NegativeSeq", append([]audit.Entry{func() audit.Entry { e := es[0]; e.Seq = -1; return e }()}, es[1:]...), nil,
			audit.Problem{Kind: audit.Inserted, Seq: -1, EntryID: es[0].ID}},
		{"FirstKeptDeleted", es[4:], []audit.Checkpoint{cut}, audit.Problem{Kind: audit.Deleted, Seq: 4, EntryID: es[4].ID}},
		{"CheckpointAtCutDiffers", kept, []audit.Checkpoint{cut, audit.Sign(key, audit.Head{TenantID: es[0].TenantID, Seq: 3, Hash: es[1].Hash}, signedAt)},
			audit.Problem{Kind: audit.BadCheckpoint, Seq: 3}},
		{"UnchainedAfterCut", append([]audit.Entry{{ID: uuid.MustParse("0191e1e0-0000-7000-8000-0000000000ff"), TenantID: es[0].TenantID,
			CreatedAt: es[0].CreatedAt}}, kept...), []audit.Checkpoint{cut},
			audit.Problem{Kind: audit.Inserted, EntryID: uuid.MustParse("0191e1e0-0000-7000-8000-0000000000ff")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := audit.Verify(c.entries, head, c.cps, pub)
			require.NotNil(t, r.Problem)
			require.Equal(t, c.want, audit.Problem{Kind: r.Problem.Kind, Seq: r.Problem.Seq, EntryID: r.Problem.EntryID}, r.Problem.Error())
		})
	}
}
