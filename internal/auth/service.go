// Package auth is identity and access: sign-up and login, e-mail
// verification, password reset and change, tenants and memberships,
// invitations and API keys, with the audit entries they leave. It decides
// with access.Can, the one permission table, and persists through
// store.Store, one transaction per operation.
//
// It knows nothing about HTTP; sessions and cookies live in package web.
package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/cache"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/jobs"
	ordomail "github.com/ordo/ordo/internal/mail"
	"github.com/ordo/ordo/internal/outbox"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/tenant"
)

// Lifetimes of e-mailed tokens.
const (
	VerifyEmailTTL   = 48 * time.Hour
	ResetPasswordTTL = time.Hour
	ChangeEmailTTL   = time.Hour
	InvitationTTL    = 7 * 24 * time.Hour
)

// ErrBadCredentials is the one answer to a failed login, whatever failed.
var ErrBadCredentials = &apperr.Error{Kind: apperr.KindUnauthorized,
	Msg: "invalid e-mail or password, or the address is not confirmed yet (open the link we e-mailed you, or reset your password)"}

// wrongPasswordError is the answer to a wrong current password (a
// password or e-mail change): a validation error on the field, which
// IsWrongPassword tells apart from the others.
type wrongPasswordError struct{ err error }

func (e *wrongPasswordError) Error() string { return e.err.Error() }
func (e *wrongPasswordError) Unwrap() error { return e.err }

func wrongPassword(field string) error {
	return &wrongPasswordError{apperr.Invalid(field, "is not your current password")}
}

// IsWrongPassword reports whether err is a failed password check: a
// failed log-in, or a wrong current password. The web layer counts these
// against the rate limits of password guessing, and nothing else.
func IsWrongPassword(err error) bool {
	var w *wrongPasswordError
	return errors.As(err, &w) || errors.Is(err, ErrBadCredentials)
}

// Service implements the account operations.
type Service struct {
	store   store.Store
	cache   cache.Cache // nil: no caching
	hasher  *Hasher
	sealer  *jobs.Sealer
	log     *slog.Logger
	baseURL string
	now     func() time.Time
}

// Options configures a Service.
type Options struct {
	Store store.Store
	// Cache, when set, caches what authentication reads on every request.
	// Use a cache every process shares (Redis), or none: invalidation must
	// reach every process.
	Cache  cache.Cache
	Hasher *Hasher
	// Sealer seals the bodies of the e-mails, which carry one-time
	// links, in their job arguments. Without it no e-mail is sent (the
	// operation fails): links must never sit readable in the database.
	Sealer  *jobs.Sealer
	Log     *slog.Logger
	BaseURL string           // for links in e-mails
	Now     func() time.Time // nil: time.Now
}

// New returns a Service.
func New(o Options) *Service {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Service{store: o.Store, cache: o.Cache, hasher: o.Hasher, sealer: o.Sealer, log: o.Log, baseURL: strings.TrimRight(o.BaseURL, "/"), now: now}
}

// clock returns the current time at the precision both engines keep.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// normalizeEmail checks an address and returns it lower-cased.
func normalizeEmail(field, raw string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(raw))
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || len(e) > 254 {
		return "", apperr.Invalid(field, "must be an e-mail address")
	}
	return e, nil
}

// writeAudit records an entry for tenantID inside tx.
func writeAudit(ctx context.Context, tx store.Querier, now time.Time, tenantID uuid.UUID, p access.Principal, m access.Meta, action, entityType, entityID string, details map[string]any) error {
	var d any
	if details != nil {
		d = details
	}
	e, err := p.AuditEntry(m, now, tenantID, action, entityType, entityID, d)
	if err != nil {
		return err
	}
	return tx.AuditInsert(ctx, e)
}

// writeEvent puts an event in the outbox inside tx.
func writeEvent(ctx context.Context, tx store.Querier, now time.Time, tenantID uuid.UUID, typ, entityID string, data map[string]any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return outbox.Emit(ctx, tx, event.Event{ID: newID(), TenantID: tenantID, Type: typ, EntityID: entityID, Data: b, CreatedAt: now})
}

