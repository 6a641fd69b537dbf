// Package sso is single sign-on with OpenID Connect: the providers (one
// platform-wide, from the environment, and one per tenant, set by its
// owners), the authorization-code flow with PKCE, state and nonce, the
// verification of the ID token (issuer, audience, expiry, signature by
// the provider's JWKS, with rotated keys fetched again), and the
// resolution of a verified identity to a user: an identity linked
// before, a user with the same verified address (linked now), or a new
// user, added to the tenant just in time when its provider allows it.
// It also answers whether a user may still sign in with a password
// (auth.PasswordPolicy) once a tenant of theirs requires SSO.
//
// It knows nothing about HTTP requests or cookies: package web keeps a
// Flow in the visitor's session between Begin and Finish.
package sso

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/tenant"
)

// TenantConfig is a tenant's own identity provider, as its owners set it.
type TenantConfig struct {
	TenantID uuid.UUID
	Issuer   string
	ClientID string
	// ClientSecret is sealed (jobs.Sealer.SealText) in the store and
	// never returned by the API; "" for a public client.
	ClientSecret string
	// Domains are the lower-case e-mail domains whose addresses the
	// provider may sign in; at least one.
	Domains []string
	// JIT adds a user of an allowed domain who is not a member yet to
	// the tenant, with DefaultRole, at their first sign-in.
	JIT         bool
	DefaultRole access.Role
	// Required refuses password sign-in to the tenant's members who are
	// not its owners (the owners keep theirs, as a way in when the
	// provider is down or misconfigured).
	Required  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AllowsDomain reports whether email's domain is one of c's.
func (c TenantConfig) AllowsDomain(email string) bool {
	_, domain, ok := strings.Cut(email, "@")
	return ok && slices.Contains(c.Domains, strings.ToLower(domain))
}

// Identity links an account at a provider (its issuer and subject, which
// the provider never reuses) to a user.
type Identity struct {
	ID      uuid.UUID
	Issuer  string
	Subject string
	UserID  uuid.UUID
	// Email is the address the provider gave when the link was made, for
	// the audit log and support.
	Email     string
	CreatedAt time.Time
}

// Store is what single sign-on reads outside a transaction.
type Store interface {
	// SSOConfigGet returns the tenant's provider; none is
	// apperr.ErrNotFound.
	SSOConfigGet(ctx context.Context, tenantID uuid.UUID) (TenantConfig, error)
	// SSOIdentityGet finds the identity of issuer and subject; none is
	// apperr.ErrNotFound.
	SSOIdentityGet(ctx context.Context, issuer, subject string) (Identity, error)
	// SSORequiredTenants names the tenants, not deleted, that require
	// SSO and of which the user is a member but not an owner, by name.
	SSORequiredTenants(ctx context.Context, userID uuid.UUID) ([]string, error)

	TenantGetByID(ctx context.Context, id uuid.UUID) (tenant.Tenant, error)
	TenantGetBySlug(ctx context.Context, slug string) (tenant.Tenant, error)
	UserGetByID(ctx context.Context, id uuid.UUID) (account.User, error)
	UserGetByEmail(ctx context.Context, email string) (account.User, error)
	MembershipGet(ctx context.Context, tenantID, userID uuid.UUID) (account.Membership, error)
	MembershipListByUser(ctx context.Context, userID uuid.UUID) ([]account.Membership, error)
	// MembershipRemovedAt is when the user's membership of the tenant was
	// last deleted; apperr.ErrNotFound if it never was.
	MembershipRemovedAt(ctx context.Context, tenantID, userID uuid.UUID) (time.Time, error)
}

// Tx is what single sign-on writes inside one transaction.
type Tx interface {
	Store
	audit.Writer
	// SSOConfigSave inserts or replaces the tenant's provider.
	SSOConfigSave(ctx context.Context, c TenantConfig) error
	// SSOConfigDelete removes the tenant's provider; none is
	// apperr.ErrNotFound.
	SSOConfigDelete(ctx context.Context, tenantID uuid.UUID) error
	// SSOIdentityCreate inserts id; a taken issuer and subject is
	// apperr.ErrConflict.
	SSOIdentityCreate(ctx context.Context, id Identity) error
	UserCreate(ctx context.Context, u account.User) error
	// UserUpdate saves e-mail, name, password hash, verification time and
	// updated_at.
	UserUpdate(ctx context.Context, u account.User) error
	MembershipCreate(ctx context.Context, m account.Membership) error
}

// DB is the service's handle on the store: store.Narrow[sso.Tx]{st} is
// one.
type DB interface {
	Store
	InTx(ctx context.Context, fn func(Tx) error) error
}

// Refusals of a sign-in, with what the person can do about it.
var (
	// ErrEmailUnverified: an address the provider does not vouch for is
	// never linked to an account nor given one.
	ErrEmailUnverified = apperr.Forbidden("your identity provider did not confirm your e-mail address, so it cannot be used to sign in here; confirm the address with your provider and try again")
	// ErrNoEmail: the provider sent no address (the email scope was not
	// granted).
	ErrNoEmail = apperr.Forbidden("your identity provider did not share your e-mail address; allow it to and try again")
	// ErrDomainNotAllowed: the tenant's provider signs in only addresses
	// of its allowed domains.
	ErrDomainNotAllowed = apperr.Forbidden("your e-mail address is not in a domain this workspace allows to sign in with single sign-on")
	// ErrNotMember: the tenant's provider signs in only its members, and
	// new people only with just-in-time provisioning on.
	ErrNotMember = apperr.Forbidden("you are not a member of this workspace; ask one of its owners to invite you")
	// ErrRemoved: someone an owner removed is not added back by a
	// sign-in, only by a new invitation.
	ErrRemoved = apperr.Forbidden("you were removed from this workspace; ask one of its owners to invite you again")
	// ErrExistingAccount: an account made elsewhere is linked to a
	// tenant's provider only if its user is a member of the tenant.
	ErrExistingAccount = apperr.Forbidden("an account with this e-mail address exists already and is not a member of this workspace; sign in with your password and ask an owner to invite you")
	// ErrFlow: the sign-in was not the one this browser started, was
	// used already or took too long, or the provider's answer did not
	// verify.
	ErrFlow = &apperr.Error{Kind: apperr.KindUnauthorized, Msg: "the single sign-on could not be completed; start again from the sign-in page"}
	// ErrNoProvider: nothing is set up to sign in with.
	ErrNoProvider = apperr.NotFound("single sign-on")
)

// RequiredError refuses a password to a member of tenants that require
// single sign-on: a 403 whose problem type is sso-required.
type RequiredError struct {
	// Tenants name the tenants that require it.
	Tenants []string
	err     error
}

func requiredError(tenants []string) *RequiredError {
	return &RequiredError{Tenants: tenants, err: apperr.Forbidden("%s requires single sign-on: use Sign in with SSO on the sign-in page instead of a password",
		strings.Join(tenants, ", "))}
}

func (e *RequiredError) Error() string { return e.err.Error() }

// Unwrap makes it a 403 with its message.
func (e *RequiredError) Unwrap() error { return e.err }
