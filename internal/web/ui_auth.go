package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/tenant"
)

// Pages for people who are not (yet) logged in: sign-up, log-in, password
// reset and the pages that e-mailed links open. Links only show a page;
// the change happens on the button's POST, so that mail scanners that
// fetch links change nothing.

func (s *Server) uiHome(w http.ResponseWriter, r *http.Request) error {
	if _, ok := principalFrom(r.Context()); ok {
		redirect(w, r, "/app")
		return nil
	}
	redirect(w, r, "/login")
	return nil
}

// authView is the view of a visitor page's form: its title, the values to
// show again, and the words its errors start with.
func (s *Server) authView(r *http.Request, title string, form map[string]string) view {
	return view{Title: title, Form: form, labels: func(path string) string { return s.authLabel(r, path) }}
}

// authLabel names a visitor form's field in r's language, as its error
// messages start: "E-mail is required". The reset page's password field
// is the new password.
func (s *Server) authLabel(r *http.Request, path string) string {
	switch path {
	case "email":
		return s.tr(r, "E-mail")
	case "password":
		if r.URL.Path == "/reset-password" {
			return s.tr(r, "New password")
		}
		return s.tr(r, "Password")
	case "name":
		return s.tr(r, "Your name")
	case "tenant_name":
		return s.tr(r, "Team or company name")
	case "token":
		if r.URL.Path == "/invitations/accept" {
			return s.tr(r, "This invitation")
		}
		return s.tr(r, "This link")
	}
	return ""
}

// requireFields makes each of the required fields names that r's form
// left empty a "required" error, in place of what err said of it (a
// domain calls an empty address "not an e-mail address"; the form says it
// is missing). err may be nil: then only the empty fields are errors. It
// returns nil when nothing is wrong, and err as it is when it names no
// field and none is empty.
func requireFields(r *http.Request, err error, names ...string) error {
	empty := map[string]bool{}
	for _, n := range names {
		// Blanks are no address or name, but they are a password (which
		// the domain's rules judge).
		if v := r.PostFormValue(n); v == "" || (n != "password" && strings.TrimSpace(v) == "") {
			empty[n] = true
		}
	}
	e, ok := apperr.As(err)
	if len(empty) == 0 || (err != nil && !ok) {
		return err
	}
	var v apperr.Validation
	var fields []apperr.FieldError
	if e != nil {
		fields = e.Fields
	}
	for _, f := range fields {
		if !empty[f.Field] {
			v.AddRule(f.Field, f.Rule, f.Detail, f.Args...)
		}
	}
	for _, n := range names {
		if empty[n] {
			v.AddRule(n, apperr.RuleRequired, "is required")
		}
	}
	return v.Err()
}

func (s *Server) uiSignupForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "signup", view{Title: s.tr(r, "Sign up")})
	return nil
}

func (s *Server) uiSignup(w http.ResponseWriter, r *http.Request) error {
	v := s.authView(r, s.tr(r, "Sign up"), formValues(r, "name", "email", "tenant_name"))
	if !s.limit(w, r, s.limits.SignupPerIP, "signup:ip:"+s.clientIP(r)) {
		return nil
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	_, _, err := s.accounts.SignUp(r.Context(), account.SignUpInput{Email: email, Password: r.PostFormValue("password"),
		Name: r.PostFormValue("name"), TenantName: r.PostFormValue("tenant_name")}, s.meta(r))
	if err := requireFields(r, err, "email", "password"); err != nil {
		s.formError(w, r, "signup", v, err)
		return nil
	}
	// The same page whether or not the address was registered (a
	// registered one is e-mailed instead); the user logs in once the
	// address is confirmed.
	s.flash(r, s.tr(r, "Check your e-mail: we sent a link to %s to confirm your address. Log in once it is confirmed.", email)+s.mailWhere(r))
	redirect(w, r, "/login")
	return nil
}

// mailWhere tells, when no mail server is set up, where the e-mail went
// (with a leading space, to follow a sentence). It says the same for
// every address, so it reveals nothing about them.
func (s *Server) mailWhere(r *http.Request) string {
	if !s.mailLogged {
		return ""
	}
	return " " + s.tr(r, "(No mail server is set up (SMTP_URL), so the e-mail, link included, is written to the server's log.)")
}

func (s *Server) uiLoginForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "login", view{Title: s.tr(r, "Log in")})
	return nil
}

