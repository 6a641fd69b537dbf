package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/language"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/i18n"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/tenant"
)

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one parsed template set per page: the layout plus the page.
type pages map[string]*template.Template

var funcs = template.FuncMap{
	"can": func(p *access.Principal, action string) bool { return p != nil && p.Can(access.Action(action)) },
	"date": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2 Jan 2006 15:04 UTC")
		case *time.Time:
			if v == nil {
				return "—"
			}
			return v.UTC().Format("2 Jan 2006 15:04 UTC")
		}
		return ""
	},
	"roles": access.Roles,
	"statuses": func() []order.Status {
		return []order.Status{order.StatusPending, order.StatusProcessing, order.StatusShipped, order.StatusDelivered, order.StatusCancelled}
	},
	// money shows an amount with the viewer's separators: {{money $.Locale .Total .Currency}}.
	"money":     func(l order.Locale, minor int64, code string) string { return order.FormatMoneyIn(minor, code, l) },
	"bp":        func(bp int64) string { return strconv.FormatFloat(float64(bp)/100, 'f', -1, 64) + "%" },
	"hasPrefix": strings.HasPrefix,
	// dict builds a map for a {{template}} that needs several values:
	// {{template "label" dict "V" $ "S" .Status}}.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	// initial is the first letter of a name, for an avatar.
	"initial": func(s string) string {
		for _, r := range s {
			return strings.ToUpper(string(r))
		}
		return "?"
	},
	"hasCurrency": func(list []string, code string) bool { return slices.Contains(list, code) },
	// minPasswordLen is the shortest password account accepts, for the
	// hint under a new password's field.
	"minPasswordLen": func() int { return account.MinPasswordLen },
	"bytes": func(n int64) string {
		switch {
		case n >= 1<<30:
			return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
		case n >= 1<<20:
			return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
		case n >= 1<<10:
			return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
		}
		return strconv.FormatInt(n, 10) + " B"
	},
	// input describes a form field: name, label, type, autocomplete.
	// An error the form worded in full ("E-mail is required") is shown
	// as it is; a domain detail ("is required") after the label.
	"input": func(name, label, typ, auto string, v view) inputData {
		d := inputData{Name: name, Label: label, Type: typ, Auto: auto, Required: true, Err: v.Errors[name]}
		if d.Err != "" && !v.errorWorded[name] {
			d.Err = label + " " + d.Err
		}
		if typ != "password" {
			d.Value = v.Form[name]
		}
		return d
	},
}

type inputData struct {
	Name, Label, Type, Auto, Value, Err string
	Required                            bool
}

