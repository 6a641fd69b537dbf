package auth

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/tenant"
)

// Store is what authentication reads (and touches) outside a
// transaction: exactly the methods it calls, declared here, the reads of
// users, memberships and tenants by their domains' types. The engines
// implement it; store.Querier has every method.
type Store interface {
	UserGetByEmail(ctx context.Context, email string) (account.User, error)
	UserGetByID(ctx context.Context, id uuid.UUID) (account.User, error)
	UserListByIDs(ctx context.Context, ids []uuid.UUID) ([]account.User, error)
	MembershipGet(ctx context.Context, tenantID, userID uuid.UUID) (account.Membership, error)
	MembershipListByUser(ctx context.Context, userID uuid.UUID) ([]account.Membership, error)
	MembershipListByTenant(ctx context.Context, tenantID uuid.UUID) ([]account.Membership, error)
	// MembershipRemovedAt is when the user's membership of the tenant was
	// last deleted; apperr.ErrNotFound if it never was. It says nothing of
	// whether they are a member again since.
	MembershipRemovedAt(ctx context.Context, tenantID, userID uuid.UUID) (time.Time, error)
	TenantGetByID(ctx context.Context, id uuid.UUID) (tenant.Tenant, error)

	// The second factor of a log-in (account.VerifySecondFactor).
	account.SecondFactorStore
	// PasskeyCountByUser counts the user's passkeys: a user with one
	// gives a second factor after the password (package passkey).
	PasskeyCountByUser(ctx context.Context, userID uuid.UUID) (int, error)

	// APIKeyGetByPrefix finds a key by its public prefix, in any tenant:
	// authentication starts here.
	APIKeyGetByPrefix(ctx context.Context, prefix string) (account.APIKey, error)
	// APIKeyStandingByPrefix finds a key with its creator's standing and
	// its tenant's status in one query (authentication without a cache).
	APIKeyStandingByPrefix(ctx context.Context, prefix string) (tenant.KeyStanding, error)
	// APIKeyListByTenant lists a tenant's keys, newest first.
	APIKeyListByTenant(ctx context.Context, tenantID uuid.UUID) ([]account.APIKey, error)
	// APIKeyPageByTenant reads the page r selects of a tenant's keys,
	// newest first.
	APIKeyPageByTenant(ctx context.Context, tenantID uuid.UUID, r page.Request) ([]account.APIKey, error)
	// APIKeyTouch records use.
	APIKeyTouch(ctx context.Context, id uuid.UUID, now time.Time) error

	AuditList(ctx context.Context, tenantID uuid.UUID, f audit.Filter) ([]audit.Entry, error)
	// The export of the audit log with its proofs (audit.WriteExport).
	audit.ExportStore
	EventListAfter(ctx context.Context, tenantID, after uuid.UUID, limit int) ([]event.Event, error)
}

// Tx is what authentication writes inside a transaction: API keys, the
// session epoch, single-use links, a job's retry, and their audit entries.
type Tx interface {
	Store
	audit.Writer
	// APIKeyCreate inserts k.
	APIKeyCreate(ctx context.Context, k account.APIKey) error
	APIKeyGet(ctx context.Context, tenantID, id uuid.UUID) (account.APIKey, error)
	// APIKeyRevoke revokes a key of the tenant; revoking twice is fine.
	APIKeyRevoke(ctx context.Context, tenantID, id uuid.UUID, now time.Time) error
	UserBumpSessionEpoch(ctx context.Context, id uuid.UUID, now time.Time) (int64, error)
	TokenInvalidate(ctx context.Context, userID uuid.UUID, purpose account.TokenPurpose, now time.Time) error
	// JobRetry runs a failed job again now; with tenantID set, another
	// tenant's job is apperr.ErrNotFound. It commits with the transaction
	// (and its audit entry).
	JobRetry(ctx context.Context, tenantID *uuid.UUID, id int64) (*jobs.Row, error)
}

// DB is the auth service's handle on the store: store.Narrow[auth.Tx]{st}
// is one.
type DB interface {
	Store
	// JobListFailed lists a page of retryable and discarded jobs, newest
	// first: a tenant's when tenantID is set, every one otherwise. after
	// is the cursor the page before gave ("" for the first); the cursor
	// of the next page is "" on the last.
	JobListFailed(ctx context.Context, tenantID *uuid.UUID, limit int, after string) ([]*jobs.Row, string, error)
	// JobTenantBacklog reports a tenant's waiting and running jobs per
	// queue (store.Store).
	JobTenantBacklog(ctx context.Context, tenantID *uuid.UUID, top int) ([]jobs.Backlog, error)
	InTx(ctx context.Context, fn func(Tx) error) error
}
