package tenant

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/event"
	ordomail "github.com/ordo/ordo/internal/mail"
	"github.com/ordo/ordo/internal/outbox"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/plan"
)

// Invite e-mails someone an invitation to the current tenant. Only owners
// may invite owners.
func (s *Service) Invite(ctx context.Context, p access.Principal, email string, role access.Role, m access.Meta) (account.Invitation, error) {
	if err := p.Require(access.ActInviteManage); err != nil {
		return account.Invitation{}, err
	}
	email, err := account.NormalizeEmail("email", email)
	if err != nil {
		return account.Invitation{}, err
	}
	if !role.Valid() {
		return account.Invitation{}, apperr.Invalid("role", "must be owner, admin, member or viewer")
	}
	if role == access.RoleOwner && !p.Can(access.ActOwnerManage) {
		return account.Invitation{}, apperr.Forbidden("only owners may invite owners")
	}
	var inv account.Invitation
	err = s.db.InTx(ctx, func(tx Tx) error {
		if u, err := tx.UserGetByEmail(ctx, email); err == nil {
			if _, err := tx.MembershipGet(ctx, p.TenantID, u.ID); err == nil {
				return apperr.Invalid("email", "is already a member of this tenant")
			}
		}
		now := s.clock()
		tok, hash := account.NewSecret()
		var by *uuid.UUID
		if p.UserID != uuid.Nil {
			by = &p.UserID
		}
		inv = account.Invitation{ID: newID(), TenantID: p.TenantID, Email: email, Role: role, Hash: hash, InvitedBy: by,
			ExpiresAt: now.Add(InvitationTTL), CreatedAt: now, UpdatedAt: now}
		// Refused now rather than when accepted: the seat is checked
		// again, under the lock, at acceptance.
		if err := s.allowMember(ctx, tx, p.TenantID); err != nil {
			return err
		}
		if err := tx.InvitationCreate(ctx, inv); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return apperr.Invalid("email", "already has an open invitation; resend or revoke it")
			}
			return err
		}
		if err := s.sendInvitation(ctx, tx, p, inv, tok); err != nil {
			return err
		}
		return p.Audit(ctx, tx, m, now, p.TenantID, "invitation.created", "invitation", inv.ID.String(), map[string]any{"email": email, "role": role})
	})
	return inv, err
}

func (s *Service) sendInvitation(ctx context.Context, tx Tx, p access.Principal, inv account.Invitation, tok string) error {
	t, err := tx.TenantGetByID(ctx, inv.TenantID)
	if err != nil {
		return err
	}
	who := p.ActorName()
	if who == "" {
		who = p.Email
	}
	return s.sealer.SendTenantEmail(ctx, tx, &inv.TenantID, ordomail.KindInvitation, inv.Email, ordomail.InviteData{
		TenantName: t.Name, InviterName: who, Role: string(inv.Role),
		URL: s.baseURL + "/invitations/accept?token=" + tok, ValidFor: InvitationTTL,
	})
}

// ListInvitations reads the page r selects of the current tenant's
// invitations, newest first.
func (s *Service) ListInvitations(ctx context.Context, p access.Principal, r page.Request) (page.Page[account.Invitation], error) {
	if err := p.Require(access.ActInviteManage); err != nil {
		return page.Page[account.Invitation]{}, err
	}
	return page.Read(r, func(i account.Invitation) uuid.UUID { return i.ID }, func(r page.Request) ([]account.Invitation, error) {
		return s.db.InvitationListByTenant(ctx, p.TenantID, r)
	})
}

// ResendInvitation e-mails a fresh link (the old one stops working) and
// restarts the 7 days.
func (s *Service) ResendInvitation(ctx context.Context, p access.Principal, id uuid.UUID, m access.Meta) (account.Invitation, error) {
	if err := p.Require(access.ActInviteManage); err != nil {
		return account.Invitation{}, err
	}
	var inv account.Invitation
	err := s.db.InTx(ctx, func(tx Tx) error {
		var err error
		if inv, err = tx.InvitationGet(ctx, p.TenantID, id); err != nil {
			return err
		}
		now := s.clock()
		if st := inv.Status(now); st == account.InvitationAccepted || st == account.InvitationRevoked {
			return apperr.Conflict("the invitation is %s", apperr.Word(st))
		}
		tok, hash := account.NewSecret()
		inv.Hash, inv.ExpiresAt, inv.UpdatedAt = hash, now.Add(InvitationTTL), now
		if err := tx.InvitationUpdate(ctx, inv); err != nil {
			return err
		}
		if err := s.sendInvitation(ctx, tx, p, inv, tok); err != nil {
			return err
		}
		return p.Audit(ctx, tx, m, now, p.TenantID, "invitation.resent", "invitation", inv.ID.String(), map[string]any{"email": inv.Email})
	})
	return inv, err
}

