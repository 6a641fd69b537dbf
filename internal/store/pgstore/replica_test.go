package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/pgstore/pgtest"
	"github.com/ordo/ordo/internal/store/storetest"
	"github.com/ordo/ordo/internal/testkit"
)

// startReplicated starts a private primary with Ordo's schema and a
// streaming standby of it.
func startReplicated(t *testing.T) (primary, standby *testkit.PostgresServer) {
	t.Helper()
	primary = testkit.StartPostgres(t)
	pgtest.Migrate(t, primary.URL())
	return primary, primary.StartStandby(t)
}

// A streaming standby of a private primary serves lists; replay paused
// shows which server answered: a stale list is the replica's, a fresh one
// the primary's. Checked: the replica serves, a tenant that has just
// written reads its writes, lag beyond the bound goes to the primary, and
// the replica stopped under load fails no read.
func TestReadReplica(t *testing.T) {
	testkit.SkipShort(t, "starts a PostgreSQL primary and standby")
	t.Parallel()
	ctx := context.Background()
	primary, standby := startReplicated(t)

	const maxLag = 1500 * time.Millisecond
	s := pgtest.Open(t, primary.URL(), pgstore.WithReplicas(pgstore.ReplicaOptions{
		URLs: []string{standby.URL()}, MaxLag: maxLag, Every: 50 * time.Millisecond}))
	sb, err := pgx.Connect(ctx, standby.URL())
	require.NoError(t, err)
	t.Cleanup(func() { sb.Close(context.Background()) })

	number := atomic.Int64{}
	create := func(tenant uuid.UUID, mark bool) {
		t.Helper()
		n := number.Add(1)
		at := time.Now().UTC().Truncate(time.Microsecond)
		o := order.Order{ID: uuid.Must(uuid.NewV7()), TenantID: tenant, Number: n, Status: order.StatusPending,
			CustomerName: fmt.Sprintf("Customer %d", n), CustomerEmail: "c@example.com", Currency: "EUR",
			Items:   []order.Item{{ID: uuid.Must(uuid.NewV7()), Name: "Widget", Quantity: 1, UnitPrice: 100}},
			Version: 1, CreatedAt: at, UpdatedAt: at}
		order.Compute(&o)
		require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.OrderCreate(ctx, o) }))
		if mark {
			require.NoError(t, s.MarkWritten(ctx, tenant))
		}
	}
	count := func(tenant uuid.UUID) int {
		t.Helper()
		os, err := s.OrderList(ctx, order.ListParams{TenantID: tenant, Limit: 100, WithoutItems: true})
		require.NoError(t, err)
		return len(os)
	}
	replicaReads := func() int64 {
		_, rs := s.ReplicaStatus()
		return rs[0].Reads
	}
	eventually := func(what string, cond func() bool) {
		t.Helper()
		require.Eventually(t, cond, 15*time.Second, 20*time.Millisecond, what)
	}
	tenant := func() uuid.UUID {
		tn := storetest.NewTenant()
		require.NoError(t, s.TenantCreate(ctx, tn))
		return tn.ID
	}
	a, b := tenant(), tenant()
	create(a, true)
	create(b, true)

	// The replica serves once it has replayed the writes.
	eventually("the replica serves tenant b's list", func() bool {
		before := replicaReads()
		return count(b) == 1 && replicaReads() == before+1
	})

	// Replay paused: a write that was not marked (another tenant's
	// process, say) is not seen while the lag is within the bound, which
	// proves the replica answered ...
	_, err = sb.Exec(ctx, `SELECT pg_wal_replay_pause()`)
	require.NoError(t, err)
	create(b, false)
	require.Equal(t, 1, count(b), "a list served by the paused replica is stale")

	// ... while a tenant that has just written reads its own writes, from
	// the primary.
	create(a, true)
	require.Equal(t, 2, count(a), "read-your-writes after a create")

	// Lag beyond the bound sends every read to the primary.
	eventually("lag beyond the bound is reported", func() bool {
		_, rs := s.ReplicaStatus()
		return rs[0].Lag > maxLag
	})
	before := replicaReads()
	require.Equal(t, 2, count(b), "with the replica beyond the bound, the primary answers")
	require.Equal(t, before, replicaReads())

	// Replay resumed, the replica catches up and serves again.
	_, err = sb.Exec(ctx, `SELECT pg_wal_replay_resume()`)
	require.NoError(t, err)
	eventually("the replica serves again once caught up", func() bool {
		before := replicaReads()
		return count(b) == 2 && count(a) == 2 && replicaReads() == before+2
	})

	// Exports' count and scan are served by the replica too.
	before = replicaReads()
	n, err := s.OrderCount(ctx, order.ListParams{TenantID: b})
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
	scanned := 0
	require.NoError(t, s.OrderScan(ctx, order.ListParams{TenantID: b, Limit: 100}, func(order.Order) error { scanned++; return nil }))
	require.Equal(t, 2, scanned)
	require.Equal(t, before+2, replicaReads(), "the export's count and scan ran on the replica")

	// The replica stopped under load: no read fails.
	var (
		wg     sync.WaitGroup
		stop   atomic.Bool
		reads  atomic.Int64
		failed atomic.Int64
	)
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				os, err := s.OrderList(ctx, order.ListParams{TenantID: b, Limit: 100, WithoutItems: true})
				if err != nil || len(os) != 2 {
					failed.Add(1)
					t.Errorf("read during the outage: %d orders, err %v", len(os), err)
				}
				reads.Add(1)
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	servedBefore := replicaReads()
	sb.Close(ctx)
	standby.Stop(t)
	time.Sleep(time.Second)
	stop.Store(true)
	wg.Wait()
	primaryReads, rs := s.ReplicaStatus()
	t.Logf("%d reads under load, %d failed; replica served %d before it stopped, primary %d in all", reads.Load(), failed.Load(), servedBefore, primaryReads)
	require.Zero(t, failed.Load())
	require.Positive(t, servedBefore)
	require.False(t, rs[0].Up, "the stopped replica is reported down")
}

