// Package pgstore implements store.Store on PostgreSQL through pgx/v5.
//
// SQL lives beside the methods that run it, one file per domain, written
// for PostgreSQL; sqlitestore holds the SQLite twin of each query, and
// storetest checks that both behave the same.
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/idempotency"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockID is the advisory lock that serialises `ordo migrate up`
// across processes ("ordo" in ASCII).
const migrationLockID = 0x6f72646f

// dbtx is what both the pool and a transaction offer.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// queries implements store.Querier on a pool or a transaction.
type queries struct {
	db   dbtx
	tx   pgx.Tx // nil outside a transaction
	jobs *river.Client[pgx.Tx]
	// pooled is set behind a transaction-mode pooler (TransactionPooler):
	// statements outside a transaction may each reach another server
	// connection.
	pooled bool
}

// Store is the PostgreSQL store.
type Store struct {
	queries
	pool *pgxpool.Pool
	log  *slog.Logger
	mig  sqlshared.Migrations[pgx.Tx]

	// replicas take lag-tolerant reads; nil without (WithReplicas).
	replicas *replicaSet

	sessionsOnce sync.Once
	sessions     *pgxstore.PostgresStore
}

var _ store.Store = (*Store)(nil)

// Option adjusts what Open makes.
type Option func(*openOptions)

type openOptions struct {
	pool     *pgxpool.Config
	pooled   bool
	replicas *ReplicaOptions
	jobs     []rivertype.Middleware // of the River client that inserts jobs
}

// WithTracer adds t to the tracers of every connection (tracing); a
// tracer already configured keeps running too.
func WithTracer(t pgx.QueryTracer) Option {
	return func(o *openOptions) {
		c := o.pool
		if c.ConnConfig.Tracer != nil {
			t = multitracer.New(c.ConnConfig.Tracer, t)
		}
		c.ConnConfig.Tracer = t
	}
}

// PollInterval is how often a job runner behind a transaction-mode pooler
// looks for new jobs: without LISTEN/NOTIFY, a job inserted into an idle
// queue waits for the next poll, so half of it on average. Each poll is
// one fetch query per queue per worker process.
const PollInterval = 200 * time.Millisecond

// TransactionPooler adapts the store to a transaction-mode pooler
// (PgBouncer pool_mode=transaction, the Neon and Supabase poolers), where
// each transaction may run on another server connection:
//   - pgx describes statements (cached per connection) and executes them
//     unnamed, instead of preparing named statements that would be missing
//     on the next server connection (PgBouncer 1.18 cannot track them);
//   - the job runner polls every PollInterval instead of listening for
//     River's notifications, since LISTEN needs a session of its own.
//
// Migrations need no direct connection (see withMigrationLock); backups do.
func TransactionPooler() Option {
	return func(o *openOptions) {
		o.pooled = true
		o.pool.ConnConfig.DefaultQueryExecMode = TransactionPoolerMode
	}
}

// TransactionPoolerMode is how pgx executes statements behind a
// transaction-mode pooler: unnamed, with the descriptions cached.
const TransactionPoolerMode = pgx.QueryExecModeCacheDescribe

// WithJobMiddleware installs River middleware on the client through which
// the store inserts jobs (tracing records the enqueuer's trace context).
func WithJobMiddleware(mw ...rivertype.Middleware) Option {
	return func(o *openOptions) { o.jobs = append(o.jobs, mw...) }
}

// Open connects to the database at url. It does not migrate; see MigrateUp.
func Open(ctx context.Context, url string, log *slog.Logger, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	oo := openOptions{pool: cfg}
	for _, o := range opts {
		o(&oo)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres pool: %w", err)
	}
	s := &Store{pool: pool, log: log}
	s.pooled = oo.pooled
	// An insert-only River client: it never works jobs, it only lets store
	// methods enqueue them, inside their transactions when there is one.
	s.jobs, err = river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: log, Middleware: oo.jobs})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("river insert client: %w", err)
	}
	s.db = pool

	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	ordo, err := goose.NewProvider(goose.DialectPostgres, stdlib.OpenDBFromPool(pool), sub, goose.WithTableName("ordo_schema_migrations"))
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	rm, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: log})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	s.mig = sqlshared.Migrations[pgx.Tx]{Ordo: ordo, River: rm, OnJobs: s.indexJobs}
	if oo.replicas != nil && len(oo.replicas.URLs) > 0 {
		if s.replicas, err = openReplicas(ctx, pool, oo.replicas, log); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return s, nil
}

