package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/operator"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/tenant"
)

// The operator console, /admin: for users made operators (ordo operators
// add), and 404 for everyone else. Each action on a tenant goes through
// the tenant service as access.OperatorIn, which records it in the
// tenant's audit log and the platform's; actions on users through the
// account service's operator methods.

// adminHandler is a console page or action, given the operator.
type adminHandler func(w http.ResponseWriter, r *http.Request, op access.Principal) error

// requireOperator runs h for an operator, logged in with a session; the
// console is not found for anyone else.
func (s *Server) requireOperator(h adminHandler) http.HandlerFunc {
	return s.requireLogin(s.page(func(w http.ResponseWriter, r *http.Request) error {
		if s.operators == nil {
			return apperr.NotFound("page")
		}
		op, err := s.operators.Whoami(r.Context(), mustPrincipal(r).UserID)
		if err != nil {
			return err
		}
		return h(w, r, op)
	}))
}

// adminView is a console page's view: the console's side navigation.
func (s *Server) adminView(r *http.Request, title string, data any) view {
	return view{Title: title, Admin: true, Nav: "admin", Data: data}
}

type adminTenantsPage struct {
	Query   string
	Tenants []operator.TenantOverview
	Pager   pager
}

// adminPage reads the request's page and search of a console list and
// links its neighbours, the search and page size kept: the cursors and pager of every
// keyset-paged list (pageRequest, pageCursors, newPager).
func adminPage[T any](r *http.Request, read func(q string, pr page.Request) (page.Page[T], error)) (page.Page[T], string, pager, error) {
	pr, err := pageRequest(r.URL.Query())
	if err != nil {
		return page.Page[T]{}, "", pager{}, err
	}
	q := r.URL.Query().Get("q")
	p, err := read(q, pr)
	if err != nil {
		return page.Page[T]{}, "", pager{}, err
	}
	next, prev := pageCursors(p)
	return p, q, newPager(r.URL.Path, keepParams(r.URL.Query(), "q", "limit"), deref(next), deref(prev)), nil
}

func (s *Server) uiAdminTenants(w http.ResponseWriter, r *http.Request, op access.Principal) error {
	p, q, pg, err := adminPage(r, func(q string, pr page.Request) (page.Page[operator.TenantOverview], error) {
		return s.operators.Tenants(r.Context(), q, pr)
	})
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_tenants", s.adminView(r, s.tr(r, "Tenants"), adminTenantsPage{Query: q, Tenants: p.Rows, Pager: pg}))
	return nil
}

type adminTenantPage struct {
	T      operator.TenantOverview
	Usage  plan.Report
	Plans  []string
	Limits []plan.Name
	Audit  []audit.Entry
}

func (s *Server) uiAdminTenant(w http.ResponseWriter, r *http.Request, op access.Principal) error {
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	t, err := s.operators.Tenant(r.Context(), id)
	if err != nil {
		return err
	}
	pg := adminTenantPage{T: t, Plans: plan.Plans, Limits: plan.Names()}
	if s.usage != nil {
		if pg.Usage, err = s.usage(r.Context(), t.Tenant.ID); err != nil {
			return err
		}
	}
	recent, err := s.operators.AuditLog(r.Context(), &t.Tenant.ID, page.Request{Limit: 20})
	if err != nil {
		return err
	}
	pg.Audit = recent.Rows
	s.render(w, r, http.StatusOK, "admin_tenant", s.adminView(r, t.Tenant.Name, pg))
	return nil
}

