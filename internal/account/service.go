package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/jobs"
	ordomail "github.com/ordo/ordo/internal/mail"
)

// Lifetimes of e-mailed tokens.
const (
	VerifyEmailTTL   = 48 * time.Hour
	ResetPasswordTTL = time.Hour
	ChangeEmailTTL   = time.Hour
)

// AuthCache is what the account service needs of package auth (which
// imports account, so it comes in as this interface): authentication
// caches each user's session epoch, and a credential change must reach it
// at once.
type AuthCache interface {
	// ForgetUser drops what is cached of the user; called after a change
	// committed.
	ForgetUser(ctx context.Context, userID uuid.UUID)
}

// TenantStarter makes a new user's first tenant, which they own, inside
// the sign-up's transaction, and returns its id. Package tenant's Service
// is one; it comes in as this interface because tenant imports account.
type TenantStarter interface {
	StartTenant(ctx context.Context, tx Tx, now time.Time, owner User, name string, m access.Meta) (uuid.UUID, error)
}

// Service implements the account operations.
type Service struct {
	db      DB
	auth    AuthCache
	tenants TenantStarter
	hasher  *Hasher
	sealer  *jobs.Sealer
	blobs   blob.Store // avatars; nil: none can be set
	log     *slog.Logger
	baseURL string
	now     func() time.Time
}

// Options configures a Service.
type Options struct {
	// Auth is told of credential changes (nil: nothing is cached).
	Auth AuthCache
	// Tenants makes a new user's first tenant (required for SignUp).
	Tenants TenantStarter
	Hasher  *Hasher
	// Sealer seals the bodies of the e-mails, which carry one-time
	// links, in their job arguments. Without it no e-mail is sent (the
	// operation fails): links must never sit readable in the database.
	Sealer  *jobs.Sealer
	Log     *slog.Logger
	BaseURL string           // for links in e-mails
	Now     func() time.Time // nil: time.Now
}

// NewService returns a Service on db (store.Narrow[account.Tx]{st}).
func NewService(db DB, o Options) *Service {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, auth: o.Auth, tenants: o.Tenants, hasher: o.Hasher, sealer: o.Sealer, log: o.Log,
		baseURL: strings.TrimRight(o.BaseURL, "/"), now: now}
}

// clock returns the current time at the precision both engines keep.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// forgetUser drops the user's cached session epoch after a change
// committed.
func (s *Service) forgetUser(ctx context.Context, id uuid.UUID) {
	if s.auth != nil {
		s.auth.ForgetUser(ctx, id)
	}
}

// auditUserTx records a user-level change inside tx (AuditUser).
func (s *Service) auditUserTx(ctx context.Context, tx Tx, u User, m access.Meta, action string, details map[string]any) error {
	return AuditUser(ctx, tx, s.clock(), u, m, action, details)
}

// SignUpInput is what a new user gives.
type SignUpInput struct {
	Email      string
	Password   string
	Name       string
	TenantName string // default: "<name>'s team"
}

// errSignUpRace is a sign-up that lost a race for its address to another.
var errSignUpRace = errors.New("the address was registered meanwhile")