func (s *Server) uiLogin(w http.ResponseWriter, r *http.Request) error {
	v := s.authView(r, s.tr(r, "Log in"), formValues(r, "email"))
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	if !s.limit(w, r, s.limits.LoginPerIP, "login:ip:"+s.clientIP(r)) {
		return nil
	}
	// A form sent without an address or password is not a guess: it is
	// answered with what is missing, before the password-guessing limits.
	if err := requireFields(r, nil, "email", "password"); err != nil {
		s.formError(w, r, "login", v, err)
		return nil
	}
	if !s.passwordCheckAllowed(w, r, email) {
		return nil
	}
	u, method, err := s.auth.Login(r.Context(), email, r.PostFormValue("password"), "", s.meta(r))
	if errors.Is(err, account.ErrMFARequired) {
		// The password was right; the code is asked for on a page of
		// its own.
		if err := s.startPendingLogin(r.Context(), u, r.URL.Query().Get("next")); err != nil {
			return err
		}
		redirect(w, r, "/login/two-factor")
		return nil
	}
	if errors.Is(err, auth.ErrBadCredentials) {
		s.passwordCheckFailed(r, email)
		v.Error = s.tr(r, "Wrong e-mail or password, or the address is not confirmed yet: open the link we e-mailed you, or reset your password.")
		s.render(w, r, http.StatusUnauthorized, "login", v)
		return nil
	}
	if err != nil {
		if auth.IsWrongPassword(err) {
			s.passwordCheckFailed(r, email)
		}
		s.formError(w, r, "login", v, err)
		return nil
	}
	tid, err := s.auth.DefaultTenant(r.Context(), u.ID)
	if err == nil {
		err = s.startSession(r.Context(), u.ID, tid, u.SessionEpoch, method)
	}
	if err == nil {
		s.applyUserLocale(r.Context(), u)
	}
	if err != nil {
		s.formError(w, r, "login", v, err)
		return nil
	}
	redirect(w, r, safeNext(r.URL.Query().Get("next")))
	return nil
}

// safeNext keeps post-login redirects on this site. Browsers read a
// backslash as a slash, so /\evil.example is //evil.example: refused.
func safeNext(next string) string {
	if u, err := url.Parse(next); err == nil && next != "" && u.Host == "" && u.Scheme == "" && strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(next, "//") &&
		!strings.Contains(next, "\\") {
		return next
	}
	return "/app"
}

func (s *Server) uiLogout(w http.ResponseWriter, r *http.Request) error {
	if p, ok := principalFrom(r.Context()); ok {
		s.auth.Logout(r.Context(), p, s.meta(r))
		s.forgetCurrentSession(r.Context())
	}
	_ = s.sessions.Destroy(r.Context())
	redirect(w, r, "/login")
	return nil
}

func (s *Server) uiForgotForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "forgot", view{Title: s.tr(r, "Reset your password")})
	return nil
}

func (s *Server) uiForgot(w http.ResponseWriter, r *http.Request) error {
	v := s.authView(r, s.tr(r, "Reset your password"), formValues(r, "email"))
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	if !s.limit(w, r, s.limits.ResetPerIP, "reset:ip:"+s.clientIP(r)) {
		return nil
	}
	// What no account can have is said at once, not answered with a link
	// that never comes; that tells nothing about registered addresses.
	_, err := account.NormalizeEmail("email", email)
	if err := requireFields(r, err, "email"); err != nil {
		s.formError(w, r, "forgot", v, err)
		return nil
	}
	if !s.limit(w, r, s.limits.ResetPerAccount, "reset:acct:"+email) {
		return nil
	}
	if err := s.accounts.RequestPasswordReset(r.Context(), email, s.meta(r)); err != nil {
		s.formError(w, r, "forgot", v, err)
		return nil
	}
	v.Data = true // the same page whether or not the address is registered
	v.Form["mail_where"] = s.mailWhere(r)
	s.render(w, r, http.StatusOK, "forgot", v)
	return nil
}

func (s *Server) uiResetForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "reset", view{Title: s.tr(r, "Choose a new password"), Form: map[string]string{"token": r.URL.Query().Get("token")}})
	return nil
}

func (s *Server) uiReset(w http.ResponseWriter, r *http.Request) error {
	v := s.authView(r, s.tr(r, "Choose a new password"), formValues(r, "token"))
	if !s.limit(w, r, s.limits.ResetPerIP, "reset:ip:"+s.clientIP(r)) {
		return nil
	}
	_, err := s.accounts.ResetPassword(r.Context(), r.PostFormValue("token"), r.PostFormValue("password"), s.meta(r))
	if err := requireFields(r, err, "password"); err != nil {
		s.formError(w, r, "reset", v, err)
		return nil
	}
	_ = s.sessions.Destroy(r.Context())
	_ = s.sessions.RenewToken(r.Context())
	s.flash(r, s.tr(r, "Your password was changed. Log in with the new one."))
	redirect(w, r, "/login")
	return nil
}

