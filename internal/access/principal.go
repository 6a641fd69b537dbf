package access

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
)

// Principal is who is making a request: a logged-in user acting in their
// current tenant, or an API key of a tenant.
type Principal struct {
	UserID uuid.UUID // zero for API keys
	Email  string
	Name   string

	APIKeyID   uuid.UUID // zero for users
	APIKeyName string
	// APIKeyCreatedBy is the member an API key acts for: it works only
	// while they are a member, and never with more than their current
	// role. Zero for users and for keys an operator made at the command
	// line, which keep their own role.
	APIKeyCreatedBy uuid.UUID

	// TenantID is zero for a user who belongs to no tenant (any more).
	TenantID uuid.UUID
	Role     Role
	// RemovedFrom is the tenant the session names when the user has been
	// removed from it (TenantID is then zero): requests for it answer 403
	// "no longer a member", not the 404 of a tenant they never belonged to.
	RemovedFrom uuid.UUID
	// SuspendedTenant is the tenant the session or key names when an
	// operator has suspended it (TenantID is then zero): its routes answer
	// 403 "tenant suspended" until it is resumed.
	SuspendedTenant uuid.UUID
	// DeletedTenant is the tenant the session or key names when it is
	// scheduled for deletion (TenantID is then zero): its routes answer
	// 403 "tenant deleted", and DeletedRole, the member's role there,
	// lets an owner cancel the deletion until the tenant is purged.
	DeletedTenant uuid.UUID
	DeletedRole   Role
	// TwoFactorTenant is the tenant the session names when the tenant
	// requires two-factor sign-in and the session signed in without a
	// second factor (TenantID is then zero): its routes answer 403
	// "two-factor required" until the user signs in with one.
	TwoFactorTenant uuid.UUID
	// ScopedTo is the tenant whose own identity provider signed the
	// session in (single sign-on with a tenant's provider): that tenant's
	// owners run the provider, so the session acts in that tenant only
	// and cannot change how the account signs in. Zero otherwise.
	ScopedTo uuid.UUID
	// Method is how a user's session signed in ("password",
	// "password+totp", …; account.StrongMethod); "" for keys.
	Method string

	// Operator marks the operator of this Ordo service acting on a tenant
	// (OperatorIn): its audit entries also go to the platform audit log.
	Operator bool
}

// IsAPIKey reports whether the principal is an API key.
func (p Principal) IsAPIKey() bool { return p.APIKeyID != uuid.Nil }

// InTenant reports whether the principal acts within a tenant.
func (p Principal) InTenant() bool { return p.TenantID != uuid.Nil }

// Can asks the permission table whether the principal may act.
func (p Principal) Can(a Action) bool {
	return p.InTenant() && Can(p.Role, a)
}

// Require is the permission check every tenant service starts with: not
// found outside a tenant (another tenant's ids must look absent), forbidden
// when the role may not perform a or the user was removed from the tenant.
func (p Principal) Require(a Action) error {
	if !p.InTenant() {
		return p.NoTenant()
	}
	if !p.Can(a) {
		return apperr.Forbidden("your role (%s) may not %s", apperr.Word(p.Role), apperr.Word(a))
	}
	return nil
}

// ErrNoLongerMember is the answer to a user removed from the tenant they
// ask for.
var ErrNoLongerMember = apperr.Forbidden("you are no longer a member of this tenant; ask one of its owners to invite you again, or switch to another tenant")

// ErrTenantSuspended is the answer to the members and keys of a tenant an
// operator has suspended, on every route of the tenant. Nothing of the
// tenant is lost: resuming it restores access as it was.
var ErrTenantSuspended = apperr.Forbidden("this tenant is suspended: its members and API keys cannot use it until the operator of this Ordo service resumes it; nothing has been deleted. Contact the operator")

// ErrTenantDeleted is the answer to the members and keys of a tenant
// scheduled for deletion, on every route of the tenant but the one that
// cancels it.
var ErrTenantDeleted = apperr.Forbidden("this tenant is scheduled for deletion: its members and API keys cannot use it, and its data is purged for good when the grace period ends. Until then an owner can cancel the deletion")

// ErrTwoFactorRequired answers a member whose tenant requires two-factor
// sign-in and whose session did not give a second factor.
var ErrTwoFactorRequired = apperr.Forbidden("this tenant requires two-factor sign-in: turn on two-factor authentication on your account page, or sign in again with your code, to use it")

