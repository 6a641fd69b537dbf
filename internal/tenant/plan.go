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

// requireOperator refuses anyone but the operator (access.Operator,
// access.OperatorIn) acting on a tenant.
func requireOperator(op access.Principal) error {
	if !op.Operator || op.TenantID == uuid.Nil {
		return apperr.Forbidden("only the operator of this Ordo service may do this")
	}
	return nil
}

// SetPlan moves op's tenant to another plan, for the operator, with an
// entry in the tenant's audit log and the platform's.
func (s *Service) SetPlan(ctx context.Context, op access.Principal, p Plan, m access.Meta) error {
	if err := requireOperator(op); err != nil {
		return err
	}
	tenantID := op.TenantID
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
		return op.Audit(ctx, tx, m, now, tenantID, "tenant.plan_changed", "tenant", tenantID.String(),
			map[string]any{"tenant": t.Slug, "old": old, "new": p})
	})
}

// SetLimit overrides one limit of op's tenant (value nil drops the
// override, back to its plan's), for the operator, with an entry in the
// tenant's audit log and the platform's. plan.Unlimited lifts the limit.
func (s *Service) SetLimit(ctx context.Context, op access.Principal, name plan.Name, value *int64, m access.Meta) error {
	if err := requireOperator(op); err != nil {
		return err
	}
	tenantID := op.TenantID
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
		t, err := tx.TenantGetByID(ctx, tenantID)
		if err != nil {
			return err
		}
		return op.Audit(ctx, tx, m, s.clock(), tenantID, "tenant.limit_changed", "tenant", tenantID.String(),
			map[string]any{"tenant": t.Slug, "limit": name, "value": value})
	})
}