// RevokeInvitation stops an open invitation from being accepted.
func (s *Service) RevokeInvitation(ctx context.Context, p access.Principal, id uuid.UUID, m access.Meta) error {
	if err := p.Require(access.ActInviteManage); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		inv, err := tx.InvitationGet(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		now := s.clock()
		if inv.AcceptedAt != nil {
			return apperr.Conflict("the invitation was already accepted; remove the member instead")
		}
		if inv.RevokedAt != nil {
			return nil
		}
		inv.RevokedAt, inv.UpdatedAt = &now, now
		if err := tx.InvitationUpdate(ctx, inv); err != nil {
			return err
		}
		return p.Audit(ctx, tx, m, now, p.TenantID, "invitation.revoked", "invitation", inv.ID.String(), map[string]any{"email": inv.Email})
	})
}

// AcceptInput accepts an invitation: as the logged-in user (UserID set,
// whose address must be the invited one), or as a new user with a
// password.
type AcceptInput struct {
	Token    string
	UserID   uuid.UUID
	Name     string
	Password string
}

// ErrAlreadyMember refuses an invitation to a tenant the user is in; the
// web UI tells it apart to word it in the person's language.
var ErrAlreadyMember = &apperr.Error{Kind: apperr.KindConflict, Msg: "you are already a member of this tenant"}

// WrongInviteeError refuses an invitation that a user logged in with
// another address opened: a Forbidden error naming the invited address,
// which the web UI words in the person's language.
type WrongInviteeError struct{ Email string }

func (e *WrongInviteeError) Error() string { return e.Unwrap().Error() }

// Unwrap is the apperr.Error the API answers with.
func (e *WrongInviteeError) Unwrap() error {
	return apperr.Forbidden("this invitation is for %s; log in as that user to accept it", e.Email)
}

// AcceptInvitation adds the user to the invitation's tenant and returns
// the user and the tenant id.
func (s *Service) AcceptInvitation(ctx context.Context, in AcceptInput, m access.Meta) (account.User, uuid.UUID, error) {
	var u account.User
	var inv account.Invitation
	var hash string
	if in.UserID == uuid.Nil {
		if err := account.CheckPassword("password", in.Password, ""); err != nil {
			return account.User{}, uuid.Nil, err
		}
		var err error
		if hash, err = s.hasher.Hash(in.Password); err != nil {
			return account.User{}, uuid.Nil, err
		}
	}
	err := s.db.InTx(ctx, func(tx Tx) error {
		now := s.clock()
		var err error
		inv, err = tx.InvitationGetByHash(ctx, account.HashSecret(in.Token))
		if err != nil || inv.Status(now) != account.InvitationPending {
			if err == nil || errors.Is(err, apperr.ErrNotFound) {
				return apperr.InvalidRule("token", apperr.RuleExpired, "the invitation is invalid, used, revoked or expired")
			}
			return err
		}
		if in.UserID != uuid.Nil {
			if u, err = tx.UserGetByID(ctx, in.UserID); err != nil {
				return err
			}
			if !strings.EqualFold(u.Email, inv.Email) {
				return &WrongInviteeError{Email: inv.Email}
			}
		} else {
			if _, err := tx.UserGetByEmail(ctx, inv.Email); err == nil {
				return apperr.InvalidRule("token", apperr.RuleTaken, "an account with this address exists; log in to accept the invitation")
			}
			u = account.User{ID: newID(), Email: inv.Email, Name: strings.TrimSpace(in.Name), PasswordHash: hash,
				EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
			if err := tx.UserCreate(ctx, u); err != nil {
				return err
			}
		}
		if u.EmailVerifiedAt == nil {
			// The link arrived at this address.
			u.EmailVerifiedAt, u.UpdatedAt = &now, now
			if err := tx.UserUpdate(ctx, u); err != nil {
				return err
			}
		}
		if err := s.allowMember(ctx, tx, inv.TenantID); err != nil {
			return err
		}
		if err := tx.MembershipCreate(ctx, account.Membership{TenantID: inv.TenantID, UserID: u.ID, Role: inv.Role, CreatedAt: now, UpdatedAt: now}); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return ErrAlreadyMember
			}
			return err
		}
		inv.AcceptedAt, inv.UpdatedAt = &now, now
		if err := tx.InvitationUpdate(ctx, inv); err != nil {
			return err
		}
		if err := u.Principal().Audit(ctx, tx, m, now, inv.TenantID, "invitation.accepted", "invitation", inv.ID.String(), map[string]any{"email": inv.Email, "role": inv.Role}); err != nil {
			return err
		}
		return outbox.EmitData(ctx, tx, now, inv.TenantID, event.MemberAdded, u.ID.String(), MemberAddedEvent{UserID: u.ID, Email: u.Email, Role: inv.Role})
	})
	if err != nil {
		return account.User{}, uuid.Nil, err
	}
	s.auth.ForgetMember(ctx, inv.TenantID, u.ID)
	return u, inv.TenantID, nil
}

// allowMember refuses one more member past the plan's limit, under the
// tenant's lock so that two acceptances cannot both take the last seat.
func (s *Service) allowMember(ctx context.Context, tx Tx, tenantID uuid.UUID) error {
	if !s.limits.Enforced() {
		return nil
	}
	if err := tx.MembershipLock(ctx, tenantID); err != nil {
		return err
	}
	ms, err := tx.MembershipListByTenant(ctx, tenantID)
	if err != nil {
		return err
	}
	return s.limits.Allow(ctx, tenantID, plan.Members, int64(len(ms))+1)
}
