package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
)

// Two-factor sign-in in the browser: the second step of a log-in (the
// code, on a page of its own after the password), and the account page's
// set-up (QR code, confirmation, recovery codes shown once, turning it
// off). The API's side is in api_twofactor.go.

// Session keys of a log-in waiting for its second factor. The session is
// not logged in meanwhile: sessUserID is unset.
const (
	sessPendingUser  = "pending_user"
	sessPendingEpoch = "pending_epoch"
	sessPendingEmail = "pending_email"
	sessPendingUntil = "pending_until"
	sessPendingNext  = "pending_next"
)

// pendingLoginTTL is how long the code may take after the password.
const pendingLoginTTL = 5 * time.Minute

// startPendingLogin remembers a log-in whose password was right and
// whose code comes next, on a fresh session token.
func (s *Server) startPendingLogin(ctx context.Context, u account.User, next string) error {
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessPendingUser, u.ID.String())
	s.sessions.Put(ctx, sessPendingEpoch, u.SessionEpoch)
	s.sessions.Put(ctx, sessPendingEmail, u.Email)
	s.sessions.Put(ctx, sessPendingUntil, time.Now().Add(pendingLoginTTL).Unix())
	s.sessions.Put(ctx, sessPendingNext, next)
	return nil
}

// pendingLogin returns the log-in waiting for its code; ok is false when
// there is none, or it took too long.
func (s *Server) pendingLogin(ctx context.Context) (id uuid.UUID, epoch int64, email string, ok bool) {
	id, err := uuid.Parse(s.sessions.GetString(ctx, sessPendingUser))
	until, _ := s.sessions.Get(ctx, sessPendingUntil).(int64)
	if err != nil || time.Now().Unix() > until {
		return uuid.Nil, 0, "", false
	}
	epoch, _ = s.sessions.Get(ctx, sessPendingEpoch).(int64)
	return id, epoch, s.sessions.GetString(ctx, sessPendingEmail), true
}

func (s *Server) endPendingLogin(ctx context.Context) {
	for _, k := range []string{sessPendingUser, sessPendingEpoch, sessPendingEmail, sessPendingUntil, sessPendingNext} {
		s.sessions.Remove(ctx, k)
	}
}

func (s *Server) uiTwoFactorForm(w http.ResponseWriter, r *http.Request) error {
	if _, _, _, ok := s.pendingLogin(r.Context()); !ok {
		redirect(w, r, "/login")
		return nil
	}
	s.render(w, r, http.StatusOK, "login_code", view{Title: s.tr(r, "Two-factor authentication")})
	return nil
}

func (s *Server) uiTwoFactor(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v := view{Title: s.tr(r, "Two-factor authentication"), labels: func(string) string { return s.tr(r, "Code") }}
	id, epoch, email, ok := s.pendingLogin(ctx)
	if !ok {
		s.endPendingLogin(ctx)
		s.flash(r, s.tr(r, "That took too long: log in again."))
		redirect(w, r, "/login")
		return nil
	}
	if !s.limit(w, r, s.limits.LoginPerIP, "login:ip:"+s.clientIP(r)) {
		return nil
	}
	if err := requireFields(r, nil, "code"); err != nil {
		s.formError(w, r, "login_code", v, err)
		return nil
	}
	if !s.passwordCheckAllowed(w, r, email) {
		return nil
	}
	u, method, err := s.auth.SecondFactor(ctx, id, epoch, r.PostFormValue("code"), s.meta(r))
	switch {
	case errors.Is(err, account.ErrMFAInvalid):
		s.passwordCheckFailed(r, email)
		v.Error = s.tr(r, "That code is wrong, has expired, or was used already. Enter the current code from your authenticator app, or a recovery code.")
		s.render(w, r, http.StatusUnauthorized, "login_code", v)
		return nil
	case errors.Is(err, apperr.ErrUnauthorized):
		// The password changed, or the account was disabled, meanwhile.
		s.endPendingLogin(ctx)
		redirect(w, r, "/login")
		return nil
	case err != nil:
		return err
	}
	next := s.sessions.GetString(ctx, sessPendingNext)
	s.endPendingLogin(ctx)
	tid, err := s.auth.DefaultTenant(ctx, u.ID)
	if err == nil {
		err = s.startSession(ctx, u.ID, tid, u.SessionEpoch, method)
	}
	if err != nil {
		return err
	}
	s.applyUserLocale(ctx, u)
	if method == account.MethodPasswordRecoveryCode {
		s.flash(r, s.tr(r, "You signed in with a recovery code, which is now used up. If you lost your authenticator app, turn two-factor authentication off and on again on your account page to set up a new one."))
	}
	redirect(w, r, safeNext(next))
	return nil
}

