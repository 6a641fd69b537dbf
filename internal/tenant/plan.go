package tenant

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/version"
)

// SetPlan moves a tenant to another plan, for the operator, with an entry
// in the tenant's audit log.
func (s *Service) SetPlan(ctx context.Context, tenantID uuid.UUID, p Plan) error {
	if !slices.Contains(plan.Plans, string(p)) {
		return apperr.Invalid("plan", "must be free, pro or enterprise")
	}
	defer s.limits.Forget(tenantID)
	return s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.MembershipLock(ctx, tenantID); err != nil {
			return err
		}
		t, err := tx.TenantGetByID(ctx, tenantID)
		if err != nil || t.Plan == p {
			return err
		}
		old, now := t.Plan, version.Next(s.clock(), t.Version())
		t.Plan, t.UpdatedAt = p, now
		if err := tx.TenantUpdate(ctx, t); err != nil {
			return err
		}
		return access.Operator(tenantID).Audit(ctx, tx, access.Meta{UserAgent: "ordo cli"}, now, tenantID, "tenant.plan_changed", "tenant", tenantID.String(),
			map[string]any{"old": old, "new": p})
	})
}

// SetLimit overrides one limit of a tenant (value nil drops the override,
// back to its plan's), for the operator, with an entry in the tenant's
// audit log. plan.Unlimited lifts the limit.
func (s *Service) SetLimit(ctx context.Context, tenantID uuid.UUID, name plan.Name, value *int64) error {
	if !name.Valid() {
		return apperr.Invalid("name", "must be members, orders_per_month or webhook_endpoints")
	}
	if value != nil && *value < plan.Unlimited {
		return apperr.Invalid("value", "must be -1 (unlimited) or more")
	}
	defer s.limits.Forget(tenantID)
	return s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.MembershipLock(ctx, tenantID); err != nil {
			return err
		}
		var err error
		if value == nil {
			err = tx.TenantLimitDelete(ctx, tenantID, name)
		} else {
			err = tx.TenantLimitSet(ctx, tenantID, name, *value)
		}
		if err != nil {
			return err
		}
		return access.Operator(tenantID).Audit(ctx, tx, access.Meta{UserAgent: "ordo cli"}, s.clock(), tenantID, "tenant.limit_changed", "tenant", tenantID.String(),
			map[string]any{"limit": name, "value": value})
	})
}
