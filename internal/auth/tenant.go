package auth

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/tenant"
)

// TenantRole is a tenant with the user's role in it.
type TenantRole struct {
	Tenant tenant.Tenant
	Role   access.Role
}

// ListTenants lists the tenants the user belongs to.
func (s *Service) ListTenants(ctx context.Context, userID uuid.UUID) ([]TenantRole, error) {
	ms, err := s.store.MembershipListByUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]TenantRole, 0, len(ms))
	for _, m := range ms {
		t, err := s.store.TenantGetByID(ctx, m.TenantID)
		if err != nil {
			return nil, err
		}
		out = append(out, TenantRole{Tenant: t, Role: m.Role})
	}
	return out, nil
}

// CreateTenant makes a new tenant owned by the user.
func (s *Service) CreateTenant(ctx context.Context, p access.Principal, name string, m access.Meta) (tenant.Tenant, error) {
	if p.UserID == uuid.Nil {
		return tenant.Tenant{}, apperr.Forbidden("only users can create tenants")
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return tenant.Tenant{}, apperr.Invalid("name", "must be 1 to 200 characters")
	}
	var t tenant.Tenant
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		u, err := tx.UserGetByID(ctx, p.UserID)
		if err != nil {
			return err
		}
		t, err = s.createTenant(ctx, tx, s.clock(), u, name, m)
		return err
	})
	if err == nil {
		s.forget(ctx, memberCacheKey(t.ID, p.UserID))
	}
	return t, err
}

// CurrentTenant returns the principal's tenant.
func (s *Service) CurrentTenant(ctx context.Context, p access.Principal) (tenant.Tenant, error) {
	if err := p.Require(access.ActTenantRead); err != nil {
		return tenant.Tenant{}, err
	}
	return s.store.TenantGetByID(ctx, p.TenantID)
}

// RenameTenant changes the current tenant's name.
func (s *Service) RenameTenant(ctx context.Context, p access.Principal, name string, m access.Meta) (tenant.Tenant, error) {
	if err := p.Require(access.ActTenantUpdate); err != nil {
		return tenant.Tenant{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return tenant.Tenant{}, apperr.Invalid("name", "must be 1 to 200 characters")
	}
	var t tenant.Tenant
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if t, err = tx.TenantGetByID(ctx, p.TenantID); err != nil {
			return err
		}
		old := t.Name
		now := s.clock()
		t.Name, t.UpdatedAt = name, now
		if err := tx.TenantUpdate(ctx, t); err != nil {
			return err
		}
		return writeAudit(ctx, tx, now, t.ID, p, m, "tenant.renamed", "tenant", t.ID.String(), map[string]any{"old": old, "new": name})
	})
	return t, err
}

// Member is a membership with its user.
type Member struct {
	User       account.User
	Membership account.Membership
}

// ListMembers lists the current tenant's members.
func (s *Service) ListMembers(ctx context.Context, p access.Principal) ([]Member, error) {
	if err := p.Require(access.ActMemberRead); err != nil {
		return nil, err
	}
	ms, err := s.store.MembershipListByTenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, len(ms))
	for i, m := range ms {
		ids[i] = m.UserID
	}
	users, err := s.store.UserListByIDs(ctx, ids) // one query, not one per member
	if err != nil {
		return nil, err
	}
	byID := make(map[uuid.UUID]account.User, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	out := make([]Member, 0, len(ms))
	for _, m := range ms {
		if u, ok := byID[m.UserID]; ok {
			out = append(out, Member{User: u, Membership: m})
		}
	}
	return out, nil
}

// ChangeRole sets a member's role. Only owners make or unmake owners, and
// the last owner cannot be demoted.
func (s *Service) ChangeRole(ctx context.Context, p access.Principal, userID uuid.UUID, role access.Role, m access.Meta) error {
	if err := p.Require(access.ActMemberManage); err != nil {
		return err
	}
	if !role.Valid() {
		return apperr.Invalid("role", "must be owner, admin, member or viewer")
	}
	defer s.forget(ctx, memberCacheKey(p.TenantID, userID))
	return s.store.InTx(ctx, func(tx store.Tx) error {
		// Two owners demoting each other at once must not both pass the
		// last-owner check.
		if err := tx.MembershipLock(ctx, p.TenantID); err != nil {
			return err
		}
		cur, err := tx.MembershipGet(ctx, p.TenantID, userID)
		if err != nil {
			return err
		}
		if cur.Role == role {
			return nil
		}
		if (cur.Role == access.RoleOwner || role == access.RoleOwner) && !p.Can(access.ActOwnerManage) {
			return apperr.Forbidden("only owners may make or unmake owners")
		}
		if cur.Role == access.RoleOwner {
			if err := lastOwnerCheck(ctx, tx, p.TenantID, "demoted"); err != nil {
				return err
			}
		}
		now := s.clock()
		if err := tx.MembershipUpdateRole(ctx, p.TenantID, userID, role, now); err != nil {
			return err
		}
		return writeAudit(ctx, tx, now, p.TenantID, p, m, "member.role_changed", "membership", userID.String(), map[string]any{"old": cur.Role, "new": role})
	})
}

