package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/jobs"
)

// Two-factor sign-in with TOTP (RFC 6238): 6 digits, 30 s steps, SHA-1,
// which every authenticator app reads from the otpauth:// URL. A code is
// accepted one step either side of now (clock drift), and never twice:
// each enrolment keeps the step of the last code it accepted. Recovery
// codes stand in for a lost device, once each; only their SHA-256 is kept
// (they are random, 80 bits, so a slow hash adds nothing).

// Sign-in methods, as sessions record them.
const (
	MethodPassword             = "password"
	MethodPasswordTOTP         = "password+totp"
	MethodPasswordRecoveryCode = "password+recovery_code"
)

// StrongMethod reports whether a session that signed in with method gave
// a second factor (or signed in through an identity provider, whose own
// policy then decides): what a tenant that requires two-factor sign-in
// asks of its members' sessions.
func StrongMethod(method string) bool {
	return strings.Contains(method, "+") || method == "passkey" || strings.HasPrefix(method, "sso")
}

// TOTP is a user's TOTP enrolment; SecretSealed is the base32 secret,
// sealed (jobs.Sealer) as totpWhat(UserID).
type TOTP struct {
	UserID       uuid.UUID
	SecretSealed string
	// ConfirmedAt is nil until a first code confirmed the enrolment; only
	// then does sign-in ask for codes.
	ConfirmedAt *time.Time
	// LastStep is the time step (Unix time / 30 s) of the last code
	// accepted; a code of that step or before is refused.
	LastStep  int64
	CreatedAt time.Time
}

// RecoveryCode is a single-use stand-in for a TOTP code; Hash is the
// SHA-256 of the normalised code.
type RecoveryCode struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	Hash      []byte
	UsedAt    *time.Time
	CreatedAt time.Time
}

// Errors of two-factor sign-in. The web layer gives the first two their
// own problem types (mfa-required, mfa-invalid).
var (
	ErrMFARequired = &apperr.Error{Kind: apperr.KindUnauthorized,
		Msg: "this account signs in with a second factor: send the 6-digit code from your authenticator app, or a recovery code, as well"}
	ErrMFAInvalid = &apperr.Error{Kind: apperr.KindUnauthorized,
		Msg: "the code is wrong, has expired, or was used already; enter the current code from your authenticator app, or a recovery code"}
)

const (
	totpPeriod        = 30
	totpDigits        = otp.DigitsSix
	totpIssuer        = "Ordo"
	recoveryCodeCount = 10
)

func totpWhat(userID uuid.UUID) string { return "totp secret " + userID.String() }

func totpOpts() totp.ValidateOpts {
	return totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}
}

// matchTOTP returns the time step of the code that code is, one step
// either side of now, and whether there is one.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != int(totpDigits) {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	for _, st := range []int64{step - 1, step, step + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(st*totpPeriod, 0), totpOpts())
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return st, true
		}
	}
	return 0, false
}

// isTOTPCode reports whether code looks like a TOTP code (six digits)
// rather than a recovery code.
func isTOTPCode(code string) bool {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != int(totpDigits) {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// newRecoveryCodes returns n new codes, as shown ("abcd-efgh-ijkl-mnop"),
// and their rows for userID.
func newRecoveryCodes(userID uuid.UUID, now time.Time) ([]string, []RecoveryCode) {
	shown := make([]string, recoveryCodeCount)
	rows := make([]RecoveryCode, recoveryCodeCount)
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	for i := range shown {
		b := make([]byte, 10) // 80 bits: 16 base32 characters
		_, _ = rand.Read(b)
		c := strings.ToLower(enc.EncodeToString(b))
		shown[i] = c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16]
		rows[i] = RecoveryCode{ID: newID(), UserID: userID, Hash: recoveryHash(c), CreatedAt: now}
	}
	return shown, rows
}

// recoveryHash is the stored hash of a recovery code as typed: dashes,
// spaces and case do not matter.
func recoveryHash(code string) []byte {
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	return HashSecret(c)
}

// SecondFactorStore is what checking a second factor reads and writes.
type SecondFactorStore interface {
	UserTOTPGet(ctx context.Context, userID uuid.UUID) (TOTP, error)
	UserTOTPUseStep(ctx context.Context, userID uuid.UUID, step int64) (bool, error)
	RecoveryCodeUse(ctx context.Context, userID uuid.UUID, hash []byte, now time.Time) (bool, error)
}

// HasTOTP reports whether the user signs in with a TOTP code.
func HasTOTP(ctx context.Context, st SecondFactorStore, userID uuid.UUID) (bool, error) {
	t, err := st.UserTOTPGet(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) {
		return false, nil
	}
	return err == nil && t.ConfirmedAt != nil, err
}

// VerifySecondFactor checks code, a TOTP code or a recovery code, for
// the user and uses it up; it returns the sign-in method it makes
// (MethodPasswordTOTP or MethodPasswordRecoveryCode). A wrong, expired
// or reused code is ErrMFAInvalid.
func VerifySecondFactor(ctx context.Context, st SecondFactorStore, sealer *jobs.Sealer, userID uuid.UUID, code string, now time.Time) (string, error) {
	if strings.TrimSpace(code) == "" {
		return "", ErrMFARequired
	}
	if !isTOTPCode(code) {
		ok, err := st.RecoveryCodeUse(ctx, userID, recoveryHash(code), now)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", ErrMFAInvalid
		}
		return MethodPasswordRecoveryCode, nil
	}
	t, err := st.UserTOTPGet(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) || (err == nil && t.ConfirmedAt == nil) {
		return "", ErrMFAInvalid
	}
	if err != nil {
		return "", err
	}
	secret, err := sealer.OpenText(t.SecretSealed, totpWhat(userID))
	if err != nil {
		return "", fmt.Errorf("open TOTP secret: %w", err)
	}
	step, ok := matchTOTP(secret, code, now)
	if !ok {
		return "", ErrMFAInvalid
	}
	if ok, err = st.UserTOTPUseStep(ctx, userID, step); err != nil {
		return "", err
	} else if !ok {
		return "", ErrMFAInvalid // replayed within its window
	}
	return MethodPasswordTOTP, nil
}

