package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/tenant"
)

// Pages of the logged-in application under /app. Every action goes
// through a domain service, which asks the permission table; the templates
// ask the same table (the "can" function) only to hide what would fail.

// requireLogin sends anonymous visitors to the login page.
func (s *Server) requireLogin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := principalFrom(r.Context())
		if !ok || p.IsAPIKey() {
			redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()))
			return
		}
		next(w, r)
	}
}

func mustPrincipal(r *http.Request) access.Principal {
	p, _ := principalFrom(r.Context())
	return p
}

// uiError shows an error as an HTML page with its status; internal
// errors are logged and shown as a generic message.
func (s *Server) uiError(w http.ResponseWriter, r *http.Request, err error) {
	status := apperr.HTTPStatus(err)
	msg := s.tr(r, "Something went wrong on our side. Quote request %s if it persists.", RequestID(r.Context()))
	if e, ok := apperr.As(err); ok && status < 500 {
		msg = upperFirst(s.errText(r, e)) // a sentence of its own here
	} else {
		s.log.ErrorContext(r.Context(), "request failed", "err", err)
		reportError(r.Context(), err)
	}
	page := errorPage{Message: msg}
	if errors.Is(err, access.ErrTenantSuspended) {
		page.Contact = s.supportEmail
		page.OtherTenants = true
	}
	if errors.Is(err, access.ErrTwoFactorRequired) {
		page.TwoFactor = true
		page.OtherTenants = true
	}
	if errors.Is(err, access.ErrTenantDeleted) {
		page.OtherTenants = true
		p := mustPrincipal(r)
		if t, err := s.tenants.DeletedTenant(r.Context(), p); err == nil && t.PurgeAfter != nil {
			page.PurgeAfter = t.PurgeAfter
			page.CanRestore = access.Can(p.DeletedRole, access.ActTenantDelete)
		}
	}
	s.render(w, r, status, "error", view{Title: s.statusTitle(r, status), Data: page})
}

// errorPage is what the error page shows: the message, and for a
// suspended tenant whom to write to and the way to the user's other
// tenants.
type errorPage struct {
	Message      string
	Contact      string
	OtherTenants bool
	// PurgeAfter is when a deleted tenant is purged; CanRestore lets an
	// owner cancel that.
	PurgeAfter *time.Time
	CanRestore bool
	// TwoFactor: the tenant requires two-factor sign-in; the page shows
	// the ways to it.
	TwoFactor bool
}

// uiTenantDelete schedules the current tenant's deletion from the
// settings page, which asks for its slug.
func (s *Server) uiTenantDelete(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.tenants.ScheduleDeletion(r.Context(), mustPrincipal(r), r.PostFormValue("confirm"), s.grace(), s.meta(r)); err != nil {
		return s.settingsFormError(w, r, err, "confirm")
	}
	redirect(w, r, "/app")
	return nil
}

// uiArchiveCreate starts the export of the tenant's whole data.
func (s *Server) uiArchiveCreate(w http.ResponseWriter, r *http.Request) error {
	_, err := s.exports.CreateArchive(r.Context(), mustPrincipal(r), s.meta(r))
	return s.uiDone(w, r, err, s.tr(r, "The archive is being built; download it here when it is ready."), "/app/exports")
}

// uiTenantRestore cancels the deletion of the tenant the session names.
func (s *Server) uiTenantRestore(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.tenants.CancelDeletion(r.Context(), mustPrincipal(r), s.meta(r)); err != nil {
		return err
	}
	s.flash(r, s.tr(r, "The deletion is cancelled: the tenant works as before."))
	redirect(w, r, "/app")
	return nil
}

// statusTitle names an error page's status in the viewer's language.
func (s *Server) statusTitle(r *http.Request, status int) string {
	switch status {
	case http.StatusBadRequest:
		return s.tr(r, "Bad request")
	case http.StatusUnauthorized:
		return s.tr(r, "Not logged in")
	case http.StatusForbidden:
		return s.tr(r, "Not allowed")
	case http.StatusNotFound:
		return s.tr(r, "Not found")
	case http.StatusConflict:
		return s.tr(r, "Conflict")
	case http.StatusUnprocessableEntity:
		return s.tr(r, "Not done")
	case http.StatusTooManyRequests:
		return s.tr(r, "Too many requests")
	}
	if status >= 500 {
		return s.tr(r, "Something went wrong")
	}
	return http.StatusText(status)
}

