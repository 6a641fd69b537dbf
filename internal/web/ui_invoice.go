package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/invoice"
	"github.com/ordo/ordo/internal/tenant"
)

// Invoice pages: an order's invoice (generate, download) and the
// tenant's invoice branding on the settings page.

func (s *Server) uiInvoiceCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "order")
	msg := ""
	if err == nil {
		rec, rerr := s.invoices.Request(r.Context(), mustPrincipal(r), id, s.meta(r))
		err, msg = rerr, "Generating invoice "+rec.Number+"; it appears here when ready."
	}
	return s.uiDone(w, r, err, msg, "/app/orders/"+r.PathValue("id"))
}

// uiInvoiceDownload redirects to a fresh presigned URL of the PDF.
func (s *Server) uiInvoiceDownload(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "order")
	var u string
	if err == nil {
		_, u, err = s.invoices.Get(r.Context(), mustPrincipal(r), id)
	}
	if err == nil && u == "" {
		err = apperr.NotFound("generated invoice")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
	return nil
}

// brandingFields are the branding form's fields.
var brandingFields = []string{"address", "tax_id", "accent_color", "footer", "rtl"}

// settingsView is the settings page: the tenant's name, attachment usage
// and invoice branding. Data is a map, as the page reads it by key.
func (s *Server) settingsView(r *http.Request) (view, error) {
	p := mustPrincipal(r)
	t, err := s.tenants.CurrentTenant(r.Context(), p)
	if err != nil {
		return view{}, err
	}
	if !p.Can(access.ActTenantUpdate) {
		return view{}, apperr.Forbidden("your role (%s) may not change tenant settings", apperr.Word(p.Role))
	}
	var files, size int64
	if s.attachments != nil {
		files, size, err = s.attachments.Usage(r.Context(), p)
		if err != nil {
			return view{}, err
		}
	}
	v := view{Title: s.tr(r, "Tenant settings"), Form: map[string]string{"name": t.Name, "default_tax_rate": formatBP(t.DefaultTaxRateBP, s.locale(r))},
		Data: map[string]any{"files": files, "bytes": size, "can_delete": p.Can(access.ActTenantDelete), "grace_days": int(s.grace().Hours() / 24)}}
	if err := s.ssoSettingsView(r, p, &v); err != nil {
		return view{}, err
	}
	if s.invoices == nil {
		return v, nil // no invoices, no branding
	}
	b, err := s.invoices.Branding(r.Context(), p)
	if err != nil {
		return view{}, err
	}
	v.Form["address"], v.Form["tax_id"], v.Form["accent_color"], v.Form["footer"] = b.Address, b.TaxID, b.AccentColor, b.Footer
	data := v.Data.(map[string]any)
	data["branding"], data["logo"], data["logo_type"] = true, b.LogoKey != "", strings.ToUpper(b.LogoType)
	if b.RTL {
		v.Form["rtl"] = "on"
	}
	return v, nil
}

// uiSettings shows the settings page.
func (s *Server) uiSettings(w http.ResponseWriter, r *http.Request) error {
	v, err := s.settingsView(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "settings", v)
	return nil
}

// settingsFormError shows the settings page again with a form's field
// errors and the values posted in fields.
func (s *Server) settingsFormError(w http.ResponseWriter, r *http.Request, err error, fields ...string) error {
	v, verr := s.settingsView(r)
	if verr != nil {
		return verr
	}
	if !s.fieldErrors(r, &v, err) {
		return err
	}
	for _, f := range fields {
		v.Form[f] = r.PostFormValue(f)
	}
	s.render(w, r, apperr.HTTPStatus(err), "settings", v)
	return nil
}

func (s *Server) uiBrandingSave(w http.ResponseWriter, r *http.Request) error {
	f := func(k string) string { return r.PostFormValue(k) }
	b := tenant.Branding{Address: f("address"), TaxID: f("tax_id"), AccentColor: f("accent_color"), Footer: f("footer"), RTL: f("rtl") == "on"}
	if _, err := s.invoices.SetBranding(r.Context(), mustPrincipal(r), b, nil, s.meta(r)); err != nil {
		return s.settingsFormError(w, r, err, brandingFields...)
	}
	s.flash(r, s.tr(r, "Invoice branding saved; new invoices use it."))
	redirect(w, r, "/app/settings#branding")
	return nil
}

// uiLogoUpload takes the logo from a multipart form; SetLogo checks its
// size and type. The request body limit (MaxBodyBytes) is well above the
// logo's.
func (s *Server) uiLogoUpload(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseMultipartForm(invoice.MaxLogoBytes + 64<<10); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return s.settingsFormError(w, r, apperr.Invalid("logo", fmt.Sprintf("must be at most %d KiB", invoice.MaxLogoBytes>>10)))
		}
		return s.settingsFormError(w, r, apperr.Invalid("logo", "must be chosen: pick a PNG or JPEG file"))
	}
	defer r.MultipartForm.RemoveAll()
	file, _, err := r.FormFile("logo")
	if err != nil {
		return s.settingsFormError(w, r, apperr.Invalid("logo", "must be chosen: pick a PNG or JPEG file"))
	}
	defer file.Close()
	if _, err := s.invoices.SetLogo(r.Context(), mustPrincipal(r), file, s.meta(r)); err != nil {
		return s.settingsFormError(w, r, err)
	}
	s.flash(r, s.tr(r, "Logo uploaded; new invoices show it."))
	redirect(w, r, "/app/settings#branding")
	return nil
}

func (s *Server) uiLogoDelete(w http.ResponseWriter, r *http.Request) error {
	_, err := s.invoices.DeleteLogo(r.Context(), mustPrincipal(r), s.meta(r))
	return s.uiDone(w, r, err, "Logo removed; new invoices show the tenant name instead.", "/app/settings#branding")
}