// SignUp creates a user, their first tenant and an owner membership, and
// e-mails a verification link. The user can log in once the address is
// confirmed (Login).
//
// For an address that is registered already it changes nothing and
// e-mails that address instead (KindAccountExists), and answers the same:
// neither the answer nor the work done before it tells whether an address
// has an account. The returned user and tenant id are therefore not for the
// caller to show; only the error is.
func (s *Service) SignUp(ctx context.Context, in SignUpInput, m access.Meta) (User, uuid.UUID, error) {
	var v apperr.Validation
	email, err := NormalizeEmail("email", in.Email)
	if err != nil {
		v.AddRule("email", apperr.RuleFormat, "must be an e-mail address")
	}
	if err := CheckPassword("password", in.Password, email); err != nil {
		e, _ := apperr.As(err)
		f := e.Fields[0]
		v.AddRule("password", f.Rule, f.Detail, f.Args...)
	}
	name := strings.TrimSpace(in.Name)
	if len(name) > 200 {
		v.AddRule("name", apperr.RuleTooLong, "must be at most 200 characters", 200)
	}
	tenantName := strings.TrimSpace(in.TenantName)
	if tenantName == "" {
		tenantName = "My team"
		if name != "" {
			tenantName = name + "'s team"
		}
	}
	if len(tenantName) > 200 {
		v.AddRule("tenant_name", apperr.RuleTooLong, "must be at most 200 characters", 200)
	}
	if err := v.Err(); err != nil {
		return User{}, uuid.Nil, err
	}
	// Hashed whether or not the address is free, so that both take the
	// same time.
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return User{}, uuid.Nil, fmt.Errorf("hash password: %w", err)
	}
	now := s.clock()
	u := User{ID: newID(), Email: email, Name: name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	var tenantID uuid.UUID
	err = s.db.InTx(ctx, func(tx Tx) error {
		if have, err := tx.UserGetByEmail(ctx, email); err == nil {
			return s.tellAccountExists(ctx, tx, have)
		} else if !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		if err := tx.UserCreate(ctx, u); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				// Registered since the look-up: the other sign-up sent
				// its own mail. (A conflict ends a PostgreSQL
				// transaction, so nothing more can be done in this one.)
				return errSignUpRace
			}
			return err
		}
		var err error
		tenantID, err = s.tenants.StartTenant(ctx, tx, now, u, tenantName, m)
		if err != nil {
			return err
		}
		return s.issueVerification(ctx, tx, now, u)
	})
	if errors.Is(err, errSignUpRace) {
		return User{}, uuid.Nil, nil
	}
	if err != nil {
		return User{}, uuid.Nil, err
	}
	return u, tenantID, nil
}

// tellAccountExists e-mails the owner of an address that someone tried to
// use it for a new account, instead of saying so to whoever tried.
func (s *Service) tellAccountExists(ctx context.Context, tx Tx, u User) error {
	return s.sealer.SendEmail(ctx, tx, ordomail.KindAccountExists, u.Email, ordomail.AccountExistsData{Name: u.Name, URL: s.baseURL + "/forgot-password"})
}

// issueVerification creates a verification token and e-mails its link.
func (s *Service) issueVerification(ctx context.Context, tx Tx, now time.Time, u User) error {
	tok, hash := NewSecret()
	if err := tx.TokenCreate(ctx, Token{ID: newID(), UserID: u.ID, Purpose: TokenVerifyEmail, Hash: hash, ExpiresAt: now.Add(VerifyEmailTTL), CreatedAt: now}); err != nil {
		return err
	}
	return s.sealer.SendEmail(ctx, tx, ordomail.KindVerifyEmail, u.Email, ordomail.VerifyData{
		Name: u.Name, URL: s.baseURL + "/verify-email?token=" + tok, ValidFor: VerifyEmailTTL,
	})
}

// ResendVerification e-mails a new verification link if the address is
// not verified yet.
func (s *Service) ResendVerification(ctx context.Context, userID uuid.UUID, m access.Meta) error {
	return s.db.InTx(ctx, func(tx Tx) error {
		u, err := tx.UserGetByID(ctx, userID)
		if err != nil {
			return err
		}
		if u.EmailVerifiedAt != nil {
			return nil
		}
		now := s.clock()
		if err := tx.TokenInvalidate(ctx, u.ID, TokenVerifyEmail, now); err != nil {
			return err
		}
		if err := s.issueVerification(ctx, tx, now, u); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, u, m, "user.verification_sent", nil)
	})
}

// consumeToken uses up an e-mailed token; an unknown, used or expired one
// is a validation error on the token field.
func consumeToken(ctx context.Context, tx Tx, purpose TokenPurpose, token string, now time.Time) (Token, error) {
	t, err := tx.TokenConsume(ctx, purpose, HashSecret(token), now)
	if errors.Is(err, apperr.ErrNotFound) {
		return t, apperr.InvalidRule("token", apperr.RuleExpired, "is invalid, used or expired; ask for a new link")
	}
	return t, err
}