// Pool exposes the connection pool for tests and benchmarks.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

func (s *Store) Engine() string { return "postgres" }

func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

func (s *Store) Close() {
	if s.replicas != nil {
		s.replicas.close()
	}
	s.pool.Close()
}

func (s *Store) SessionStore() scs.Store {
	// No cleanup goroutine: the maintenance job purges expired
	// sessions (store.Store.Purge), once for all processes.
	s.sessionsOnce.Do(func() { s.sessions = pgxstore.NewWithCleanupInterval(s.pool, 0) })
	return s.sessions
}

// InTx runs fn in a transaction whose plain inserts are pipelined (see
// pipeTx).
func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		p := &pipeTx{Tx: tx}
		if err := fn(&queries{db: p, tx: p, jobs: s.jobs}); err != nil {
			return err
		}
		return p.flush(ctx) // and a batch failure fn let go
	})
}

// describeExec runs fn, whose statements are executed with
// pgx.QueryExecModeDescribeExec (an unnamed statement planned for its own
// arguments), on q where that is safe and in a transaction where it is
// not. The describe and the execute are two round trips on one unnamed
// statement.
func (q *queries) describeExec(ctx context.Context, fn func(q *queries) error) error {
	if !q.pooled || q.tx != nil {
		return fn(q)
	}
	// Behind a transaction-mode pooler the describe and the execute
	// may reach two server connections, and the execute then binds
	// another client's unnamed statement: a transaction keeps them
	// on one.
	return q.atomic(ctx, fn)
}

// atomic runs fn in q's transaction, or in a new one when q is the store
// itself, so that a method of several statements is all or nothing either
// way.
func (q *queries) atomic(ctx context.Context, fn func(q *queries) error) error {
	if q.tx != nil {
		return fn(q)
	}
	db, ok := q.db.(interface {
		Begin(ctx context.Context) (pgx.Tx, error)
	})
	if !ok {
		return fmt.Errorf("cannot begin a transaction on %T", q.db)
	}
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		return fn(&queries{db: tx, tx: tx, jobs: q.jobs})
	})
}

func (s *Store) JobListFailed(ctx context.Context, tenantID *uuid.UUID, limit int, after string) ([]*jobs.Row, string, error) {
	return jobs.ListFailed(ctx, s.jobs, tenantID, limit, after)
}

func (q *queries) JobRetry(ctx context.Context, tenantID *uuid.UUID, id int64) (*jobs.Row, error) {
	return jobs.RetryFailed(ctx, q.jobs, q.tx, tenantID, id)
}

func (s *Store) JobRunner(rc *jobs.RunConfig) (store.JobRunner, error) {
	d := jobs.FairDriver(riverpgxv5.New(s.pool), rc, s.fairFetch) // before rc.River(): it adds middleware
	cfg := rc.River()
	if s.pooled {
		cfg.PollOnly = true
		if cfg.FetchPollInterval == 0 || cfg.FetchPollInterval > PollInterval {
			cfg.FetchPollInterval = PollInterval
		}
	}
	c, err := river.NewClient(d, cfg)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return c, nil
}

// MigrateUp holds an advisory lock while it migrates, so that two
// processes running `ordo migrate up` at once apply each migration once.
func (s *Store) MigrateUp(ctx context.Context) error {
	return s.withMigrationLock(ctx, s.mig.Up)
}

func (s *Store) MigrateDown(ctx context.Context) error {
	return s.withMigrationLock(ctx, s.mig.Down)
}

func (s *Store) MigrationStatus(ctx context.Context) ([]store.Migration, error) {
	return s.mig.Status(ctx)
}

