package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/passkey"
)

// Passkeys (package passkey) over JSON: the user's list, registering one
// (begin, then finish with the authenticator's answer) and removing one;
// and signing in with one (begin, then finish). The browser's
// static/passkey.js calls these; the account page and the log-in pages
// only show buttons for it.
//
// Between a ceremony's two requests its state (the challenge) is kept in
// this session, server-side, under sessPasskeyCeremony: one ceremony at
// a time per session, used once (a finish removes it, whatever the
// outcome), and dropped after passkeyCeremonyTTL.
//
// API clients: signing in with a passkey needs the session cookie kept
// between begin and finish. The second factor of POST /api/v1/auth/login
// is a TOTP code only; a passkey-only user, whom that login answers 401
// mfa-required, signs in with the passkey alone instead
// (POST /api/v1/auth/passkey/options without second_factor), which is
// the stronger sign-in anyway.

const (
	sessPasskeyCeremony = "passkey_ceremony"
	sessPasskeyUntil    = "passkey_until"
	passkeyCeremonyTTL  = 5 * time.Minute
)

type (
	passkeyJSON struct {
		ID         uuid.UUID  `json:"id"`
		Name       string     `json:"name"`
		CreatedAt  time.Time  `json:"created_at"`
		LastUsedAt *time.Time `json:"last_used_at" description:"When it last signed in; null if never."`
		Synced     bool       `json:"synced" description:"The passkey is backed up (synced between the user's devices)."`
	}
	passkeyList struct {
		Data []passkeyJSON `json:"data"`
	}
	passkeyOptionsJSON struct {
		PublicKey json.RawMessage `json:"publicKey" description:"The options for navigator.credentials.create or .get (binary fields base64url-encoded, as WebAuthn Level 3's parseCreationOptionsFromJSON reads them)."`
	}
	passkeyRegisterReq struct {
		Name       string          `json:"name" required:"true" description:"The user's label for the passkey (at most 64 characters)."`
		Credential json.RawMessage `json:"credential" required:"true" description:"The PublicKeyCredential that navigator.credentials.create returned, as its toJSON() writes it."`
	}
	passkeyLoginOptionsReq struct {
		SecondFactor bool `json:"second_factor" description:"Sign in with the passkey after the password: for the log-in waiting in this browser session for its second step (the log-in page's). Without it: any passkey, which names its user (passwordless)."`
	}
	passkeyLoginReq struct {
		Credential json.RawMessage `json:"credential" required:"true" description:"The PublicKeyCredential that navigator.credentials.get returned, as its toJSON() writes it."`
	}
)

func toPasskeyJSON(k passkey.Passkey) passkeyJSON {
	return passkeyJSON{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, Synced: k.BackupState}
}

// errNoPasskeys answers when the server runs without passkeys configured.
var errNoPasskeys = apperr.NotFound("passkey sign-in")

// keepCeremony remembers a ceremony's state in the session.
func (s *Server) keepCeremony(ctx context.Context, st passkey.State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	s.sessions.Put(ctx, sessPasskeyCeremony, string(b))
	s.sessions.Put(ctx, sessPasskeyUntil, time.Now().Add(passkeyCeremonyTTL).Unix())
	return nil
}

// takeCeremony returns the session's ceremony state and forgets it, so
// that its challenge is answered once: passkey.ErrNoCeremony if there is
// none (or it is too old).
func (s *Server) takeCeremony(ctx context.Context) (passkey.State, error) {
	raw := s.sessions.PopString(ctx, sessPasskeyCeremony)
	until, _ := s.sessions.Pop(ctx, sessPasskeyUntil).(int64)
	var st passkey.State
	if raw == "" || time.Now().Unix() > until || json.Unmarshal([]byte(raw), &st) != nil {
		return passkey.State{}, passkey.ErrNoCeremony
	}
	return st, nil
}

