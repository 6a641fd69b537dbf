package account

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	ordomail "github.com/ordo/ordo/internal/mail"
)

// What the operator of the service does to a user's account from the
// operator console (package operator): end their sessions, force a new
// password, disable or re-enable them. Each is recorded in the platform
// audit log and in the log of every tenant the user belongs to, by the
// operator (op, from access.OperatorIn or access.Operator).

// ErrDisabled is the answer to a disabled user's correct password: they
// are told, since they proved who they are.
var ErrDisabled = apperr.Forbidden("this account is disabled by the operator of this Ordo service; contact them to have it enabled")

// OperatorEndSessions ends every session of the user and uses up their
// open reset and e-mail-change links.
func (s *Service) OperatorEndSessions(ctx context.Context, op access.Principal, userID uuid.UUID, m access.Meta) error {
	return s.operatorChange(ctx, op, userID, m, "user.sessions_ended_by_operator", func(tx Tx, u *User) error { return nil })
}

// OperatorForcePasswordReset makes the user's password stop working,
// ends their sessions and e-mails them a link to choose a new one: for
// an account that may be taken over, or a password known to others.
func (s *Service) OperatorForcePasswordReset(ctx context.Context, op access.Principal, userID uuid.UUID, m access.Meta) error {
	return s.operatorChange(ctx, op, userID, m, "user.password_reset_forced", func(tx Tx, u *User) error {
		now := s.clock()
		u.PasswordHash, u.UpdatedAt = "", now
		if err := tx.UserUpdate(ctx, *u); err != nil {
			return err
		}
		tok, hash := NewSecret()
		if err := tx.TokenCreate(ctx, Token{ID: newID(), UserID: u.ID, Purpose: TokenResetPassword, Hash: hash, ExpiresAt: now.Add(ResetPasswordTTL), CreatedAt: now}); err != nil {
			return err
		}
		return s.sealer.SendEmail(ctx, tx, ordomail.KindPasswordReset, u.Email, ordomail.ResetData{
			Name: u.Name, URL: s.baseURL + "/reset-password?token=" + tok, ValidFor: ResetPasswordTTL,
		})
	})
}

// OperatorSetDisabled disables the user (they cannot log in, their
// sessions end, API keys they made stop working) or enables them again.
func (s *Service) OperatorSetDisabled(ctx context.Context, op access.Principal, userID uuid.UUID, disabled bool, m access.Meta) error {
	state, action := "enabled", "user.enabled"
	if disabled {
		state, action = "disabled", "user.disabled"
	}
	return s.operatorChange(ctx, op, userID, m, action, func(tx Tx, u *User) error {
		if disabled == (u.DisabledAt != nil) {
			return apperr.Conflict("the user is already %s", apperr.Word(state))
		}
		now := s.clock()
		var at *time.Time
		if disabled {
			at = &now
		}
		return tx.UserSetDisabled(ctx, u.ID, at, now)
	})
}

// operatorChange runs change on the user in one transaction that also
// ends their sessions and open links and records action by op.
func (s *Service) operatorChange(ctx context.Context, op access.Principal, userID uuid.UUID, m access.Meta, action string, change func(Tx, *User) error) error {
	if !op.Operator {
		return apperr.Forbidden("only the operator of this Ordo service may do this")
	}
	err := s.db.InTx(ctx, func(tx Tx) error {
		u, err := tx.UserGetForUpdate(ctx, userID)
		if err != nil {
			return err
		}
		now := s.clock()
		if _, err := tx.UserBumpSessionEpoch(ctx, u.ID, now); err != nil {
			return err
		}
		if err := EndOpenLinks(ctx, tx, u.ID, now); err != nil {
			return err
		}
		if err := change(tx, &u); err != nil {
			return err
		}
		return auditByOperator(ctx, tx, op, m, now, u, action)
	})
	if err != nil {
		return err
	}
	s.forgetUser(ctx, userID)
	return nil
}

// auditByOperator records an operator's action on the user once in the
// platform audit log and once in each tenant the user belongs to, where
// its admins see who did what to their member.
func auditByOperator(ctx context.Context, tx Tx, op access.Principal, m access.Meta, now time.Time, u User, action string) error {
	details := map[string]any{"email": u.Email}
	e, err := op.AuditEntry(m, now, uuid.Nil, action, "user", u.ID.String(), details)
	if err != nil {
		return err
	}
	if err := tx.PlatformAuditInsert(ctx, e); err != nil {
		return err
	}
	ms, err := tx.MembershipListByUser(ctx, u.ID)
	if err != nil {
		return err
	}
	sortByTenant(ms) // the chain heads' lock order
	for _, mem := range ms {
		e, err := op.AuditEntry(m, now, mem.TenantID, action, "user", u.ID.String(), details)
		if err != nil {
			return err
		}
		if err := tx.AuditInsert(ctx, e); err != nil {
			return err
		}
	}
	return nil
}
