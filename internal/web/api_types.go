package web

import (
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/tenant"
)

// JSON shapes of the API. Field names are snake_case; times are RFC 3339.

type userJSON struct {
	ID              uuid.UUID  `json:"id"`
	Email           string     `json:"email"`
	Name            string     `json:"name"`
	EmailVerifiedAt *time.Time `json:"email_verified_at"`
	CreatedAt       time.Time  `json:"created_at"`
}

func toUserJSON(u account.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, EmailVerifiedAt: u.EmailVerifiedAt, CreatedAt: u.CreatedAt}
}

type tenantJSON struct {
	ID        uuid.UUID   `json:"id"`
	Name      string      `json:"name"`
	Slug      string      `json:"slug"`
	Plan      string      `json:"plan"`
	Role      access.Role `json:"role,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	// DefaultTaxRateBP is the tax rate new item rows of the order form
	// start with, in basis points (2000 is 20 %).
	DefaultTaxRateBP int64  `json:"default_tax_rate_bp" minimum:"0" maximum:"10000"`
	Status           string `json:"status" enum:"active,suspended,deleted" description:"active; suspended by the operator; or deleted (scheduled for purging, see purge_after)."`
	// PurgeAfter is when a deleted tenant's data is purged for good.
	RequireTwoFactor bool       `json:"require_two_factor" description:"Members act in the tenant only in sessions signed in with a second factor (PUT /api/v1/tenant/security)."`
	PurgeAfter       *time.Time `json:"purge_after,omitempty" description:"For a deleted tenant: when its data and files are purged for good. Until then an owner can cancel the deletion (DELETE /api/v1/tenant/deletion)."`
}

func toTenantJSON(t tenant.Tenant, role access.Role) tenantJSON {
	return tenantJSON{ID: t.ID, Name: t.Name, Slug: t.Slug, Plan: string(t.Plan), Role: role, CreatedAt: t.CreatedAt, DefaultTaxRateBP: t.DefaultTaxRateBP,
		Status: string(t.Status), PurgeAfter: t.PurgeAfter, RequireTwoFactor: t.RequireTwoFactor}
}

type memberJSON struct {
	User     userJSON    `json:"user"`
	Role     access.Role `json:"role"`
	JoinedAt time.Time   `json:"joined_at"`
	// ETag is what a role change's ETag header would be; there is no GET
	// of one member.
	ETag string `json:"etag" description:"The membership's version: send it as If-Match when changing the role."`
}

type invitationJSON struct {
	ID        uuid.UUID                `json:"id"`
	Email     string                   `json:"email"`
	Role      access.Role              `json:"role"`
	Status    account.InvitationStatus `json:"status"`
	ExpiresAt time.Time                `json:"expires_at"`
	CreatedAt time.Time                `json:"created_at"`
}

func toInvitationJSON(i account.Invitation, now time.Time) invitationJSON {
	return invitationJSON{ID: i.ID, Email: i.Email, Role: i.Role, Status: i.Status(now), ExpiresAt: i.ExpiresAt, CreatedAt: i.CreatedAt}
}

type apiKeyJSON struct {
	ID         uuid.UUID   `json:"id"`
	Name       string      `json:"name"`
	Prefix     string      `json:"prefix"`
	Role       access.Role `json:"role"`
	LastUsedAt *time.Time  `json:"last_used_at"`
	ExpiresAt  *time.Time  `json:"expires_at"`
	RevokedAt  *time.Time  `json:"revoked_at"`
	CreatedAt  time.Time   `json:"created_at"`
	// CreatedBy is the member the key acts for (it stops working when they
	// leave, and never has more than their current role); null for a key
	// an operator made at the command line.
	CreatedBy *apiKeyCreatorJSON `json:"created_by"`
	// Key is the full secret key, present only in the creation response.
	Key string `json:"key,omitempty"`
}

type apiKeyCreatorJSON struct {
	ID    uuid.UUID `json:"id"`
	Name  string    `json:"name"`
	Email string    `json:"email"`
	// Member is false once the creator has left the tenant.
	Member bool `json:"member"`
}

// holdsSecret makes the creation response, which holds the key, one that
// is never stored for an idempotent replay.
func (k apiKeyJSON) holdsSecret() bool { return k.Key != "" }

func toAPIKeyJSON(k account.APIKey) apiKeyJSON {
	out := apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Role: k.Role, LastUsedAt: k.LastUsedAt, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt, CreatedAt: k.CreatedAt}
	if k.CreatedBy != nil {
		out.CreatedBy = &apiKeyCreatorJSON{ID: *k.CreatedBy}
	}
	return out
}

func toAPIKeyInfoJSON(k auth.APIKeyInfo) apiKeyJSON {
	out := toAPIKeyJSON(k.APIKey)
	if out.CreatedBy != nil {
		out.CreatedBy.Member = k.CreatorIsMember
		if k.Creator != nil {
			out.CreatedBy.Name, out.CreatedBy.Email = k.Creator.Name, k.Creator.Email
		}
	}
	return out
}

type auditJSON struct {
	ID         uuid.UUID  `json:"id"`
	Action     string     `json:"action"`
	EntityType string     `json:"entity_type"`
	EntityID   string     `json:"entity_id"`
	ActorType  string     `json:"actor_type"`
	ActorID    *uuid.UUID `json:"actor_id"`
	ActorName  string     `json:"actor_name"`
	ActorEmail string     `json:"actor_email"`
	IP         string     `json:"ip"`
	UserAgent  string     `json:"user_agent"`
	RequestID  string     `json:"request_id"`
	Metadata   any        `json:"metadata"`
	CreatedAt  time.Time  `json:"created_at"`
}

func toAuditJSON(e audit.Entry) auditJSON {
	var meta any = map[string]any{}
	if len(e.Metadata) > 0 {
		meta = e.Metadata
	}
	return auditJSON{ID: e.ID, Action: e.Action, EntityType: e.EntityType, EntityID: e.EntityID, ActorType: e.ActorType, ActorID: e.ActorID,
		ActorName: e.ActorName, ActorEmail: e.ActorEmail, IP: e.IP, UserAgent: e.UserAgent, RequestID: e.RequestID, Metadata: meta, CreatedAt: e.CreatedAt}
}

// listJSON wraps a list: {"data": [...]}, with next_cursor and
// prev_cursor when paged.
type listJSON struct {
	Data       any    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty"`
	PrevCursor string `json:"prev_cursor,omitempty"`
}

// brandingInput is brandingJSON as the body of PUT /api/v1/tenant/branding:
// the same fields and limits, but a schema of its own in the OpenAPI
// document, where no field is required (the response's are) and
// has_logo is ignored.
type brandingInput brandingJSON