// parsePages parses every page with the layout, linking static files by
// their content-hashed URLs ({{asset "app.css"}}); a broken template stops
// the program at start-up, not a user's request.
func parsePages(static *assets) (pages, error) {
	layout, err := fs.ReadFile(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	out := pages{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		t, err := template.New("layout").Funcs(funcs).Funcs(template.FuncMap{"asset": static.URL}).Parse(string(layout))
		if err != nil {
			return nil, fmt.Errorf("layout: %w", err)
		}
		if _, err := t.ParseFS(templateFS, f); err != nil {
			return nil, fmt.Errorf("page %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// view is what every page gets.
type view struct {
	Title     string
	Principal *access.Principal
	Tenant    *tenant.Tenant
	Flash     string
	// Form holds submitted values to show again; Errors the field errors
	// by API field path, ErrorList the same in the order found, for the
	// summary at the top of a form (see formError).
	Form      map[string]string
	Errors    map[string]string
	ErrorList []fieldErr
	Error     string
	// labels names a form's fields in the viewer's language ("" for a
	// field it does not know), so that formError words each error in
	// full; errorWorded marks the errors it did.
	labels      func(path string) string
	errorWorded map[string]bool
	// Data is the page's own content.
	Data any
	// SSO is what the sign-in page offers besides passwords (nil: none).
	SSO *loginSSO
	// Locale is how the viewer writes numbers (from Accept-Language):
	// amounts are shown and read by it.
	Locale order.Locale
	// Lang is the UI language; T translates into it.
	Lang    language.Tag
	catalog *i18n.Catalog
	// Path is where this page is, for forms that come back to it.
	Path string
	// Nav names the sidebar entry to mark as the current page; empty, it
	// follows from Path (see Section).
	Nav string
	// Admin: a page of the operator console, with its own navigation.
	Admin bool
	// Tenants are the viewer's tenants, for the switcher in the sidebar.
	Tenants []tenant.TenantRole
}

// sections maps the first path segment under /app to its sidebar entry,
// for pages that leave view.Nav empty; a form post's page (Path is then
// the action) is marked like the page it came from.
var sections = map[string]string{
	"orders": "orders", "exports": "exports", "members": "members", "invitations": "members",
	"api-keys": "apikeys", "webhooks": "webhooks", "audit": "audit", "jobs": "jobs",
	"settings": "settings", "account": "account", "tenants": "tenants", "usage": "usage",
}

// Section is the sidebar entry of this page: "dashboard", "orders", …, or
// "" for a page outside the app.
func (v view) Section() string {
	if v.Nav != "" {
		return v.Nav
	}
	p, _, _ := strings.Cut(v.Path, "?")
	rest, ok := strings.CutPrefix(p, "/app")
	if !ok || (rest != "" && rest[0] != '/') {
		return ""
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	if first == "" {
		return "dashboard"
	}
	return sections[first]
}

// OtherTenants are the viewer's tenants other than the current one.
func (v view) OtherTenants() []tenant.TenantRole {
	out := make([]tenant.TenantRole, 0, len(v.Tenants))
	for _, t := range v.Tenants {
		if v.Tenant == nil || t.Tenant.ID != v.Tenant.ID {
			out = append(out, t)
		}
	}
	return out
}

// Languages lists the languages the UI speaks, for the chooser.
func (v view) Languages() []i18n.Language { return i18n.Supported }

// T translates UI text (its English wording is the key; see package i18n)
// into the viewer's language: {{$.T "Orders"}}, {{$.T "%d orders" .N}}.
func (v view) T(key string, args ...any) string {
	if v.catalog == nil {
		return fmt.Sprintf(key, args...)
	}
	return v.catalog.T(v.Lang, key, args...)
}

// Date shows a time in the viewer's language: "2 Dec 2026, 15:04 UTC",
// "2. Dez. 2026, 15:04 UTC"; "—" for none. Times are UTC, labelled so.
func (v view) Date(t any) string {
	var tm time.Time
	switch x := t.(type) {
	case time.Time:
		tm = x
	case *time.Time:
		if x == nil {
			return "—"
		}
		tm = *x
	default:
		return ""
	}
	if tm.IsZero() {
		return "—"
	}
	tm = tm.UTC()
	return v.T("%s %s %s, %s UTC", strconv.Itoa(tm.Day()), v.word(monthAbbr[tm.Month()-1]), strconv.Itoa(tm.Year()), tm.Format("15:04"))
}

// word translates a key picked at run time from a fixed list.
func (v view) word(key string) string {
	if v.catalog == nil {
		return key
	}
	return v.catalog.Word(v.Lang, key)
}

// monthAbbr are the month names dates show, as catalogue keys.
var monthAbbr = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// tr translates text that a handler writes (a flash, an error) into r's
// language, as view.T does for templates.
func (s *Server) tr(r *http.Request, key string, args ...any) string {
	return s.catalog.T(s.language(r), key, args...)
}

// render writes a page. It renders into a buffer first, so a template
// error never sends half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	t, ok := s.pages[page]
	if !ok {
		s.fail(w, r, fmt.Errorf("no page %q", page))
		return
	}
	if v.Locale.Decimal == 0 {
		v.Locale = s.locale(r)
	}
	v.Lang, v.catalog = s.language(r), s.catalog
	v.Path = pagePath(r)
	if page == "login" {
		v.SSO = s.loginSSO()
	}
	if p, ok := principalFrom(r.Context()); ok {
		v.Principal = &p
		if p.InTenant() && v.Tenant == nil {
			if t, err := s.tenants.CurrentTenant(r.Context(), p); err == nil {
				v.Tenant = &t
			}
		}
		// The switcher lists the user's tenants: one small query by user,
		// and a page still shows (with a link to /app/tenants) without it.
		if !p.IsAPIKey() && v.Tenants == nil {
			if trs, err := s.switcherTenants(r.Context(), p.UserID); err == nil {
				v.Tenants = trs
			}
		}
	}
	if s.sessions != nil {
		if f := s.sessions.PopString(r.Context(), "flash"); f != "" {
			v.Flash = f
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.ErrorContext(r.Context(), "render page", "page", page, "err", err)
		reportError(r.Context(), err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// formError re-renders a form with the error's field messages, or shows
// the error's message; unexpected errors are a generic error page. Every
// field error is shown at once: next to its field (Errors) and in the
// summary (ErrorList), worded in the viewer's language where v.labels
// names the field.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, page string, v view, err error) {
	e, ok := apperr.As(err)
	if !ok {
		s.log.ErrorContext(r.Context(), "request failed", "err", err)
		reportError(r.Context(), err)
		v.Error = s.tr(r, "Something went wrong on our side. Please try again; quote request %s if it persists.", RequestID(r.Context()))
		s.render(w, r, http.StatusInternalServerError, page, v)
		return
	}
	if v.Locale.Decimal == 0 {
		v.Locale = s.locale(r)
	}
	v.Errors, v.errorWorded, v.ErrorList = map[string]string{}, map[string]bool{}, nil
	for _, f := range e.Fields {
		if _, seen := v.Errors[f.Field]; seen {
			continue // one error per field: the first
		}
		detail := s.detailText(r, f)
		msg, summary := detail, f.Field+" "+detail
		if label := s.fieldLabel(v, f.Field); label != "" {
			if m, ok := s.fieldMessage(r, f, label, v.Form["currency"], v.Locale); ok {
				msg = m
			} else {
				msg = label + " " + detail
			}
			summary = msg
			v.errorWorded[f.Field] = true
		}
		v.Errors[f.Field] = msg
		v.ErrorList = append(v.ErrorList, fieldErr{ID: fieldID(f.Field), Msg: summary})
	}
	if len(e.Fields) == 0 {
		v.Error = s.errText(r, e)
	}
	s.render(w, r, apperr.HTTPStatus(err), page, v)
}

// fieldLabel is v.labels(path), or "" when the form names no fields.
func (s *Server) fieldLabel(v view, path string) string {
	if v.labels == nil {
		return ""
	}
	return v.labels(path)
}

// flash stores a one-time message for the next page.
func (s *Server) flash(r *http.Request, msg string) { s.sessions.Put(r.Context(), "flash", msg) }

// redirect answers a form post with 303 See Other.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// formValues copies the named form fields, for re-display.
func formValues(r *http.Request, names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[n] = r.PostFormValue(n)
	}
	return m
}

// pagePath is the address of the page being shown, for forms that come
// back to it (the language chooser). A page re-rendered by a form post (a
// form with errors) is the page the form was on, the Referer, since the
// post's own path may have no GET.
func pagePath(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && ref.Path != "" {
		return localPath(ref.RequestURI())
	}
	return r.URL.Path
}

// switcherTenants are the tenants the switcher lists: the first 20; the
// rest are on /app/tenants.
func (s *Server) switcherTenants(ctx context.Context, userID uuid.UUID) ([]tenant.TenantRole, error) {
	trs, err := s.tenants.ListTenants(ctx, userID, page.Request{Limit: 20})
	return trs.Rows, err
}