// ErrScopedSession refuses a change to how an account signs in from a
// session that a tenant's identity provider signed in.
var ErrScopedSession = apperr.Forbidden("this session signed in through a tenant's single sign-on, which can only act in that tenant: sign in with your password or a passkey to change how your account signs in")

// NoTenant is the error for a principal outside any tenant: 403 for one
// whose tenant is suspended or being deleted, who was removed from the
// tenant their session names, or whose session lacks the second factor
// the tenant requires; else 404.
func (p Principal) NoTenant() error {
	if p.SuspendedTenant != uuid.Nil {
		return ErrTenantSuspended
	}
	if p.DeletedTenant != uuid.Nil {
		return ErrTenantDeleted
	}
	if p.RemovedFrom != uuid.Nil {
		return ErrNoLongerMember
	}
	if p.TwoFactorTenant != uuid.Nil {
		return ErrTwoFactorRequired
	}
	return apperr.NotFound("tenant")
}

// ActorID is the id recorded in the audit log: the user's or the key's.
func (p Principal) ActorID() *uuid.UUID {
	id := p.UserID
	if p.IsAPIKey() {
		id = p.APIKeyID
	}
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// ActorType is "user", "api_key", or "system" for the operator.
func (p Principal) ActorType() string {
	switch {
	case p.IsAPIKey():
		return "api_key"
	case p.Operator && p.UserID != uuid.Nil:
		return "operator"
	case p.UserID != uuid.Nil:
		return "user"
	}
	return "system"
}

// ActorName is the name recorded in the audit log.
func (p Principal) ActorName() string {
	if p.IsAPIKey() {
		return "API key " + p.APIKeyName
	}
	return p.Name
}

// Meta is where a request came from, for the audit log.
type Meta struct {
	IP        string
	UserAgent string
	RequestID string
}

// AuditEntry builds the audit entry of an action by p in tenantID.
// details (old and new values, a snapshot) must marshal to a JSON object.
func (p Principal) AuditEntry(m Meta, now time.Time, tenantID uuid.UUID, action, entityType, entityID string, details any) (audit.Entry, error) {
	var meta json.RawMessage
	if details != nil {
		b, err := json.Marshal(details)
		if err != nil {
			return audit.Entry{}, fmt.Errorf("audit metadata: %w", err)
		}
		meta = b
	}
	return audit.Entry{
		ID: uuid.Must(uuid.NewV7()), TenantID: tenantID, ActorType: p.ActorType(), ActorID: p.ActorID(), ActorName: p.ActorName(), ActorEmail: p.Email,
		Action: action, EntityType: entityType, EntityID: entityID, IP: m.IP, UserAgent: m.UserAgent, RequestID: m.RequestID,
		Metadata: meta, CreatedAt: now,
	}, nil
}

// Audit records, inside the transaction w writes to, the entry of an
// action by p in tenantID (AuditEntry); a nil details leaves the entry
// without metadata.
func (p Principal) Audit(ctx context.Context, w audit.Writer, m Meta, now time.Time, tenantID uuid.UUID, action, entityType, entityID string, details map[string]any) error {
	var d any
	if details != nil {
		d = details
	}
	e, err := p.AuditEntry(m, now, tenantID, action, entityType, entityID, d)
	if err != nil {
		return err
	}
	if p.Operator {
		// The tenant's log shows what the operator did to it; the
		// platform's log has every operator action, in one place.
		if err := w.PlatformAuditInsert(ctx, e); err != nil {
			return err
		}
	}
	return w.AuditInsert(ctx, e)
}

// Operator is the operator at the command line, acting as an owner of
// tenantID. Audit entries show it as "operator (CLI)".
func Operator(tenantID uuid.UUID) Principal {
	return Principal{TenantID: tenantID, Role: RoleOwner, Name: "operator (CLI)", Operator: true}
}

// OperatorIn is a user made operator (ordo operators add), acting in the
// operator console as an owner of tenantID. Audit entries show them as
// "operator NAME", with actor type "operator".
func OperatorIn(tenantID, userID uuid.UUID, email, name string) Principal {
	if name == "" {
		name = email
	}
	return Principal{TenantID: tenantID, Role: RoleOwner, UserID: userID, Email: email, Name: "operator " + name, Operator: true}
}