// uiDone redirects back with a flash, with the error's message if it is
// the user's to fix; an error not found, forbidden or internal is returned
// for page to show as an error page.
func (s *Server) uiDone(w http.ResponseWriter, r *http.Request, err error, flash, to string) error {
	if err != nil {
		// A plan's limit is a 403 the page explains where it was asked,
		// not on an error page: no role would help, and the rest of the
		// page still works.
		var le *plan.ErrLimit
		st := apperr.HTTPStatus(err)
		if (st == http.StatusNotFound || st == http.StatusForbidden || st >= 500) && !errors.As(err, &le) {
			return err
		}
		if e, ok := apperr.As(err); ok {
			msg := s.errText(r, e)
			for _, f := range e.Fields {
				msg = f.Field + " " + s.detailText(r, f)
			}
			s.flash(r, s.tr(r, "Not done: %s", msg))
			redirect(w, r, to)
			return nil
		}
	}
	s.flash(r, flash)
	redirect(w, r, to)
	return nil
}

func (s *Server) uiAccount(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "account", s.accountView(r))
	return nil
}

func (s *Server) uiPasswordChange(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	if !s.passwordCheckAllowed(w, r, p.Email) {
		return nil
	}
	epoch, err := s.accounts.ChangePassword(r.Context(), p, r.PostFormValue("current_password"), r.PostFormValue("new_password"), s.meta(r))
	if auth.IsWrongPassword(err) {
		s.passwordCheckFailed(r, p.Email)
	}
	if err == nil {
		err = s.startSession(r.Context(), p.UserID, p.TenantID, epoch, s.sessionMethod(r.Context()))
	}
	if err != nil {
		s.formError(w, r, "account", s.accountView(r), err)
		return nil
	}
	s.flash(r, s.tr(r, "Password changed; your other sessions have ended."))
	redirect(w, r, "/app/account")
	return nil
}

func (s *Server) uiEmailChange(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	if !s.passwordCheckAllowed(w, r, p.Email) {
		return nil
	}
	if err := s.accounts.RequestEmailChange(r.Context(), p, r.PostFormValue("email"), r.PostFormValue("password"), s.meta(r)); err != nil {
		if auth.IsWrongPassword(err) {
			s.passwordCheckFailed(r, p.Email)
		}
		v := s.accountView(r)
		v.Form = formValues(r, "email")
		s.formError(w, r, "account", v, err)
		return nil
	}
	s.flash(r, s.tr(r, "We sent a confirmation link to %s.", r.PostFormValue("email")))
	redirect(w, r, "/app/account")
	return nil
}

func (s *Server) uiResendVerification(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	if !s.limit(w, r, s.limits.ResetPerAccount, "verify:acct:"+p.UserID.String()) {
		return nil
	}
	return s.uiDone(w, r, s.accounts.ResendVerification(r.Context(), p.UserID, s.meta(r)), "A new confirmation link is on its way.", "/app/account")
}

func (s *Server) uiLogoutEverywhere(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.auth.LogoutEverywhere(r.Context(), mustPrincipal(r), s.meta(r)); err != nil {
		return err
	}
	_ = s.sessions.Destroy(r.Context())
	redirect(w, r, "/login")
	return nil
}

func (s *Server) uiTenants(w http.ResponseWriter, r *http.Request) error {
	// The page shows the tenants whole: one page of up to page.Max.
	trs, err := s.tenants.ListTenants(r.Context(), mustPrincipal(r).UserID, page.Request{Limit: page.Max})
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "tenants", view{Title: s.tr(r, "Your tenants"), Data: trs.Rows})
	return nil
}

