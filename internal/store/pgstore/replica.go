package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Read replicas take the reads that tolerate a little lag (order lists and
// search, the dashboard, exports' scans and counts): the methods that call
// Store.read. Everything else, and every read inside a transaction, stays
// on the primary.
//
// A replica is used for a read of a tenant only when
//   - it answered the last check (a tracker polls every replica every
//     ReplicaOptions.Every),
//   - its lag is within ReplicaOptions.MaxLag, and
//   - it has replayed the tenant's floor: the primary's WAL position after
//     the tenant's latest write (Store.MarkWritten, which the web server
//     calls after every successful write request). That is read-your-writes:
//     a list right after a create shows it, on whichever process serves it,
//     because the floors live in Floors (Redis when configured).
//
// Otherwise, and when a replica query fails (an outage, or a query that
// recovery cancelled), the read goes to the primary: a replica never costs
// a request.

// ReplicaOptions configure WithReplicas.
type ReplicaOptions struct {
	URLs []string
	// MaxLag is the most lag a replica may have and still be read from.
	MaxLag time.Duration
	// Floors keeps each tenant's floor; nil keeps them in process, which
	// is right for a single process only.
	Floors Floors
	// Every is how often the tracker checks the replicas (250 ms if 0).
	Every time.Duration
	// Pooled opens the replicas as TransactionPooler does the primary.
	Pooled bool
}

// Floors keeps, per tenant, the WAL position (LSN) its reads must see.
type Floors interface {
	Floor(ctx context.Context, tenant uuid.UUID) (uint64, error)
	// SetFloor records lsn for at least ttl; a lower LSN than the one
	// kept may be ignored.
	SetFloor(ctx context.Context, tenant uuid.UUID, lsn uint64, ttl time.Duration) error
}

// ReplicaStatus is one replica as the tracker last saw it, for /readyz
// and metrics.
type ReplicaStatus struct {
	Name  string // replica-1, …: host names stay out of /readyz
	Up    bool
	Lag   time.Duration
	Reads int64 // reads it has served
}

// WithReplicas routes lag-tolerant reads to read replicas (see above).
func WithReplicas(o ReplicaOptions) Option {
	return func(oo *openOptions) { oo.replicas = &o }
}

type replica struct {
	name    string
	pool    *pgxpool.Pool
	up      atomic.Bool
	replay  atomic.Uint64 // LSN replayed, as last seen
	lag     atomic.Int64  // nanoseconds
	reads   atomic.Int64
	pending []lsnAt // the tracker's: primary positions not replayed yet
}

// lsnAt is where the primary's WAL was at a moment.
type lsnAt struct {
	lsn uint64
	at  time.Time
}

type replicaSet struct {
	primary      *pgxpool.Pool
	list         []*replica
	maxLag       time.Duration
	floors       Floors
	every        time.Duration
	log          *slog.Logger
	next         atomic.Uint32
	primaryReads atomic.Int64
	stop         context.CancelFunc
	done         chan struct{}
}

func openReplicas(ctx context.Context, primary *pgxpool.Pool, o *ReplicaOptions, log *slog.Logger) (*replicaSet, error) {
	rs := &replicaSet{primary: primary, maxLag: o.MaxLag, floors: o.Floors, every: o.Every, log: log, done: make(chan struct{})}
	if rs.floors == nil {
		rs.floors = &memFloors{m: map[uuid.UUID]uint64{}}
	}
	if rs.every == 0 {
		rs.every = 250 * time.Millisecond
	}
	for i, u := range o.URLs {
		cfg, err := pgxpool.ParseConfig(u)
		if err != nil {
			rs.close()
			return nil, fmt.Errorf("parse DATABASE_REPLICA_URL %d: %w", i+1, err)
		}
		// A replica that is away must fail fast: reads then go to the
		// primary instead of waiting on it.
		if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > 2*time.Second {
			cfg.ConnConfig.ConnectTimeout = 2 * time.Second
		}
		if o.Pooled {
			cfg.ConnConfig.DefaultQueryExecMode = TransactionPoolerMode
		}
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			rs.close()
			return nil, fmt.Errorf("open replica pool %d: %w", i+1, err)
		}
		rs.list = append(rs.list, &replica{name: fmt.Sprintf("replica-%d", i+1), pool: pool})
	}
	tctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	rs.stop = cancel
	rs.track(tctx) // a first look before any read
	go func() {
		defer close(rs.done)
		t := time.NewTicker(rs.every)
		defer t.Stop()
		for {
			select {
			case <-tctx.Done():
				return
			case <-t.C:
				rs.track(tctx)
			}
		}
	}()
	return rs, nil
}

func (rs *replicaSet) close() {
	if rs.stop != nil {
		rs.stop()
		<-rs.done
	}
	for _, r := range rs.list {
		r.pool.Close()
	}
}

// lsnSQL reads a WAL position as a number: LSNs compare as integers.
const (
	primaryLSNSQL = `SELECT (pg_current_wal_lsn() - '0/0')::int8`
	replayLSNSQL  = `SELECT pg_is_in_recovery(), coalesce((pg_last_wal_replay_lsn() - '0/0')::int8, 0)`
)

