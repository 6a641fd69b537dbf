package tenant

import (
	"context"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/version"
)

// SetRequireTwoFactor makes the tenant require, or stop requiring, that
// its members sign in with a second factor (owners only). API keys are
// not sessions and are not affected.
//
// An owner turns it on from a session that signed in with a second
// factor (or by key): otherwise the change would lock them out of the
// tenant in the same moment.
func (s *Service) SetRequireTwoFactor(ctx context.Context, p access.Principal, on bool, m access.Meta) (Tenant, error) {
	if err := p.Require(access.ActTenantSecurity); err != nil {
		return Tenant{}, err
	}
	if on && !p.IsAPIKey() && !account.StrongMethod(p.Method) {
		return Tenant{}, apperr.Conflict("turn on two-factor authentication for yourself first, and sign in with it: requiring it now would lock you out of this tenant")
	}
	var t Tenant
	err := s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.MembershipLock(ctx, p.TenantID); err != nil {
			return err
		}
		var err error
		if t, err = tx.TenantGetByID(ctx, p.TenantID); err != nil {
			return err
		}
		if t.RequireTwoFactor == on {
			return nil
		}
		t.RequireTwoFactor = on
		t.UpdatedAt = version.Next(s.clock(), t.Version())
		if err := tx.TenantUpdate(ctx, t); err != nil {
			return err
		}
		return p.Audit(ctx, tx, m, t.UpdatedAt, t.ID, "tenant.two_factor_required", "tenant", t.ID.String(), map[string]any{"required": on})
	})
	if err == nil {
		// Every process must apply the change at the members' next request.
		s.auth.ForgetTenant(ctx, t.ID)
	}
	return t, err
}