// VerifyEmail marks the address of the token's user verified.
func (s *Service) VerifyEmail(ctx context.Context, token string, m access.Meta) (User, error) {
	var u User
	err := s.db.InTx(ctx, func(tx Tx) error {
		now := s.clock()
		t, err := consumeToken(ctx, tx, TokenVerifyEmail, token, now)
		if err != nil {
			return err
		}
		if u, err = tx.UserGetByID(ctx, t.UserID); err != nil {
			return err
		}
		u.EmailVerifiedAt, u.UpdatedAt = &now, now
		if err := tx.UserUpdate(ctx, u); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, u, m, "user.email_verified", nil)
	})
	return u, err
}

// RequestPasswordReset e-mails a reset link if the address is registered.
// It only enqueues a job, the same single insert whether or not the
// address exists, so neither the answer nor its timing tells; the job
// (SendPasswordReset) does the rest.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, m access.Meta) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if len(email) > 254 {
		return nil
	}
	_, err := s.db.JobInsert(ctx, PasswordResetArgs{Email: email, IP: m.IP, UserAgent: m.UserAgent, RequestID: m.RequestID}, nil)
	return err
}

// SendPasswordReset creates a reset token and e-mails its link, if the
// address is registered; the password-reset job calls it.
func (s *Service) SendPasswordReset(ctx context.Context, email string, m access.Meta) error {
	return s.db.InTx(ctx, func(tx Tx) error {
		u, err := tx.UserGetByEmail(ctx, email)
		if errors.Is(err, apperr.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		now := s.clock()
		tok, hash := NewSecret()
		if err := tx.TokenCreate(ctx, Token{ID: newID(), UserID: u.ID, Purpose: TokenResetPassword, Hash: hash, ExpiresAt: now.Add(ResetPasswordTTL), CreatedAt: now}); err != nil {
			return err
		}
		if err := s.sealer.SendEmail(ctx, tx, ordomail.KindPasswordReset, u.Email, ordomail.ResetData{
			Name: u.Name, URL: s.baseURL + "/reset-password?token=" + tok, ValidFor: ResetPasswordTTL,
		}); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, u, m, "auth.password_reset_requested", nil)
	})
}

// ResetPassword sets a new password with an e-mailed token, ends every
// session of the user, and uses up their other reset and e-mail-change
// links.
func (s *Service) ResetPassword(ctx context.Context, token, password string, m access.Meta) (User, error) {
	var u User
	err := s.db.InTx(ctx, func(tx Tx) error {
		now := s.clock()
		t, err := consumeToken(ctx, tx, TokenResetPassword, token, now)
		if err != nil {
			return err
		}
		if u, err = tx.UserGetByID(ctx, t.UserID); err != nil {
			return err
		}
		if err := CheckPassword("password", password, u.Email); err != nil {
			return err
		}
		if u.PasswordHash, err = s.hasher.Hash(password); err != nil {
			return err
		}
		// The link came to this address, so it is verified too.
		if u.EmailVerifiedAt == nil {
			u.EmailVerifiedAt = &now
		}
		u.UpdatedAt = now
		if err := tx.UserUpdate(ctx, u); err != nil {
			return err
		}
		if err := EndOpenLinks(ctx, tx, u.ID, now); err != nil {
			return err
		}
		if u.SessionEpoch, err = tx.UserBumpSessionEpoch(ctx, u.ID, now); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, u, m, "auth.password_reset", nil)
	})
	if err != nil {
		return User{}, err
	}
	s.forgetUser(ctx, u.ID)
	return u, nil
}

// ChangePassword replaces the password after checking the current one,
// ends the user's other sessions and uses up their open reset and
// e-mail-change links; it returns the new session epoch.
func (s *Service) ChangePassword(ctx context.Context, p access.Principal, current, next string, m access.Meta) (int64, error) {
	u, err := s.db.UserGetByID(ctx, p.UserID)
	if err != nil {
		return 0, err
	}
	if !s.hasher.Verify(current, u.PasswordHash) {
		return 0, wrongPassword("current_password")
	}
	if err := CheckPassword("new_password", next, u.Email); err != nil {
		return 0, err
	}
	if u.PasswordHash, err = s.hasher.Hash(next); err != nil {
		return 0, err
	}
	var epoch int64
	err = s.db.InTx(ctx, func(tx Tx) error {
		now := s.clock()
		u.UpdatedAt = now
		if err := tx.UserUpdate(ctx, u); err != nil {
			return err
		}
		if epoch, err = tx.UserBumpSessionEpoch(ctx, u.ID, now); err != nil {
			return err
		}
		if err := EndOpenLinks(ctx, tx, u.ID, now); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, u, m, "auth.password_changed", nil)
	})
	if err != nil {
		return 0, err
	}
	s.forgetUser(ctx, u.ID)
	return epoch, nil
}

