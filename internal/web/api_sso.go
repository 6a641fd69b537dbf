package web

import (
	"net/http"
	"time"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/sso"
)

// ssoInput is the body of PUT /api/v1/tenant/sso.
type ssoInput struct {
	Issuer   string `json:"issuer" required:"true" description:"The provider's issuer URL (https), such as https://accounts.google.com or https://keycloak.example.com/realms/acme."`
	ClientID string `json:"client_id" required:"true" description:"Ordo's client id at the provider."`
	// A pointer: absent keeps the stored secret, "" removes it.
	ClientSecret *string     `json:"client_secret,omitempty" description:"Ordo's client secret at the provider, stored encrypted and never returned. Leave it out to keep the stored one; an empty string removes it (a public client)."`
	Domains      []string    `json:"domains" required:"true" description:"E-mail domains whose addresses may sign in with this provider, such as [\"example.com\"]."`
	JIT          bool        `json:"jit" description:"Add people of the allowed domains who are not members yet at their first sign-in."`
	DefaultRole  access.Role `json:"default_role,omitempty" enum:"admin,member,viewer" description:"The role of members added at sign-in; default member."`
	Required     bool        `json:"required" description:"Refuse password sign-in to members who are not owners (owners keep theirs as a way in if the provider fails)."`
}

// ssoJSON is a tenant's single sign-on settings.
type ssoJSON struct {
	Configured      bool        `json:"configured" description:"Whether the tenant has a provider; the other fields are empty when not."`
	Issuer          string      `json:"issuer"`
	ClientID        string      `json:"client_id"`
	ClientSecretSet bool        `json:"client_secret_set" description:"Whether a client secret is stored (it is never returned)."`
	Domains         []string    `json:"domains"`
	JIT             bool        `json:"jit"`
	DefaultRole     access.Role `json:"default_role"`
	Required        bool        `json:"required"`
	RedirectURI     string      `json:"redirect_uri" description:"The redirect URI to register at the provider."`
	LoginURL        string      `json:"login_url" description:"Where members start signing in with the provider."`
	UpdatedAt       *time.Time  `json:"updated_at"`
}

func (s *Server) toSSOJSON(st sso.Settings, slug string) ssoJSON {
	c := st.Config
	out := ssoJSON{Configured: st.Configured, Issuer: c.Issuer, ClientID: c.ClientID, ClientSecretSet: st.ClientSecretSet, Domains: c.Domains,
		JIT: c.JIT, DefaultRole: c.DefaultRole, Required: c.Required, RedirectURI: st.RedirectURL, LoginURL: s.baseURL + "/login/sso?tenant=" + slug}
	if out.DefaultRole == "" {
		out.DefaultRole = access.RoleMember
	}
	if out.Domains == nil {
		out.Domains = []string{}
	}
	if st.Configured {
		at := c.UpdatedAt
		out.UpdatedAt = &at
	}
	return out
}

// ssoService is the SSO service, 404 when there is none.
func (s *Server) ssoService() (*sso.Service, error) {
	if s.sso == nil {
		return nil, apperr.NotFound("single sign-on")
	}
	return s.sso, nil
}

func (s *Server) writeSSO(w http.ResponseWriter, r *http.Request, p access.Principal, st sso.Settings) error {
	t, err := s.tenants.CurrentTenant(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toSSOJSON(st, t.Slug))
	return nil
}

func (s *Server) handleSSOGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	svc, err := s.ssoService()
	if err != nil {
		return err
	}
	st, err := svc.TenantSettings(r.Context(), p)
	if err != nil {
		return err
	}
	return s.writeSSO(w, r, p, st)
}

func (s *Server) handleSSOPut(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	svc, err := s.ssoService()
	if err != nil {
		return err
	}
	var in ssoInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	st, err := svc.SaveTenantSettings(r.Context(), p, sso.Input{Issuer: in.Issuer, ClientID: in.ClientID, ClientSecret: in.ClientSecret, Domains: in.Domains,
		JIT: in.JIT, DefaultRole: in.DefaultRole, Required: in.Required}, s.meta(r))
	if err != nil {
		return err
	}
	return s.writeSSO(w, r, p, st)
}

func (s *Server) handleSSODelete(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	svc, err := s.ssoService()
	if err != nil {
		return err
	}
	if err := svc.DeleteTenantSettings(r.Context(), p, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