func (s *Server) uiTenantCreate(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	t, err := s.tenants.CreateTenant(r.Context(), p, r.PostFormValue("name"), s.meta(r))
	if err != nil {
		trs, _ := s.tenants.ListTenants(r.Context(), p.UserID, page.Request{Limit: page.Max})
		s.formError(w, r, "tenants", view{Title: s.tr(r, "Your tenants"), Data: trs.Rows, Form: formValues(r, "name")}, err)
		return nil
	}
	epoch, _ := s.sessions.Get(r.Context(), sessEpoch).(int64)
	if err := s.startSession(r.Context(), p.UserID, t.ID, epoch, s.sessionMethod(r.Context())); err != nil {
		return err
	}
	s.flash(r, s.tr(r, "Created %s; you are now working in it.", t.Name))
	redirect(w, r, "/app")
	return nil
}

func (s *Server) uiTenantSwitch(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	if p.ScopedTo != uuid.Nil && id != p.ScopedTo {
		return access.ErrScopedSession
	}
	epoch, _ := s.sessions.Get(r.Context(), sessEpoch).(int64)
	np, err := s.auth.Resolve(r.Context(), p.UserID, epoch, id, s.sessionMethod(r.Context()))
	if err == nil && np.TenantID != id {
		err = np.NoTenant()
	}
	if err == nil {
		err = s.startSession(r.Context(), p.UserID, id, epoch, s.sessionMethod(r.Context()))
	}
	if err != nil {
		return err
	}
	redirect(w, r, "/app")
	return nil
}

func (s *Server) uiSettingsSave(w http.ResponseWriter, r *http.Request) error {
	name := r.PostFormValue("name")
	patch := tenant.TenantPatch{Name: &name}
	// The default tax rate is a percentage typed the viewer's way ("5,5"
	// in de), stored in basis points; empty leaves it as it is.
	if pct := strings.TrimSpace(r.PostFormValue("default_tax_rate")); pct != "" {
		l := s.locale(r)
		f, err := strconv.ParseFloat(strings.Replace(pct, string(l.Decimal), ".", 1), 64)
		if err != nil || f < 0 || f*100 > order.MaxTaxRateBP {
			return s.settingsFormError(w, r, apperr.Invalid("default_tax_rate", s.tr(r, "must be a percentage from 0 to 100")), "name", "default_tax_rate")
		}
		bp := int64(f*100 + 0.5)
		patch.DefaultTaxRateBP = &bp
	}
	if _, err := s.tenants.UpdateTenant(r.Context(), mustPrincipal(r), patch, s.meta(r)); err != nil {
		return s.settingsFormError(w, r, err, "name", "default_tax_rate")
	}
	s.flash(r, s.tr(r, "Saved."))
	redirect(w, r, "/app/settings")
	return nil
}

type membersPage struct {
	Members     []tenant.Member
	Invitations []invitationJSON
}

func (s *Server) uiMembers(w http.ResponseWriter, r *http.Request) error {
	return s.renderMembers(w, r, http.StatusOK, view{})
}

func (s *Server) renderMembers(w http.ResponseWriter, r *http.Request, status int, v view) error {
	p := mustPrincipal(r)
	// The page shows members and invitations whole: one page of up to
	// page.Max each.
	all := page.Request{Limit: page.Max}
	ms, err := s.tenants.ListMembers(r.Context(), p, all)
	if err != nil {
		return err
	}
	mp := membersPage{Members: ms.Rows}
	if p.Can(access.ActInviteManage) {
		invs, err := s.tenants.ListInvitations(r.Context(), p, all)
		if err != nil {
			return err
		}
		now := time.Now()
		for _, i := range invs.Rows {
			mp.Invitations = append(mp.Invitations, toInvitationJSON(i, now))
		}
	}
	v.Title, v.Data = s.tr(r, "Members"), mp
	s.render(w, r, status, "members", v)
	return nil
}

func (s *Server) uiMemberRole(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "membership")
	if err == nil {
		err = s.tenants.ChangeRole(r.Context(), mustPrincipal(r), id, access.Role(r.PostFormValue("role")), s.meta(r))
	}
	return s.uiDone(w, r, err, s.tr(r, "Role changed."), "/app/members")
}

