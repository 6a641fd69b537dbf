package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/sso"
)

// Single sign-on (package sso): the sign-in's two legs, and the tenant's
// provider on the settings page.
//
// The flow under way (state, nonce, PKCE verifier) lives in the
// visitor's server-side session, never in a cookie of its own or in the
// URL; the callback takes it out of the session before anything else,
// so that a state is used once whatever happens next.

// sessSSOFlow is the session key of the sign-in under way (JSON).
const sessSSOFlow = "sso_flow"

// loginSSO is what the sign-in page offers besides passwords.
type loginSSO struct {
	// Platform labels the platform provider's button; "" for none.
	Platform string
}

func (s *Server) loginSSO() *loginSSO {
	if s.sso == nil {
		return nil
	}
	name, _ := s.sso.PlatformName()
	return &loginSSO{Platform: name}
}

// uiSSOStart sends the browser to the provider: the platform's, or with
// ?tenant=SLUG the tenant's. (A slug rather than an e-mail domain: the
// domain would tell anyone which tenants use SSO, and several tenants may
// allow the same one.)
func (s *Server) uiSSOStart(w http.ResponseWriter, r *http.Request) error {
	if s.sso == nil {
		return apperr.ErrNotFound
	}
	if !s.limit(w, r, s.limits.LoginPerIP, "login:ip:"+s.clientIP(r)) {
		return nil
	}
	q := r.URL.Query()
	f, to, err := s.sso.Begin(r.Context(), q.Get("tenant"), safeNext(q.Get("next")))
	if err != nil {
		v := s.authView(r, s.tr(r, "Log in"), map[string]string{"tenant": q.Get("tenant")})
		s.formError(w, r, "login", v, err)
		return nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessSSOFlow, string(b))
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// uiSSOCallback is where the provider sends the browser back with a code:
// the sign-in is finished and a session started, or the sign-in page
// says why not.
func (s *Server) uiSSOCallback(w http.ResponseWriter, r *http.Request) error {
	if s.sso == nil {
		return apperr.ErrNotFound
	}
	ctx := r.Context()
	if !s.limit(w, r, s.limits.LoginPerIP, "login:ip:"+s.clientIP(r)) {
		return nil
	}
	// Taken out first: a state is used once, whether this succeeds or not.
	var f sso.Flow
	if raw := s.sessions.PopString(ctx, sessSSOFlow); raw != "" {
		_ = json.Unmarshal([]byte(raw), &f)
	}
	v := s.authView(r, s.tr(r, "Log in"), map[string]string{})
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		// The provider's own words are not shown: they are not ours to
		// translate, and may be attacker-chosen in a forged link.
		s.log.InfoContext(ctx, "sso refused by the provider", "error", e, "description", q.Get("error_description"))
		v.Error = s.tr(r, "The identity provider did not sign you in. Try again, or sign in another way.")
		s.render(w, r, http.StatusUnauthorized, "login", v)
		return nil
	}
	res, err := s.sso.Finish(ctx, f, q.Get("state"), q.Get("code"), s.meta(r))
	if err != nil {
		s.formError(w, r, "login", v, err)
		return nil
	}
	tid := res.TenantID
	if tid == uuid.Nil {
		if tid, err = s.auth.DefaultTenant(ctx, res.User.ID); err != nil {
			return err
		}
	}
	// The session records how it signed in: "sso:<issuer host>"
	// (account.StrongMethod counts it as strong, as the provider decides
	// its own factors).
	if err := s.startSession(ctx, res.User.ID, tid, res.User.SessionEpoch, "sso:"+sso.IssuerHost(res.Issuer)); err != nil {
		return err
	}
	if res.TenantID != uuid.Nil {
		// The tenant's owners run its provider: what it signs in acts in
		// that tenant only (access.Principal.ScopedTo).
		s.scopeSession(ctx, res.TenantID)
	}
	s.applyUserLocale(ctx, res.User)
	redirect(w, r, safeNext(f.Next))
	return nil
}

// ssoFields are the fields of the settings page's single sign-on form.
var ssoFields = []string{"issuer", "client_id", "domains", "default_role"}

// ssoSettingsView adds the tenant's single sign-on to the settings page,
// for its owners.
func (s *Server) ssoSettingsView(r *http.Request, p access.Principal, v *view) error {
	if s.sso == nil || !p.Can(sso.ActManage) {
		return nil
	}
	st, err := s.sso.TenantSettings(r.Context(), p)
	if err != nil {
		return err
	}
	v.Data.(map[string]any)["sso"] = st
	c := st.Config
	v.Form["issuer"], v.Form["client_id"], v.Form["domains"], v.Form["default_role"] = c.Issuer, c.ClientID, strings.Join(c.Domains, ", "), string(c.DefaultRole)
	if c.DefaultRole == "" {
		v.Form["default_role"] = string(access.RoleMember)
	}
	return nil
}

// ssoInputFromForm reads the settings page's form.
func ssoInputFromForm(r *http.Request) sso.Input {
	in := sso.Input{Issuer: r.PostFormValue("issuer"), ClientID: r.PostFormValue("client_id"),
		Domains: splitDomains(r.PostFormValue("domains")), JIT: r.PostFormValue("jit") == "on",
		DefaultRole: access.Role(r.PostFormValue("default_role")), Required: r.PostFormValue("required") == "on"}
	// An empty secret field keeps the stored secret (it is never shown);
	// the box removes it.
	if sec := r.PostFormValue("client_secret"); sec != "" {
		in.ClientSecret = &sec
	} else if r.PostFormValue("clear_secret") == "on" {
		empty := ""
		in.ClientSecret = &empty
	}
	return in
}

// splitDomains reads domains separated by commas, spaces or lines.
func splitDomains(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' || r == ';' })
}

func (s *Server) uiSSOSave(w http.ResponseWriter, r *http.Request) error {
	if s.sso == nil {
		return apperr.ErrNotFound
	}
	if _, err := s.sso.SaveTenantSettings(r.Context(), mustPrincipal(r), ssoInputFromForm(r), s.meta(r)); err != nil {
		return s.ssoFormError(w, r, err)
	}
	s.flash(r, s.tr(r, "Single sign-on saved."))
	redirect(w, r, "/app/settings#sso")
	return nil
}

func (s *Server) uiSSODelete(w http.ResponseWriter, r *http.Request) error {
	if s.sso == nil {
		return apperr.ErrNotFound
	}
	if err := s.sso.DeleteTenantSettings(r.Context(), mustPrincipal(r), s.meta(r)); err != nil {
		return err
	}
	s.flash(r, s.tr(r, "Single sign-on removed: members sign in with their passwords again."))
	redirect(w, r, "/app/settings#sso")
	return nil
}

// ssoFormError shows the settings page again with the form's errors and
// what was posted.
func (s *Server) ssoFormError(w http.ResponseWriter, r *http.Request, err error) error {
	if e, ok := apperr.As(err); !ok || len(e.Fields) == 0 {
		return err
	}
	v, verr := s.settingsView(r)
	if verr != nil {
		return verr
	}
	if !s.fieldErrors(r, &v, err) {
		return err
	}
	for _, f := range ssoFields {
		v.Form[f] = r.PostFormValue(f)
	}
	s.render(w, r, apperr.HTTPStatus(err), "settings", v)
	return nil
}

// isSSORequired reports whether err refuses a password because a tenant
// requires single sign-on.
func isSSORequired(err error) bool {
	var re *sso.RequiredError
	return errors.As(err, &re)
}