// sendEmail renders the e-mail of the given kind from its templates
// (data is the kind's data struct, such as ordomail.VerifyData) and
// enqueues it inside tx, its body sealed: it goes out only if tx commits.
func (s *Service) sendEmail(ctx context.Context, tx store.Querier, kind ordomail.Kind, to string, data any) error {
	if s.sealer == nil {
		return errors.New("auth: no sealer for e-mails (auth.Options.Sealer)")
	}
	m, err := ordomail.Render(kind, []string{to}, data)
	if err != nil {
		return err
	}
	args, err := s.sealer.Email(m, nil)
	if err != nil {
		return fmt.Errorf("seal e-mail: %w", err)
	}
	_, err = tx.JobInsert(ctx, args, nil)
	return err
}

func userPrincipal(u account.User) access.Principal {
	return access.Principal{UserID: u.ID, Email: u.Email, Name: u.Name}
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
// has an account. The returned user and tenant are therefore not for the
// caller to show; only the error is.
func (s *Service) SignUp(ctx context.Context, in SignUpInput, m access.Meta) (account.User, tenant.Tenant, error) {
	var v apperr.Validation
	email, err := normalizeEmail("email", in.Email)
	if err != nil {
		v.Add("email", "must be an e-mail address")
	}
	if err := CheckPassword("password", in.Password, email); err != nil {
		e, _ := apperr.As(err)
		v.Add("password", e.Fields[0].Detail)
	}
	name := strings.TrimSpace(in.Name)
	if len(name) > 200 {
		v.Add("name", "must be at most 200 characters")
	}
	tenantName := strings.TrimSpace(in.TenantName)
	if tenantName == "" {
		tenantName = "My team"
		if name != "" {
			tenantName = name + "'s team"
		}
	}
	if len(tenantName) > 200 {
		v.Add("tenant_name", "must be at most 200 characters")
	}
	if err := v.Err(); err != nil {
		return account.User{}, tenant.Tenant{}, err
	}
	// Hashed whether or not the address is free, so that both take the
	// same time.
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return account.User{}, tenant.Tenant{}, fmt.Errorf("hash password: %w", err)
	}
	now := s.clock()
	u := account.User{ID: newID(), Email: email, Name: name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	var t tenant.Tenant
	err = s.store.InTx(ctx, func(tx store.Tx) error {
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
		t, err = s.createTenant(ctx, tx, now, u, tenantName, m)
		if err != nil {
			return err
		}
		return s.issueVerification(ctx, tx, now, u)
	})
	if errors.Is(err, errSignUpRace) {
		return account.User{}, tenant.Tenant{}, nil
	}
	if err != nil {
		return account.User{}, tenant.Tenant{}, err
	}
	return u, t, nil
}

// tellAccountExists e-mails the owner of an address that someone tried to
// use it for a new account, instead of saying so to whoever tried.
func (s *Service) tellAccountExists(ctx context.Context, tx store.Tx, u account.User) error {
	return s.sendEmail(ctx, tx, ordomail.KindAccountExists, u.Email, ordomail.AccountExistsData{Name: u.Name, URL: s.baseURL + "/forgot-password"})
}

// createTenant makes a tenant with a unique slug and its owner.
func (s *Service) createTenant(ctx context.Context, tx store.Tx, now time.Time, owner account.User, name string, m access.Meta) (tenant.Tenant, error) {
	t := tenant.Tenant{ID: newID(), Name: name, Plan: tenant.PlanFree, Status: tenant.StatusActive, CreatedAt: now, UpdatedAt: now}
	base := tenant.Slugify(name)
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
			return tenant.Tenant{}, err
		}
		if attempt > 5 {
			return tenant.Tenant{}, apperr.Conflict("could not find a free slug for %q", name)
		}
	}
	if err := tx.TenantCreate(ctx, t); err != nil {
		return tenant.Tenant{}, err
	}
	if err := tx.MembershipCreate(ctx, account.Membership{TenantID: t.ID, UserID: owner.ID, Role: access.RoleOwner, CreatedAt: now, UpdatedAt: now}); err != nil {
		return tenant.Tenant{}, err
	}
	p := userPrincipal(owner)
	if err := writeAudit(ctx, tx, now, t.ID, p, m, "tenant.created", "tenant", t.ID.String(), map[string]any{"name": t.Name, "slug": t.Slug}); err != nil {
		return tenant.Tenant{}, err
	}
	if err := writeEvent(ctx, tx, now, t.ID, event.MemberAdded, owner.ID.String(), map[string]any{"user_id": owner.ID, "email": owner.Email, "role": access.RoleOwner}); err != nil {
		return tenant.Tenant{}, err
	}
	return t, nil
}