// RequestEmailChange e-mails a confirmation link to the new address; the
// address changes only when it is opened.
func (s *Service) RequestEmailChange(ctx context.Context, p access.Principal, newEmail, password string, m access.Meta) error {
	email, err := NormalizeEmail("email", newEmail)
	if err != nil {
		return err
	}
	u, err := s.db.UserGetByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	if !s.hasher.Verify(password, u.PasswordHash) {
		return wrongPassword("password")
	}
	if email == u.Email {
		return apperr.Invalid("email", "is already your address")
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		if have, err := tx.UserGetByEmail(ctx, email); err == nil {
			// The same answer as for a free address, so that an account
			// cannot probe which addresses have one; the owner is told.
			return s.tellAccountExists(ctx, tx, have)
		} else if !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		now := s.clock()
		if err := tx.TokenInvalidate(ctx, u.ID, TokenChangeEmail, now); err != nil {
			return err
		}
		tok, hash := NewSecret()
		if err := tx.TokenCreate(ctx, Token{ID: newID(), UserID: u.ID, Purpose: TokenChangeEmail, Hash: hash, Data: email, ExpiresAt: now.Add(ChangeEmailTTL), CreatedAt: now}); err != nil {
			return err
		}
		if err := s.sealer.SendEmail(ctx, tx, ordomail.KindEmailChange, email, ordomail.EmailChangeData{
			Name: u.Name, URL: s.baseURL + "/confirm-email?token=" + tok, ValidFor: ChangeEmailTTL,
		}); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, u, m, "user.email_change_requested", map[string]any{"new": email})
	})
}

// ConfirmEmailChange switches the user to the address the token was sent
// to, uses up the user's other open reset and e-mail-change links (a
// reset link sent to the old address must not take the account back),
// and tells the old address.
func (s *Service) ConfirmEmailChange(ctx context.Context, token string, m access.Meta) (User, error) {
	var u User
	var old string
	err := s.db.InTx(ctx, func(tx Tx) error {
		now := s.clock()
		t, err := consumeToken(ctx, tx, TokenChangeEmail, token, now)
		if err != nil {
			return err
		}
		if u, err = tx.UserGetByID(ctx, t.UserID); err != nil {
			return err
		}
		old = u.Email
		u.Email, u.EmailVerifiedAt, u.UpdatedAt = t.Data, &now, now
		if err := tx.UserUpdate(ctx, u); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return apperr.Invalid("email", "is used by another account")
			}
			return err
		}
		if err := EndOpenLinks(ctx, tx, u.ID, now); err != nil {
			return err
		}
		if err := s.sealer.SendEmail(ctx, tx, ordomail.KindEmailChanged, old, ordomail.EmailChangedData{
			Name: u.Name, NewEmail: u.Email, URL: s.baseURL + "/forgot-password",
		}); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, u, m, "user.email_changed", map[string]any{"old": old, "new": u.Email})
	})
	if err != nil {
		return User{}, err
	}
	s.forgetUser(ctx, u.ID)
	return u, nil
}

// CreateUser makes a user for an operator (`ordo users create`). The
// operator vouches for the address, so it counts as verified.
func (s *Service) CreateUser(ctx context.Context, email, password, name string) (User, error) {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return User{}, err
	}
	if err := CheckPassword("password", password, email); err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return User{}, err
	}
	now := s.clock()
	u := User{ID: newID(), Email: email, Name: strings.TrimSpace(name), PasswordHash: hash, EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	if err := s.db.UserCreate(ctx, u); err != nil {
		if errors.Is(err, apperr.ErrConflict) {
			return User{}, apperr.Invalid("email", "is already registered")
		}
		return User{}, err
	}
	return u, nil
}

// CurrentUser returns the principal's user (User{} and not found for an
// API key).
func (s *Service) CurrentUser(ctx context.Context, p access.Principal) (User, error) {
	return s.db.UserGetByID(ctx, p.UserID)
}
