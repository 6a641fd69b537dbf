// Package account is people's accounts: the types of users, their
// memberships, e-mailed tokens, invitations and API keys, and the account
// service (sign-up and e-mail verification, password reset and change,
// e-mail change, users an operator creates), with the audit entries it
// leaves. Passwords are hashed and checked here. Tenants and their
// members are package tenant's, what resolves a request to a principal
// package auth's, which both import this one; roles and the permission
// table live in package access.
package account

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/version"
)

// User is a person who can log in. Email is stored lower-cased.
type User struct {
	ID    uuid.UUID
	Email string
	Name  string
	// Image is the blob key of the user's avatar, "" for none.
	Image string
	// Locale is the UI language the user chose ("de", "en"), "" to follow
	// the browser.
	Locale          string
	PasswordHash    string
	EmailVerifiedAt *time.Time
	// SessionEpoch is copied into each session at login; bumping it ends
	// every session of the user at once ("log out everywhere").
	SessionEpoch int64
	// DisabledAt is when an operator disabled the user (nil: enabled): a
	// disabled user cannot log in, and keys they made do not work.
	DisabledAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Version is the user's version for optimistic concurrency: the profile's
// ETag.
func (u User) Version() int64 { return version.Of(u.UpdatedAt) }

// ErrProfileStale is the answer to a profile change made against a version
// that is no longer the stored one (a stale If-Match).
var ErrProfileStale = &apperr.Error{Kind: apperr.KindPrecondition, Msg: "the profile was changed elsewhere; fetch it again"}

// Membership ties a user to a tenant with a role.
type Membership struct {
	TenantID  uuid.UUID
	UserID    uuid.UUID
	Role      access.Role
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Store is what the account service reads and writes outside a
// transaction: users, their e-mailed tokens, the tenants they belong to
// (to audit a change of theirs in each), and the job queue (a reset
// request is only a job).
type Store interface {
	// UserCreate inserts u; a taken e-mail is apperr.ErrConflict.
	UserCreate(ctx context.Context, u User) error
	UserGetByID(ctx context.Context, id uuid.UUID) (User, error)
	// UserGetByEmail looks the address up case-insensitively.
	UserGetByEmail(ctx context.Context, email string) (User, error)
	// UserUpdate saves e-mail, name, password hash, verification time and
	// updated_at; a taken e-mail is apperr.ErrConflict.
	UserUpdate(ctx context.Context, u User) error
	// UserSetDisabled disables the user (at set) or enables them (nil);
	// none is apperr.ErrNotFound.
	UserSetDisabled(ctx context.Context, id uuid.UUID, at *time.Time, now time.Time) error
	// UserBumpSessionEpoch ends every session of the user and returns the
	// new epoch.
	UserBumpSessionEpoch(ctx context.Context, id uuid.UUID, now time.Time) (int64, error)

	// UserSessionSave records a logged-in session, or notes that it was
	// seen: the row with prevHash (a session whose token was just renewed)
	// or with s.TokenHash is updated, else s is inserted.
	UserSessionSave(ctx context.Context, s UserSession, prevHash string) error
	// UserSessionList lists the user's sessions seen at or after since,
	// most recently seen first.
	UserSessionList(ctx context.Context, userID uuid.UUID, since time.Time) ([]UserSession, error)
	// UserSessionDeleteByHash forgets the session with this token hash
	// (logged out); none is not an error.
	UserSessionDeleteByHash(ctx context.Context, tokenHash string) error

	// TokenCreate stores a single-use token (its hash only).
	TokenCreate(ctx context.Context, t Token) error
	// TokenConsume marks the unexpired, unused token with this hash and
	// purpose used and returns it; anything else is apperr.ErrNotFound.
	// Two concurrent calls cannot both succeed.
	TokenConsume(ctx context.Context, purpose TokenPurpose, hash []byte, now time.Time) (Token, error)
	// TokenInvalidate uses up every open token of the user for purpose.
	TokenInvalidate(ctx context.Context, userID uuid.UUID, purpose TokenPurpose, now time.Time) error

	// MembershipListByUser lists the tenants a user belongs to, oldest first.
	MembershipListByUser(ctx context.Context, userID uuid.UUID) ([]Membership, error)

	// UserTOTPGet reads the user's TOTP enrolment; none is
	// apperr.ErrNotFound.
	UserTOTPGet(ctx context.Context, userID uuid.UUID) (TOTP, error)
	// UserTOTPSave starts an enrolment, or replaces one not yet
	// confirmed; a confirmed one is left unchanged.
	UserTOTPSave(ctx context.Context, t TOTP) error
	// UserTOTPConfirm confirms the enrolment with the time step of the
	// code that confirmed it; an enrolment that is not pending is
	// apperr.ErrNotFound.
	UserTOTPConfirm(ctx context.Context, userID uuid.UUID, at time.Time, step int64) error
	// UserTOTPUseStep records step as the last code's, if it is after the
	// last one accepted: false means the code was used already (or the
	// enrolment is gone). Of concurrent uses of one code, one wins.
	UserTOTPUseStep(ctx context.Context, userID uuid.UUID, step int64) (bool, error)
	// UserTOTPDelete ends the enrolment and deletes the recovery codes.
	UserTOTPDelete(ctx context.Context, userID uuid.UUID) error
	// RecoveryCodesReplace replaces the user's recovery codes with codes.
	RecoveryCodesReplace(ctx context.Context, userID uuid.UUID, codes []RecoveryCode) error
	// RecoveryCodeUse uses up the unused code with this hash: false if
	// there is none. Of concurrent uses of one code, one wins.
	RecoveryCodeUse(ctx context.Context, userID uuid.UUID, hash []byte, now time.Time) (bool, error)
	// RecoveryCodesLeft counts the user's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, userID uuid.UUID) (int, error)

	jobs.Inserter
}

// Tx is what the account service does inside one transaction: its Store,
// and the audit entries of the changes. A sign-up's first tenant is made
// in it too, by the TenantStarter, which asks more of it.
type Tx interface {
	Store
	audit.Writer

	// UserSessionDelete forgets one of the user's sessions and returns it;
	// another user's or none is apperr.ErrNotFound.
	UserSessionDelete(ctx context.Context, userID, id uuid.UUID) (UserSession, error)
	// MembershipLock makes transactions that check a tenant's owners take
	// turns (see tenant.Tx).
	MembershipLock(ctx context.Context, tenantID uuid.UUID) error
	// UserSoleOwnerOf names the tenants, not deleted, of which the user is
	// the only owner, by name.
	UserSoleOwnerOf(ctx context.Context, userID uuid.UUID) ([]string, error)
	// UserDelete deletes the user; their memberships, sessions and open
	// tokens go with them. None is apperr.ErrNotFound.
	UserDelete(ctx context.Context, id uuid.UUID) error
	// UserGetForUpdate reads the user and holds its row until the
	// transaction ends, so that a change checked against its version
	// (If-Match) cannot interleave with another.
	UserGetForUpdate(ctx context.Context, id uuid.UUID) (User, error)
}

// UserSession is a logged-in browser session, as the profile lists it.
// The session itself lives in the session store under TokenHash.
type UserSession struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	TokenHash string
	UserAgent string
	IP        string
	// Method is how the session signed in: "password", "password+totp",
	// "password+recovery_code", "sso", "passkey", … ("" for sessions
	// older than the record of it).
	Method     string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// DB is the account service's handle on the store:
// store.Narrow[account.Tx]{st} is one.
type DB interface {
	Store
	InTx(ctx context.Context, fn func(Tx) error) error
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
