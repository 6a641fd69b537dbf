// Package operator is the administration of an Ordo service by its
// operators: users made operators at the command line (ordo operators
// add), who see every tenant with its plan, status and use, change plans
// and limits, suspend, resume and delete tenants, and find users to end
// their sessions, force a password reset, or disable them. Every operator
// action goes to the platform audit log, and an action on a tenant also
// to that tenant's own log (access.OperatorIn).
package operator

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/tenant"
)

// Operator is a user made operator, and since when.
type Operator struct {
	User  account.User
	Since time.Time
}

// TenantOverview is one line of the console's tenant list.
type TenantOverview struct {
	Tenant  tenant.Tenant
	Members int64
	// Orders are the tenant's orders, cancelled ones left out.
	Orders int64
	// StorageBytes are the bytes of its uploaded attachments and
	// finished exports.
	StorageBytes int64
	// LastActivity is the time of its newest audit entry, nil for none.
	LastActivity *time.Time
}

// Store is what the console reads.
type Store interface {
	// OperatorList lists the operators, by e-mail.
	OperatorList(ctx context.Context) ([]Operator, error)
	// OperatorIs reports whether the user is an operator.
	OperatorIs(ctx context.Context, userID uuid.UUID) (bool, error)
	// TenantOverviewList lists the page r selects of the tenants whose
	// slug or name contains q (any case; "" for all), newest first.
	TenantOverviewList(ctx context.Context, q string, r page.Request) ([]TenantOverview, error)
	// TenantOverviewGet is one tenant's line.
	TenantOverviewGet(ctx context.Context, id uuid.UUID) (TenantOverview, error)
	// UserSearch lists the page r selects of the users whose e-mail or
	// name contains q (any case; "" for all), newest first.
	UserSearch(ctx context.Context, q string, r page.Request) ([]account.User, error)
	// PlatformAuditList lists the page r selects of the platform audit
	// log, of one tenant if tenantID is set, newest first.
	PlatformAuditList(ctx context.Context, tenantID *uuid.UUID, r page.Request) ([]audit.Entry, error)
	TenantListByIDs(ctx context.Context, ids []uuid.UUID) ([]tenant.Tenant, error)
	UserGetByID(ctx context.Context, id uuid.UUID) (account.User, error)
	UserGetByEmail(ctx context.Context, email string) (account.User, error)
	MembershipListByUser(ctx context.Context, userID uuid.UUID) ([]account.Membership, error)
	TenantGetByID(ctx context.Context, id uuid.UUID) (tenant.Tenant, error)
}

// Tx is what an operator's change does in its transaction.
type Tx interface {
	Store
	audit.Writer
	// OperatorAdd makes the user an operator (again is fine);
	// OperatorRemove makes them a user like any other (apperr.ErrNotFound
	// if they were not one).
	OperatorAdd(ctx context.Context, userID uuid.UUID, now time.Time) error
	OperatorRemove(ctx context.Context, userID uuid.UUID) error
	// PlanLimitSet overrides a plan's limit for everyone on it;
	// PlanLimitDelete goes back to the built-in one.
	PlanLimitSet(ctx context.Context, plan string, name plan.Name, value int64) error
	PlanLimitDelete(ctx context.Context, plan string, name plan.Name) error
}

// DB is the console's handle on the store: store.Narrow[operator.Tx]{st}
// is one.
type DB interface {
	Store
	InTx(ctx context.Context, fn func(Tx) error) error
}
