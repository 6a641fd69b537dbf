// Package account holds users, their memberships, tokens, invitations and
// API keys, and the store contract for them. Roles and the permission
// table live in package access.
package account

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
)

// User is a person who can log in. Email is stored lower-cased.
type User struct {
	ID              uuid.UUID
	Email           string
	Name            string
	PasswordHash    string
	EmailVerifiedAt *time.Time
	// SessionEpoch is copied into each session at login; bumping it ends
	// every session of the user at once ("log out everywhere").
	SessionEpoch int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Membership ties a user to a tenant with a role.
type Membership struct {
	TenantID  uuid.UUID
	UserID    uuid.UUID
	Role      access.Role
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Store is what the account domain needs from persistence.
type Store interface {
	// UserCreate inserts u; a taken e-mail is apperr.ErrConflict.
	UserCreate(ctx context.Context, u User) error
	UserGetByID(ctx context.Context, id uuid.UUID) (User, error)
	// UserListByIDs returns the users with these ids (missing ones are
	// left out), in no particular order.
	UserListByIDs(ctx context.Context, ids []uuid.UUID) ([]User, error)
	// UserGetByEmail looks the address up case-insensitively.
	UserGetByEmail(ctx context.Context, email string) (User, error)
	// UserUpdate saves e-mail, name, password hash, verification time and
	// updated_at; a taken e-mail is apperr.ErrConflict.
	UserUpdate(ctx context.Context, u User) error
	// UserBumpSessionEpoch ends every session of the user and returns the
	// new epoch.
	UserBumpSessionEpoch(ctx context.Context, id uuid.UUID, now time.Time) (int64, error)

	// TokenCreate stores a single-use token (its hash only).
	TokenCreate(ctx context.Context, t Token) error
	// TokenConsume marks the unexpired, unused token with this hash and
	// purpose used and returns it; anything else is apperr.ErrNotFound.
	// Two concurrent calls cannot both succeed.
	TokenConsume(ctx context.Context, purpose TokenPurpose, hash []byte, now time.Time) (Token, error)
	// TokenInvalidate uses up every open token of the user for purpose.
	TokenInvalidate(ctx context.Context, userID uuid.UUID, purpose TokenPurpose, now time.Time) error

	// InvitationCreate inserts inv; an open invitation for the same
	// address in the tenant is apperr.ErrConflict.
	InvitationCreate(ctx context.Context, inv Invitation) error
	InvitationGet(ctx context.Context, tenantID, id uuid.UUID) (Invitation, error)
	// InvitationGetByHash finds an invitation by its token, in any tenant.
	InvitationGetByHash(ctx context.Context, hash []byte) (Invitation, error)
	// InvitationListByTenant lists a tenant's invitations, newest first.
	InvitationListByTenant(ctx context.Context, tenantID uuid.UUID) ([]Invitation, error)
	// InvitationUpdate saves the token hash, expiry, accepted and revoked
	// times and updated_at.
	InvitationUpdate(ctx context.Context, inv Invitation) error

	// APIKeyCreate inserts k.
	APIKeyCreate(ctx context.Context, k APIKey) error
	APIKeyGet(ctx context.Context, tenantID, id uuid.UUID) (APIKey, error)
	// APIKeyGetByPrefix finds a key by its public prefix, in any tenant:
	// authentication starts here.
	APIKeyGetByPrefix(ctx context.Context, prefix string) (APIKey, error)
	// APIKeyListByTenant lists a tenant's keys, newest first.
	APIKeyListByTenant(ctx context.Context, tenantID uuid.UUID) ([]APIKey, error)
	// APIKeyRevoke revokes a key of the tenant; revoking twice is fine.
	APIKeyRevoke(ctx context.Context, tenantID, id uuid.UUID, now time.Time) error
	// APIKeyTouch records use.
	APIKeyTouch(ctx context.Context, id uuid.UUID, now time.Time) error

	// MembershipCreate inserts m; an existing pair is apperr.ErrConflict.
	MembershipCreate(ctx context.Context, m Membership) error
	MembershipGet(ctx context.Context, tenantID, userID uuid.UUID) (Membership, error)
	// MembershipListByTenant lists a tenant's members, oldest first.
	MembershipListByTenant(ctx context.Context, tenantID uuid.UUID) ([]Membership, error)
	// MembershipListByUser lists the tenants a user belongs to, oldest first.
	MembershipListByUser(ctx context.Context, userID uuid.UUID) ([]Membership, error)
	MembershipUpdateRole(ctx context.Context, tenantID, userID uuid.UUID, role access.Role, now time.Time) error
	// MembershipDelete ends a membership and records its removal at now,
	// which MembershipRemovedAt then reports.
	MembershipDelete(ctx context.Context, tenantID, userID uuid.UUID, now time.Time) error
	// MembershipRemovedAt is when the user's membership of the tenant was
	// last deleted; apperr.ErrNotFound if it never was. It says nothing of
	// whether they are a member again since.
	MembershipRemovedAt(ctx context.Context, tenantID, userID uuid.UUID) (time.Time, error)
	// MembershipCountByRole counts a tenant's members with role, e.g. to
	// keep the last owner from leaving.
	MembershipCountByRole(ctx context.Context, tenantID uuid.UUID, role access.Role) (int, error)
	// MembershipLock, first in a transaction, makes the transactions
	// that change the tenant's memberships run one after the other until
	// it ends, so that a check over the members (the last owner) still
	// holds when the change it guards commits. A missing tenant is
	// apperr.ErrNotFound.
	MembershipLock(ctx context.Context, tenantID uuid.UUID) error
}

// TokenPurpose says what a single-use token is for.
type TokenPurpose string

const (
	TokenVerifyEmail   TokenPurpose = "verify_email"
	TokenResetPassword TokenPurpose = "reset_password"
	TokenChangeEmail   TokenPurpose = "change_email"
)

// Token is a single-use token sent by e-mail. Only its hash is stored.
type Token struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	Purpose   TokenPurpose
	Hash      []byte
	Data      string // for TokenChangeEmail: the new address
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

// Invitation asks someone, by e-mail, to join a tenant with a role.
type Invitation struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	Email      string
	Role       access.Role
	Hash       []byte
	InvitedBy  *uuid.UUID
	ExpiresAt  time.Time
	AcceptedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// InvitationStatus is derived from an invitation's times.
type InvitationStatus string

const (
	InvitationPending  InvitationStatus = "pending"
	InvitationAccepted InvitationStatus = "accepted"
	InvitationRevoked  InvitationStatus = "revoked"
	InvitationExpired  InvitationStatus = "expired"
)

// Status reports the invitation's state at now.
func (inv Invitation) Status(now time.Time) InvitationStatus {
	switch {
	case inv.AcceptedAt != nil:
		return InvitationAccepted
	case inv.RevokedAt != nil:
		return InvitationRevoked
	case !now.Before(inv.ExpiresAt):
		return InvitationExpired
	}
	return InvitationPending
}

// APIKey authenticates a program as a tenant with a role. The secret is
// shown once; only its SHA-256 is stored (keys are long and random, so a
// slow hash adds nothing but latency on every request).
type APIKey struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	CreatedBy  *uuid.UUID
	Name       string
	Prefix     string
	SecretHash []byte
	Role       access.Role
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
}

// Active reports whether the key may be used at now.
func (k APIKey) Active(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}
