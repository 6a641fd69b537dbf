package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/store"
)

// retryStore is a store whose only working method is InTx: anything the
// service did outside the transaction would panic on the nil embedded
// Store.
type retryStore struct {
	store.Store
	tx         *retryTx
	rolledBack bool
}

func (s *retryStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	err := fn(s.tx)
	s.rolledBack = err != nil
	return err
}

// retryTx retries any job and fails the audit insert when failAudit is
// set.
type retryTx struct {
	store.Tx
	retried   []int64
	entries   []audit.Entry
	failAudit error
}

func (tx *retryTx) JobRetry(_ context.Context, _ *uuid.UUID, id int64) (*jobs.Row, error) {
	tx.retried = append(tx.retried, id)
	return &jobs.Row{ID: id, Kind: "test_kind", State: jobs.StateAvailable}, nil
}

func (tx *retryTx) AuditInsert(_ context.Context, e audit.Entry) error {
	if tx.failAudit != nil {
		return tx.failAudit
	}
	tx.entries = append(tx.entries, e)
	return nil
}

// A job's retry and its audit entry are written in one transaction: the
// entry goes through the transaction that retries the job, and when it
// cannot be written the retry is rolled back with it (it was once written
// after the retry had committed, so a failed insert left a retry no one
// could see in the log).
func TestRetryJobAuditsInTheSameTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := access.Principal{UserID: uuid.New(), Email: "o@example.com", TenantID: uuid.New(), Role: access.RoleOwner}

	st := &retryStore{tx: &retryTx{}}
	svc := auth.New(auth.Options{Store: store.Narrow[auth.Tx]{Store: st}})
	j, err := svc.RetryJob(ctx, p, 42, access.Meta{RequestID: "req-1"})
	require.NoError(t, err)
	require.Equal(t, int64(42), j.ID)
	require.False(t, st.rolledBack)
	require.Equal(t, []int64{42}, st.tx.retried)
	require.Len(t, st.tx.entries, 1, "the audit entry is written in the retry's transaction")
	e := st.tx.entries[0]
	require.Equal(t, "job.retried", e.Action)
	require.Equal(t, "job", e.EntityType)
	require.Equal(t, "42", e.EntityID)
	require.Equal(t, p.TenantID, e.TenantID)
	require.Equal(t, "req-1", e.RequestID)
	require.JSONEq(t, `{"kind":"test_kind"}`, string(e.Metadata))

	boom := errors.New("audit insert failed")
	st = &retryStore{tx: &retryTx{failAudit: boom}}
	svc = auth.New(auth.Options{Store: store.Narrow[auth.Tx]{Store: st}})
	_, err = svc.RetryJob(ctx, p, 42, access.Meta{})
	require.ErrorIs(t, err, boom)
	require.True(t, st.rolledBack, "a retry whose audit entry failed is rolled back")

	// A member may not retry; nothing is touched.
	st = &retryStore{tx: &retryTx{}}
	svc = auth.New(auth.Options{Store: store.Narrow[auth.Tx]{Store: st}})
	p.Role = access.RoleMember
	_, err = svc.RetryJob(ctx, p, 42, access.Meta{})
	require.Error(t, err)
	require.Empty(t, st.tx.retried)
}
