package web

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
)

// The profile over the API: name and language, avatar, sessions, and
// deleting the account. All are the logged-in user's own; an API key has
// none (403).

type (
	profileJSON struct {
		ID            uuid.UUID `json:"id"`
		Email         string    `json:"email"`
		EmailVerified bool      `json:"email_verified"`
		Name          string    `json:"name"`
		Locale        string    `json:"locale" description:"The UI language chosen (a tag such as de), or empty to follow the browser."`
		HasAvatar     bool      `json:"has_avatar" description:"Upload with PUT /api/v1/me/avatar."`
	}
	profileReq struct {
		Name   *string `json:"name,omitempty" maxLength:"200"`
		Locale *string `json:"locale,omitempty" description:"A language tag Ordo speaks (en, de), or empty to follow the browser."`
	}
	sessionJSON struct {
		ID         uuid.UUID `json:"id"`
		UserAgent  string    `json:"user_agent"`
		IP         string    `json:"ip"`
		CreatedAt  time.Time `json:"created_at"`
		LastSeenAt time.Time `json:"last_seen_at" description:"Updated at most once a minute."`
		Current    bool      `json:"current" description:"The session this request came with."`
		Method     string    `json:"method" description:"How the session signed in: password, password+totp, password+recovery_code, password+passkey, passkey, sso:…; empty for sessions older than this record."`
	}
	sessionList struct {
		Data []sessionJSON `json:"data"`
	}
	deleteMeReq struct {
		Password string `json:"password" required:"true"`
	}
)

func toProfileJSON(u account.User) profileJSON {
	return profileJSON{ID: u.ID, Email: u.Email, EmailVerified: u.EmailVerifiedAt != nil, Name: u.Name, Locale: u.Locale, HasAvatar: u.Image != ""}
}

func (s *Server) handleProfileGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	u, err := s.accounts.CurrentUser(r.Context(), p)
	if err != nil {
		return err
	}
	if notModified(w, r, etag(u.Version())) {
		return nil
	}
	writeProfile(w, u)
	return nil
}

// writeProfile answers with the profile and its version as the ETag, to
// send back as If-Match on PATCH.
func writeProfile(w http.ResponseWriter, u account.User) {
	w.Header().Set("ETag", etag(u.Version()))
	writeJSON(w, http.StatusOK, toProfileJSON(u))
}

func (s *Server) handleProfileUpdate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	var in profileReq
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	version, err := ifMatch(r, account.ErrProfileStale)
	if err != nil {
		return err
	}
	u, err := s.accounts.UpdateProfile(r.Context(), p, account.ProfileUpdate{Name: in.Name, Locale: in.Locale, IfMatch: version}, s.meta(r))
	if err != nil {
		return err
	}
	if in.Locale != nil {
		s.setSessionLanguage(r.Context(), u.Locale)
	}
	writeProfile(w, u)
	return nil
}

// handleAvatarPut takes the picture as the raw request body.
func (s *Server) handleAvatarPut(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	u, err := s.accounts.SetAvatar(r.Context(), p, r.Body, s.meta(r))
	if err != nil {
		return err
	}
	writeProfile(w, u)
	return nil
}

func (s *Server) handleAvatarDelete(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	if _, err := s.accounts.DeleteAvatar(r.Context(), p, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleSessionList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	s.noteSession(r, p, true)
	ss, err := s.accounts.Sessions(r.Context(), p, SessionIdleTimeout)
	if err != nil {
		return err
	}
	cur := s.currentSessionHash(r.Context())
	out := sessionList{Data: []sessionJSON{}}
	for _, x := range ss {
		out.Data = append(out.Data, sessionJSON{ID: x.ID, UserAgent: x.UserAgent, IP: x.IP, CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt, Current: x.TokenHash == cur, Method: x.Method})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleSessionRevoke(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "session")
	if err != nil {
		return err
	}
	us, err := s.accounts.RevokeSession(r.Context(), p, id, s.meta(r))
	if err != nil {
		return err
	}
	if err := s.endStoredSession(r.Context(), us.TokenHash); err != nil {
		return err
	}
	if us.TokenHash == s.currentSessionHash(r.Context()) {
		_ = s.sessions.Destroy(r.Context())
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleDeleteMe(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	var in deleteMeReq
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.passwordCheck(r, p.Email); err != nil {
		return err
	}
	if err := s.accounts.DeleteAccount(r.Context(), p, in.Password, s.meta(r)); err != nil {
		if account.IsWrongPassword(err) {
			s.passwordCheckFailed(r, p.Email)
		}
		return err
	}
	_ = s.sessions.Destroy(r.Context())
	w.WriteHeader(http.StatusNoContent)
	return nil
}