// issueVerification creates a verification token and e-mails its link.
func (s *Service) issueVerification(ctx context.Context, tx store.Tx, now time.Time, u account.User) error {
	tok, hash := newSecret()
	if err := tx.TokenCreate(ctx, account.Token{ID: newID(), UserID: u.ID, Purpose: account.TokenVerifyEmail, Hash: hash, ExpiresAt: now.Add(VerifyEmailTTL), CreatedAt: now}); err != nil {
		return err
	}
	return s.sendEmail(ctx, tx, ordomail.KindVerifyEmail, u.Email, ordomail.VerifyData{
		Name: u.Name, URL: s.baseURL + "/verify-email?token=" + tok, ValidFor: VerifyEmailTTL,
	})
}

// ResendVerification e-mails a new verification link if the address is
// not verified yet.
func (s *Service) ResendVerification(ctx context.Context, userID uuid.UUID, m access.Meta) error {
	return s.store.InTx(ctx, func(tx store.Tx) error {
		u, err := tx.UserGetByID(ctx, userID)
		if err != nil {
			return err
		}
		if u.EmailVerifiedAt != nil {
			return nil
		}
		now := s.clock()
		if err := tx.TokenInvalidate(ctx, u.ID, account.TokenVerifyEmail, now); err != nil {
			return err
		}
		if err := s.issueVerification(ctx, tx, now, u); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, u, m, "user.verification_sent", nil)
	})
}

// endOpenLinks uses up every open password-reset and e-mail-change link
// of the user. Those links act on the account, so whenever its
// credentials or address change (a new password, a confirmed new
// address, a reset, "log out everywhere") a link sent before must not
// outlive them: it may sit in an old mailbox, or have been taken.
func endOpenLinks(ctx context.Context, tx store.Tx, userID uuid.UUID, now time.Time) error {
	for _, purpose := range []account.TokenPurpose{account.TokenResetPassword, account.TokenChangeEmail} {
		if err := tx.TokenInvalidate(ctx, userID, purpose, now); err != nil {
			return err
		}
	}
	return nil
}

// consumeToken uses up an e-mailed token; an unknown, used or expired one
// is a validation error on the token field.
func consumeToken(ctx context.Context, tx store.Tx, purpose account.TokenPurpose, token string, now time.Time) (account.Token, error) {
	t, err := tx.TokenConsume(ctx, purpose, hashSecret(token), now)
	if errors.Is(err, apperr.ErrNotFound) {
		return t, apperr.Invalid("token", "is invalid, used or expired; ask for a new link")
	}
	return t, err
}

// VerifyEmail marks the address of the token's user verified.
func (s *Service) VerifyEmail(ctx context.Context, token string, m access.Meta) (account.User, error) {
	var u account.User
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		now := s.clock()
		t, err := consumeToken(ctx, tx, account.TokenVerifyEmail, token, now)
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

// Login checks an e-mail and password. Every failure is the same
// ErrBadCredentials, after about the same work, so that the answer does not
// tell whether the address is registered. Failures of a known user are
// audited in their tenants.
func (s *Service) Login(ctx context.Context, email, password string, m access.Meta) (account.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := s.store.UserGetByEmail(ctx, email)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return account.User{}, err
	}
	ok := s.hasher.Verify(password, u.PasswordHash) // u is zero if not found: a dummy check
	// An address not confirmed yet cannot log in, with the same answer:
	// otherwise signing up with an address and then logging in with the
	// password just chosen would tell whether the address had an account
	// before (SignUp answers the same either way).
	if err != nil || !ok || len(password) > MaxPasswordLen || u.EmailVerifiedAt == nil {
		if u.ID != uuid.Nil {
			s.auditUser(ctx, u, m, "auth.login_failed", nil)
		}
		return account.User{}, ErrBadCredentials
	}
	s.auditUser(ctx, u, m, "auth.login", nil)
	return u, nil
}