// TwoFactorStatus is what the account page shows of a user's two-factor
// sign-in.
type TwoFactorStatus struct {
	// TOTP: sign-in asks for a code. Pending: an enrolment was started
	// and not confirmed.
	TOTP, Pending bool
	// RecoveryCodesLeft counts the unused recovery codes.
	RecoveryCodesLeft int
}

// TwoFactor reports the user's two-factor sign-in.
func (s *Service) TwoFactor(ctx context.Context, userID uuid.UUID) (TwoFactorStatus, error) {
	t, err := s.db.UserTOTPGet(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) {
		return TwoFactorStatus{}, nil
	}
	if err != nil {
		return TwoFactorStatus{}, err
	}
	st := TwoFactorStatus{TOTP: t.ConfirmedAt != nil, Pending: t.ConfirmedAt == nil}
	if st.TOTP {
		if st.RecoveryCodesLeft, err = s.db.RecoveryCodesLeft(ctx, userID); err != nil {
			return TwoFactorStatus{}, err
		}
	}
	return st, nil
}

// totpURL is the otpauth:// URL of a secret, as totp.Generate writes it.
func totpURL(account, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", totpIssuer)
	v.Set("period", "30")
	v.Set("digits", "6")
	v.Set("algorithm", "SHA1")
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + totpIssuer + ":" + account, RawQuery: v.Encode()}
	return u.String()
}

// TOTPEnrolment is a started enrolment: the secret, for typing in, and
// the otpauth:// URL an authenticator app reads from a QR code.
type TOTPEnrolment struct {
	Secret string
	URL    string
	key    *otp.Key
}

// Key is the enrolment's key, which draws its QR code.
func (e TOTPEnrolment) Key() *otp.Key { return e.key }

func (s *Service) requireUser(p access.Principal) error {
	if p.IsAPIKey() || p.UserID == uuid.Nil {
		return apperr.Forbidden("only users sign in with two factors")
	}
	if p.ScopedTo != uuid.Nil {
		return access.ErrScopedSession
	}
	return nil
}

// StartTOTP begins an enrolment with a new secret (replacing one not yet
// confirmed). It is a conflict while TOTP is on: turn it off first.
func (s *Service) StartTOTP(ctx context.Context, p access.Principal) (TOTPEnrolment, error) {
	if err := s.requireUser(p); err != nil {
		return TOTPEnrolment{}, err
	}
	if on, err := HasTOTP(ctx, s.db, p.UserID); err != nil {
		return TOTPEnrolment{}, err
	} else if on {
		return TOTPEnrolment{}, apperr.Conflict("two-factor authentication is on already; turn it off first to set up another app")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: p.Email, Period: totpPeriod,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1, SecretSize: 20})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("generate TOTP key: %w", err)
	}
	sealed, err := s.sealer.SealText(key.Secret(), totpWhat(p.UserID))
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if err := s.db.UserTOTPSave(ctx, TOTP{UserID: p.UserID, SecretSealed: sealed, CreatedAt: s.clock()}); err != nil {
		return TOTPEnrolment{}, err
	}
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL(), key: key}, nil
}