// lastOwnerCheck refuses to take away the tenant's last owner; the
// transaction must hold MembershipLock, or the count may be stale.
func lastOwnerCheck(ctx context.Context, tx store.Tx, tenantID uuid.UUID, what string) error {
	n, err := tx.MembershipCountByRole(ctx, tenantID, access.RoleOwner)
	if err != nil {
		return err
	}
	if n <= 1 {
		return apperr.Conflict("the last owner cannot be %s; make someone else owner first", what)
	}
	return nil
}

// RemoveMember ends a member's access at once. Members may remove
// themselves (leave); the last owner can do neither.
func (s *Service) RemoveMember(ctx context.Context, p access.Principal, userID uuid.UUID, m access.Meta) error {
	self := userID == p.UserID
	action := access.ActMemberManage
	if self {
		action = access.ActTenantLeave
	}
	if err := p.Require(action); err != nil {
		return err
	}
	// The member's API keys are revoked with the membership (owners'
	// too: a key must not outlive the person answerable for it).
	var keys []string
	defer func() { s.forget(ctx, append(keys, memberCacheKey(p.TenantID, userID))...) }()
	return s.store.InTx(ctx, func(tx store.Tx) error {
		keys = nil // a retried transaction starts afresh
		// Two owners removing each other at once must not both pass the
		// last-owner check.
		if err := tx.MembershipLock(ctx, p.TenantID); err != nil {
			return err
		}
		cur, err := tx.MembershipGet(ctx, p.TenantID, userID)
		if err != nil {
			return err
		}
		if cur.Role == access.RoleOwner {
			if !self && !p.Can(access.ActOwnerManage) {
				return apperr.Forbidden("only owners may remove owners")
			}
			if err := lastOwnerCheck(ctx, tx, p.TenantID, "removed"); err != nil {
				return err
			}
		}
		if err := tx.MembershipDelete(ctx, p.TenantID, userID, s.clock()); err != nil {
			return err
		}
		act := "member.removed"
		if self {
			act = "member.left"
		}
		now := s.clock()
		if keys, err = s.revokeKeysOf(ctx, tx, now, p, m, p.TenantID, userID); err != nil {
			return err
		}
		if err := writeAudit(ctx, tx, now, p.TenantID, p, m, act, "membership", userID.String(), map[string]any{"role": cur.Role}); err != nil {
			return err
		}
		return writeEvent(ctx, tx, now, p.TenantID, event.MemberRemoved, userID.String(), map[string]any{"user_id": userID, "role": cur.Role})
	})
}

// Resolve builds the principal of a session: the user, checked against
// the session epoch, acting in tenantID if they are (still) a member. A
// stale epoch or a deleted user is apperr.ErrUnauthorized.
func (s *Service) Resolve(ctx context.Context, userID uuid.UUID, epoch int64, tenantID uuid.UUID) (access.Principal, error) {
	u, err := s.userForAuth(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) || (err == nil && u.Epoch != epoch) {
		return access.Principal{}, apperr.ErrUnauthorized
	}
	if err != nil {
		return access.Principal{}, err
	}
	p := access.Principal{UserID: u.ID, Email: u.Email, Name: u.Name}
	if tenantID == uuid.Nil {
		return p, nil
	}
	m, err := s.membershipFor(ctx, tenantID, userID)
	if err != nil {
		return access.Principal{}, err
	}
	if m.Role == "" {
		// Not (or no longer) a member: no access to the tenant. One who
		// was removed is told so; anyone else learns nothing about it.
		if m.Removed {
			p.RemovedFrom = tenantID
		}
		return p, nil
	}
	if ok, err := s.tenantActive(ctx, tenantID); err != nil {
		return access.Principal{}, err
	} else if !ok {
		return p, nil // suspended: nobody acts in it until it is reactivated
	}
	p.TenantID, p.Role = tenantID, m.Role
	return p, nil
}

// DefaultTenant picks the tenant a user lands in: their oldest membership.
func (s *Service) DefaultTenant(ctx context.Context, userID uuid.UUID) (uuid.UUID, error) {
	ms, err := s.store.MembershipListByUser(ctx, userID)
	if err != nil || len(ms) == 0 {
		return uuid.Nil, err
	}
	return ms[0].TenantID, nil
}

// SetTenantStatus suspends a tenant (or reactivates it) for an operator:
// while it is not active, its members act in no tenant and its API keys
// fail, from the next request on, and open event streams close.
func (s *Service) SetTenantStatus(ctx context.Context, tenantID uuid.UUID, status tenant.Status) error {
	switch status {
	case tenant.StatusActive, tenant.StatusSuspended:
	default:
		return apperr.Invalid("status", "must be active or suspended")
	}
	defer s.forget(ctx, tenantCacheKey(tenantID))
	return s.store.InTx(ctx, func(tx store.Tx) error {
		t, err := tx.TenantGetByID(ctx, tenantID)
		if err != nil {
			return err
		}
		if t.Status == status {
			return nil
		}
		old, now := t.Status, s.clock()
		t.Status, t.UpdatedAt = status, now
		if err := tx.TenantUpdate(ctx, t); err != nil {
			return err
		}
		return writeAudit(ctx, tx, now, tenantID, OperatorPrincipal(tenantID), access.Meta{}, "tenant.status_changed", "tenant", tenantID.String(),
			map[string]any{"old": old, "new": status})
	})
}