func (s *Server) uiMemberRemove(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	id, err := pathID(r, "id", "membership")
	if err == nil {
		err = s.tenants.RemoveMember(r.Context(), p, id, s.meta(r))
	}
	if err == nil && id == p.UserID {
		return s.uiDone(w, r, nil, s.tr(r, "You left the tenant."), "/app/tenants")
	}
	return s.uiDone(w, r, err, s.tr(r, "Member removed; their access ended."), "/app/members")
}

func (s *Server) uiInvite(w http.ResponseWriter, r *http.Request) error {
	_, err := s.tenants.Invite(r.Context(), mustPrincipal(r), r.PostFormValue("email"), access.Role(r.PostFormValue("role")), s.meta(r))
	if err != nil {
		if e, ok := apperr.As(err); ok && len(e.Fields) > 0 {
			v := view{Form: formValues(r, "email"), Errors: map[string]string{}}
			for _, f := range e.Fields {
				v.Errors[f.Field] = s.detailText(r, f)
			}
			return s.renderMembers(w, r, http.StatusUnprocessableEntity, v)
		}
	}
	return s.uiDone(w, r, err, s.tr(r, "Invitation sent to %s.", r.PostFormValue("email")), "/app/members")
}

func (s *Server) uiInvitationResend(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "invitation")
	if err == nil {
		_, err = s.tenants.ResendInvitation(r.Context(), mustPrincipal(r), id, s.meta(r))
	}
	return s.uiDone(w, r, err, s.tr(r, "Invitation sent again."), "/app/members")
}

func (s *Server) uiInvitationRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "invitation")
	if err == nil {
		err = s.tenants.RevokeInvitation(r.Context(), mustPrincipal(r), id, s.meta(r))
	}
	return s.uiDone(w, r, err, s.tr(r, "Invitation revoked."), "/app/members")
}

type apiKeysPage struct {
	Keys   []auth.APIKeyInfo
	NewKey string
}

func (s *Server) renderAPIKeys(w http.ResponseWriter, r *http.Request, status int, v view, newKey string) error {
	keys, err := s.auth.ListAPIKeys(r.Context(), mustPrincipal(r), page.Request{Limit: page.Max})
	if err != nil {
		return err
	}
	v.Title, v.Data = s.tr(r, "API keys"), apiKeysPage{Keys: keys.Rows, NewKey: newKey}
	s.render(w, r, status, "apikeys", v)
	return nil
}

func (s *Server) uiAPIKeys(w http.ResponseWriter, r *http.Request) error {
	return s.renderAPIKeys(w, r, http.StatusOK, view{}, "")
}

func (s *Server) uiAPIKeyCreate(w http.ResponseWriter, r *http.Request) error {
	v := view{Form: formValues(r, "name", "expires_days")}
	var exp *time.Time
	if d := r.PostFormValue("expires_days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 3650 {
			v.Errors = map[string]string{"expires_at": s.tr(r, "must be a number of days from 1 to 3650")}
			return s.renderAPIKeys(w, r, http.StatusUnprocessableEntity, v, "")
		}
		e := time.Now().Add(time.Duration(n) * 24 * time.Hour)
		exp = &e
	}
	_, full, err := s.auth.CreateAPIKey(r.Context(), mustPrincipal(r), r.PostFormValue("name"), access.Role(r.PostFormValue("role")), exp, s.meta(r))
	if err != nil {
		if e, ok := apperr.As(err); ok && len(e.Fields) > 0 {
			v.Errors = map[string]string{}
			for _, f := range e.Fields {
				v.Errors[f.Field] = s.detailText(r, f)
			}
			return s.renderAPIKeys(w, r, http.StatusUnprocessableEntity, v, "")
		}
		return err
	}
	// The secret is shown on this response only; reloading does not
	// resubmit (the page is no-store) and the list never shows it.
	return s.renderAPIKeys(w, r, http.StatusCreated, view{}, full)
}

func (s *Server) uiAPIKeyRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "API key")
	if err == nil {
		err = s.auth.RevokeAPIKey(r.Context(), mustPrincipal(r), id, s.meta(r))
	}
	return s.uiDone(w, r, err, s.tr(r, "Key revoked; it stops working at once."), "/app/api-keys")
}
