package realtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/outbox"
	"github.com/ordo/ordo/internal/pubsub"
	"github.com/ordo/ordo/internal/realtime"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/store/storetest"
	"github.com/ordo/ordo/internal/testkit"
)

// A tenant's subscribers hear of its events once the transaction that
// wrote them commits, also through a domain's narrow DB (store.Narrow
// over the notifying store); a rolled-back transaction and another
// tenant's events wake nobody.
func TestNotifyAfterCommit(t *testing.T) {
	ctx := context.Background()
	base, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "ordo.db"), testkit.Logger(t))
	require.NoError(t, err)
	t.Cleanup(base.Close)
	require.NoError(t, base.MigrateUp(ctx))
	a, b := storetest.NewTenant(), storetest.NewTenant()
	require.NoError(t, base.TenantCreate(ctx, a))
	require.NoError(t, base.TenantCreate(ctx, b))

	ps := pubsub.NewMemory()
	st := realtime.Notify(base, ps, testkit.Logger(t))
	wake, stop, err := ps.Subscribe(ctx, realtime.Channel(a.ID))
	require.NoError(t, err)
	defer stop()
	heard := func() bool {
		select {
		case <-wake:
			return true
		case <-time.After(200 * time.Millisecond):
			return false
		}
	}
	newEvent := func(tenantID uuid.UUID) event.Event {
		return event.Event{ID: uuid.Must(uuid.NewV7()), TenantID: tenantID, Type: event.OrderCreated, EntityID: "x",
			Data: json.RawMessage(`{}`), CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	}

	db := store.Narrow[order.Tx]{Store: st}
	boom := errors.New("roll back")
	err = db.InTx(ctx, func(tx order.Tx) error {
		require.NoError(t, outbox.Emit(ctx, tx, newEvent(a.ID)))
		require.False(t, heard(), "nothing before the commit")
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.False(t, heard(), "a rolled-back event wakes nobody")

	require.NoError(t, db.InTx(ctx, func(tx order.Tx) error { return outbox.Emit(ctx, tx, newEvent(b.ID)) }))
	require.False(t, heard(), "another tenant's event is not ours")

	require.NoError(t, db.InTx(ctx, func(tx order.Tx) error {
		for range 3 {
			if err := outbox.Emit(ctx, tx, newEvent(a.ID)); err != nil {
				return err
			}
		}
		return nil
	}))
	require.True(t, heard(), "a committed event wakes the tenant's subscribers")
	require.False(t, heard(), "once per transaction, not once per event")
}