func (s *Store) SchemaCurrent(ctx context.Context) (bool, error) { return s.mig.Current(ctx) }

// withMigrationLock runs fn holding the migration lock. The lock is a
// transaction-level one, held by a transaction kept open on a connection
// of its own while fn migrates on others: a session lock would not work
// through a transaction-mode pooler, which may hand the server connection
// holding it to someone else between the lock and the unlock (and leave it
// locked for good). A transaction keeps its server connection to the end,
// and ending it releases the lock however fn went.
func (s *Store) withMigrationLock(ctx context.Context, fn func(context.Context) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin migration lock transaction: %w", err)
	}
	// A fresh context: the lock must be released even if ctx is done.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockID); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	return fn(ctx)
}

// InsertJobs enqueues many jobs at once into the database of pool,
// outside any transaction: for `ordo bench`, which fills queues faster
// than one insert at a time.
func InsertJobs(ctx context.Context, pool *pgxpool.Pool, args []jobs.Args) error {
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		return fmt.Errorf("river insert client: %w", err)
	}
	ps := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		ps[i].Args, ps[i].InsertOpts = jobs.RiverInsert(a, nil)
	}
	if _, err := c.InsertMany(ctx, ps); err != nil {
		return fmt.Errorf("insert %d jobs: %w", len(args), err)
	}
	return nil
}

func (q *queries) JobInsert(ctx context.Context, a jobs.Args, o *jobs.Opts) (*jobs.Inserted, error) {
	args, opts := jobs.RiverInsert(a, o)
	var (
		res *rivertype.JobInsertResult
		err error
	)
	if q.tx != nil {
		res, err = q.jobs.InsertTx(ctx, q.tx, args, opts)
	} else {
		res, err = q.jobs.Insert(ctx, args, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("insert %s job: %w", args.Kind(), err)
	}
	return jobs.RiverInserted(res), nil
}

// interpretError maps driver errors to apperr kinds; what names the
// entity for a not-found message.
func interpretError(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.NotFound(what)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return apperr.Conflict("%s already exists", apperr.Word(what))
		case "23503": // foreign_key_violation
			return &apperr.Error{Kind: apperr.KindInvalid, Msg: what + " refers to something that does not exist", Format: "%s refers to something that does not exist", Args: []any{apperr.Word(what)}}
		case "23514", "23502": // check_violation, not_null_violation
			return &apperr.Error{Kind: apperr.KindInvalid, Msg: what + " has a value out of range", Format: "%s has a value out of range", Args: []any{apperr.Word(what)}}
		case "22021", "22P05", "22001": // bad encoding, NUL in text, too long
			return &apperr.Error{Kind: apperr.KindInvalid, Msg: what + " has text the database cannot store", Format: "%s has text the database cannot store", Args: []any{apperr.Word(what)}}
		}
	}
	return err
}

func (s *Store) Purge(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	weekAgo := now.Add(-7 * 24 * time.Hour)
	for _, q := range []struct {
		sql string
		arg time.Time
	}{
		{`DELETE FROM sessions WHERE expiry < $1`, now},
		{sqlshared.PurgeUserTokens, weekAgo},
		{sqlshared.PurgeUserSessions, now.Add(-31 * 24 * time.Hour)},
		{sqlshared.PurgeIdempotencyKeys, now.Add(-idempotency.TTL)},
		// Jobs are retried for a few days at most.
		{sqlshared.PurgeJobEffects, weekAgo},
	} {
		tag, err := s.pool.Exec(ctx, q.sql, q.arg)
		if err != nil {
			return total, fmt.Errorf("purge: %w", err)
		}
		total += tag.RowsAffected()
	}
	return total, nil
}

// uuidArray passes ids as a uuid[] parameter in pgx's own type: a slice
// of uuid.UUID goes through reflection and failed encode plans, which
// showed as a tenth of the API's CPU time.
func uuidArray(ids []uuid.UUID) []pgtype.UUID {
	out := make([]pgtype.UUID, len(ids))
	for i, id := range ids {
		out[i] = pgtype.UUID{Bytes: id, Valid: true}
	}
	return out
}