// totpSetupPage is the account's two-factor set-up: the QR code and the
// secret of an enrolment waiting for its first code, or the recovery
// codes just made, shown once.
type totpSetupPage struct {
	QR            template.URL // data: URL of the QR code's PNG, which Ordo drew
	Secret        string
	RecoveryCodes []string
}

// uiTOTPStart starts an enrolment and shows its QR code.
func (s *Server) uiTOTPStart(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.accounts.StartTOTP(r.Context(), mustPrincipal(r)); err != nil {
		return s.accountFormError(w, r, err)
	}
	redirect(w, r, "/app/account/two-factor")
	return nil
}

// uiTOTPSetup shows the QR code of the enrolment waiting for its first
// code.
func (s *Server) uiTOTPSetup(w http.ResponseWriter, r *http.Request) error {
	v, err := s.totpSetupView(r)
	if errors.Is(err, apperr.ErrNotFound) {
		redirect(w, r, "/app/account#two-factor")
		return nil
	}
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "two_factor", v)
	return nil
}

func (s *Server) totpSetupView(r *http.Request) (view, error) {
	e, err := s.accounts.PendingTOTP(r.Context(), mustPrincipal(r))
	if err != nil {
		return view{}, err
	}
	img, err := e.Key().Image(240, 240)
	if err != nil {
		return view{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return view{}, err
	}
	return view{Title: s.tr(r, "Set up two-factor authentication"), labels: func(string) string { return s.tr(r, "Code") },
		Data: totpSetupPage{QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), Secret: e.Secret}}, nil
}

func (s *Server) uiTOTPConfirm(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	codes, err := s.accounts.ConfirmTOTP(r.Context(), p, r.PostFormValue("code"), s.meta(r))
	if err != nil {
		if v, verr := s.totpSetupView(r); verr == nil && apperr.HTTPStatus(err) == http.StatusUnprocessableEntity {
			s.formError(w, r, "two_factor", v, requireFields(r, err, "code"))
			return nil
		}
		return s.accountFormError(w, r, err)
	}
	s.strengthenSession(r, account.MethodPasswordTOTP)
	s.showRecoveryCodes(w, r, codes)
	return nil
}

// strengthenSession records that this session has just shown the second
// factor (the code that turned it on): a tenant that requires two-factor
// sign-in lets it in without signing in again.
func (s *Server) strengthenSession(r *http.Request, method string) {
	if !account.StrongMethod(s.sessionMethod(r.Context())) {
		s.sessions.Put(r.Context(), sessMethod, method)
		s.noteSession(r, mustPrincipal(r), true)
	}
}

// showRecoveryCodes shows new recovery codes, this once: the page is
// never cached.
func (s *Server) showRecoveryCodes(w http.ResponseWriter, r *http.Request, codes []string) {
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "two_factor", view{Title: s.tr(r, "Your recovery codes"), Data: totpSetupPage{RecoveryCodes: codes}})
}

func (s *Server) uiTOTPDisable(w http.ResponseWriter, r *http.Request) error {
	if err := s.accounts.DisableTOTP(r.Context(), mustPrincipal(r), r.PostFormValue("code"), s.meta(r)); err != nil {
		return s.accountFormError(w, r, err)
	}
	s.flash(r, s.tr(r, "Two-factor authentication is off: you sign in with your password alone."))
	redirect(w, r, "/app/account#two-factor")
	return nil
}

func (s *Server) uiRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	codes, err := s.accounts.RegenerateRecoveryCodes(r.Context(), mustPrincipal(r), r.PostFormValue("code"), s.meta(r))
	if err != nil {
		return s.accountFormError(w, r, err)
	}
	s.showRecoveryCodes(w, r, codes)
	return nil
}

// uiTenantSecurity saves whether the tenant requires two-factor sign-in.
func (s *Server) uiTenantSecurity(w http.ResponseWriter, r *http.Request) error {
	on := r.PostFormValue("require_two_factor") == "on"
	if _, err := s.tenants.SetRequireTwoFactor(r.Context(), mustPrincipal(r), on, s.meta(r)); err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.KindConflict {
			s.flash(r, upperFirst(s.errText(r, e)))
			redirect(w, r, "/app/settings#security")
			return nil
		}
		return err
	}
	if on {
		s.flash(r, s.tr(r, "Two-factor authentication is now required of every member."))
	} else {
		s.flash(r, s.tr(r, "Two-factor authentication is no longer required."))
	}
	redirect(w, r, "/app/settings#security")
	return nil
}

// accountFormError shows a two-factor form's error on the account page,
// on its field, or answers any other error as an error page.
func (s *Server) accountFormError(w http.ResponseWriter, r *http.Request, err error) error {
	if e, ok := apperr.As(err); ok && (e.Kind == apperr.KindInvalid || e.Kind == apperr.KindConflict) {
		s.formError(w, r, "account", s.accountView(r), err)
		return nil
	}
	return err
}
