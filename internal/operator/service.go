package operator

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
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/tenant"
)

// Service is the operator console's operations that are not a tenant's
// (those are tenant.Service's, called with access.OperatorIn) nor a
// user's account (account.Service's operator methods).
type Service struct {
	db  DB
	now func() time.Time
}

// NewService returns a Service on db (store.Narrow[operator.Tx]{st}).
func NewService(db DB) *Service { return &Service{db: db, now: time.Now} }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Whoami returns the operator principal of userID (access.OperatorIn,
// no tenant yet), or 404 when the user is not an operator: the console
// does not tell others it exists.
func (s *Service) Whoami(ctx context.Context, userID uuid.UUID) (access.Principal, error) {
	ok, err := s.db.OperatorIs(ctx, userID)
	if err != nil {
		return access.Principal{}, err
	}
	if !ok {
		return access.Principal{}, apperr.NotFound("page")
	}
	u, err := s.db.UserGetByID(ctx, userID)
	if err != nil {
		return access.Principal{}, err
	}
	if u.DisabledAt != nil {
		return access.Principal{}, apperr.NotFound("page")
	}
	return access.OperatorIn(uuid.Nil, u.ID, u.Email, u.Name), nil
}

// List lists the operators, by e-mail.
func (s *Service) List(ctx context.Context) ([]Operator, error) { return s.db.OperatorList(ctx) }

// Add makes the user with this e-mail an operator, recorded in the
// platform audit log as done by op.
func (s *Service) Add(ctx context.Context, op access.Principal, email string, m access.Meta) (account.User, error) {
	return s.setOperator(ctx, op, email, true, m)
}

// Remove makes the operator with this e-mail a user like any other.
func (s *Service) Remove(ctx context.Context, op access.Principal, email string, m access.Meta) (account.User, error) {
	return s.setOperator(ctx, op, email, false, m)
}

func (s *Service) setOperator(ctx context.Context, op access.Principal, email string, add bool, m access.Meta) (account.User, error) {
	if !op.Operator {
		return account.User{}, apperr.Forbidden("only the operator of this Ordo service may do this")
	}
	var u account.User
	err := s.db.InTx(ctx, func(tx Tx) error {
		var err error
		if u, err = tx.UserGetByEmail(ctx, strings.ToLower(strings.TrimSpace(email))); err != nil {
			return err
		}
		now, action := s.clock(), "operator.added"
		if add {
			err = tx.OperatorAdd(ctx, u.ID, now)
		} else {
			err, action = tx.OperatorRemove(ctx, u.ID), "operator.removed"
		}
		if err != nil {
			return err
		}
		return Audit(ctx, tx, op, m, now, action, "user", u.ID.String(), map[string]any{"email": u.Email})
	})
	return u, err
}

// Audit records an operator's action that is on no tenant (a user, a
// plan, an operator) in the platform audit log, inside tx.
func Audit(ctx context.Context, w audit.Writer, op access.Principal, m access.Meta, now time.Time, action, entityType, entityID string, details map[string]any) error {
	e, err := op.AuditEntry(m, now, uuid.Nil, action, entityType, entityID, details)
	if err != nil {
		return err
	}
	return w.PlatformAuditInsert(ctx, e)
}

// Tenants reads the page r selects of the tenants whose slug or name
// contains q, newest first.
func (s *Service) Tenants(ctx context.Context, q string, r page.Request) (page.Page[TenantOverview], error) {
	q = strings.TrimSpace(q)
	return page.Read(r, func(o TenantOverview) uuid.UUID { return o.Tenant.ID }, func(r page.Request) ([]TenantOverview, error) {
		return s.db.TenantOverviewList(ctx, q, r)
	})
}

// Tenant is one tenant's line of the console, found by id.
func (s *Service) Tenant(ctx context.Context, id uuid.UUID) (TenantOverview, error) {
	return s.db.TenantOverviewGet(ctx, id)
}

// TenantRow reads a tenant without its numbers: what an action needs.
func (s *Service) TenantRow(ctx context.Context, id uuid.UUID) (tenant.Tenant, error) {
	return s.db.TenantGetByID(ctx, id)
}

// Users reads the page r selects of the users whose e-mail or name
// contains q, newest first.
func (s *Service) Users(ctx context.Context, q string, r page.Request) (page.Page[account.User], error) {
	q = strings.TrimSpace(q)
	return page.Read(r, func(u account.User) uuid.UUID { return u.ID }, func(r page.Request) ([]account.User, error) {
		return s.db.UserSearch(ctx, q, r)
	})
}

// UserDetail is a user as the console shows them.
type UserDetail struct {
	User        account.User
	Operator    bool
	Memberships []account.Membership
	// Tenants are the tenants of Memberships, by id.
	Tenants map[uuid.UUID]tenant.Tenant
}

// User reads one user with their memberships and whether they operate.
func (s *Service) User(ctx context.Context, id uuid.UUID) (UserDetail, error) {
	u, err := s.db.UserGetByID(ctx, id)
	if err != nil {
		return UserDetail{}, err
	}
	d := UserDetail{User: u}
	if d.Operator, err = s.db.OperatorIs(ctx, id); err != nil {
		return UserDetail{}, err
	}
	if d.Memberships, err = s.db.MembershipListByUser(ctx, id); err != nil {
		return UserDetail{}, err
	}
	ids := make([]uuid.UUID, len(d.Memberships))
	for i, m := range d.Memberships {
		ids[i] = m.TenantID
	}
	ts, err := s.db.TenantListByIDs(ctx, ids)
	d.Tenants = make(map[uuid.UUID]tenant.Tenant, len(ts))
	for _, t := range ts {
		d.Tenants[t.ID] = t
	}
	return d, err
}

// AuditLog reads the page r selects of the platform audit log, newest
// first, of one tenant if tenantID is set.
func (s *Service) AuditLog(ctx context.Context, tenantID *uuid.UUID, r page.Request) (page.Page[audit.Entry], error) {
	return page.Read(r, func(e audit.Entry) uuid.UUID { return e.ID }, func(r page.Request) ([]audit.Entry, error) {
		return s.db.PlatformAuditList(ctx, tenantID, r)
	})
}

// SetPlanLimit overrides a limit of a plan for every tenant on it (value
// nil goes back to the built-in one), recorded in the platform audit log.
func (s *Service) SetPlanLimit(ctx context.Context, op access.Principal, planName string, name plan.Name, value *int64, m access.Meta) error {
	if !op.Operator {
		return apperr.Forbidden("only the operator of this Ordo service may do this")
	}
	if !slices.Contains(plan.Plans, planName) {
		return apperr.Invalid("plan", "must be free, pro or enterprise")
	}
	if !name.Valid() {
		return apperr.Invalid("name", "must be one of the plan limits")
	}
	if value != nil && *value < plan.Unlimited {
		return apperr.Invalid("value", "must be -1 (unlimited) or more")
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		var err error
		if value == nil {
			err = tx.PlanLimitDelete(ctx, planName, name)
		} else {
			err = tx.PlanLimitSet(ctx, planName, name, *value)
		}
		if err != nil {
			return err
		}
		return Audit(ctx, tx, op, m, s.clock(), "plan.limit_changed", "plan", planName, map[string]any{"limit": name, "value": value})
	})
}
