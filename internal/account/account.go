// Package account holds users, memberships and roles, and the store
// contract for them. The permission table that decides what each role may
// do lives here too, so that the UI and the API ask the same question.
package account

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Role is a member's role within one tenant.
type Role string

const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
	RoleViewer Role = "viewer"
)

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleAdmin, RoleMember, RoleViewer:
		return true
	}
	return false
}

// User is a person who can log in. Email is stored lower-cased.
type User struct {
	ID              uuid.UUID
	Email           string
	Name            string
	PasswordHash    string
	EmailVerifiedAt *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Membership ties a user to a tenant with a role.
type Membership struct {
	TenantID  uuid.UUID
	UserID    uuid.UUID
	Role      Role
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Store is what the account domain needs from persistence.
type Store interface {
	// UserCreate inserts u; a taken e-mail is apperr.ErrConflict.
	UserCreate(ctx context.Context, u User) error
	UserGetByID(ctx context.Context, id uuid.UUID) (User, error)
	// UserGetByEmail looks the address up case-insensitively.
	UserGetByEmail(ctx context.Context, email string) (User, error)

	// MembershipCreate inserts m; an existing pair is apperr.ErrConflict.
	MembershipCreate(ctx context.Context, m Membership) error
	MembershipGet(ctx context.Context, tenantID, userID uuid.UUID) (Membership, error)
	// MembershipListByTenant lists a tenant's members, oldest first.
	MembershipListByTenant(ctx context.Context, tenantID uuid.UUID) ([]Membership, error)
	// MembershipListByUser lists the tenants a user belongs to, oldest first.
	MembershipListByUser(ctx context.Context, userID uuid.UUID) ([]Membership, error)
	MembershipUpdateRole(ctx context.Context, tenantID, userID uuid.UUID, role Role, now time.Time) error
	MembershipDelete(ctx context.Context, tenantID, userID uuid.UUID) error
	// MembershipCountByRole counts a tenant's members with role, e.g. to
	// keep the last owner from leaving.
	MembershipCountByRole(ctx context.Context, tenantID uuid.UUID, role Role) (int, error)
}
