package auth

import (
	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
)

// Principal is who is making a request: a logged-in user acting in their
// current tenant, or an API key of a tenant.
type Principal struct {
	UserID uuid.UUID // zero for API keys
	Email  string
	Name   string

	APIKeyID   uuid.UUID // zero for users
	APIKeyName string

	// TenantID is zero for a user who belongs to no tenant (any more).
	TenantID uuid.UUID
	Role     account.Role
}

// IsAPIKey reports whether the principal is an API key.
func (p Principal) IsAPIKey() bool { return p.APIKeyID != uuid.Nil }

// InTenant reports whether the principal acts within a tenant.
func (p Principal) InTenant() bool { return p.TenantID != uuid.Nil }

// Can asks the permission table whether the principal may act.
func (p Principal) Can(a account.Action) bool {
	return p.InTenant() && account.Can(p.Role, a)
}

// actorID is the id recorded in the audit log.
func (p Principal) actorID() *uuid.UUID {
	id := p.UserID
	if p.IsAPIKey() {
		id = p.APIKeyID
	}
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// actorName is the name recorded in the audit log.
func (p Principal) actorName() string {
	if p.IsAPIKey() {
		return "API key " + p.APIKeyName
	}
	return p.Name
}

// Meta is where a request came from, for the audit log.
type Meta struct {
	IP        string
	UserAgent string
}
