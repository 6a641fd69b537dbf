package passkey

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
)

// Limits of what a user registers.
const (
	MaxPerUser  = 20
	MaxNameLen  = 64
	ceremonyTTL = 5 * time.Minute
)

// Errors of the ceremonies.
var (
	// ErrInvalid is every failed sign-in with a passkey, whatever failed
	// (unknown credential, bad signature, another user's passkey, an
	// expired or replayed challenge), so that the answer tells nothing.
	ErrInvalid = &apperr.Error{Kind: apperr.KindUnauthorized,
		Msg: "the passkey was not accepted, or the request took too long; try again, or sign in with your password"}
	// ErrNoCeremony is a finish without a begin (or a second finish of
	// one begin: a ceremony's state is used once).
	ErrNoCeremony = apperr.Conflict("there is no passkey request to finish; start again")
)

// Ceremony kinds, kept in State so that the state of one cannot finish
// another.
const (
	KindRegister    = "register"
	KindLogin       = "login"        // passwordless: the authenticator names the user
	KindSecondLogin = "second_login" // after the password, of one user
)

// State is a ceremony's server-side state between its two requests: the
// challenge and what it was for. The web layer keeps it in the user's
// session (never in the browser's hands) and drops it when the ceremony
// finishes, so that a challenge is answered once.
type State struct {
	Kind   string               `json:"kind"`
	UserID uuid.UUID            `json:"user_id"`
	Epoch  int64                `json:"epoch"`
	Data   webauthn.SessionData `json:"data"`
}

// Options configures a Service.
type Options struct {
	// BaseURL is ORDO_BASE_URL: its host is the relying party's id and
	// its origin the one browsers must be on.
	BaseURL string
	Log     *slog.Logger
	Now     func() time.Time // nil: time.Now
	// Policy, when set, may refuse a passwordless sign-in as it refuses
	// a right password (a member of a tenant that requires single
	// sign-on): a passkey is a local credential too, and must not be a
	// way around the tenant's provider. The second factor needs no check:
	// the password before it was checked.
	Policy Policy
}

// Policy decides whether a user may sign in with a local credential
// (sso.Service is one).
type Policy interface {
	PasswordAllowed(ctx context.Context, u account.User) error
}

// Service runs the passkey ceremonies and keeps the passkeys.
type Service struct {
	db     DB
	policy Policy
	rp     *webauthn.WebAuthn
	log    *slog.Logger
	now    func() time.Time
}

// Config returns the relying party's configuration for baseURL: the RP
// ID is its host name (no port: WebAuthn scopes credentials to a domain)
// and the one origin its scheme, host and port, which is what browsers
// send. Browsers allow WebAuthn on http only for localhost, and never on
// an IP address: tests use http://localhost:port.
func Config(baseURL string) (*webauthn.Config, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("passkeys: base URL %q is not an http(s) URL", baseURL)
	}
	return &webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: "Ordo",
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: ceremonyTTL, TimeoutUVD: ceremonyTTL},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: ceremonyTTL, TimeoutUVD: ceremonyTTL},
		},
	}, nil
}

// NewService returns a Service on db (store.Narrow[passkey.Tx]{st}).
func NewService(db DB, o Options) (*Service, error) {
	cfg, err := Config(o.BaseURL)
	if err != nil {
		return nil, err
	}
	rp, err := webauthn.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: db, policy: o.Policy, rp: rp, log: log, now: now}, nil
}

// clock returns the current time at the precision both engines keep.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// user is a user and their passkeys as go-webauthn sees them. The user
// handle is the user's id (16 bytes, opaque to the authenticator): it
// names nobody outside Ordo, and a discoverable credential hands it back
// to tell whose it is.
type user struct {
	u    account.User
	keys []Passkey
}