// uiAdminTenantAction runs one of the console's actions on a tenant and
// goes back to its page with what happened.
func (s *Server) uiAdminTenantAction(w http.ResponseWriter, r *http.Request, op access.Principal) error {
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	t, err := s.operators.TenantRow(r.Context(), id)
	if err != nil {
		return err
	}
	ctx, m := r.Context(), s.meta(r)
	in := op // the operator, acting on this tenant
	in.TenantID = id
	back := "/admin/tenants/" + id.String()
	var msg string
	switch r.PathValue("action") {
	case "plan":
		p := r.PostFormValue("plan")
		err, msg = s.tenants.SetPlan(ctx, in, tenant.Plan(p), m), s.tr(r, "%s is on the %s plan.", t.Slug, p)
	case "limit":
		name := plan.Name(r.PostFormValue("name"))
		var value *int64
		switch v := strings.TrimSpace(r.PostFormValue("value")); v {
		case "", "default":
		case "unlimited":
			value = new(plan.Unlimited)
		default:
			n, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil || n < 0 {
				err = apperr.Invalid("value", "must be a number, unlimited, or default")
				break
			}
			value = &n
		}
		if err == nil {
			err = s.tenants.SetLimit(ctx, in, name, value, m)
		}
		msg = s.tr(r, "The limit %s of %s is changed.", name, t.Slug)
	case "suspend":
		err, msg = s.tenants.SetTenantStatus(ctx, in, tenant.StatusSuspended, m), s.tr(r, "%s is suspended.", t.Slug)
	case "resume":
		err, msg = s.tenants.SetTenantStatus(ctx, in, tenant.StatusActive, m), s.tr(r, "%s is active again.", t.Slug)
	case "delete":
		if strings.TrimSpace(r.PostFormValue("confirm")) != t.Slug {
			err = apperr.Invalid("confirm", "must be the tenant's slug, exactly as shown, to confirm the deletion")
			break
		}
		_, err = s.tenants.DeleteTenantAsOperator(ctx, in, s.deletionGrace, m)
		msg = s.tr(r, "%s is deleted; it can be restored until it is purged.", t.Slug)
	case "restore":
		_, err = s.tenants.CancelDeletion(ctx, in, m)
		msg = s.tr(r, "%s is restored.", t.Slug)
	default:
		return apperr.NotFound("page")
	}
	return s.uiDone(w, r, err, msg, back)
}

type adminUsersPage struct {
	Query string
	Users []account.User
	Pager pager
}

func (s *Server) uiAdminUsers(w http.ResponseWriter, r *http.Request, op access.Principal) error {
	p, q, pg, err := adminPage(r, func(q string, pr page.Request) (page.Page[account.User], error) {
		return s.operators.Users(r.Context(), q, pr)
	})
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_users", s.adminView(r, s.tr(r, "Users"), adminUsersPage{Query: q, Users: p.Rows, Pager: pg}))
	return nil
}

type adminUserPage struct {
	operator.UserDetail
	Self bool
}

func (s *Server) uiAdminUser(w http.ResponseWriter, r *http.Request, op access.Principal) error {
	id, err := pathID(r, "id", "user")
	if err != nil {
		return err
	}
	d, err := s.operators.User(r.Context(), id)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_user", s.adminView(r, d.User.Email, adminUserPage{UserDetail: d, Self: id == op.UserID}))
	return nil
}

func (s *Server) uiAdminUserAction(w http.ResponseWriter, r *http.Request, op access.Principal) error {
	id, err := pathID(r, "id", "user")
	if err != nil {
		return err
	}
	ctx, m := r.Context(), s.meta(r)
	var msg string
	switch r.PathValue("action") {
	case "logout":
		err, msg = s.accounts.OperatorEndSessions(ctx, op, id, m), s.tr(r, "Every session of the user has ended.")
	case "reset-password":
		err, msg = s.accounts.OperatorForcePasswordReset(ctx, op, id, m), s.tr(r, "The password no longer works; the user was e-mailed a link to choose a new one.")
	case "disable", "enable":
		if id == op.UserID {
			err = apperr.Conflict("operators cannot disable themselves")
			break
		}
		disable := r.PathValue("action") == "disable"
		err = s.accounts.OperatorSetDisabled(ctx, op, id, disable, m)
		msg = s.tr(r, "The user is enabled.")
		if disable {
			msg = s.tr(r, "The user is disabled: they cannot log in and their API keys do not work.")
		}
	default:
		return apperr.NotFound("page")
	}
	if errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	return s.uiDone(w, r, err, msg, "/admin/users/"+id.String())
}

type adminAuditPage struct {
	Entries []audit.Entry
	Pager   pager
}

func (s *Server) uiAdminAudit(w http.ResponseWriter, r *http.Request, op access.Principal) error {
	p, _, pg, err := adminPage(r, func(_ string, pr page.Request) (page.Page[audit.Entry], error) {
		return s.operators.AuditLog(r.Context(), nil, pr)
	})
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_audit", s.adminView(r, s.tr(r, "Platform audit log"), adminAuditPage{Entries: p.Rows, Pager: pg}))
	return nil
}
