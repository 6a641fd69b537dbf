package tenant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/outbox"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/version"
)

// Auth is what the tenant service needs of package auth, which imports
// tenant and so comes in as this interface: authentication caches each
// user's standing in a tenant and each tenant's status, and owns API
// keys, which end with the membership of the member they act for.
type Auth interface {
	// ForgetMember drops the cached membership of userID in tenantID;
	// ForgetTenant the tenant's cached status; ForgetAPIKeys the keys
	// with these prefixes. Each is called after the change committed.
	ForgetMember(ctx context.Context, tenantID, userID uuid.UUID)
	ForgetTenant(ctx context.Context, tenantID uuid.UUID)
	ForgetAPIKeys(ctx context.Context, prefixes ...string)
	// RevokeKeysOf revokes, inside tx, every active key of the tenant
	// that acts for userID (who is leaving it), each with its audit entry
	// by p, and returns their prefixes to forget once tx commits.
	RevokeKeysOf(ctx context.Context, tx Tx, now time.Time, p access.Principal, m access.Meta, tenantID, userID uuid.UUID) ([]string, error)
}

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 7 * 24 * time.Hour

// Service implements the tenant operations.
type Service struct {
	db      DB
	auth    Auth
	hasher  *account.Hasher
	sealer  *jobs.Sealer
	log     *slog.Logger
	baseURL string
	now     func() time.Time
	limits  *plan.Checker
}

// Options configures a Service.
type Options struct {
	// Auth is told of membership and status changes, and revokes the keys
	// of a member who leaves (required).
	Auth Auth
	// Hasher hashes the password of a user who accepts an invitation
	// with a new account.
	Hasher *account.Hasher
	// Sealer seals the bodies of the invitation e-mails, which carry
	// one-time links; without it no invitation is sent (Invite fails).
	Sealer  *jobs.Sealer
	Log     *slog.Logger
	BaseURL string           // for links in e-mails
	Now     func() time.Time // nil: time.Now
	// Limits refuses a member past the plan's limit; nil for none.
	Limits *plan.Checker
}

// NewService returns a Service on db (store.Narrow[tenant.Tx]{st}).
func NewService(db DB, o Options) *Service {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, auth: o.Auth, hasher: o.Hasher, sealer: o.Sealer, log: o.Log,
		baseURL: strings.TrimRight(o.BaseURL, "/"), now: now, limits: o.Limits}
}

// clock returns the current time at the precision both engines keep.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// StartTenant makes a new user's first tenant, which they own, inside the
// sign-up's transaction (account.TenantStarter). The transaction is the
// store's, which is every domain's Tx; account cannot name this package's
// Tx (tenant imports account), hence the conversion.
func (s *Service) StartTenant(ctx context.Context, atx account.Tx, now time.Time, owner account.User, name string, m access.Meta) (uuid.UUID, error) {
	tx, ok := atx.(Tx)
	if !ok {
		return uuid.Nil, fmt.Errorf("tenant: a %T transaction is not a tenant.Tx", atx)
	}
	t, err := s.createTenant(ctx, tx, now, owner, name, m)
	return t.ID, err
}

// createTenant makes a tenant with a unique slug and its owner.
func (s *Service) createTenant(ctx context.Context, tx Tx, now time.Time, owner account.User, name string, m access.Meta) (Tenant, error) {
	t := Tenant{ID: newID(), Name: name, Plan: PlanFree, Status: StatusActive, CreatedAt: now, UpdatedAt: now}
	base := Slugify(name)
	if len(base) > 40 {
		// Room for the suffix below; a cut may end on a hyphen.
		base = strings.TrimRight(base[:40], "-")
	}
	// Try the plain slug, then with a random suffix. A conflict would
	// abort a PostgreSQL transaction, so check before inserting; the
	// unique index still guards against a concurrent taker.
	for attempt := 0; ; attempt++ {
		t.Slug = base
		if attempt > 0 {
			t.Slug = base + "-" + strings.ToLower(newID().String()[30:36])
		}
		if _, err := tx.TenantGetBySlug(ctx, t.Slug); errors.Is(err, apperr.ErrNotFound) {
			break
		} else if err != nil {
			return Tenant{}, err
		}
		if attempt > 5 {
			return Tenant{}, apperr.Conflict("could not find a free slug for %q", name)
		}
	}
	if err := tx.TenantCreate(ctx, t); err != nil {
		return Tenant{}, err
	}
	if err := tx.MembershipCreate(ctx, account.Membership{TenantID: t.ID, UserID: owner.ID, Role: access.RoleOwner, CreatedAt: now, UpdatedAt: now}); err != nil {
		return Tenant{}, err
	}
	if err := owner.Principal().Audit(ctx, tx, m, now, t.ID, "tenant.created", "tenant", t.ID.String(), map[string]any{"name": t.Name, "slug": t.Slug}); err != nil {
		return Tenant{}, err
	}
	if err := outbox.EmitData(ctx, tx, now, t.ID, event.MemberAdded, owner.ID.String(), MemberAddedEvent{UserID: owner.ID, Email: owner.Email, Role: access.RoleOwner}); err != nil {
		return Tenant{}, err
	}
	return t, nil
}