func (w user) WebAuthnID() []byte          { return w.u.ID[:] }
func (w user) WebAuthnName() string        { return w.u.Email }
func (w user) WebAuthnDisplayName() string { return cmpOr(w.u.Name, w.u.Email) }
func (w user) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, len(w.keys))
	for i, k := range w.keys {
		out[i] = k.credential()
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (k Passkey) credential() webauthn.Credential {
	tr := make([]protocol.AuthenticatorTransport, len(k.Transports))
	for i, t := range k.Transports {
		tr[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID: k.CredentialID, PublicKey: k.PublicKey, Transport: tr,
		Flags:         webauthn.CredentialFlags{UserPresent: true, BackupEligible: k.BackupEligible, BackupState: k.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: k.AAGUID, SignCount: k.SignCount},
	}
}

func requireUser(p access.Principal) error {
	if p.IsAPIKey() || p.UserID == uuid.Nil {
		return apperr.Forbidden("only a signed-in user has passkeys, not an API key")
	}
	return nil
}

// requireWholeAccount is requireUser for changes to the user's passkeys:
// a session a tenant's identity provider signed in acts in that tenant
// only, and may not add a way into the whole account (access.ScopedTo).
func requireWholeAccount(p access.Principal) error {
	if err := requireUser(p); err != nil {
		return err
	}
	if p.ScopedTo != uuid.Nil {
		return access.ErrScopedSession
	}
	return nil
}

func (s *Service) load(ctx context.Context, userID uuid.UUID) (user, error) {
	u, err := s.db.UserGetByID(ctx, userID)
	if err != nil {
		return user{}, err
	}
	keys, err := s.db.PasskeyListByUser(ctx, userID)
	if err != nil {
		return user{}, err
	}
	return user{u: u, keys: keys}, nil
}

// List lists the user's passkeys, oldest first.
func (s *Service) List(ctx context.Context, p access.Principal) ([]Passkey, error) {
	if err := requireUser(p); err != nil {
		return nil, err
	}
	return s.db.PasskeyListByUser(ctx, p.UserID)
}

// Count counts the user's passkeys.
func (s *Service) Count(ctx context.Context, userID uuid.UUID) (int, error) {
	return s.db.PasskeyCountByUser(ctx, userID)
}

func descriptors(keys []Passkey) []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, len(keys))
	for i, k := range keys {
		c := k.credential()
		out[i] = c.Descriptor()
	}
	return out
}

// BeginRegistration starts registering a passkey of the user: the
// options for navigator.credentials.create and the state to keep. The
// credential must be discoverable (a passkey signs in without an
// e-mail) and verify its user (PIN or biometrics): it is a whole
// sign-in on its own. The user's passkeys are excluded, so that one
// authenticator is not registered twice.
func (s *Service) BeginRegistration(ctx context.Context, p access.Principal) (*protocol.CredentialCreation, State, error) {
	if err := requireWholeAccount(p); err != nil {
		return nil, State{}, err
	}
	w, err := s.load(ctx, p.UserID)
	if err != nil {
		return nil, State{}, err
	}
	if len(w.keys) >= MaxPerUser {
		return nil, State{}, apperr.Conflict("you have %d passkeys, the most there may be; remove one first", MaxPerUser)
	}
	creation, data, err := s.rp.BeginRegistration(w,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationRequired,
		}),
		webauthn.WithExclusions(descriptors(w.keys)),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return nil, State{}, fmt.Errorf("begin passkey registration: %w", err)
	}
	return creation, State{Kind: KindRegister, UserID: p.UserID, Data: *data}, nil
}

