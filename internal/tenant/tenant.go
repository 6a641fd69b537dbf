// Package tenant is customer organisations and who belongs to them: the
// Tenant type and its settings, and the tenant service (tenants, their
// members and roles, invitations, an operator's suspension), with the
// audit entries and events it leaves, deciding with access.Can.
//
// A tenant is one customer organisation; every tenant-owned row in Ordo
// carries its id. Users are package account's; what authentication
// caches of memberships, and API keys, are package auth's, which reaches
// the service through Auth.
package tenant

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/outbox"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/version"
)

// Plan is the tenant's subscription plan.
type Plan string

const (
	PlanFree       Plan = "free"
	PlanPro        Plan = "pro"
	PlanEnterprise Plan = "enterprise"
)

// Status is the tenant's lifecycle state.
type Status string

const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	StatusDeleted   Status = "deleted"
)

// KeyStanding is an API key with what its use depends on, read in one
// query where nothing is cached: its creator's role in the key's tenant
// ("" when not a member), whether the creator may act (the user exists
// and is not disabled), and the tenant's status ("" when it is gone).
type KeyStanding struct {
	Key           account.APIKey
	CreatorRole   access.Role
	CreatorActive bool
	TenantStatus  Status
}

// Tenant is one customer organisation.
type Tenant struct {
	ID        uuid.UUID
	Name      string
	Slug      string
	Plan      Plan
	Status    Status
	CreatedAt time.Time
	UpdatedAt time.Time
	// DefaultTaxRateBP is the tax rate, in basis points, that new item
	// rows of the order form start with (0 until the tenant sets one).
	DefaultTaxRateBP int64
	// PurgeAfter is when a deleted tenant's rows and objects are purged
	// for good; nil for a tenant that is not being deleted.
	PurgeAfter *time.Time
	// RequireTwoFactor: members act in the tenant only in sessions that
	// signed in with a second factor (account.StrongMethod).
	RequireTwoFactor bool
}

// Version is the tenant's version for optimistic concurrency (its ETag):
// when it last changed, in microseconds, the precision both engines keep.
// A change always moves it (see RenameTenant).
func (t Tenant) Version() int64 { return version.Of(t.UpdatedAt) }

// ErrStale is the answer to a change made against a version of the
// tenant that is no longer the stored one (a stale If-Match).
var ErrStale = &apperr.Error{Kind: apperr.KindPrecondition, Msg: "the tenant was changed by someone else; fetch it again"}

// ErrMemberStale is the answer to a role change made against a version of
// the membership that is no longer the stored one.
var ErrMemberStale = &apperr.Error{Kind: apperr.KindPrecondition, Msg: "the membership was changed by someone else; fetch it again"}

// MembershipVersion is a membership's version for optimistic concurrency
// (its ETag), as Tenant.Version is the tenant's.
func MembershipVersion(m account.Membership) int64 { return version.Of(m.UpdatedAt) }