// auditUserTx records a user-level change inside tx, once in every tenant
// the user belongs to (their admins see it there).
func (s *Service) auditUserTx(ctx context.Context, tx store.Tx, u account.User, m access.Meta, action string, details map[string]any) error {
	ms, err := tx.MembershipListByUser(ctx, u.ID)
	if err != nil {
		return err
	}
	now := s.clock()
	for _, mem := range ms {
		if err := writeAudit(ctx, tx, now, mem.TenantID, userPrincipal(u), m, action, "user", u.ID.String(), details); err != nil {
			return err
		}
	}
	return nil
}

// auditUser records a session event (log-in, log-out) in its own
// transaction, best effort: a failure is logged, not returned, so that an
// audit hiccup never locks people out. Changes to data use auditUserTx
// inside their own transaction instead.
func (s *Service) auditUser(ctx context.Context, u account.User, m access.Meta, action string, details map[string]any) {
	err := s.store.InTx(ctx, func(tx store.Tx) error { return s.auditUserTx(ctx, tx, u, m, action, details) })
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
	defer s.forget(ctx, userCacheKey(p.UserID))
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		now := s.clock()
		if epoch, err = tx.UserBumpSessionEpoch(ctx, p.UserID, now); err != nil {
			return err
		}
		if err := endOpenLinks(ctx, tx, p.UserID, now); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, account.User{ID: p.UserID, Email: p.Email, Name: p.Name}, m, "auth.logout_everywhere", nil)
	})
	return epoch, err
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
	_, err := s.store.JobInsert(ctx, PasswordResetArgs{Email: email, IP: m.IP, UserAgent: m.UserAgent, RequestID: m.RequestID}, nil)
	return err
}

// SendPasswordReset creates a reset token and e-mails its link, if the
// address is registered; the password-reset job calls it.
func (s *Service) SendPasswordReset(ctx context.Context, email string, m access.Meta) error {
	return s.store.InTx(ctx, func(tx store.Tx) error {
		u, err := tx.UserGetByEmail(ctx, email)
		if errors.Is(err, apperr.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		now := s.clock()
		tok, hash := newSecret()
		if err := tx.TokenCreate(ctx, account.Token{ID: newID(), UserID: u.ID, Purpose: account.TokenResetPassword, Hash: hash, ExpiresAt: now.Add(ResetPasswordTTL), CreatedAt: now}); err != nil {
			return err
		}
		if err := s.sendEmail(ctx, tx, ordomail.KindPasswordReset, u.Email, ordomail.ResetData{
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
func (s *Service) ResetPassword(ctx context.Context, token, password string, m access.Meta) (account.User, error) {
	var u account.User
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		now := s.clock()
		t, err := consumeToken(ctx, tx, account.TokenResetPassword, token, now)
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
		if err := endOpenLinks(ctx, tx, u.ID, now); err != nil {
			return err
		}
		if u.SessionEpoch, err = tx.UserBumpSessionEpoch(ctx, u.ID, now); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, u, m, "auth.password_reset", nil)
	})
	if err != nil {
		return account.User{}, err
	}
	s.forget(ctx, userCacheKey(u.ID))
	return u, nil
}

// ChangePassword replaces the password after checking the current one,
// ends the user's other sessions and uses up their open reset and
// e-mail-change links; it returns the new session epoch.
func (s *Service) ChangePassword(ctx context.Context, p access.Principal, current, next string, m access.Meta) (int64, error) {
	u, err := s.store.UserGetByID(ctx, p.UserID)
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
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		now := s.clock()
		u.UpdatedAt = now
		if err := tx.UserUpdate(ctx, u); err != nil {
			return err
		}
		if epoch, err = tx.UserBumpSessionEpoch(ctx, u.ID, now); err != nil {
			return err
		}
		if err := endOpenLinks(ctx, tx, u.ID, now); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, u, m, "auth.password_changed", nil)
	})
	if err != nil {
		return 0, err
	}
	s.forget(ctx, userCacheKey(u.ID))
	return epoch, nil
}