// Replicas behind a transaction-mode pooler, as the primary: the tracker
// and the routed reads need no session state either.
func TestReadReplicaThroughPgBouncer(t *testing.T) {
	testkit.SkipShort(t, "starts a PostgreSQL primary and standby, and pgbouncer")
	t.Parallel()
	ctx := context.Background()
	primary, standby := startReplicated(t)
	_, pooledPrimary := testkit.StartPgBouncer(t, primary.URL())
	_, pooledStandby := testkit.StartPgBouncer(t, standby.URL())
	s := pgtest.Open(t, pooledPrimary, pgstore.TransactionPooler(), pgstore.WithReplicas(pgstore.ReplicaOptions{
		URLs: []string{pooledStandby}, MaxLag: 5 * time.Second, Every: 50 * time.Millisecond, Pooled: true}))

	tn := storetest.NewTenant()
	require.NoError(t, s.TenantCreate(ctx, tn))
	at := time.Now().UTC().Truncate(time.Microsecond)
	o := order.Order{ID: uuid.Must(uuid.NewV7()), TenantID: tn.ID, Number: 1, Status: order.StatusPending,
		CustomerName: "Pooled", CustomerEmail: "p@example.com", Currency: "EUR",
		Items:   []order.Item{{ID: uuid.Must(uuid.NewV7()), Name: "Widget", Quantity: 1, UnitPrice: 100}},
		Version: 1, CreatedAt: at, UpdatedAt: at}
	order.Compute(&o)
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.OrderCreate(ctx, o) }))
	require.NoError(t, s.MarkWritten(ctx, tn.ID))
	// Read-your-writes at once, and the replica serves once caught up.
	for i := range 200 {
		_, rs := s.ReplicaStatus()
		before := rs[0].Reads
		os, err := s.OrderList(ctx, order.ListParams{TenantID: tn.ID, Limit: 10, WithoutItems: true})
		require.NoError(t, err)
		require.Len(t, os, 1, "read %d", i)
		if _, rs := s.ReplicaStatus(); rs[0].Reads > before {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("the replica behind pgbouncer served no read within 5 s")
}
