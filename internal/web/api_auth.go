package web

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/auth"
)

// requireUser answers 401 unless a user (not an API key) is logged in.
func (s *Server) requireUser(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, ok := principalFrom(r.Context())
	if !ok {
		s.fail(w, r, &apperr.Error{Kind: apperr.KindUnauthorized, Msg: "log in, or send an API key as Authorization: Bearer"})
		return p, false
	}
	if p.IsAPIKey() {
		s.fail(w, r, apperr.Forbidden("this needs a logged-in user, not an API key"))
		return p, false
	}
	return p, true
}

// requirePrincipal answers 401 unless someone is authenticated.
func (s *Server) requirePrincipal(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, ok := principalFrom(r.Context())
	if !ok {
		s.fail(w, r, &apperr.Error{Kind: apperr.KindUnauthorized, Msg: "log in, or send an API key as Authorization: Bearer"})
	}
	return p, ok
}

func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) {
	if !s.limit(w, r, s.limits.SignupPerIP, "signup:ip:"+s.clientIP(r)) {
		return
	}
	var in struct {
		Email      string `json:"email"`
		Password   string `json:"password"`
		Name       string `json:"name"`
		TenantName string `json:"tenant_name"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, _, err := s.auth.SignUp(r.Context(), auth.SignUpInput{Email: in.Email, Password: in.Password, Name: in.Name, TenantName: in.TenantName}, s.meta(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	// The same answer whether or not the address was registered (a
	// registered one is e-mailed instead), and no session: the user logs
	// in once the address is confirmed.
	writeJSON(w, http.StatusAccepted, signupAccepted)
}

// signupAccepted is the one answer to a valid sign-up.
var signupAccepted = map[string]string{"status": "check your e-mail: we sent a link to confirm the address; log in once it is confirmed"}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if !s.limit(w, r, s.limits.LoginPerIP, "login:ip:"+s.clientIP(r)) || !s.passwordCheckAllowed(w, r, email) {
		return
	}
	u, err := s.auth.Login(r.Context(), email, in.Password, s.meta(r))
	if err != nil {
		if auth.IsWrongPassword(err) {
			s.passwordCheckFailed(r, email)
		}
		s.fail(w, r, err)
		return
	}
	tid, err := s.auth.DefaultTenant(r.Context(), u.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.startSession(r.Context(), u.ID, tid, u.SessionEpoch); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeMe(w, r, u.ID, tid, u.SessionEpoch)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if p, ok := principalFrom(r.Context()); ok {
		s.auth.Logout(r.Context(), p, s.meta(r))
	}
	if err := s.sessions.Destroy(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleLogoutEverywhere(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	if _, err := s.auth.LogoutEverywhere(r.Context(), p, s.meta(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.sessions.Destroy(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type tokenInput struct {
	Token string `json:"token"`
}

func (s *Server) handleVerifyEmail(w http.ResponseWriter, r *http.Request) {
	var in tokenInput
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.auth.VerifyEmail(r.Context(), in.Token, s.meta(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": toUserJSON(u)})
}

func (s *Server) handleResendVerification(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	if !s.limit(w, r, s.limits.ResetPerAccount, "verify:acct:"+p.UserID.String()) {
		return
	}
	if err := s.auth.ResendVerification(r.Context(), p.UserID, s.meta(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) handlePasswordResetRequest(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if !s.limit(w, r, s.limits.ResetPerIP, "reset:ip:"+s.clientIP(r)) ||
		!s.limit(w, r, s.limits.ResetPerAccount, "reset:acct:"+email) {
		return
	}
	if err := s.auth.RequestPasswordReset(r.Context(), email, s.meta(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	// The same answer whether or not the address is registered.
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "if the address is registered, a reset link is on its way"})
}

func (s *Server) handlePasswordResetConfirm(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.limit(w, r, s.limits.ResetPerIP, "reset:ip:"+s.clientIP(r)) {
		return
	}
	if _, err := s.auth.ResetPassword(r.Context(), in.Token, in.Password, s.meta(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	// Every session ended, this one too: log in with the new password.
	_ = s.sessions.Destroy(r.Context())
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handlePasswordChange(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.passwordCheckAllowed(w, r, p.Email) {
		return
	}
	epoch, err := s.auth.ChangePassword(r.Context(), p, in.CurrentPassword, in.NewPassword, s.meta(r))
	if err != nil {
		if auth.IsWrongPassword(err) {
			s.passwordCheckFailed(r, p.Email)
		}
		s.fail(w, r, err)
		return
	}
	// Other sessions ended; this one continues on a fresh token.
	if err := s.startSession(r.Context(), p.UserID, p.TenantID, epoch); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleEmailChangeRequest(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.passwordCheckAllowed(w, r, p.Email) {
		return
	}
	if err := s.auth.RequestEmailChange(r.Context(), p, in.Email, in.Password, s.meta(r)); err != nil {
		if auth.IsWrongPassword(err) {
			s.passwordCheckFailed(r, p.Email)
		}
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "a confirmation link was sent to the new address"})
}

func (s *Server) handleEmailChangeConfirm(w http.ResponseWriter, r *http.Request) {
	var in tokenInput
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.auth.ConfirmEmailChange(r.Context(), in.Token, s.meta(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": toUserJSON(u)})
}

// handleMe tells who is asking: the principal, its tenant and role.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requirePrincipal(w, r)
	if !ok {
		return
	}
	out := map[string]any{"role": nil, "tenant": nil}
	if p.IsAPIKey() {
		out["principal"] = map[string]any{"type": "api_key", "id": p.APIKeyID, "name": p.APIKeyName}
	} else {
		out["principal"] = map[string]any{"type": "user", "id": p.UserID, "email": p.Email, "name": p.Name}
	}
	if p.InTenant() {
		t, err := s.auth.CurrentTenant(r.Context(), p)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out["tenant"] = toTenantJSON(t, "")
		out["role"] = p.Role
	}
	writeJSON(w, http.StatusOK, out)
}

// writeMe answers with the /me body for a freshly logged-in user.
func (s *Server) writeMe(w http.ResponseWriter, r *http.Request, userID, tenantID uuid.UUID, epoch int64) {
	p, err := s.auth.Resolve(r.Context(), userID, epoch, tenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.handleMe(w, r.WithContext(withPrincipalValue(r.Context(), p)))
}
