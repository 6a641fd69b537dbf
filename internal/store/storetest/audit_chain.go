package storetest

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/store"
)

// CheckAuditChain checks the audit log's hash chain on s: concurrent
// writers in one tenant keep one unbroken chain, checkpoints are kept and
// found, and each way of tampering with the rows directly (exec runs SQL
// on the database as someone with access to it would, past Ordo and its
// triggers) is named by audit.Verify at the entry tampered with.
func CheckAuditChain(t *testing.T, s store.Store, exec func(ctx context.Context, sql string) error) {
	ctx := context.Background()
	pub, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)

	// write makes a tenant with n entries (one transaction each, as the
	// services write them) and returns them in chain order.
	write := func(t *testing.T, n int) (uuid.UUID, []audit.Entry) {
		t.Helper()
		tenantID, actor := seedTenantUser(t, s)
		for i := range n {
			order := newID()
			require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
				return tx.AuditInsert(ctx, audit.Entry{ID: newID(), TenantID: tenantID, ActorType: "user", ActorID: &actor.ID, ActorName: "Zoë \"Z\"",
					ActorEmail: actor.Email, Action: "order.created", EntityType: "order", EntityID: fmt.Sprintf("A-%d", i), OrderID: &order,
					IP: "192.0.2.1", UserAgent: "ua\t<&>", RequestID: "req", Metadata: json.RawMessage(`{"b": 1, "a": ["x\n", 2.50]}`), CreatedAt: now()})
			}))
		}
		es, head, err := s.AuditChain(ctx, tenantID)
		require.NoError(t, err)
		require.Len(t, es, n)
		require.Equal(t, int64(n), head.Seq)
		r := audit.Verify(es, head, nil, pub)
		require.Nil(t, r.Problem, "the chain as written verifies")
		return tenantID, es
	}

	t.Run("ConcurrentWriters", func(t *testing.T) {
		t.Parallel()
		tenantID, actor := seedTenantUser(t, s)
		var g errgroup.Group
		for w := range 8 {
			g.Go(func() error {
				for i := range 25 {
					err := s.InTx(ctx, func(tx store.Tx) error {
						return tx.AuditInsert(ctx, audit.Entry{ID: newID(), TenantID: tenantID, ActorType: "user", ActorID: &actor.ID,
							Action: "order.created", EntityType: "order", EntityID: fmt.Sprintf("%d-%d", w, i), CreatedAt: now()})
					})
					if err != nil {
						return err
					}
				}
				return nil
			})
		}
		require.NoError(t, g.Wait())
		es, head, err := s.AuditChain(ctx, tenantID)
		require.NoError(t, err)
		r := audit.Verify(es, head, nil, pub)
		require.Nil(t, r.Problem)
		require.Equal(t, 200, r.Chained)
		require.Equal(t, int64(200), head.Seq)
		for i, e := range es {
			require.Equal(t, int64(i+1), e.Seq, "one entry at each seq")
		}
	})

	t.Run("Checkpoints", func(t *testing.T) {
		t.Parallel()
		tenantID, es := write(t, 3)
		due := func() *audit.Head {
			heads, err := s.AuditHeadsToCheckpoint(ctx, 1_000_000)
			require.NoError(t, err)
			i := slices.IndexFunc(heads, func(h audit.Head) bool { return h.TenantID == tenantID })
			if i < 0 {
				return nil
			}
			return &heads[i]
		}
		h := due()
		require.NotNil(t, h, "a head never checkpointed is due")
		require.Equal(t, int64(3), h.Seq)
		require.Equal(t, es[2].Hash, h.Hash)
		c := audit.Sign(key, *h, now())
		require.NoError(t, s.AuditCheckpointInsert(ctx, c))
		require.NoError(t, s.AuditCheckpointInsert(ctx, audit.Sign(key, *h, now())), "a second one at the same seq is left out")
		require.Nil(t, due(), "checkpointed, the head is not due until it moves")
		cps, err := s.AuditCheckpoints(ctx, tenantID)
		require.NoError(t, err)
		require.Len(t, cps, 1)
		require.Equal(t, c.Signature, cps[0].Signature)
		require.True(t, c.SignedAt.Equal(cps[0].SignedAt))

		es, head, err := s.AuditChain(ctx, tenantID)
		require.NoError(t, err)
		r := audit.Verify(es, head, cps, pub)
		require.Nil(t, r.Problem)
		require.Equal(t, 1, r.Checkpoints)

		// Cut the last entry and the head with it: only the checkpoint
		// remembers that the chain went to seq 3.
		require.NoError(t, exec(ctx, fmt.Sprintf(`DELETE FROM audit_log WHERE id = '%s'`, es[2].ID)))
		require.NoError(t, exec(ctx, fmt.Sprintf(`UPDATE audit_chain_heads SET seq = 2, hash = (SELECT hash FROM audit_log WHERE id = '%s') WHERE tenant_id = '%s'`, es[1].ID, tenantID)))
		es, head, err = s.AuditChain(ctx, tenantID)
		require.NoError(t, err)
		r = audit.Verify(es, head, cps, pub)
		require.NotNil(t, r.Problem)
		require.Equal(t, audit.Deleted, r.Problem.Kind, r.Problem.Error())
		require.Equal(t, int64(3), r.Problem.Seq)
	})

	for _, c := range []struct {
		name   string
		tamper func(es []audit.Entry, forged uuid.UUID) string
		kind   string
		seq    int64
		entry  func(es []audit.Entry, forged uuid.UUID) uuid.UUID
	}{
		{"Edit", func(es []audit.Entry, forged uuid.UUID) string {
			return fmt.Sprintf(`UPDATE audit_log SET actor_name = 'someone else' WHERE id = '%s'`, es[2].ID)
		}, audit.Edited, 3, func(es []audit.Entry, _ uuid.UUID) uuid.UUID { return es[2].ID }},
		{"EditMetadata", func(es []audit.Entry, forged uuid.UUID) string {
			return fmt.Sprintf(`UPDATE audit_log SET metadata = '{"a": 1}' WHERE id = '%s'`, es[1].ID)
		}, audit.Edited, 2, func(es []audit.Entry, _ uuid.UUID) uuid.UUID { return es[1].ID }},
		{"Delete", func(es []audit.Entry, forged uuid.UUID) string {
			return fmt.Sprintf(`DELETE FROM audit_log WHERE id = '%s'`, es[2].ID)
		}, audit.Deleted, 3, func(es []audit.Entry, _ uuid.UUID) uuid.UUID { return es[3].ID }},
		{"DeleteLast", func(es []audit.Entry, forged uuid.UUID) string {
			return fmt.Sprintf(`DELETE FROM audit_log WHERE id = '%s'`, es[4].ID)
		}, audit.Deleted, 5, func([]audit.Entry, uuid.UUID) uuid.UUID { return uuid.Nil }},
		// A copy of entry 3 with another action, claiming its place.
		{"Insert", func(es []audit.Entry, forged uuid.UUID) string {
			return fmt.Sprintf(`INSERT INTO audit_log (%s, seq, prev_hash, hash) SELECT '%s', tenant_id, actor_id, actor_name, actor_email,
				'member.removed', entity_type, entity_id, order_id, ip, user_agent, request_id, actor_type, metadata, created_at, seq, prev_hash, hash
				FROM audit_log WHERE id = '%s'`, auditColumns, forged, es[2].ID)
		}, audit.Inserted, 3, func(_ []audit.Entry, forged uuid.UUID) uuid.UUID { return forged }},
		// A row written past the store, outside the chain.
		{"InsertUnchained", func(es []audit.Entry, forged uuid.UUID) string {
			return fmt.Sprintf(`INSERT INTO audit_log (%s) SELECT '%s', tenant_id, actor_id, actor_name, actor_email,
				'member.removed', entity_type, entity_id, order_id, ip, user_agent, request_id, actor_type, metadata, created_at
				FROM audit_log WHERE id = '%s'`, auditColumns, forged, es[3].ID)
		}, audit.Inserted, 0, func(_ []audit.Entry, forged uuid.UUID) uuid.UUID { return forged }},
		{"Swap", func(es []audit.Entry, forged uuid.UUID) string {
			return fmt.Sprintf(`UPDATE audit_log SET seq = CASE WHEN id = '%s' THEN 3 ELSE 2 END WHERE id IN ('%s', '%s')`, es[1].ID, es[1].ID, es[2].ID)
		}, audit.Reordered, 2, func(es []audit.Entry, _ uuid.UUID) uuid.UUID { return es[2].ID }},
	} {
		t.Run("Tamper"+c.name, func(t *testing.T) {
			t.Parallel()
			tenantID, es := write(t, 5)
			forged := newID()
			require.NoError(t, exec(ctx, c.tamper(es, forged)))
			got, head, err := s.AuditChain(ctx, tenantID)
			require.NoError(t, err)
			r := audit.Verify(got, head, nil, pub)
			require.NotNil(t, r.Problem, "tampering goes unnoticed")
			require.Equal(t, c.kind, r.Problem.Kind, r.Problem.Error())
			require.Equal(t, c.seq, r.Problem.Seq, r.Problem.Error())
			require.Equal(t, c.entry(es, forged), r.Problem.EntryID, r.Problem.Error())

			// Its export, verified offline, names the same.
			x := exportAndRead(t, s, tenantID, pub)
			rx := audit.Verify(x.Entries, x.Head, x.Checkpoints, x.PublicKey)
			require.Equal(t, r.Problem, rx.Problem, "the export verifies as the database does")
		})
	}

	t.Run("Export", func(t *testing.T) {
		t.Parallel()
		checkAuditExport(t, s, write, key)
	})
	t.Run("Retention", func(t *testing.T) {
		t.Parallel()
		checkAuditRetention(t, s, exec, key)
	})
	t.Run("NightlyVerify", func(t *testing.T) {
		t.Parallel()
		checkAuditVerifyJob(t, s, exec, write, pub)
	})
}

// auditColumns are audit_log's columns before the chain's, as the
// tampering statements list them.
const auditColumns = `id, tenant_id, actor_id, actor_name, actor_email, action, entity_type, entity_id, order_id, ip, user_agent, request_id, actor_type, metadata, created_at`
