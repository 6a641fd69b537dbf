// Package tenant holds the Tenant type and the store contract for it.
//
// A tenant is one customer organisation; every tenant-owned row in Ordo
// carries its id. Rules about who may do what within a tenant live in the
// account package.
package tenant

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
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

// Tenant is one customer organisation.
type Tenant struct {
	ID        uuid.UUID
	Name      string
	Slug      string
	Plan      Plan
	Status    Status
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Store is what the tenant domain needs from persistence.
type Store interface {
	// TenantCreate inserts t; a taken slug is apperr.ErrConflict.
	TenantCreate(ctx context.Context, t Tenant) error
	TenantGetByID(ctx context.Context, id uuid.UUID) (Tenant, error)
	TenantGetBySlug(ctx context.Context, slug string) (Tenant, error)
	// TenantUpdate saves name, slug, plan and status.
	TenantUpdate(ctx context.Context, t Tenant) error
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