func (s *Server) handlePasskeyList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	if s.passkeys == nil {
		return errNoPasskeys
	}
	keys, err := s.passkeys.List(r.Context(), p)
	if err != nil {
		return err
	}
	out := passkeyList{Data: []passkeyJSON{}}
	for _, k := range keys {
		out.Data = append(out.Data, toPasskeyJSON(k))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handlePasskeyRegisterBegin(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	if s.passkeys == nil {
		return errNoPasskeys
	}
	creation, st, err := s.passkeys.BeginRegistration(r.Context(), p)
	if err != nil {
		return err
	}
	if err := s.keepCeremony(r.Context(), st); err != nil {
		return err
	}
	return writeOptions(w, creation.Response)
}

func writeOptions(w http.ResponseWriter, options any) error {
	b, err := json.Marshal(options)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, passkeyOptionsJSON{PublicKey: b})
	return nil
}

func (s *Server) handlePasskeyRegisterFinish(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	if s.passkeys == nil {
		return errNoPasskeys
	}
	var in passkeyRegisterReq
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	st, err := s.takeCeremony(r.Context())
	if err != nil {
		return err
	}
	k, err := s.passkeys.FinishRegistration(r.Context(), p, st, in.Name, in.Credential, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toPasskeyJSON(k))
	return nil
}

func (s *Server) handlePasskeyDelete(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	if s.passkeys == nil {
		return errNoPasskeys
	}
	id, err := pathID(r, "id", "passkey")
	if err != nil {
		return err
	}
	if err := s.passkeys.Remove(r.Context(), p, id, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handlePasskeyLoginBegin(w http.ResponseWriter, r *http.Request) error {
	if s.passkeys == nil {
		return errNoPasskeys
	}
	var in passkeyLoginOptionsReq
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.allow(w, r, s.limits.LoginPerIP, "login:ip:"+s.clientIP(r)); err != nil {
		return err
	}
	userID, epoch := uuid.Nil, int64(0)
	if in.SecondFactor {
		id, e, _, ok := s.pendingLogin(r.Context())
		if !ok {
			return apperr.Conflict("there is no log-in waiting for its second step: enter your e-mail and password again")
		}
		userID, epoch = id, e
	}
	assertion, st, err := s.passkeys.BeginLogin(r.Context(), userID, epoch)
	if err != nil {
		return err
	}
	if err := s.keepCeremony(r.Context(), st); err != nil {
		return err
	}
	return writeOptions(w, assertion.Response)
}

func (s *Server) handlePasskeyLoginFinish(w http.ResponseWriter, r *http.Request) error {
	if s.passkeys == nil {
		return errNoPasskeys
	}
	var in passkeyLoginReq
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.allow(w, r, s.limits.LoginPerIP, "login:ip:"+s.clientIP(r)); err != nil {
		return err
	}
	ctx := r.Context()
	st, err := s.takeCeremony(ctx)
	if err != nil {
		return err
	}
	if st.Kind == passkey.KindSecondLogin {
		if id, _, _, ok := s.pendingLogin(ctx); !ok || id != st.UserID {
			s.endPendingLogin(ctx)
			return apperr.Conflict("there is no log-in waiting for its second step: enter your e-mail and password again")
		}
	}
	u, method, err := s.passkeys.FinishLogin(ctx, st, in.Credential, s.meta(r))
	if errors.Is(err, apperr.ErrUnauthorized) && !errors.Is(err, passkey.ErrInvalid) {
		// The password changed, or the account was disabled, meanwhile.
		s.endPendingLogin(ctx)
	}
	if err != nil {
		return err
	}
	s.endPendingLogin(ctx)
	tid, err := s.auth.DefaultTenant(ctx, u.ID)
	if err != nil {
		return err
	}
	if err := s.startSession(ctx, u.ID, tid, u.SessionEpoch, method); err != nil {
		return err
	}
	s.applyUserLocale(ctx, u)
	return s.writeMe(w, r, u.ID, tid, u.SessionEpoch)
}

// userHasPasskey reports whether the user has a passkey, for the log-in's
// second step to offer it.
func (s *Server) userHasPasskey(ctx context.Context, userID uuid.UUID) bool {
	if s.passkeys == nil {
		return false
	}
	n, err := s.passkeys.Count(ctx, userID)
	return err == nil && n > 0
}