// FinishRegistration checks the authenticator's answer (response, the
// JSON of the PublicKeyCredential) against st and saves the passkey as
// name. An answer that does not parse is invalid on field "credential";
// one that does not match the challenge is invalid too.
func (s *Service) FinishRegistration(ctx context.Context, p access.Principal, st State, name string, response []byte, m access.Meta) (Passkey, error) {
	if err := requireWholeAccount(p); err != nil {
		return Passkey{}, err
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return Passkey{}, apperr.InvalidRule("name", apperr.RuleRequired, "is required")
	case utf8.RuneCountInString(name) > MaxNameLen:
		return Passkey{}, apperr.InvalidRule("name", apperr.RuleTooLong, "is longer than %d characters", MaxNameLen)
	}
	if st.Kind != KindRegister || st.UserID != p.UserID {
		return Passkey{}, ErrNoCeremony
	}
	if len(response) == 0 {
		return Passkey{}, apperr.InvalidRule("credential", apperr.RuleRequired, "is required")
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return Passkey{}, apperr.Invalid("credential", "is not a WebAuthn registration response")
	}
	w, err := s.load(ctx, p.UserID)
	if err != nil {
		return Passkey{}, err
	}
	cred, err := s.rp.CreateCredential(w, st.Data, parsed)
	if err != nil {
		s.log.InfoContext(ctx, "passkey registration refused", "user_id", p.UserID, "err", detail(err))
		return Passkey{}, apperr.Invalid("credential", "was not accepted (the request took too long, or the authenticator's answer does not match it); try again")
	}
	now := s.clock()
	k := Passkey{ID: uuid.Must(uuid.NewV7()), UserID: p.UserID, CredentialID: cred.ID, PublicKey: cred.PublicKey,
		SignCount: cred.Authenticator.SignCount, AAGUID: cred.Authenticator.AAGUID,
		BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState, Name: name, CreatedAt: now}
	for _, t := range cred.Transport {
		k.Transports = append(k.Transports, string(t))
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.PasskeyCreate(ctx, k); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return apperr.Conflict("this passkey is registered already")
			}
			return err
		}
		return account.AuditUser(ctx, tx, now, w.u, m, "user.passkey_added", map[string]any{"passkey_id": k.ID.String(), "name": k.Name})
	})
	if err != nil {
		return Passkey{}, err
	}
	return k, nil
}

// Remove deletes one of the user's passkeys; another user's or none is
// apperr.ErrNotFound.
func (s *Service) Remove(ctx context.Context, p access.Principal, id uuid.UUID, m access.Meta) error {
	if err := requireWholeAccount(p); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		k, err := tx.PasskeyDelete(ctx, p.UserID, id)
		if err != nil {
			return err
		}
		u := account.User{ID: p.UserID, Email: p.Email, Name: p.Name}
		return account.AuditUser(ctx, tx, s.clock(), u, m, "user.passkey_removed", map[string]any{"passkey_id": k.ID.String(), "name": k.Name})
	})
}

// BeginLogin starts a sign-in: passwordless when userID is uuid.Nil (any
// discoverable passkey, the authenticator says whose), else the second
// step of the log-in of userID at epoch, whose password was right, with
// one of their passkeys. A user with no passkey gets ErrInvalid.
func (s *Service) BeginLogin(ctx context.Context, userID uuid.UUID, epoch int64) (*protocol.CredentialAssertion, State, error) {
	if userID == uuid.Nil {
		assertion, data, err := s.rp.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
		if err != nil {
			return nil, State{}, fmt.Errorf("begin passkey login: %w", err)
		}
		return assertion, State{Kind: KindLogin, Data: *data}, nil
	}
	w, err := s.load(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) || (err == nil && len(w.keys) == 0) {
		return nil, State{}, ErrInvalid
	}
	if err != nil {
		return nil, State{}, err
	}
	// The password was the first factor: any user presence will do,
	// and verification (a PIN) where the authenticator has one.
	assertion, data, err := s.rp.BeginLogin(w, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, State{}, fmt.Errorf("begin passkey login: %w", err)
	}
	return assertion, State{Kind: KindSecondLogin, UserID: userID, Epoch: epoch, Data: *data}, nil
}

