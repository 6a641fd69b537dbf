package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ordo/ordo/internal/account"
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

func (s *Server) uiSignupForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "signup", view{Title: "Sign up"})
	return nil
}

func (s *Server) uiSignup(w http.ResponseWriter, r *http.Request) error {
	v := view{Title: "Sign up", Form: formValues(r, "name", "email", "tenant_name")}
	if !s.limit(w, r, s.limits.SignupPerIP, "signup:ip:"+s.clientIP(r)) {
		return nil
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	if _, _, err := s.accounts.SignUp(r.Context(), account.SignUpInput{Email: email, Password: r.PostFormValue("password"),
		Name: r.PostFormValue("name"), TenantName: r.PostFormValue("tenant_name")}, s.meta(r)); err != nil {
		s.formError(w, r, "signup", v, err)
		return nil
	}
	// The same page whether or not the address was registered (a
	// registered one is e-mailed instead); the user logs in once the
	// address is confirmed.
	s.flash(r, "Check your e-mail: we sent a link to "+email+" to confirm your address. Log in once it is confirmed."+s.mailWhere())
	redirect(w, r, "/login")
	return nil
}

// mailWhere tells, when no mail server is set up, where the e-mail went.
// It says the same for every address, so it reveals nothing about them.
func (s *Server) mailWhere() string {
	if !s.mailLogged {
		return ""
	}
	return " (No mail server is set up (SMTP_URL), so the e-mail, link included, is written to the server's log.)"
}

func (s *Server) uiLoginForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "login", view{Title: "Log in"})
	return nil
}

func (s *Server) uiLogin(w http.ResponseWriter, r *http.Request) error {
	v := view{Title: "Log in", Form: formValues(r, "email")}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	if !s.limit(w, r, s.limits.LoginPerIP, "login:ip:"+s.clientIP(r)) || !s.passwordCheckAllowed(w, r, email) {
		return nil
	}
	u, err := s.auth.Login(r.Context(), email, r.PostFormValue("password"), s.meta(r))
	if err != nil {
		if auth.IsWrongPassword(err) {
			s.passwordCheckFailed(r, email)
		}
		s.formError(w, r, "login", v, err)
		return nil
	}
	tid, err := s.auth.DefaultTenant(r.Context(), u.ID)
	if err == nil {
		err = s.startSession(r.Context(), u.ID, tid, u.SessionEpoch)
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
	s.render(w, r, http.StatusOK, "forgot", view{Title: "Reset your password"})
	return nil
}

func (s *Server) uiForgot(w http.ResponseWriter, r *http.Request) error {
	v := view{Title: "Reset your password", Form: formValues(r, "email")}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	if !s.limit(w, r, s.limits.ResetPerIP, "reset:ip:"+s.clientIP(r)) ||
		!s.limit(w, r, s.limits.ResetPerAccount, "reset:acct:"+email) {
		return nil
	}
	if err := s.accounts.RequestPasswordReset(r.Context(), email, s.meta(r)); err != nil {
		s.formError(w, r, "forgot", v, err)
		return nil
	}
	v.Data = true // the same page whether or not the address is registered
	v.Form["mail_where"] = s.mailWhere()
	s.render(w, r, http.StatusOK, "forgot", v)
	return nil
}

func (s *Server) uiResetForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "reset", view{Title: "Choose a new password", Form: map[string]string{"token": r.URL.Query().Get("token")}})
	return nil
}

func (s *Server) uiReset(w http.ResponseWriter, r *http.Request) error {
	v := view{Title: "Choose a new password", Form: formValues(r, "token")}
	if !s.limit(w, r, s.limits.ResetPerIP, "reset:ip:"+s.clientIP(r)) {
		return nil
	}
	if _, err := s.accounts.ResetPassword(r.Context(), r.PostFormValue("token"), r.PostFormValue("password"), s.meta(r)); err != nil {
		s.formError(w, r, "reset", v, err)
		return nil
	}
	_ = s.sessions.Destroy(r.Context())
	_ = s.sessions.RenewToken(r.Context())
	s.flash(r, "Your password was changed. Log in with the new one.")
	redirect(w, r, "/login")
	return nil
}

// tokenPage is the text of a page that confirms an e-mailed link.
type tokenPage struct {
	Text, Action, Button string
}

var (
	verifyPage = tokenPage{"Confirm that this address is yours.", "/verify-email", "Confirm e-mail address"}
	emailPage  = tokenPage{"Make this address your sign-in address.", "/confirm-email", "Confirm new address"}
)

func (s *Server) uiVerifyForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "token_confirm", view{Title: "Confirm your e-mail", Data: verifyPage, Form: map[string]string{"token": r.URL.Query().Get("token")}})
	return nil
}

func (s *Server) uiVerify(w http.ResponseWriter, r *http.Request) error {
	v := view{Title: "Confirm your e-mail", Data: verifyPage, Form: formValues(r, "token")}
	if _, err := s.accounts.VerifyEmail(r.Context(), r.PostFormValue("token"), s.meta(r)); err != nil {
		s.formError(w, r, "token_confirm", v, err)
		return nil
	}
	s.flash(r, "Thank you: your e-mail address is confirmed.")
	redirect(w, r, "/")
	return nil
}

func (s *Server) uiConfirmEmailForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "token_confirm", view{Title: "Confirm your new e-mail", Data: emailPage, Form: map[string]string{"token": r.URL.Query().Get("token")}})
	return nil
}

func (s *Server) uiConfirmEmail(w http.ResponseWriter, r *http.Request) error {
	v := view{Title: "Confirm your new e-mail", Data: emailPage, Form: formValues(r, "token")}
	u, err := s.accounts.ConfirmEmailChange(r.Context(), r.PostFormValue("token"), s.meta(r))
	if err != nil {
		s.formError(w, r, "token_confirm", v, err)
		return nil
	}
	s.flash(r, "You now sign in as "+u.Email+".")
	redirect(w, r, "/")
	return nil
}

func (s *Server) uiAcceptForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "accept", view{Title: "Accept invitation", Form: map[string]string{"token": r.URL.Query().Get("token")}})
	return nil
}

func (s *Server) uiAccept(w http.ResponseWriter, r *http.Request) error {
	v := view{Title: "Accept invitation", Form: formValues(r, "token", "name")}
	if !s.limit(w, r, s.limits.InvitationAccept, "accept:ip:"+s.clientIP(r)) {
		return nil
	}
	in := tenant.AcceptInput{Token: r.PostFormValue("token"), Name: r.PostFormValue("name"), Password: r.PostFormValue("password")}
	if p, ok := principalFrom(r.Context()); ok {
		in.UserID = p.UserID
	}
	u, tenantID, err := s.tenants.AcceptInvitation(r.Context(), in, s.meta(r))
	if err != nil {
		s.formError(w, r, "accept", v, err)
		return nil
	}
	if err := s.startSession(r.Context(), u.ID, tenantID, u.SessionEpoch); err != nil {
		s.formError(w, r, "accept", v, err)
		return nil
	}
	s.flash(r, "Welcome aboard.")
	redirect(w, r, "/app")
	return nil
}
