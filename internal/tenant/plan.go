package tenant

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/plan"
)

// PlanAdmin is what an operator's change of plans and limits writes,
// inside the tenant service's transaction.
type PlanAdmin interface {
	PlanLimitSet(ctx context.Context, p string, name plan.Limit, value *int64, now time.Time) error
	TenantLimitSet(ctx context.Context, tenantID uuid.UUID, name plan.Limit, value *int64, now time.Time) error
}

// Usage reports the tenant's usage against its plan's limits, for its
// owners and admins.
func (s *Service) Usage(ctx context.Context, p access.Principal) (plan.Report, error) {
	if err := p.Require(access.ActTenantUpdate); err != nil {
		return plan.Report{}, err
	}
	return plan.BuildReport(ctx, s.db, p.TenantID, s.clock())
}

// SetPlan moves a tenant to another plan, for an operator, with a
// tenant.plan_changed entry in the tenant's audit log. Nothing already
// stored is touched: a lower limit only refuses what would go over it.
func (s *Service) SetPlan(ctx context.Context, tenantID uuid.UUID, p Plan) error {
	if !plan.KnownPlan(string(p)) {
		return apperr.Invalid("plan", "must be free, pro or enterprise")
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		t, err := tx.TenantGetByID(ctx, tenantID)
		if err != nil {
			return err
		}
		if t.Plan == p {
			return nil
		}
		old, now := t.Plan, s.clock()
		t.Plan, t.UpdatedAt = p, now
		if err := tx.TenantUpdate(ctx, t); err != nil {
			return err
		}
		return access.Operator(tenantID).Audit(ctx, tx, access.Meta{}, now, tenantID, "tenant.plan_changed", "tenant", tenantID.String(),
			map[string]any{"old": old, "new": p})
	})
}

// SetLimit overrides one limit of one tenant, for an operator; nil
// removes the override (the plan's value applies again), plan.Unlimited
// lifts the limit. The tenant's audit log gets tenant.limit_changed.
func (s *Service) SetLimit(ctx context.Context, tenantID uuid.UUID, name plan.Limit, value *int64) error {
	if err := checkLimit(name, value); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		o, err := tx.PlanLock(ctx, tenantID)
		if err != nil {
			return err
		}
		old, hadOld := o.Tenant[name]
		now := s.clock()
		if err := tx.TenantLimitSet(ctx, tenantID, name, value, now); err != nil {
			return err
		}
		details := map[string]any{"limit": name, "old": nil, "new": nil}
		if hadOld {
			details["old"] = old
		}
		if value != nil {
			details["new"] = *value
		}
		return access.Operator(tenantID).Audit(ctx, tx, access.Meta{}, now, tenantID, "tenant.limit_changed", "tenant", tenantID.String(), details)
	})
}

// SetPlanLimit overrides one limit of every tenant of a plan, for an
// operator; nil removes the override (the built-in value applies again).
func (s *Service) SetPlanLimit(ctx context.Context, p Plan, name plan.Limit, value *int64) error {
	if !plan.KnownPlan(string(p)) {
		return apperr.Invalid("plan", "must be free, pro or enterprise")
	}
	if err := checkLimit(name, value); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		return tx.PlanLimitSet(ctx, string(p), name, value, s.clock())
	})
}

func checkLimit(name plan.Limit, value *int64) error {
	if !plan.Known(name) {
		return apperr.Invalid("name", fmt.Sprintf("must be one of %v", plan.Names))
	}
	if value != nil && *value < plan.Unlimited {
		return apperr.Invalid("value", "must be a number of at least 0, or -1 (unlimited)")
	}
	return nil
}
