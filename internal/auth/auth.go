// Package auth resolves a request to a principal: log-in (with the same
// answer whatever failed) and log-out, sessions' epochs, API keys
// (created, listed, revoked, authenticated), and the principal of a
// session in a tenant, read through a shared cache that the tenant and
// account services invalidate through it (it implements tenant.Auth and
// account.AuthCache). The tenant's audit log, events and failed jobs are
// read here too. It decides with access.Can, the one permission table,
// and persists through its narrow DB (store.go), one transaction per operation.
//
// Accounts (sign-up, passwords, e-mail changes) are package account's,
// tenants and their members package tenant's. It knows nothing about
// HTTP; sessions and cookies live in package web.
package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/cache"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/tenant"
)

// ErrBadCredentials is the one answer to a failed login, whatever failed.
var ErrBadCredentials = &apperr.Error{Kind: apperr.KindUnauthorized,
	Msg: "invalid e-mail or password, or the address is not confirmed yet (open the link we e-mailed you, or reset your password)"}

// IsWrongPassword reports whether err is a failed password check: a
// failed log-in, or a wrong current password (account.IsWrongPassword).
// The web layer counts these against the rate limits of password
// guessing, and nothing else.
func IsWrongPassword(err error) bool {
	return errors.Is(err, ErrBadCredentials) || account.IsWrongPassword(err)
}

// Service implements authentication.
type Service struct {
	store     DB
	passwords PasswordPolicy
	sealer    *jobs.Sealer
	cache     cache.Cache // nil: no caching
	hasher    *account.Hasher
	log       *slog.Logger
	now       func() time.Time
}

// The tenant and account services drop what this one caches through it.
var (
	_ tenant.Auth       = (*Service)(nil)
	_ account.AuthCache = (*Service)(nil)
)

// Options configures a Service.
type Options struct {
	Store DB
	// Cache, when set, caches what authentication reads on every request.
	// Use a cache every process shares (Redis), or none: invalidation must
	// reach every process.
	Cache  cache.Cache
	Hasher *account.Hasher
	// Sealer opens the users' TOTP secrets (account.VerifySecondFactor).
	Sealer *jobs.Sealer
	Log    *slog.Logger
	Now    func() time.Time // nil: time.Now
	// PasswordPolicy, when set, may refuse a right password (a tenant of
	// the user requires single sign-on: package sso).
	PasswordPolicy PasswordPolicy
}

// PasswordPolicy decides whether a user who gave the right password may
// sign in with it; its error is the answer to the log-in.
type PasswordPolicy interface {
	PasswordAllowed(ctx context.Context, u account.User) error
}

// New returns a Service.
func New(o Options) *Service {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Service{store: o.Store, passwords: o.PasswordPolicy, cache: o.Cache, hasher: o.Hasher, sealer: o.Sealer, log: o.Log, now: now}
}

// clock returns the current time at the precision both engines keep.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// Login checks an e-mail and password and, for a user who signs in with
// a second factor, code (a TOTP or recovery code); it returns the user
// and the sign-in method for the session (account.MethodPassword, …).
// Every failure of the password is the same ErrBadCredentials, after
// about the same work, so that the answer does not tell whether the
// address is registered. A right password without a code, for a user
// who needs one, is account.ErrMFARequired with the user (a page asks
// for the code next, SecondFactor); a wrong code is account.ErrMFAInvalid.
// Failures of a known user are audited in their tenants.
func (s *Service) Login(ctx context.Context, email, password, code string, m access.Meta) (account.User, string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := s.store.UserGetByEmail(ctx, email)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return account.User{}, "", err
	}
	ok := s.hasher.Verify(password, u.PasswordHash) // u is zero if not found: a dummy check
	// An address not confirmed yet cannot log in, with the same answer:
	// otherwise signing up with an address and then logging in with the
	// password just chosen would tell whether the address had an account
	// before (SignUp answers the same either way).
	if err != nil || !ok || len(password) > account.MaxPasswordLen || u.EmailVerifiedAt == nil {
		if u.ID != uuid.Nil {
			s.auditUser(ctx, u, m, "auth.login_failed", nil)
		}
		return account.User{}, "", ErrBadCredentials
	}
	if u.DisabledAt != nil {
		// The password was right: they may know that the operator
		// disabled the account, and whom to ask.
		s.auditUser(ctx, u, m, "auth.login_failed", map[string]any{"reason": "disabled"})
		return account.User{}, "", account.ErrDisabled
	}
	if s.passwords != nil {
		// The password was right, so they may be told to use SSO (before
		// any second factor: the password is not a way in at all).
		if err := s.passwords.PasswordAllowed(ctx, u); err != nil {
			s.auditUser(ctx, u, m, "auth.login_failed", map[string]any{"reason": "sso_required"})
			return account.User{}, "", err
		}
	}
	twoFactor, err := s.hasSecondFactor(ctx, u.ID)
	if err != nil {
		return account.User{}, "", err
	}
	if !twoFactor {
		s.auditUser(ctx, u, m, "auth.login", map[string]any{"method": account.MethodPassword})
		return u, account.MethodPassword, nil
	}
	if strings.TrimSpace(code) == "" {
		return u, "", account.ErrMFARequired
	}
	method, err := s.secondFactor(ctx, u, code, m)
	return u, method, err
}

