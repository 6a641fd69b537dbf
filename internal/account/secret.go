package account

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
)

// NewSecret returns a random URL-safe token and its SHA-256, which is all
// that is stored (of e-mailed tokens, invitations and API keys).
func NewSecret() (string, []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, HashSecret(tok)
}

// HashSecret is the SHA-256 of a token, as stored.
func HashSecret(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// NormalizeEmail checks an address given for field and returns it
// lower-cased.
func NormalizeEmail(field, raw string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(raw))
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || len(e) > 254 {
		return "", apperr.InvalidRule(field, apperr.RuleFormat, "must be an e-mail address")
	}
	return e, nil
}

// Principal is the user acting as themselves, in no tenant.
func (u User) Principal() access.Principal {
	return access.Principal{UserID: u.ID, Email: u.Email, Name: u.Name}
}

// UserAuditor is what AuditUser needs of a transaction.
type UserAuditor interface {
	MembershipListByUser(ctx context.Context, userID uuid.UUID) ([]Membership, error)
	audit.Writer
}

// AuditUser records a user-level change (or a log-in) inside tx, once in
// every tenant the user belongs to (their admins see it there).
func AuditUser(ctx context.Context, tx UserAuditor, now time.Time, u User, m access.Meta, action string, details map[string]any) error {
	ms, err := tx.MembershipListByUser(ctx, u.ID)
	if err != nil {
		return err
	}
	sortByTenant(ms)
	for _, mem := range ms {
		if err := u.Principal().Audit(ctx, tx, m, now, mem.TenantID, action, "user", u.ID.String(), details); err != nil {
			return err
		}
	}
	return nil
}

// sortByTenant puts memberships in tenant id order. Each audit entry
// locks its tenant's audit chain head until the commit, so transactions
// that write entries in several tenants must take those locks in one
// order, or two of them (two users logging in, members of the same two
// tenants joined in opposite orders) could deadlock.
func sortByTenant(ms []Membership) {
	slices.SortFunc(ms, func(a, b Membership) int { return bytes.Compare(a.TenantID[:], b.TenantID[:]) })
}

// TokenInvalidator is what EndOpenLinks needs of a transaction.
type TokenInvalidator interface {
	TokenInvalidate(ctx context.Context, userID uuid.UUID, purpose TokenPurpose, now time.Time) error
}

// EndOpenLinks uses up every open password-reset and e-mail-change link
// of the user. Those links act on the account, so whenever its
// credentials or address change (a new password, a confirmed new
// address, a reset, "log out everywhere") a link sent before must not
// outlive them: it may sit in an old mailbox, or have been taken.
func EndOpenLinks(ctx context.Context, tx TokenInvalidator, userID uuid.UUID, now time.Time) error {
	for _, purpose := range []TokenPurpose{TokenResetPassword, TokenChangeEmail} {
		if err := tx.TokenInvalidate(ctx, userID, purpose, now); err != nil {
			return err
		}
	}
	return nil
}

// wrongPasswordError is the answer to a wrong current password (a
// password or e-mail change): a validation error on the field, which
// IsWrongPassword tells apart from the others.
type wrongPasswordError struct{ err error }

func (e *wrongPasswordError) Error() string { return e.err.Error() }
func (e *wrongPasswordError) Unwrap() error { return e.err }

func wrongPassword(field string) error {
	return &wrongPasswordError{apperr.Invalid(field, "is not your current password")}
}

// IsWrongPassword reports whether err is a wrong current password given
// to a password or e-mail change (auth.IsWrongPassword adds failed
// log-ins).
func IsWrongPassword(err error) bool {
	var w *wrongPasswordError
	return errors.As(err, &w)
}
