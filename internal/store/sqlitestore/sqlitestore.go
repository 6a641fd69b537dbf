// Package sqlitestore implements store.Store on SQLite through the pure-Go
// modernc.org/sqlite driver: the embedded default, one file in the data
// directory, no cgo.
//
// Each query here has a PostgreSQL twin in pgstore; storetest checks that
// both behave the same.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	"github.com/google/uuid"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/idempotency"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// dbtx is what both *sql.DB and *sql.Tx offer.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries implements store.Querier on the database or a transaction.
type queries struct {
	db   dbtx
	tx   *sql.Tx // nil outside a transaction
	jobs *river.Client[*sql.Tx]
}

// Store is the SQLite store.
type Store struct {
	queries
	path string
	// workerLock is held by the process that works the jobs; runnerMu
	// guards it and runnerDB, which JobRunner opens on first use (two
	// runners of one Store, as tests make, must not both try to lock).
	runnerMu   sync.Mutex
	workerLock *os.File
	rw         *sql.DB
	log        *slog.Logger
	mig        sqlshared.Migrations[*sql.Tx]

	// runnerDB is River's own single connection, as its SQLite driver asks;
	// opened on first use by JobRunner.
	runnerDB *sql.DB

	sessionsOnce sync.Once
	sessions     *sqlite3store.SQLite3Store
}

var _ store.Store = (*Store)(nil)

// dsn builds the connection string: WAL so readers do not block the
// writer, foreign keys on, a busy timeout instead of immediate SQLITE_BUSY,
// and BEGIN IMMEDIATE so a transaction that reads then writes never fails
// to upgrade its lock.
func dsn(path string) string {
	q := url.Values{}
	// busy_timeout first: switching to WAL needs a lock that another
	// process may hold for a moment.
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

func openDB(path string, maxConns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxLifetime(0)
	return db, nil
}

// Option adjusts what Open makes.
type Option func(*openOptions)

type openOptions struct {
	jobs []rivertype.Middleware // of the River client that inserts jobs
}

// WithJobMiddleware installs River middleware on the client through which
// the store inserts jobs (tracing records the enqueuer's trace context).
func WithJobMiddleware(mw ...rivertype.Middleware) Option {
	return func(o *openOptions) { o.jobs = append(o.jobs, mw...) }
}

// Open opens (creating if needed) the database file at path. It does not
// migrate; see MigrateUp.
func Open(ctx context.Context, path string, log *slog.Logger, opts ...Option) (*Store, error) {
	var oo openOptions
	for _, o := range opts {
		o(&oo)
	}
	if err := makePrivate(path, log); err != nil {
		return nil, err
	}
	db, err := openDB(path, 8)
	if err != nil {
		return nil, err
	}
	// The first connection may switch the file to WAL, which SQLite does
	// not wait for when another process holds a lock: open under the same
	// file lock as migrations.
	err = withFileLock(path, func() error { return db.PingContext(ctx) })
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	s := &Store{path: path, rw: db, log: log}
	s.db = db
	// An insert-only River client: it never works jobs, it only lets store
	// methods enqueue them, inside their transactions when there is one.
	s.jobs, err = river.NewClient(riversqlite.New(db), &river.Config{Logger: log, Middleware: oo.jobs})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("river insert client: %w", err)
	}
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	ordo, err := goose.NewProvider(goose.DialectSQLite3, db, sub, goose.WithTableName("ordo_schema_migrations"))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	rm, err := rivermigrate.New(riversqlite.New(db), &rivermigrate.Config{Logger: log})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	s.mig = sqlshared.Migrations[*sql.Tx]{Ordo: ordo, River: rm, OnJobs: s.indexJobs}
	return s, nil
}

// makePrivate creates the database file 0600 if it is missing, and makes
// it and its -wal and -shm files 0600 if an older version or another tool
// left them readable by others: they hold every tenant's data, password
// hashes and sessions, like the secret file beside them. SQLite creates
// -wal and -shm with the database file's mode, so a new database stays
// private. The process umask is left alone: it is shared with the rest of
// the process.
func makePrivate(path string, log *slog.Logger) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("open sqlite %s: %w", path, err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("make %s private: %w", p, err)
			}
			log.Warn("database file was open to other users; made it 0600", "path", p, "mode", fmt.Sprintf("%#o", perm))
		}
	}
	return nil
}

// DB exposes the database for tests and benchmarks.
func (s *Store) DB() *sql.DB { return s.rw }

func (s *Store) Engine() string { return "sqlite" }

func (s *Store) Ping(ctx context.Context) error { return s.rw.PingContext(ctx) }

func (s *Store) SessionStore() scs.Store {
	// No cleanup goroutine: the maintenance job purges expired
	// sessions (store.Store.Purge), once for all processes.
	s.sessionsOnce.Do(func() { s.sessions = sqlite3store.NewWithCleanupInterval(s.rw, 0) })
	return s.sessions
}

func (s *Store) Close() {
	if s.runnerDB != nil {
		s.runnerDB.Close()
	}
	if s.workerLock != nil {
		s.workerLock.Close() // releases the lock
	}
	s.rw.Close()
}