// track samples the primary's WAL position, then each replica's replay
// position. A replica's lag is how long ago the primary first reached a
// position the replica has not replayed yet (0 when it has replayed all
// the primary had at the sample): measured on this process's clock, to
// within one interval, whatever the servers' clocks say and however quiet
// the primary is.
func (rs *replicaSet) track(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var p int64
	if err := rs.primary.QueryRow(qctx, primaryLSNSQL).Scan(&p); err != nil {
		return // the primary's own trouble is /readyz's database check
	}
	now := time.Now()
	var wg sync.WaitGroup
	for _, r := range rs.list {
		if n := len(r.pending); n == 0 || r.pending[n-1].lsn < uint64(p) {
			if n < 10_000 { // beyond that the lag only grows; keep the oldest
				r.pending = append(r.pending, lsnAt{uint64(p), now})
			}
		}
		wg.Go(func() {
			var standby bool
			var replay int64
			err := r.pool.QueryRow(qctx, replayLSNSQL).Scan(&standby, &replay)
			if err == nil && !standby {
				err = errors.New("not a standby (pg_is_in_recovery() is false)")
			}
			if err != nil {
				if r.up.Swap(false) {
					rs.log.Warn("read replica is down: its reads go to the primary", "replica", r.name, "err", err)
				}
				return
			}
			i := 0
			for i < len(r.pending) && r.pending[i].lsn <= uint64(replay) {
				i++
			}
			r.pending = r.pending[i:]
			var lag time.Duration
			if len(r.pending) > 0 {
				lag = time.Since(r.pending[0].at)
			}
			r.replay.Store(uint64(replay))
			r.lag.Store(int64(lag))
			if !r.up.Swap(true) {
				rs.log.Info("read replica is up", "replica", r.name, "lag", lag)
			}
		})
	}
	wg.Wait()
}

// pick returns a replica that may serve a read of tenant, or nil for the
// primary.
func (rs *replicaSet) pick(ctx context.Context, tenant uuid.UUID) *replica {
	floor, err := rs.floors.Floor(ctx, tenant)
	if err != nil {
		return nil // unknown floor: only the primary is sure to be fresh
	}
	start := rs.next.Add(1)
	for i := range uint32(len(rs.list)) {
		r := rs.list[(start+i)%uint32(len(rs.list))]
		if r.up.Load() && time.Duration(r.lag.Load()) <= rs.maxLag && r.replay.Load() >= floor {
			return r
		}
	}
	return nil
}

// read runs fn on a replica that may serve tenant's read, or on the
// primary. A replica's failure is retried on the primary (and the replica
// set aside until the tracker sees it again), unless retry is false.
func (s *Store) read(ctx context.Context, tenant uuid.UUID, retry func() bool, fn func(q *queries) error) error {
	rs := s.replicas
	if rs == nil {
		return fn(&s.queries)
	}
	r := rs.pick(ctx, tenant)
	if r == nil {
		rs.primaryReads.Add(1)
		return fn(&s.queries)
	}
	err := fn(&queries{db: r.pool, jobs: s.jobs, pooled: s.pooled})
	if err == nil || ctx.Err() != nil || (retry != nil && !retry()) {
		r.reads.Add(1)
		return err
	}
	if r.up.Swap(false) {
		s.log.Warn("read replica failed a query: reads go to the primary until it answers again", "replica", r.name, "err", err)
	}
	rs.primaryReads.Add(1)
	return fn(&s.queries)
}

// MarkWritten records that tenant has just written: its reads use a
// replica only once that replica has replayed what the primary has now.
// Without replicas it does nothing.
func (s *Store) MarkWritten(ctx context.Context, tenant uuid.UUID) error {
	rs := s.replicas
	if rs == nil {
		return nil
	}
	var lsn int64
	if err := s.pool.QueryRow(ctx, primaryLSNSQL).Scan(&lsn); err != nil {
		return fmt.Errorf("read the primary's WAL position: %w", err)
	}
	// Once a replica within MaxLag is used again, it has replayed at least
	// what the primary had MaxLag ago: the floor is moot by then.
	return rs.floors.SetFloor(ctx, tenant, uint64(lsn), 2*rs.maxLag+time.Second)
}

// ReplicaStatus reports each replica, and the reads that went to the
// primary while replicas are configured; nil without replicas.
func (s *Store) ReplicaStatus() (primaryReads int64, replicas []ReplicaStatus) {
	rs := s.replicas
	if rs == nil {
		return 0, nil
	}
	for _, r := range rs.list {
		replicas = append(replicas, ReplicaStatus{Name: r.name, Up: r.up.Load(), Lag: time.Duration(r.lag.Load()), Reads: r.reads.Load()})
	}
	return rs.primaryReads.Load(), replicas
}

// memFloors keeps floors in process.
type memFloors struct {
	mu sync.Mutex
	m  map[uuid.UUID]uint64
}

func (f *memFloors) Floor(_ context.Context, tenant uuid.UUID) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[tenant], nil
}

// SetFloor keeps the floor for good: a floor the replicas have passed
// costs nothing, and there is one per tenant.
func (f *memFloors) SetFloor(_ context.Context, tenant uuid.UUID, lsn uint64, _ time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[tenant] = max(f.m[tenant], lsn)
	return nil
}
