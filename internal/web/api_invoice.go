package web

import (
	"net/http"
	"time"

	"github.com/ordo/ordo/internal/invoice"
	"github.com/ordo/ordo/internal/tenant"
)

type invoiceJSON struct {
	Number      string         `json:"number"`
	Status      invoice.Status `json:"status" enum:"pending,ready,failed"`
	Error       string         `json:"error,omitempty"`
	Size        int64          `json:"size"`
	DownloadURL string         `json:"download_url,omitempty"`
	GeneratedAt *time.Time     `json:"generated_at"`
}

func toInvoiceJSON(r invoice.Record, url string) invoiceJSON {
	return invoiceJSON{Number: r.Number, Status: r.Status, Error: r.Error, Size: r.Size, DownloadURL: url, GeneratedAt: r.GeneratedAt}
}

// handleInvoiceCreate generates or regenerates an order's invoice in the
// background.
func (s *Server) handleInvoiceCreate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "order")
	if err != nil {
		return err
	}
	rec, err := s.invoices.Request(r.Context(), p, id, s.meta(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/orders/"+id.String()+"/invoice")
	writeJSON(w, http.StatusAccepted, toInvoiceJSON(rec, ""))
	return nil
}

func (s *Server) handleInvoiceGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "order")
	if err != nil {
		return err
	}
	rec, url, err := s.invoices.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toInvoiceJSON(rec, s.browserURL(r, url)))
	return nil
}

type brandingJSON struct {
	Address     string `json:"address" maxLength:"500"`
	TaxID       string `json:"tax_id" maxLength:"64"`
	AccentColor string `json:"accent_color" description:"A colour like #1f6feb; empty for the default." pattern:"^(#[0-9a-fA-F]{6})?$"`
	Footer      string `json:"footer" maxLength:"500"`
	RTL         bool   `json:"rtl" description:"Lay invoices out right to left (mirrored), for Arabic, Hebrew and other right-to-left scripts."`
	// HasLogo is read-only: upload with PUT /api/v1/tenant/logo.
	HasLogo bool `json:"has_logo"`
}

func toBrandingJSON(b tenant.Branding) brandingJSON {
	return brandingJSON{Address: b.Address, TaxID: b.TaxID, AccentColor: b.AccentColor, Footer: b.Footer, RTL: b.RTL, HasLogo: b.LogoKey != ""}
}

func (s *Server) handleBrandingGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	b, err := s.invoices.Branding(r.Context(), p)
	if err != nil {
		return err
	}
	if notModified(w, r, etag(b.Version)) {
		return nil
	}
	w.Header().Set("ETag", etag(b.Version))
	writeJSON(w, http.StatusOK, toBrandingJSON(b))
	return nil
}

func (s *Server) handleBrandingPut(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	var in brandingJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	version, err := ifMatch(r, tenant.ErrBrandingStale)
	if err != nil {
		return err
	}
	b, err := s.invoices.SetBranding(r.Context(), p, tenant.Branding{Address: in.Address, TaxID: in.TaxID, AccentColor: in.AccentColor, Footer: in.Footer, RTL: in.RTL}, version, s.meta(r))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(b.Version))
	writeJSON(w, http.StatusOK, toBrandingJSON(b))
	return nil
}

// handleLogoPut takes the logo as the raw request body (image/png or
// image/jpeg).
func (s *Server) handleLogoPut(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	b, err := s.invoices.SetLogo(r.Context(), p, r.Body, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toBrandingJSON(b))
	return nil
}

func (s *Server) handleLogoDelete(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	if _, err := s.invoices.DeleteLogo(r.Context(), p, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