// RequestEmailChange e-mails a confirmation link to the new address; the
// address changes only when it is opened.
func (s *Service) RequestEmailChange(ctx context.Context, p access.Principal, newEmail, password string, m access.Meta) error {
	email, err := normalizeEmail("email", newEmail)
	if err != nil {
		return err
	}
	u, err := s.store.UserGetByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	if !s.hasher.Verify(password, u.PasswordHash) {
		return wrongPassword("password")
	}
	if email == u.Email {
		return apperr.Invalid("email", "is already your address")
	}
	return s.store.InTx(ctx, func(tx store.Tx) error {
		if have, err := tx.UserGetByEmail(ctx, email); err == nil {
			// The same answer as for a free address, so that an account
			// cannot probe which addresses have one; the owner is told.
			return s.tellAccountExists(ctx, tx, have)
		} else if !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		now := s.clock()
		if err := tx.TokenInvalidate(ctx, u.ID, account.TokenChangeEmail, now); err != nil {
			return err
		}
		tok, hash := newSecret()
		if err := tx.TokenCreate(ctx, account.Token{ID: newID(), UserID: u.ID, Purpose: account.TokenChangeEmail, Hash: hash, Data: email, ExpiresAt: now.Add(ChangeEmailTTL), CreatedAt: now}); err != nil {
			return err
		}
		if err := s.sendEmail(ctx, tx, ordomail.KindEmailChange, email, ordomail.EmailChangeData{
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
func (s *Service) ConfirmEmailChange(ctx context.Context, token string, m access.Meta) (account.User, error) {
	var u account.User
	var old string
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		now := s.clock()
		t, err := consumeToken(ctx, tx, account.TokenChangeEmail, token, now)
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
		if err := endOpenLinks(ctx, tx, u.ID, now); err != nil {
			return err
		}
		if err := s.sendEmail(ctx, tx, ordomail.KindEmailChanged, old, ordomail.EmailChangedData{
			Name: u.Name, NewEmail: u.Email, URL: s.baseURL + "/forgot-password",
		}); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, u, m, "user.email_changed", map[string]any{"old": old, "new": u.Email})
	})
	if err != nil {
		return account.User{}, err
	}
	s.forget(ctx, userCacheKey(u.ID))
	return u, nil
}

// CreateUser makes a user for an operator (`ordo users create`). The
// operator vouches for the address, so it counts as verified.
func (s *Service) CreateUser(ctx context.Context, email, password, name string) (account.User, error) {
	email, err := normalizeEmail("email", email)
	if err != nil {
		return account.User{}, err
	}
	if err := CheckPassword("password", password, email); err != nil {
		return account.User{}, err
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return account.User{}, err
	}
	now := s.clock()
	u := account.User{ID: newID(), Email: email, Name: strings.TrimSpace(name), PasswordHash: hash, EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	if err := s.store.UserCreate(ctx, u); err != nil {
		if errors.Is(err, apperr.ErrConflict) {
			return account.User{}, apperr.Invalid("email", "is already registered")
		}
		return account.User{}, err
	}
	return u, nil
}

// OperatorPrincipal is the operator at the command line, acting as an
// owner of tenantID. Audit entries show it as "operator (CLI)".
func OperatorPrincipal(tenantID uuid.UUID) access.Principal {
	return access.Principal{TenantID: tenantID, Role: access.RoleOwner, Name: "operator (CLI)"}
}
