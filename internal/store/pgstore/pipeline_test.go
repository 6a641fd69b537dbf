package pgstore

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/storetest"
	"github.com/ordo/ordo/internal/testkit"
)

// A batch that fails before it reaches the server (an argument pgx cannot
// encode) fails the transaction even when the caller lets the error go:
// the held-back inserts before it did not run, so nothing may commit.
func TestPipelineBatchFailureIsSticky(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, testkit.PostgresURL(t), testkit.Logger(t))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.MigrateUp(ctx))
	tn := storetest.NewTenant()
	require.NoError(t, s.TenantCreate(ctx, tn))

	ev := event.Event{ID: uuid.Must(uuid.NewV7()), TenantID: tn.ID, Type: event.OrderCreated, EntityID: "x", Data: json.RawMessage(`{}`),
		CreatedAt: time.Now().UTC()}
	var swallowed error
	err = s.InTx(ctx, func(tx store.Tx) error {
		q := tx.(*queries)
		require.NoError(t, q.execLater(ctx, wrapErr("EventInsert", "event"),
			`INSERT INTO events (id, tenant_id, type, entity_id, data, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			ev.ID, ev.TenantID, ev.Type, ev.EntityID, string(ev.Data), ev.CreatedAt))
		require.NoError(t, q.execLater(ctx, wrapErr("Bad", "bad"), `SELECT $1::int`, struct{ X chan int }{}))
		_, swallowed = tx.TenantGetByID(ctx, tn.ID)
		return nil // the caller lets it go
	})
	require.Error(t, swallowed)
	require.Error(t, err, "the transaction must not commit")
	require.ErrorAs(t, err, new(pgx.ErrPreprocessingBatch))
	require.ErrorAs(t, swallowed, new(pgx.ErrPreprocessingBatch))
	require.NotContains(t, err.Error(), "EventInsert", "the batch's failure is not the first insert's")
	evs, err := s.EventListAfter(ctx, tn.ID, uuid.Nil, 10)
	require.NoError(t, err)
	require.Empty(t, evs)
}