// TenantRole is a tenant with the user's role in it.
type TenantRole struct {
	Tenant Tenant
	Role   access.Role
}

// ListTenants reads the page r selects of the tenants the user belongs
// to, in the order they were made.
func (s *Service) ListTenants(ctx context.Context, userID uuid.UUID, r page.Request) (page.Page[TenantRole], error) {
	ms, err := page.Read(r, func(m account.Membership) uuid.UUID { return m.TenantID }, func(r page.Request) ([]account.Membership, error) {
		return s.db.MembershipPageByUser(ctx, userID, r)
	})
	if err != nil {
		return page.Page[TenantRole]{}, err
	}
	// One query for the page's tenants, not one each: every page's
	// tenant switcher lists them.
	ids := make([]uuid.UUID, len(ms.Rows))
	for i, m := range ms.Rows {
		ids[i] = m.TenantID
	}
	ts, err := s.db.TenantListByIDs(ctx, ids)
	if err != nil {
		return page.Page[TenantRole]{}, err
	}
	byID := make(map[uuid.UUID]Tenant, len(ts))
	for _, t := range ts {
		byID[t.ID] = t
	}
	out := page.Page[TenantRole]{Rows: make([]TenantRole, 0, len(ms.Rows)), Next: ms.Next, Prev: ms.Prev}
	for _, m := range ms.Rows {
		t, ok := byID[m.TenantID]
		if !ok {
			return page.Page[TenantRole]{}, fmt.Errorf("tenant %s of a membership: %w", m.TenantID, apperr.ErrNotFound)
		}
		out.Rows = append(out.Rows, TenantRole{Tenant: t, Role: m.Role})
	}
	return out, nil
}

// CreateTenant makes a new tenant owned by the user.
func (s *Service) CreateTenant(ctx context.Context, p access.Principal, name string, m access.Meta) (Tenant, error) {
	if p.UserID == uuid.Nil {
		return Tenant{}, apperr.Forbidden("only users can create tenants")
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return Tenant{}, apperr.Invalid("name", "must be 1 to 200 characters")
	}
	var t Tenant
	err := s.db.InTx(ctx, func(tx Tx) error {
		u, err := tx.UserGetByID(ctx, p.UserID)
		if err != nil {
			return err
		}
		t, err = s.createTenant(ctx, tx, s.clock(), u, name, m)
		return err
	})
	if err == nil {
		s.auth.ForgetMember(ctx, t.ID, p.UserID)
	}
	return t, err
}

// CurrentTenant returns the principal's tenant.
func (s *Service) CurrentTenant(ctx context.Context, p access.Principal) (Tenant, error) {
	if err := p.Require(access.ActTenantRead); err != nil {
		return Tenant{}, err
	}
	return s.db.TenantGetByID(ctx, p.TenantID)
}

// MaxNameLen is the longest tenant name, in bytes.
const MaxNameLen = 200

// RenameTenant changes the current tenant's name. ifMatch, when given,
// must be the tenant's current Version (If-Match), or it fails with
// ErrStale.
func (s *Service) RenameTenant(ctx context.Context, p access.Principal, name string, ifMatch *int64, m access.Meta) (Tenant, error) {
	return s.UpdateTenant(ctx, p, TenantPatch{Name: &name, IfMatch: ifMatch}, m)
}

// TenantPatch holds the tenant fields to change; nil ones stay. IfMatch,
// when given, must be the tenant's current Version (If-Match), or the
// change fails with ErrStale.
type TenantPatch struct {
	Name             *string
	DefaultTaxRateBP *int64
	IfMatch          *int64
}