func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) (err error) {
	tx, err := s.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := fn(&queries{db: tx, tx: tx, jobs: s.jobs}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// atomic runs fn in q's transaction, or in a new one when q is the store
// itself, so that a method of several statements is all or nothing either
// way. Transactions begin IMMEDIATE (see dsn): fn holds the write lock
// from its first statement.
func (q *queries) atomic(ctx context.Context, fn func(q *queries) error) (err error) {
	if q.tx != nil {
		return fn(q)
	}
	db, ok := q.db.(*sql.DB)
	if !ok {
		return fmt.Errorf("cannot begin a transaction on %T", q.db)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := fn(&queries{db: tx, tx: tx, jobs: q.jobs}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *Store) JobListFailed(ctx context.Context, tenantID *uuid.UUID, limit int, after string) ([]*jobs.Row, string, error) {
	return jobs.ListFailed(ctx, s.jobs, tenantID, limit, after)
}

func (q *queries) JobRetry(ctx context.Context, tenantID *uuid.UUID, id int64) (*jobs.Row, error) {
	return jobs.RetryFailed(ctx, q.jobs, q.tx, tenantID, id)
}

// JobRunner returns the one job runner of this database. SQLite serves one
// machine, so one process works its jobs: it holds a lock file for its
// life, and any job it finds running when it takes the lock was left so by
// a process that died; those are made available again at once instead of
// waiting for the stuck-job rescuer.
func (s *Store) JobRunner(rc *jobs.RunConfig) (store.JobRunner, error) {
	s.runnerMu.Lock()
	defer s.runnerMu.Unlock()
	if s.workerLock == nil {
		f, err := os.OpenFile(s.path+".worker.lock", os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, fmt.Errorf("worker lock file: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			return nil, fmt.Errorf("another ordo process already works the jobs of %s (embedded mode runs one worker)", s.path)
		}
		s.workerLock = f
		res, err := s.rw.ExecContext(context.Background(), `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
		if err != nil {
			return nil, fmt.Errorf("release jobs of a dead worker: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			s.log.Warn("released jobs left running by a process that stopped abruptly", "jobs", n)
		}
	}
	if s.runnerDB == nil {
		db, err := openDB(s.path, 1)
		if err != nil {
			return nil, err
		}
		s.runnerDB = db
	}
	rc.PollOften(100 * time.Millisecond)
	d := jobs.FairDriver(riversqlite.New(s.runnerDB), rc, fairFetch(s.runnerDB)) // before rc.River(): it adds middleware
	c, err := river.NewClient(d, rc.River())
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return c, nil
}

// MigrateUp holds an exclusive lock on a file beside the database while
// it migrates, so that processes started together (serve and worker, or
// two `ordo migrate up`) apply each migration once.
func (s *Store) MigrateUp(ctx context.Context) error { return s.withMigrationLock(s.mig.Up, ctx) }

func (s *Store) MigrateDown(ctx context.Context) error { return s.withMigrationLock(s.mig.Down, ctx) }

func (s *Store) withMigrationLock(fn func(context.Context) error, ctx context.Context) error {
	return withFileLock(s.path, func() error { return fn(ctx) })
}

// withFileLock runs fn holding an exclusive lock on a file beside the
// database, shared by every Ordo process using it.
func withFileLock(dbPath string, fn func() error) error {
	f, err := os.OpenFile(dbPath+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return fn()
}

func (s *Store) MigrationStatus(ctx context.Context) ([]store.Migration, error) {
	return s.mig.Status(ctx)
}

func (s *Store) SchemaCurrent(ctx context.Context) (bool, error) { return s.mig.Current(ctx) }

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
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFound(what)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return apperr.Conflict("%s already exists", apperr.Word(what))
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return &apperr.Error{Kind: apperr.KindInvalid, Msg: what + " refers to something that does not exist", Format: "%s refers to something that does not exist", Args: []any{apperr.Word(what)}}
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_DATATYPE:
			return &apperr.Error{Kind: apperr.KindInvalid, Msg: what + " has a value out of range", Format: "%s has a value out of range", Args: []any{apperr.Word(what)}}
		}
	}
	return err
}

func (s *Store) Purge(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	weekAgo := ts(now.Add(-7 * 24 * time.Hour))
	for _, q := range []struct {
		sql string
		arg any
	}{
		// scs's SQLite store keeps expiry as a julian day.
		{`DELETE FROM sessions WHERE expiry < julianday($1)`, now.UTC().Format("2006-01-02 15:04:05.000")},
		{sqlshared.PurgeUserTokens, weekAgo},
		{sqlshared.PurgeUserSessions, ts(now.Add(-31 * 24 * time.Hour))},
		{sqlshared.PurgeIdempotencyKeys, ts(now.Add(-idempotency.TTL))},
		// Jobs are retried for a few days at most.
		{sqlshared.PurgeJobEffects, weekAgo},
	} {
		res, err := s.rw.ExecContext(ctx, q.sql, q.arg)
		if err != nil {
			return total, fmt.Errorf("purge: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}