// PendingTOTP returns the enrolment started and not confirmed, to show
// its QR code again; none is apperr.ErrNotFound.
func (s *Service) PendingTOTP(ctx context.Context, p access.Principal) (TOTPEnrolment, error) {
	t, err := s.db.UserTOTPGet(ctx, p.UserID)
	if err == nil && t.ConfirmedAt != nil {
		err = apperr.ErrNotFound
	}
	if err != nil {
		return TOTPEnrolment{}, err
	}
	secret, err := s.sealer.OpenText(t.SecretSealed, totpWhat(p.UserID))
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("open TOTP secret: %w", err)
	}
	key, err := otp.NewKeyFromURL(totpURL(p.Email, secret))
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("TOTP key: %w", err)
	}
	return TOTPEnrolment{Secret: secret, URL: key.URL(), key: key}, nil
}

// ConfirmTOTP finishes the enrolment with a code from the app, and
// returns ten new recovery codes, shown this once.
func (s *Service) ConfirmTOTP(ctx context.Context, p access.Principal, code string, m access.Meta) ([]string, error) {
	if err := s.requireUser(p); err != nil {
		return nil, err
	}
	if strings.TrimSpace(code) == "" {
		return nil, apperr.Invalid("code", "is required")
	}
	t, err := s.db.UserTOTPGet(ctx, p.UserID)
	if errors.Is(err, apperr.ErrNotFound) || (err == nil && t.ConfirmedAt != nil) {
		return nil, apperr.Conflict("there is no two-factor set-up to confirm; start one first")
	}
	if err != nil {
		return nil, err
	}
	secret, err := s.sealer.OpenText(t.SecretSealed, totpWhat(p.UserID))
	if err != nil {
		return nil, fmt.Errorf("open TOTP secret: %w", err)
	}
	step, ok := matchTOTP(secret, code, s.now())
	if !ok {
		return nil, apperr.Invalid("code", "is not the current code of your authenticator app")
	}
	now := s.clock()
	shown, rows := newRecoveryCodes(p.UserID, now)
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.UserTOTPConfirm(ctx, p.UserID, now, step); err != nil {
			if errors.Is(err, apperr.ErrNotFound) {
				return apperr.Conflict("there is no two-factor set-up to confirm; start one first")
			}
			return err
		}
		if err := tx.RecoveryCodesReplace(ctx, p.UserID, rows); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, User{ID: p.UserID, Email: p.Email, Name: p.Name}, m, "user.two_factor_enabled", map[string]any{"method": "totp"})
	})
	if err != nil {
		return nil, err
	}
	return shown, nil
}

// checkFreshCode checks a code given to change two-factor settings: a
// current TOTP code (not used before), or, when recoveryOK, an unused
// recovery code (for a lost device). A wrong one is invalid, on field
// "code".
func (s *Service) checkFreshCode(ctx context.Context, userID uuid.UUID, code string, recoveryOK bool) error {
	if strings.TrimSpace(code) == "" {
		return apperr.Invalid("code", "is required")
	}
	if !recoveryOK && !isTOTPCode(code) {
		return apperr.Invalid("code", "is not the current code of your authenticator app")
	}
	if _, err := VerifySecondFactor(ctx, s.db, s.sealer, userID, code, s.now()); errors.Is(err, ErrMFAInvalid) {
		if recoveryOK {
			return apperr.Invalid("code", "is not the current code of your authenticator app, nor an unused recovery code")
		}
		return apperr.Invalid("code", "is not the current code of your authenticator app")
	} else if err != nil {
		return err
	}
	return nil
}

// DisableTOTP turns two-factor sign-in off, with a fresh code from the
// app or an unused recovery code (the device may be lost).
func (s *Service) DisableTOTP(ctx context.Context, p access.Principal, code string, m access.Meta) error {
	if err := s.requireUser(p); err != nil {
		return err
	}
	if on, err := HasTOTP(ctx, s.db, p.UserID); err != nil {
		return err
	} else if !on {
		return apperr.Conflict("two-factor authentication is not on")
	}
	if err := s.checkFreshCode(ctx, p.UserID, code, true); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.UserTOTPDelete(ctx, p.UserID); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, User{ID: p.UserID, Email: p.Email, Name: p.Name}, m, "user.two_factor_disabled", map[string]any{"method": "totp"})
	})
}

// RegenerateRecoveryCodes replaces the recovery codes with ten new ones,
// with a fresh code from the app.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, p access.Principal, code string, m access.Meta) ([]string, error) {
	if err := s.requireUser(p); err != nil {
		return nil, err
	}
	if on, err := HasTOTP(ctx, s.db, p.UserID); err != nil {
		return nil, err
	} else if !on {
		return nil, apperr.Conflict("two-factor authentication is not on")
	}
	if err := s.checkFreshCode(ctx, p.UserID, code, false); err != nil {
		return nil, err
	}
	shown, rows := newRecoveryCodes(p.UserID, s.clock())
	err := s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.RecoveryCodesReplace(ctx, p.UserID, rows); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, User{ID: p.UserID, Email: p.Email, Name: p.Name}, m, "user.recovery_codes_regenerated", nil)
	})
	if err != nil {
		return nil, err
	}
	return shown, nil
}
