package web

import (
	"net/http"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
)

// The API of two-factor sign-in: a user's TOTP enrolment and recovery
// codes (sessions only: an API key has no second factor), and a tenant's
// requirement of it. Log-in with a code is POST /api/v1/auth/login.

type (
	twoFactorJSON struct {
		TOTP              bool `json:"totp" description:"Log-in asks for a TOTP code (or a recovery code) after the password."`
		Pending           bool `json:"pending" description:"An enrolment was started and waits for its first code (POST /api/v1/me/totp/confirm)."`
		RecoveryCodesLeft int  `json:"recovery_codes_left"`
	}
	totpStartJSON struct {
		Secret     string `json:"secret" description:"The base32 secret, for typing into an authenticator app."`
		OTPAuthURL string `json:"otpauth_url" description:"The otpauth:// URL an authenticator app reads from a QR code."`
	}
	totpCodeReq struct {
		Code string `json:"code" required:"true" description:"A current 6-digit code from the authenticator app (to turn it off, an unused recovery code also does)."`
	}
	recoveryCodesJSON struct {
		RecoveryCodes []string `json:"recovery_codes" description:"Ten single-use recovery codes, shown this once."`
	}
	tenantSecurityJSON struct {
		RequireTwoFactor bool `json:"require_two_factor" description:"Members act in the tenant only in sessions signed in with a second factor; API keys are not affected."`
	}
	tenantSecurityReq struct {
		RequireTwoFactor *bool `json:"require_two_factor" required:"true"`
	}
)

func (s *Server) handleTwoFactorGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	st, err := s.accounts.TwoFactor(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, twoFactorJSON{TOTP: st.TOTP, Pending: st.Pending, RecoveryCodesLeft: st.RecoveryCodesLeft})
	return nil
}

func (s *Server) handleTOTPStart(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	e, err := s.accounts.StartTOTP(r.Context(), p)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, totpStartJSON{Secret: e.Secret, OTPAuthURL: e.URL})
	return nil
}

// userCode reads who makes a two-factor change, and the code they make
// it with.
func (s *Server) userCode(r *http.Request) (access.Principal, string, error) {
	p, err := s.user(r)
	if err != nil {
		return p, "", err
	}
	var in totpCodeReq
	err = decodeJSON(r, &in)
	return p, in.Code, err
}

// writeRecoveryCodes answers with new recovery codes, never cached.
func writeRecoveryCodes(w http.ResponseWriter, codes []string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, recoveryCodesJSON{RecoveryCodes: codes})
}

func (s *Server) handleTOTPConfirm(w http.ResponseWriter, r *http.Request) error {
	p, code, err := s.userCode(r)
	if err != nil {
		return err
	}
	codes, err := s.accounts.ConfirmTOTP(r.Context(), p, code, s.meta(r))
	if err != nil {
		return err
	}
	s.strengthenSession(r, account.MethodPasswordTOTP)
	writeRecoveryCodes(w, codes)
	return nil
}

func (s *Server) handleTOTPDisable(w http.ResponseWriter, r *http.Request) error {
	p, code, err := s.userCode(r)
	if err != nil {
		return err
	}
	if err := s.accounts.DisableTOTP(r.Context(), p, code, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	p, code, err := s.userCode(r)
	if err != nil {
		return err
	}
	codes, err := s.accounts.RegenerateRecoveryCodes(r.Context(), p, code, s.meta(r))
	if err != nil {
		return err
	}
	writeRecoveryCodes(w, codes)
	return nil
}

func (s *Server) handleTenantSecurityGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	t, err := s.tenants.CurrentTenant(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tenantSecurityJSON{RequireTwoFactor: t.RequireTwoFactor})
	return nil
}

func (s *Server) handleTenantSecurityPut(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	var in tenantSecurityReq
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.RequireTwoFactor == nil {
		return apperr.InvalidRule("require_two_factor", apperr.RuleRequired, "is required")
	}
	t, err := s.tenants.SetRequireTwoFactor(r.Context(), p, *in.RequireTwoFactor, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tenantSecurityJSON{RequireTwoFactor: t.RequireTwoFactor})
	return nil
}