// tokenPage is the text of a page that confirms an e-mailed link.
type tokenPage struct {
	Text, Action, Button string
}

// verifyPage is the page of a new account's confirmation link.
func (s *Server) verifyPage(r *http.Request, form map[string]string) view {
	v := s.authView(r, s.tr(r, "Confirm your e-mail"), form)
	v.Data = tokenPage{s.tr(r, "Confirm that this address is yours."), "/verify-email", s.tr(r, "Confirm e-mail address")}
	return v
}

// emailPage is the page of a changed address's confirmation link.
func (s *Server) emailPage(r *http.Request, form map[string]string) view {
	v := s.authView(r, s.tr(r, "Confirm your new e-mail"), form)
	v.Data = tokenPage{s.tr(r, "Make this address your sign-in address."), "/confirm-email", s.tr(r, "Confirm new address")}
	return v
}

func (s *Server) uiVerifyForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "token_confirm", s.verifyPage(r, map[string]string{"token": r.URL.Query().Get("token")}))
	return nil
}

func (s *Server) uiVerify(w http.ResponseWriter, r *http.Request) error {
	v := s.verifyPage(r, formValues(r, "token"))
	if _, err := s.accounts.VerifyEmail(r.Context(), r.PostFormValue("token"), s.meta(r)); err != nil {
		s.formError(w, r, "token_confirm", v, err)
		return nil
	}
	s.flash(r, s.tr(r, "Thank you: your e-mail address is confirmed."))
	redirect(w, r, "/")
	return nil
}

func (s *Server) uiConfirmEmailForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "token_confirm", s.emailPage(r, map[string]string{"token": r.URL.Query().Get("token")}))
	return nil
}

func (s *Server) uiConfirmEmail(w http.ResponseWriter, r *http.Request) error {
	v := s.emailPage(r, formValues(r, "token"))
	u, err := s.accounts.ConfirmEmailChange(r.Context(), r.PostFormValue("token"), s.meta(r))
	if err != nil {
		s.formError(w, r, "token_confirm", v, err)
		return nil
	}
	s.flash(r, s.tr(r, "You now sign in as %s.", u.Email))
	redirect(w, r, "/")
	return nil
}

func (s *Server) uiAcceptForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "accept", view{Title: s.tr(r, "Accept invitation"), Form: map[string]string{"token": r.URL.Query().Get("token")}})
	return nil
}

func (s *Server) uiAccept(w http.ResponseWriter, r *http.Request) error {
	v := s.authView(r, s.tr(r, "Accept invitation"), formValues(r, "token", "name"))
	if !s.limit(w, r, s.limits.InvitationAccept, "accept:ip:"+s.clientIP(r)) {
		return nil
	}
	in := tenant.AcceptInput{Token: r.PostFormValue("token"), Name: r.PostFormValue("name"), Password: r.PostFormValue("password")}
	if p, ok := principalFrom(r.Context()); ok {
		in.UserID = p.UserID
	}
	u, tenantID, err := s.tenants.AcceptInvitation(r.Context(), in, s.meta(r))
	var wrong *tenant.WrongInviteeError
	switch {
	case errors.As(err, &wrong):
		v.Error = s.tr(r, "This invitation is for %s. Log in as that user to accept it.", wrong.Email)
		s.render(w, r, http.StatusForbidden, "accept", v)
		return nil
	case errors.Is(err, tenant.ErrAlreadyMember):
		v.Error = s.tr(r, "You are a member of this tenant already.")
		s.render(w, r, http.StatusConflict, "accept", v)
		return nil
	}
	if in.UserID == uuid.Nil {
		err = requireFields(r, err, "password")
	}
	if err != nil {
		s.formError(w, r, "accept", v, err)
		return nil
	}
	method := account.MethodPassword
	if in.UserID != uuid.Nil {
		method = s.sessionMethod(r.Context())
	}
	if err := s.startSession(r.Context(), u.ID, tenantID, u.SessionEpoch, method); err != nil {
		s.formError(w, r, "accept", v, err)
		return nil
	}
	s.flash(r, s.tr(r, "Welcome aboard."))
	redirect(w, r, "/app")
	return nil
}
