package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/auth"
)

// user returns the logged-in user: 401 unless someone is authenticated,
// 403 for an API key.
func (s *Server) user(r *http.Request) (access.Principal, error) {
	p, err := s.principal(r)
	if err != nil {
		return p, err
	}
	if p.IsAPIKey() {
		return p, apperr.Forbidden("this needs a logged-in user, not an API key")
	}
	return p, nil
}

// principal returns who is asking: 401 unless someone is authenticated.
func (s *Server) principal(r *http.Request) (access.Principal, error) {
	p, ok := principalFrom(r.Context())
	if !ok {
		return p, &apperr.Error{Kind: apperr.KindUnauthorized, Msg: "log in, or send an API key as Authorization: Bearer"}
	}
	return p, nil
}

func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) error {
	if err := s.allow(w, r, s.limits.SignupPerIP, "signup:ip:"+s.clientIP(r)); err != nil {
		return err
	}
	var in struct {
		Email      string `json:"email"`
		Password   string `json:"password"`
		Name       string `json:"name"`
		TenantName string `json:"tenant_name"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if _, _, err := s.accounts.SignUp(r.Context(), account.SignUpInput{Email: in.Email, Password: in.Password, Name: in.Name, TenantName: in.TenantName}, s.meta(r)); err != nil {
		return err
	}
	// The same answer whether or not the address was registered (a
	// registered one is e-mailed instead), and no session: the user logs
	// in once the address is confirmed.
	writeJSON(w, http.StatusAccepted, signupAccepted)
	return nil
}

// signupAccepted is the one answer to a valid sign-up.
var signupAccepted = map[string]string{"status": "check your e-mail: we sent a link to confirm the address; log in once it is confirmed"}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Code     string `json:"code"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if err := s.allow(w, r, s.limits.LoginPerIP, "login:ip:"+s.clientIP(r)); err != nil {
		return err
	}
	if err := s.passwordCheck(r, email); err != nil {
		return err
	}
	u, method, err := s.auth.Login(r.Context(), email, in.Password, in.Code, s.meta(r))
	if err != nil {
		// A wrong second factor counts as a wrong password does: the
		// same limits stop guessing either.
		if auth.IsWrongPassword(err) || errors.Is(err, account.ErrMFAInvalid) {
			s.passwordCheckFailed(r, email)
		}
		return err
	}
	tid, err := s.auth.DefaultTenant(r.Context(), u.ID)
	if err != nil {
		return err
	}
	if err := s.startSession(r.Context(), u.ID, tid, u.SessionEpoch, method); err != nil {
		return err
	}
	s.applyUserLocale(r.Context(), u)
	return s.writeMe(w, r, u.ID, tid, u.SessionEpoch)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if p, ok := principalFrom(r.Context()); ok {
		s.auth.Logout(r.Context(), p, s.meta(r))
		s.forgetCurrentSession(r.Context())
	}
	if err := s.sessions.Destroy(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleLogoutEverywhere(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	if _, err := s.auth.LogoutEverywhere(r.Context(), p, s.meta(r)); err != nil {
		return err
	}
	if err := s.sessions.Destroy(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type tokenInput struct {
	Token string `json:"token"`
}

func (s *Server) handleVerifyEmail(w http.ResponseWriter, r *http.Request) error {
	var in tokenInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	u, err := s.accounts.VerifyEmail(r.Context(), in.Token, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": toUserJSON(u)})
	return nil
}

func (s *Server) handleResendVerification(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	if err := s.allow(w, r, s.limits.ResetPerAccount, "verify:acct:"+p.UserID.String()); err != nil {
		return err
	}
	if err := s.accounts.ResendVerification(r.Context(), p.UserID, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (s *Server) handlePasswordResetRequest(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if err := s.allow(w, r, s.limits.ResetPerIP, "reset:ip:"+s.clientIP(r)); err != nil {
		return err
	}
	if err := s.allow(w, r, s.limits.ResetPerAccount, "reset:acct:"+email); err != nil {
		return err
	}
	if err := s.accounts.RequestPasswordReset(r.Context(), email, s.meta(r)); err != nil {
		return err
	}
	// The same answer whether or not the address is registered.
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "if the address is registered, a reset link is on its way"})
	return nil
}

func (s *Server) handlePasswordResetConfirm(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.allow(w, r, s.limits.ResetPerIP, "reset:ip:"+s.clientIP(r)); err != nil {
		return err
	}
	if _, err := s.accounts.ResetPassword(r.Context(), in.Token, in.Password, s.meta(r)); err != nil {
		return err
	}
	// Every session ended, this one too: log in with the new password.
	_ = s.sessions.Destroy(r.Context())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handlePasswordChange(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.passwordCheck(r, p.Email); err != nil {
		return err
	}
	epoch, err := s.accounts.ChangePassword(r.Context(), p, in.CurrentPassword, in.NewPassword, s.meta(r))
	if err != nil {
		if auth.IsWrongPassword(err) {
			s.passwordCheckFailed(r, p.Email)
		}
		return err
	}
	// Other sessions ended; this one continues on a fresh token.
	if err := s.startSession(r.Context(), p.UserID, p.TenantID, epoch, s.sessionMethod(r.Context())); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleEmailChangeRequest(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.passwordCheck(r, p.Email); err != nil {
		return err
	}
	if err := s.accounts.RequestEmailChange(r.Context(), p, in.Email, in.Password, s.meta(r)); err != nil {
		if auth.IsWrongPassword(err) {
			s.passwordCheckFailed(r, p.Email)
		}
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "a confirmation link was sent to the new address"})
	return nil
}

func (s *Server) handleEmailChangeConfirm(w http.ResponseWriter, r *http.Request) error {
	var in tokenInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	u, err := s.accounts.ConfirmEmailChange(r.Context(), in.Token, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": toUserJSON(u)})
	return nil
}

// handleMe tells who is asking: the principal, its tenant and role.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	if p.IsAPIKey() && p.SuspendedTenant != uuid.Nil {
		// A key lives in its tenant: it is told why it can do nothing.
		return p.NoTenant()
	}
	out := map[string]any{"role": nil, "tenant": nil}
	if p.IsAPIKey() {
		out["principal"] = map[string]any{"type": "api_key", "id": p.APIKeyID, "name": p.APIKeyName}
	} else {
		out["principal"] = map[string]any{"type": "user", "id": p.UserID, "email": p.Email, "name": p.Name}
	}
	if p.InTenant() {
		t, err := s.tenants.CurrentTenant(r.Context(), p)
		if err != nil {
			return err
		}
		out["tenant"] = toTenantJSON(t, "")
		out["role"] = p.Role
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// writeMe answers with the /me body for a freshly logged-in user.
func (s *Server) writeMe(w http.ResponseWriter, r *http.Request, userID, tenantID uuid.UUID, epoch int64) error {
	p, err := s.auth.Resolve(r.Context(), userID, epoch, tenantID, s.sessionMethod(r.Context()))
	if err != nil {
		return err
	}
	return s.handleMe(w, r.WithContext(withPrincipalValue(r.Context(), p)))
}
