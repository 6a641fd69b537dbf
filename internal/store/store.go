// Package store defines the persistence contract of Ordo: one interface
// made of the domain packages' Store interfaces, with two implementations,
// pgstore (PostgreSQL) and sqlitestore (SQLite, the embedded default).
// storetest holds the conformance suite that both must pass unchanged.
//
// Business rules do not belong here; stores persist and query. Every query
// on tenant-owned data takes the tenant id right after ctx.
package store

import (
	"context"
	"fmt"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/archive"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/idempotency"
	"github.com/ordo/ordo/internal/invoice"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/operator"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/passkey"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/sso"
	"github.com/ordo/ordo/internal/tenant"
	"github.com/ordo/ordo/internal/webhook"
)

// Querier is every domain query, usable on the store or inside a Tx: the
// union of every domain's Tx (which overlap where two domains need the
// same query, e.g. audit.Writer), and the queries no domain service
// declares.
type Querier interface {
	tenant.Tx
	account.Tx
	order.Tx
	attachment.Tx
	export.Tx
	invoice.Tx
	webhook.Tx
	// The operator console: operators, tenants with their use, users,
	// the platform audit log.
	operator.Tx
	// Users' passkeys (WebAuthn credentials).
	passkey.Tx

	audit.Store
	event.Store
	idempotency.Store
	tenant.SettingsStore
	// Plans: limits' overrides and usage.
	plan.AdminStore

	auth.Tx
	// Single sign-on: tenants' providers, linked identities.
	sso.Tx

	jobs.Effects

	// JobInsert enqueues a background job. Inside a Tx the job becomes
	// visible to workers only if the transaction commits.
	JobInsert(ctx context.Context, args jobs.Args, opts *jobs.Opts) (*jobs.Inserted, error)
	// JobRetry runs a failed job again now; with tenantID set, another
	// tenant's job is apperr.ErrNotFound. Inside a Tx the retry commits
	// with the transaction (and its audit entry).
	JobRetry(ctx context.Context, tenantID *uuid.UUID, id int64) (*jobs.Row, error)
}

// Tx is a Querier bound to one database transaction.
type Tx interface {
	Querier
}

// A store transaction is every domain's transaction.
var (
	_ export.Tx     = Tx(nil)
	_ webhook.Tx    = Tx(nil)
	_ invoice.Tx    = Tx(nil)
	_ order.Tx      = Tx(nil)
	_ attachment.Tx = Tx(nil)
	_ tenant.Tx     = Tx(nil)
	_ account.Tx    = Tx(nil)
	_ auth.Tx       = Tx(nil)
	_ operator.Tx   = Tx(nil)
	_ sso.Tx        = Tx(nil)
	_ passkey.Tx    = Tx(nil)
	_ audit.AlertTx = Tx(nil)
)

// Store is a handle on the system of record.
type Store interface {
	Querier

	// InTx runs fn in a transaction, committing if fn returns nil and
	// rolling back otherwise (or if fn panics).
	InTx(ctx context.Context, fn func(tx Tx) error) error

	// Engine names the database engine: "postgres" or "sqlite".
	Engine() string
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases connections.
	Close()

	// MigrateUp applies every pending migration, Ordo's and the job
	// queue's, and is safe to run from several processes at once.
	MigrateUp(ctx context.Context) error
	// MigrateDown rolls back Ordo's most recent migration.
	MigrateDown(ctx context.Context) error
	// MigrationStatus lists Ordo's and the job queue's migrations.
	MigrationStatus(ctx context.Context) ([]Migration, error)
	// SchemaCurrent reports whether no migration is pending.
	SchemaCurrent(ctx context.Context) (bool, error)

	// SessionStore is where HTTP sessions live when Redis is not
	// configured: the sessions table, through scs's store for the engine.
	SessionStore() scs.Store

	// Purge deletes what has expired: sessions past their expiry,
	// single-use tokens used or expired for a week, and idempotency keys
	// older than a day. The maintenance job
	// calls it.
	Purge(ctx context.Context, now time.Time) (int64, error)
	// TenantListPurgeDue and TenantPurgeRows remove deleted tenants once
	// their grace has passed (tenant.Purger).
	tenant.PurgeStore
	// ArchiveSnapshot and ArchiveLoad read and write tenant archives.
	archive.Store

	// JobListFailed lists a page of retryable and discarded jobs, newest
	// first: a tenant's when tenantID is set, every one otherwise. after
	// is the cursor the page before gave ("" for the first); the cursor
	// of the next page is "" on the last.
	JobListFailed(ctx context.Context, tenantID *uuid.UUID, limit int, after string) ([]*jobs.Row, string, error)

	// JobRunner returns a job queue client that works the queues in
	// config; it is started and stopped by the caller.
	JobRunner(config *jobs.RunConfig) (JobRunner, error)
	// JobQueueDepth counts the jobs of every queue in each of
	// JobQueueDepthStates; a queue and state with no jobs is left out.
	JobQueueDepth(ctx context.Context) ([]JobQueueCount, error)
	// JobTenantBacklog reports each tenant's waiting and running jobs per
	// queue: with tenantID, that tenant's queues; without, the top tenants
	// of each queue by waiting jobs (at most top each), for metrics
	// without a series per tenant.
	JobTenantBacklog(ctx context.Context, tenantID *uuid.UUID, top int) ([]jobs.Backlog, error)

	// PoolStats reports on the connection pool, for metrics.
	PoolStats() PoolStats
}

// Migration is one line of `ordo migrate status`.
type Migration struct {
	Component string // "ordo" or "river"
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// JobRunner works job queues until stopped. River's client satisfies it.
type JobRunner interface {
	Start(ctx context.Context) error
	// Stop waits for running jobs to finish, bounded by ctx.
	Stop(ctx context.Context) error
	// StopAndCancel cancels running jobs (they are retried later) and
	// waits for them to return.
	StopAndCancel(ctx context.Context) error
	// Subscribe delivers events of the given kinds (jobs completed,
	// failed...) until the returned function is called or the runner
	// stops; events are dropped when the channel is not drained.
	jobs.Subscriber
}

// Narrow hands a domain service the store as the domain's own narrow
// interface (order.DB, export.DB...): the domain's queries are the
// store's, and InTx gives the callback the transaction as the domain's Tx.
// Each engine proves at compile time that its transaction implements
// every domain's Tx (`var _ order.Tx = (*queries)(nil)`), so the
// conversion below cannot fail for a Tx the engines return.
type Narrow[T any] struct{ Store }

// InTx runs fn in a transaction of the underlying store, as
// Store.InTx does.
func (n Narrow[T]) InTx(ctx context.Context, fn func(T) error) error {
	return n.Store.InTx(ctx, func(tx Tx) error {
		t, ok := any(tx).(T)
		if !ok {
			var want T
			return fmt.Errorf("store: a %T transaction is not a %T", tx, &want)
		}
		return fn(t)
	})
}