// UpdateTenant changes the current tenant's name and default tax rate,
// each audited as its own action.
func (s *Service) UpdateTenant(ctx context.Context, p access.Principal, patch TenantPatch, m access.Meta) (Tenant, error) {
	if err := p.Require(access.ActTenantUpdate); err != nil {
		return Tenant{}, err
	}
	var v apperr.Validation
	var name string
	if patch.Name != nil {
		name = strings.TrimSpace(*patch.Name)
		if name == "" || len(name) > MaxNameLen {
			v.AddRule("name", apperr.RuleRange, fmt.Sprintf("must be 1 to %d characters", MaxNameLen), 1, MaxNameLen)
		}
	}
	if r := patch.DefaultTaxRateBP; r != nil && (*r < 0 || *r > order.MaxTaxRateBP) {
		v.AddRule("default_tax_rate_bp", apperr.RuleRange, fmt.Sprintf("must be from 0 to %d basis points", order.MaxTaxRateBP), 0, order.MaxTaxRateBP)
	}
	if err := v.Err(); err != nil {
		return Tenant{}, err
	}
	var t Tenant
	err := s.db.InTx(ctx, func(tx Tx) error {
		// The tenant's row lock makes a concurrent change wait, so the
		// version compared below is still the stored one at the update.
		if err := tx.MembershipLock(ctx, p.TenantID); err != nil {
			return err
		}
		var err error
		if t, err = tx.TenantGetByID(ctx, p.TenantID); err != nil {
			return err
		}
		if patch.IfMatch != nil && *patch.IfMatch != t.Version() {
			return ErrStale
		}
		old := t
		now := version.Next(s.clock(), t.Version())
		if patch.Name != nil {
			t.Name = name
		}
		if patch.DefaultTaxRateBP != nil {
			t.DefaultTaxRateBP = *patch.DefaultTaxRateBP
		}
		if t == old {
			return nil
		}
		t.UpdatedAt = now
		if err := tx.TenantUpdate(ctx, t); err != nil {
			return err
		}
		if t.Name != old.Name {
			if err := p.Audit(ctx, tx, m, now, t.ID, "tenant.renamed", "tenant", t.ID.String(), map[string]any{"old": old.Name, "new": t.Name}); err != nil {
				return err
			}
		}
		if t.DefaultTaxRateBP != old.DefaultTaxRateBP {
			return p.Audit(ctx, tx, m, now, t.ID, "tenant.default_tax_rate_changed", "tenant", t.ID.String(),
				map[string]any{"old": old.DefaultTaxRateBP, "new": t.DefaultTaxRateBP})
		}
		return nil
	})
	return t, err
}

// Member is a membership with its user.
type Member struct {
	User       account.User
	Membership account.Membership
}

