package sso

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
)

// signIn resolves a verified identity to a user, in one transaction:
//
//   - an identity linked before signs in its user;
//   - otherwise the provider must vouch for the address (email_verified):
//     a user with that address is linked, or a new one created, its
//     address counted as confirmed;
//   - a tenant's provider signs in only addresses of its allowed domains,
//     links only users who are members of the tenant already (a tenant's
//     owners run that provider, and must not be able to take over the
//     accounts of people outside their tenant), and adds a user who is
//     not a member only with just-in-time provisioning on.
//
// A refusal writes nothing but the refusal's audit entry (in the
// tenant's log, for a tenant's provider).
func (s *Service) signIn(ctx context.Context, p provider, subject string, c claims, m access.Meta) (account.User, error) {
	email := strings.ToLower(strings.TrimSpace(c.Email))
	var out account.User
	var refusal error
	// refuse rolls back whatever the transaction wrote so far (a link, a
	// user) and answers with why.
	refuse := func(why error) error {
		refusal = why
		return errRefused
	}
	err := s.db.InTx(ctx, func(tx Tx) error {
		now := s.clock()
		details := map[string]any{"issuer": p.issuer, "email": email}
		linked, err := tx.SSOIdentityGet(ctx, p.issuer, subject)
		switch {
		case err == nil:
			if out, err = tx.UserGetByID(ctx, linked.UserID); err != nil {
				return err
			}
		case !errors.Is(err, apperr.ErrNotFound):
			return err
		case !validEmail(email):
			refusal = ErrNoEmail
		case !c.verified():
			refusal = ErrEmailUnverified
		case p.tenant != nil && !p.tenant.AllowsDomain(email):
			refusal = ErrDomainNotAllowed
		}
		if refusal != nil {
			return refuse(refusal)
		}
		if out.ID == uuid.Nil {
			created := false
			// Not linked yet: link the user with this address, or make one.
			have, err := tx.UserGetByEmail(ctx, email)
			switch {
			case err == nil:
				if p.tenant != nil {
					if _, err := tx.MembershipGet(ctx, p.tenant.TenantID, have.ID); errors.Is(err, apperr.ErrNotFound) {
						return refuse(ErrExistingAccount)
					} else if err != nil {
						return err
					}
				}
				out = have
				if out.EmailVerifiedAt == nil {
					// The provider vouches for the address: confirmed.
					out.EmailVerifiedAt, out.UpdatedAt = &now, now
					if err := tx.UserUpdate(ctx, out); err != nil {
						return err
					}
				}
			case errors.Is(err, apperr.ErrNotFound):
				if p.tenant != nil && !p.tenant.JIT {
					return refuse(ErrNotMember)
				}
				name := strings.TrimSpace(c.Name)
				if len(name) > 200 {
					name = name[:200]
				}
				// No password: they sign in with the provider, or set one
				// through "forgot password".
				out = account.User{ID: newID(), Email: email, Name: name, EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
				if err := tx.UserCreate(ctx, out); err != nil {
					return err
				}
				created, details["created"] = true, true
			default:
				return err
			}
			if err := tx.SSOIdentityCreate(ctx, Identity{ID: newID(), Issuer: p.issuer, Subject: subject, UserID: out.ID, Email: email, CreatedAt: now}); err != nil {
				return err
			}
			if !created {
				// A user's first tenant membership may come below: audit
				// the link where their tenants see it now.
				if err := account.AuditUser(ctx, tx, now, out, m, "sso.linked", details); err != nil {
					return err
				}
			}
		}
		if out.DisabledAt != nil {
			return refuse(account.ErrDisabled)
		}
		if p.tenant != nil {
			if err := s.ensureMember(ctx, tx, *p.tenant, out, m, &refusal); err != nil {
				return err
			}
			if refusal != nil {
				return refuse(refusal)
			}
		}
		return account.AuditUser(ctx, tx, now, out, m, "sso.login", details)
	})
	if errors.Is(err, errRefused) {
		s.auditRefusal(ctx, p, email, refusal, m)
		return account.User{}, refusal
	}
	if err != nil {
		return account.User{}, err
	}
	if p.tenant != nil && s.cache != nil {
		// A member may have been added: what auth cached of them there is
		// stale.
		s.cache.ForgetMember(ctx, p.tenant.TenantID, out.ID)
	}
	return out, nil
}

// errRefused rolls back a sign-in's transaction that was refused.
var errRefused = errors.New("sso: sign-in refused")

// validEmail reports whether an address from a provider is one Ordo
// accepts as an account's.
func validEmail(email string) bool {
	e, err := account.NormalizeEmail("email", email)
	return err == nil && e == email
}

// ensureMember makes sure u is a member of the tenant of c: adds them
// with c's default role if c allows just-in-time provisioning of their
// domain, or sets refusal.
func (s *Service) ensureMember(ctx context.Context, tx Tx, c TenantConfig, u account.User, m access.Meta, refusal *error) error {
	_, err := tx.MembershipGet(ctx, c.TenantID, u.ID)
	if err == nil || !errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	switch {
	case !c.AllowsDomain(u.Email):
		*refusal = ErrDomainNotAllowed
		return nil
	case !c.JIT:
		*refusal = ErrNotMember
		return nil
	}
	// Someone an owner removed stays out until invited again, however
	// their domain is allowed.
	if _, err := tx.MembershipRemovedAt(ctx, c.TenantID, u.ID); err == nil {
		*refusal = ErrRemoved
		return nil
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	now := s.clock()
	if err := tx.MembershipCreate(ctx, account.Membership{TenantID: c.TenantID, UserID: u.ID, Role: c.DefaultRole, CreatedAt: now, UpdatedAt: now}); err != nil {
		return err
	}
	d := map[string]any{"issuer": c.Issuer, "email": u.Email, "role": string(c.DefaultRole)}
	return u.Principal().Audit(ctx, tx, m, now, c.TenantID, "member.added_by_sso", "user", u.ID.String(), d)
}

// auditRefusal records a refused sign-in with a tenant's provider in the
// tenant's log, best effort (its owners see who tried); the platform's
// provider has no tenant to tell, and the server log has it.
func (s *Service) auditRefusal(ctx context.Context, p provider, email string, refusal error, m access.Meta) {
	msg := refusal.Error()
	s.log.InfoContext(ctx, "sso sign-in refused", "issuer", p.issuer, "email", email, "reason", msg)
	if p.tenant == nil {
		return
	}
	err := s.db.InTx(ctx, func(tx Tx) error {
		anon := access.Principal{Email: email}
		return anon.Audit(ctx, tx, m, s.clock(), p.tenant.TenantID, "sso.login_refused", "tenant", p.tenant.TenantID.String(),
			map[string]any{"issuer": p.issuer, "email": email, "reason": msg})
	})
	if err != nil {
		s.log.WarnContext(ctx, "audit sso refusal", "err", err)
	}
}

// PasswordAllowed refuses a password sign-in (with a *RequiredError) to a
// user who is a member, but not an owner, of a tenant that requires
// single sign-on. A user in several tenants is refused if any of them
// requires it: a password that still worked would sign them in to that
// tenant too (a session is the user's, in all their tenants), which is
// what the tenant's owners chose to stop. Owners keep their password,
// as a way in when the provider fails.
func (s *Service) PasswordAllowed(ctx context.Context, u account.User) error {
	names, err := s.db.SSORequiredTenants(ctx, u.ID)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		return requiredError(names)
	}
	return nil
}
