package storetest

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/store"
)

// verifyCounts is an audit.VerifyObserver.
type verifyCounts struct{ checked, broken int }

func (c *verifyCounts) Verified(checked, broken int) { c.checked, c.broken = checked, broken }

// mailCapture is an audit.AlertDB on the store that also keeps the
// e-mail jobs its transactions insert.
type mailCapture struct {
	s    store.Store
	mu   sync.Mutex
	sent map[uuid.UUID][]jobs.EmailArgs
}

type captureTx struct {
	audit.AlertTx
	c *mailCapture
}

func (tx captureTx) JobInsert(ctx context.Context, args jobs.Args, opts *jobs.Opts) (*jobs.Inserted, error) {
	if e, ok := args.(jobs.EmailArgs); ok && e.TenantID != nil {
		tx.c.mu.Lock()
		tx.c.sent[*e.TenantID] = append(tx.c.sent[*e.TenantID], e)
		tx.c.mu.Unlock()
	}
	return tx.AlertTx.JobInsert(ctx, args, opts)
}

func (c *mailCapture) InTx(ctx context.Context, fn func(audit.AlertTx) error) error {
	return store.Narrow[audit.AlertTx]{Store: c.s}.InTx(ctx, func(tx audit.AlertTx) error {
		return fn(captureTx{tx, c})
	})
}

// checkAuditVerifyJob runs the nightly verification after a row of one
// tenant's chain was edited: the tenant is named at the entry, counted
// as broken, and its owners (only they) get an e-mail job naming the
// entry; an intact tenant is checked and left alone.
func checkAuditVerifyJob(t *testing.T, s store.Store, exec func(ctx context.Context, sql string) error,
	write func(t *testing.T, n int) (uuid.UUID, []audit.Entry), pub ed25519.PublicKey) {
	ctx := context.Background()
	tampered, es := write(t, 4)
	intact, _ := write(t, 2)
	n := now()
	var owner account.User
	for _, role := range []access.Role{access.RoleOwner, access.RoleAdmin} {
		u := NewUser()
		require.NoError(t, s.UserCreate(ctx, u))
		require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: tampered, UserID: u.ID, Role: role, CreatedAt: n, UpdatedAt: n}))
		if role == access.RoleOwner {
			owner = u
		}
	}
	require.NoError(t, exec(ctx, fmt.Sprintf(`UPDATE audit_log SET action = 'order.deleted' WHERE id = '%s'`, es[1].ID)))

	ids, err := s.AuditChainTenants(ctx, uuid.Nil, 1_000_000)
	require.NoError(t, err)
	require.Contains(t, ids, tampered)
	require.Contains(t, ids, intact)
	require.True(t, slices.IsSortedFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) }), "by id")
	next, err := s.AuditChainTenants(ctx, ids[0], 1)
	require.NoError(t, err)
	require.Equal(t, ids[1:2], next, "after the cursor")

	counts := &verifyCounts{}
	mails := &mailCapture{s: s, sent: map[uuid.UUID][]jobs.EmailArgs{}}
	w := &audit.VerifyWorker{Store: s, Pub: pub, Log: slog.New(slog.DiscardHandler), Observer: counts, Alert: audit.MailOwners(mails, "https://ordo.example.com")}
	require.NoError(t, w.Work(ctx, &jobs.Job[audit.VerifyArgs]{}))
	require.GreaterOrEqual(t, counts.checked, 2)
	require.GreaterOrEqual(t, counts.broken, 1, "the tampered tenant is counted")

	sent := mails.sent[tampered]
	require.Len(t, sent, 1, "one e-mail, to the owner only")
	require.Equal(t, []string{owner.Email}, sent[0].To)
	require.Contains(t, sent[0].Text, "audit chain broken at seq 2: edited entry "+es[1].ID.String())
	require.Contains(t, sent[0].Text, "https://ordo.example.com/app/audit")
	require.Empty(t, mails.sent[intact], "an intact chain alerts no one")
}