// ListMembers reads the page r selects of the current tenant's members,
// in the order their users signed up.
func (s *Service) ListMembers(ctx context.Context, p access.Principal, r page.Request) (page.Page[Member], error) {
	if err := p.Require(access.ActMemberRead); err != nil {
		return page.Page[Member]{}, err
	}
	ms, err := page.Read(r, func(m account.Membership) uuid.UUID { return m.UserID }, func(r page.Request) ([]account.Membership, error) {
		return s.db.MembershipPageByTenant(ctx, p.TenantID, r)
	})
	if err != nil {
		return page.Page[Member]{}, err
	}
	ids := make([]uuid.UUID, len(ms.Rows))
	for i, m := range ms.Rows {
		ids[i] = m.UserID
	}
	users, err := s.db.UserListByIDs(ctx, ids) // one query, not one per member
	if err != nil {
		return page.Page[Member]{}, err
	}
	byID := make(map[uuid.UUID]account.User, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	out := page.Page[Member]{Rows: make([]Member, 0, len(ms.Rows)), Next: ms.Next, Prev: ms.Prev}
	for _, m := range ms.Rows {
		if u, ok := byID[m.UserID]; ok {
			out.Rows = append(out.Rows, Member{User: u, Membership: m})
		}
	}
	return out, nil
}

// ChangeRole sets a member's role. Only owners make or unmake owners, and
// the last owner cannot be demoted.
func (s *Service) ChangeRole(ctx context.Context, p access.Principal, userID uuid.UUID, role access.Role, m access.Meta) error {
	_, err := s.ChangeRoleIf(ctx, p, userID, role, nil, m)
	return err
}

// ChangeRoleIf is ChangeRole with a precondition: ifMatch, when given,
// must be the membership's current version (MembershipVersion), or it
// fails with ErrMemberStale. It returns the membership's version after.
func (s *Service) ChangeRoleIf(ctx context.Context, p access.Principal, userID uuid.UUID, role access.Role, ifMatch *int64, m access.Meta) (ver int64, err error) {
	if err := p.Require(access.ActMemberManage); err != nil {
		return 0, err
	}
	if !role.Valid() {
		return 0, apperr.Invalid("role", "must be owner, admin, member or viewer")
	}
	defer s.auth.ForgetMember(ctx, p.TenantID, userID)
	err = s.db.InTx(ctx, func(tx Tx) error {
		// Two owners demoting each other at once must not both pass the
		// last-owner check.
		if err := tx.MembershipLock(ctx, p.TenantID); err != nil {
			return err
		}
		cur, err := tx.MembershipGet(ctx, p.TenantID, userID)
		if err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != MembershipVersion(cur) {
			return ErrMemberStale
		}
		ver = MembershipVersion(cur)
		if cur.Role == role {
			return nil
		}
		if (cur.Role == access.RoleOwner || role == access.RoleOwner) && !p.Can(access.ActOwnerManage) {
			return apperr.Forbidden("only owners may make or unmake owners")
		}
		if cur.Role == access.RoleOwner {
			if err := lastOwnerCheck(ctx, tx, p.TenantID, apperr.Word("demoted")); err != nil {
				return err
			}
		}
		now := version.Next(s.clock(), ver)
		if err := tx.MembershipUpdateRole(ctx, p.TenantID, userID, role, now); err != nil {
			return err
		}
		ver = version.Of(now)
		return p.Audit(ctx, tx, m, now, p.TenantID, "member.role_changed", "membership", userID.String(), map[string]any{"old": cur.Role, "new": role})
	})
	return ver, err
}

// lastOwnerCheck refuses to take away the tenant's last owner; the
// transaction must hold MembershipLock, or the count may be stale.
func lastOwnerCheck(ctx context.Context, tx Tx, tenantID uuid.UUID, what apperr.Word) error {
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
	defer func() {
		s.auth.ForgetAPIKeys(ctx, keys...)
		s.auth.ForgetMember(ctx, p.TenantID, userID)
	}()
	return s.db.InTx(ctx, func(tx Tx) error {
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
			if err := lastOwnerCheck(ctx, tx, p.TenantID, apperr.Word("removed")); err != nil {
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
		if keys, err = s.auth.RevokeKeysOf(ctx, tx, now, p, m, p.TenantID, userID); err != nil {
			return err
		}
		if err := p.Audit(ctx, tx, m, now, p.TenantID, act, "membership", userID.String(), map[string]any{"role": cur.Role}); err != nil {
			return err
		}
		return outbox.EmitData(ctx, tx, now, p.TenantID, event.MemberRemoved, userID.String(), MemberRemovedEvent{UserID: userID, Role: cur.Role})
	})
}

// SetTenantStatus suspends op's tenant (or reactivates it) for the
// operator: while it is not active, its members act in no tenant and its
// API keys fail, from the next request on, and open event streams close.
func (s *Service) SetTenantStatus(ctx context.Context, op access.Principal, status Status, m access.Meta) error {
	if err := requireOperator(op); err != nil {
		return err
	}
	tenantID := op.TenantID
	switch status {
	case StatusActive, StatusSuspended:
	default:
		return apperr.Invalid("status", "must be active or suspended")
	}
	defer s.auth.ForgetTenant(ctx, tenantID)
	return s.db.InTx(ctx, func(tx Tx) error {
		t, err := tx.TenantGetByID(ctx, tenantID)
		if err != nil {
			return err
		}
		if t.Status == status {
			return nil
		}
		if t.Status == StatusDeleted {
			return apperr.Conflict("the tenant is scheduled for deletion; cancel that first")
		}
		old, now := t.Status, s.clock()
		t.Status, t.UpdatedAt = status, now
		if err := tx.TenantUpdate(ctx, t); err != nil {
			return err
		}
		return op.Audit(ctx, tx, m, now, tenantID, "tenant.status_changed", "tenant", tenantID.String(),
			map[string]any{"tenant": t.Slug, "old": old, "new": status})
	})
}

// MemberAddedEvent is the data of a member.added event. The OpenAPI
// document describes the webhook payload from this type.
type MemberAddedEvent struct {
	UserID uuid.UUID   `json:"user_id"`
	Email  string      `json:"email"`
	Role   access.Role `json:"role"`
}

// MemberRemovedEvent is the data of a member.removed event.
type MemberRemovedEvent struct {
	UserID uuid.UUID   `json:"user_id"`
	Role   access.Role `json:"role" description:"The role the member had."`
}