// Store is what the tenant service reads and writes outside a
// transaction: tenants, their memberships and invitations, and the users
// behind them (account's rows, read and created by signature here).
type Store interface {
	// TenantCreate inserts t; a taken slug is apperr.ErrConflict.
	TenantCreate(ctx context.Context, t Tenant) error
	TenantGetByID(ctx context.Context, id uuid.UUID) (Tenant, error)
	TenantGetBySlug(ctx context.Context, slug string) (Tenant, error)
	// TenantListByIDs reads the tenants with these ids, in no order;
	// missing ones are left out.
	TenantListByIDs(ctx context.Context, ids []uuid.UUID) ([]Tenant, error)
	// TenantListAfter lists up to limit tenants with ids above after, by
	// id: every tenant, page by page, for the operator.
	TenantListAfter(ctx context.Context, after uuid.UUID, limit int) ([]Tenant, error)
	// TenantUpdate saves name, slug, plan and status.
	TenantUpdate(ctx context.Context, t Tenant) error

	// MembershipCreate inserts m; an existing pair is apperr.ErrConflict.
	MembershipCreate(ctx context.Context, m account.Membership) error
	MembershipGet(ctx context.Context, tenantID, userID uuid.UUID) (account.Membership, error)
	// MembershipListByTenant lists a tenant's members, oldest first.
	MembershipListByTenant(ctx context.Context, tenantID uuid.UUID) ([]account.Membership, error)
	// MembershipListByUser lists the tenants a user belongs to, oldest first.
	MembershipListByUser(ctx context.Context, userID uuid.UUID) ([]account.Membership, error)
	// MembershipPageByTenant reads the page r selects of a tenant's
	// members, in the order of their user ids.
	MembershipPageByTenant(ctx context.Context, tenantID uuid.UUID, r page.Request) ([]account.Membership, error)
	// MembershipPageByUser reads the page r selects of the tenants a user
	// belongs to, in the order of the tenant ids.
	MembershipPageByUser(ctx context.Context, userID uuid.UUID, r page.Request) ([]account.Membership, error)
	MembershipUpdateRole(ctx context.Context, tenantID, userID uuid.UUID, role access.Role, now time.Time) error
	// MembershipDelete ends a membership and records its removal at now,
	// which MembershipRemovedAt then reports.
	MembershipDelete(ctx context.Context, tenantID, userID uuid.UUID, now time.Time) error
	// MembershipCountByRole counts a tenant's members with role, e.g. to
	// keep the last owner from leaving.
	MembershipCountByRole(ctx context.Context, tenantID uuid.UUID, role access.Role) (int, error)
	// MembershipLock, first in a transaction, makes the transactions
	// that change the tenant's memberships run one after the other until
	// it ends, so that a check over the members (the last owner) still
	// holds when the change it guards commits. A missing tenant is
	// apperr.ErrNotFound.
	MembershipLock(ctx context.Context, tenantID uuid.UUID) error

	// InvitationCreate inserts inv; an open invitation for the same
	// address in the tenant is apperr.ErrConflict.
	InvitationCreate(ctx context.Context, inv account.Invitation) error
	InvitationGet(ctx context.Context, tenantID, id uuid.UUID) (account.Invitation, error)
	// InvitationGetByHash finds an invitation by its token, in any tenant.
	InvitationGetByHash(ctx context.Context, hash []byte) (account.Invitation, error)
	// InvitationListByTenant reads the page r selects of a tenant's
	// invitations, newest first.
	InvitationListByTenant(ctx context.Context, tenantID uuid.UUID, r page.Request) ([]account.Invitation, error)
	// InvitationUpdate saves the token hash, expiry, accepted and revoked
	// times and updated_at.
	InvitationUpdate(ctx context.Context, inv account.Invitation) error

	// UserCreate inserts u; a taken e-mail is apperr.ErrConflict.
	UserCreate(ctx context.Context, u account.User) error
	UserGetByID(ctx context.Context, id uuid.UUID) (account.User, error)
	// UserGetByEmail looks the address up case-insensitively.
	UserGetByEmail(ctx context.Context, email string) (account.User, error)
	// UserListByIDs returns the users with these ids (missing ones are
	// left out), in no particular order.
	UserListByIDs(ctx context.Context, ids []uuid.UUID) ([]account.User, error)
	// UserUpdate saves e-mail, name, password hash, verification time and
	// updated_at; a taken e-mail is apperr.ErrConflict.
	UserUpdate(ctx context.Context, u account.User) error
}

// Tx is what the tenant service does inside one transaction: its Store,
// the audit entries and events of the changes, the invitation e-mails
// (jobs, through outbox.Tx), and what Auth.RevokeKeysOf does with the
// keys of a member who leaves, in the same transaction.
type Tx interface {
	Store
	audit.Writer
	outbox.Tx
	// APIKeyListByTenant lists a tenant's keys, newest first.
	APIKeyListByTenant(ctx context.Context, tenantID uuid.UUID) ([]account.APIKey, error)
	// TenantLimitSet and TenantLimitDelete override one of the tenant's
	// plan limits, or drop the override.
	TenantLimitSet(ctx context.Context, tenantID uuid.UUID, name plan.Name, value int64) error
	TenantLimitDelete(ctx context.Context, tenantID uuid.UUID, name plan.Name) error
	// APIKeyRevoke revokes a key of the tenant; revoking twice is fine.
	APIKeyRevoke(ctx context.Context, tenantID, id uuid.UUID, now time.Time) error
}

// DB is the tenant service's handle on the store:
// store.Narrow[tenant.Tx]{st} is one.
type DB interface {
	Store
	InTx(ctx context.Context, fn func(Tx) error) error
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$`)

// ValidSlug reports whether s is a usable slug: 1-48 lower-case letters,
// digits and inner hyphens.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// Validate checks the fields a client can set.
func (t Tenant) Validate() error {
	var v apperr.Validation
	if n := strings.TrimSpace(t.Name); n == "" || len(n) > 200 {
		v.Add("name", "must be 1 to 200 characters")
	}
	if !ValidSlug(t.Slug) {
		v.Add("slug", "must be 1 to 48 lower-case letters, digits and inner hyphens")
	}
	return v.Err()
}