// FinishLogin checks the authenticator's answer to a BeginLogin (response,
// the JSON of the PublicKeyCredential) and returns the user who signed
// in, and the session's method: MethodPasskey passwordless,
// MethodPasswordPasskey as the second factor. It records the passkey's
// use and audits auth.login, or auth.login_failed for a known user.
func (s *Service) FinishLogin(ctx context.Context, st State, response []byte, m access.Meta) (account.User, string, error) {
	if st.Kind != KindLogin && st.Kind != KindSecondLogin {
		return account.User{}, "", ErrNoCeremony
	}
	if len(response) == 0 {
		return account.User{}, "", apperr.InvalidRule("credential", apperr.RuleRequired, "is required")
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return account.User{}, "", apperr.Invalid("credential", "is not a WebAuthn sign-in response")
	}
	var (
		who  user
		cred *webauthn.Credential
	)
	if st.Kind == KindLogin {
		var wu webauthn.User
		wu, cred, err = s.rp.ValidatePasskeyLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
			k, err := s.db.PasskeyGetByCredentialID(ctx, rawID)
			if err != nil {
				return nil, err
			}
			// The authenticator's user handle must be the owner's: a
			// credential never signs in as someone else.
			if !bytes.Equal(userHandle, k.UserID[:]) {
				return nil, errors.New("user handle is not the credential's owner")
			}
			return s.load(ctx, k.UserID)
		}, st.Data, parsed)
		if w, ok := wu.(user); ok {
			who = w
		}
	} else {
		who, err = s.load(ctx, st.UserID)
		if err == nil {
			cred, err = s.rp.ValidateLogin(who, st.Data, parsed)
		}
	}
	if err != nil {
		if who.u.ID == uuid.Nil {
			// An unknown passkey: maybe of a user deleted since.
			if k, kerr := s.db.PasskeyGetByCredentialID(ctx, parsed.RawID); kerr == nil {
				who, _ = s.load(ctx, k.UserID)
			}
		}
		s.log.InfoContext(ctx, "passkey login refused", "user_id", who.u.ID, "err", detail(err))
		return s.failed(ctx, who.u, m, "passkey")
	}
	if cred.Authenticator.CloneWarning {
		// The counter went backwards: two copies of the key may exist.
		s.log.WarnContext(ctx, "passkey signature counter went backwards: refused as a possible clone", "user_id", who.u.ID)
		return s.failed(ctx, who.u, m, "passkey counter")
	}
	u := who.u
	if st.Kind == KindSecondLogin && u.SessionEpoch != st.Epoch {
		// The password changed, or "log out everywhere", meanwhile.
		return account.User{}, "", apperr.ErrUnauthorized
	}
	if u.DisabledAt != nil {
		s.auditFailed(ctx, u, m, "disabled")
		return account.User{}, "", account.ErrDisabled
	}
	if u.EmailVerifiedAt == nil {
		return s.failed(ctx, u, m, "unverified")
	}
	if st.Kind == KindLogin && s.policy != nil {
		if err := s.policy.PasswordAllowed(ctx, u); err != nil {
			s.auditFailed(ctx, u, m, "sso_required")
			return account.User{}, "", err
		}
	}
	k, err := s.keyOf(who, cred.ID)
	if err != nil {
		return account.User{}, "", err
	}
	method := MethodPasskey
	if st.Kind == KindSecondLogin {
		method = MethodPasswordPasskey
	}
	now := s.clock()
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.PasskeyTouch(ctx, k.ID, cred.Authenticator.SignCount, cred.Flags.BackupState, now); err != nil {
			return err
		}
		return account.AuditUser(ctx, tx, now, u, m, "auth.login", map[string]any{"method": method, "passkey_id": k.ID.String()})
	})
	if err != nil {
		return account.User{}, "", err
	}
	return u, method, nil
}

func (s *Service) keyOf(w user, credentialID []byte) (Passkey, error) {
	for _, k := range w.keys {
		if bytes.Equal(k.CredentialID, credentialID) {
			return k, nil
		}
	}
	return Passkey{}, fmt.Errorf("passkey login: credential not among the user's")
}

func (s *Service) failed(ctx context.Context, u account.User, m access.Meta, reason string) (account.User, string, error) {
	s.auditFailed(ctx, u, m, reason)
	return account.User{}, "", ErrInvalid
}

// auditFailed records a failed sign-in of a known user, best effort (as
// auth does): an audit hiccup must not change the answer.
func (s *Service) auditFailed(ctx context.Context, u account.User, m access.Meta, reason string) {
	if u.ID == uuid.Nil {
		return
	}
	err := s.db.InTx(ctx, func(tx Tx) error {
		return account.AuditUser(ctx, tx, s.clock(), u, m, "auth.login_failed", map[string]any{"reason": reason})
	})
	if err != nil {
		s.log.WarnContext(ctx, "audit failed passkey login", "user_id", u.ID, "err", err)
	}
}

// detail is the library's explanation of a refusal, for the log.
func detail(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.DevInfo != "" {
		return pe.Details + ": " + pe.DevInfo
	}
	return err.Error()
}