// hasSecondFactor reports whether the user gives a second factor after
// the password: a TOTP app, or a passkey (which the browser's log-in
// asks for on the same second step; an API client without TOTP cannot
// give one there, and signs in with the passkey alone instead).
func (s *Service) hasSecondFactor(ctx context.Context, userID uuid.UUID) (bool, error) {
	if on, err := account.HasTOTP(ctx, s.store, userID); err != nil || on {
		return on, err
	}
	n, err := s.store.PasskeyCountByUser(ctx, userID)
	return n > 0, err
}

// SecondFactor finishes a log-in whose password was right (Login said
// account.ErrMFARequired) with code, for the user as they were then (at
// epoch: a password change or "log out everywhere" since ends it).
func (s *Service) SecondFactor(ctx context.Context, userID uuid.UUID, epoch int64, code string, m access.Meta) (account.User, string, error) {
	u, err := s.store.UserGetByID(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) || (err == nil && (u.SessionEpoch != epoch || u.DisabledAt != nil)) {
		return account.User{}, "", apperr.ErrUnauthorized
	}
	if err != nil {
		return account.User{}, "", err
	}
	method, err := s.secondFactor(ctx, u, code, m)
	return u, method, err
}

func (s *Service) secondFactor(ctx context.Context, u account.User, code string, m access.Meta) (string, error) {
	method, err := account.VerifySecondFactor(ctx, s.store, s.sealer, u.ID, code, s.now())
	if errors.Is(err, account.ErrMFAInvalid) {
		s.auditUser(ctx, u, m, "auth.login_failed", map[string]any{"reason": "second factor"})
		return "", err
	}
	if err != nil {
		return "", err
	}
	s.auditUser(ctx, u, m, "auth.login", map[string]any{"method": method})
	return method, nil
}

// auditUser records a session event (log-in, log-out) in its own
// transaction, best effort: a failure is logged, not returned, so that an
// audit hiccup never locks people out. Changes to data use
// account.AuditUser inside their own transaction instead.
func (s *Service) auditUser(ctx context.Context, u account.User, m access.Meta, action string, details map[string]any) {
	err := s.store.InTx(ctx, func(tx Tx) error { return account.AuditUser(ctx, tx, s.clock(), u, m, action, details) })
	if err != nil {
		s.log.WarnContext(ctx, "audit user event", "action", action, "user_id", u.ID, "err", err)
	}
}

// Logout records a logout; the caller destroys the session.
func (s *Service) Logout(ctx context.Context, p access.Principal, m access.Meta) {
	if p.UserID == uuid.Nil {
		return
	}
	s.auditUser(ctx, account.User{ID: p.UserID, Email: p.Email, Name: p.Name}, m, "auth.logout", nil)
}

// LogoutEverywhere ends every session of the user at once and returns the
// new session epoch (the caller may keep the current session on it).
func (s *Service) LogoutEverywhere(ctx context.Context, p access.Principal, m access.Meta) (int64, error) {
	if p.UserID == uuid.Nil {
		return 0, apperr.Forbidden("only users have sessions")
	}
	var epoch int64
	defer s.ForgetUser(ctx, p.UserID)
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		now := s.clock()
		if epoch, err = tx.UserBumpSessionEpoch(ctx, p.UserID, now); err != nil {
			return err
		}
		if err := account.EndOpenLinks(ctx, tx, p.UserID, now); err != nil {
			return err
		}
		return account.AuditUser(ctx, tx, s.clock(), account.User{ID: p.UserID, Email: p.Email, Name: p.Name}, m, "auth.logout_everywhere", nil)
	})
	return epoch, err
}

// Resolve builds the principal of a session: the user, checked against
// the session epoch, acting in tenantID if they are (still) a member, and
// if the session signed in as the tenant requires (method: a second
// factor, account.StrongMethod, where the tenant asks for one). A stale
// epoch or a deleted user is apperr.ErrUnauthorized.
func (s *Service) Resolve(ctx context.Context, userID uuid.UUID, epoch int64, tenantID uuid.UUID, method string) (access.Principal, error) {
	u, err := s.userForAuth(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) || (err == nil && (u.Epoch != epoch || u.Disabled)) {
		return access.Principal{}, apperr.ErrUnauthorized
	}
	if err != nil {
		return access.Principal{}, err
	}
	p := access.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Method: method}
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
	ta, err := s.tenantAccess(ctx, tenantID)
	switch st := ta.Status; {
	case err != nil:
		return access.Principal{}, err
	case st == tenant.StatusSuspended:
		// Nobody acts in it until it is resumed, and they are told why.
		p.SuspendedTenant = tenantID
		return p, nil
	case st == tenant.StatusDeleted:
		// Nobody acts in it; an owner may still cancel the deletion.
		p.DeletedTenant, p.DeletedRole = tenantID, m.Role
		return p, nil
	case st != tenant.StatusActive:
		return p, nil
	case ta.RequireTwoFactor && !account.StrongMethod(method):
		// Nobody acts in it until they sign in with a second factor.
		p.TwoFactorTenant = tenantID
		return p, nil
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
