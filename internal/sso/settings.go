package sso

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/webhook"
)

// ActManage is the permission to see and change a tenant's single
// sign-on: owners only, since it decides who can sign in as whom.
const ActManage = access.ActSSOManage

// Input is what an owner sets of the tenant's provider.
type Input struct {
	Issuer   string
	ClientID string
	// ClientSecret replaces the stored secret when set; nil keeps it
	// (it is never shown again), "" removes it.
	ClientSecret *string
	Domains      []string
	JIT          bool
	DefaultRole  access.Role
	Required     bool
}

// Settings is the tenant's provider as its owners see it: no secret,
// only whether one is set.
type Settings struct {
	Configured      bool
	Config          TenantConfig
	ClientSecretSet bool
	// RedirectURL is what to register at the provider.
	RedirectURL string
}

// TenantSettings returns the tenant's single sign-on settings.
func (s *Service) TenantSettings(ctx context.Context, p access.Principal) (Settings, error) {
	if err := p.Require(ActManage); err != nil {
		return Settings{}, err
	}
	out := Settings{RedirectURL: s.RedirectURL()}
	c, err := s.db.SSOConfigGet(ctx, p.TenantID)
	if errors.Is(err, apperr.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return Settings{}, err
	}
	out.Configured, out.ClientSecretSet = true, c.ClientSecret != ""
	c.ClientSecret = ""
	out.Config = c
	return out, nil
}

// maxDomains bounds the allowed domains of one tenant.
const maxDomains = 50

// normalize checks in, naming the field at fault.
func (s *Service) normalize(ctx context.Context, in *Input) error {
	var v apperr.Validation
	in.Issuer = strings.TrimRight(strings.TrimSpace(in.Issuer), "/")
	in.ClientID = strings.TrimSpace(in.ClientID)
	u, err := url.Parse(in.Issuer)
	switch {
	case in.Issuer == "":
		v.AddRule("issuer", apperr.RuleRequired, "is required")
	case err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || len(in.Issuer) > 500:
		v.Add("issuer", "must be the provider's issuer URL, such as https://accounts.google.com")
	default:
		// The issuer is fetched from the server: not into Ordo's own
		// network (as webhooks).
		if err := s.guard.CheckURL(ctx, in.Issuer+"/.well-known/openid-configuration"); errors.Is(err, webhook.ErrURLNotAllowed) {
			v.Add("issuer", "must be an https URL of a provider on the internet")
		} else if err != nil {
			return err
		}
	}
	switch {
	case in.ClientID == "":
		v.AddRule("client_id", apperr.RuleRequired, "is required")
	case len(in.ClientID) > 500:
		v.AddRule("client_id", apperr.RuleTooLong, "must be at most 500 characters", 500)
	}
	if in.ClientSecret != nil && len(*in.ClientSecret) > 2000 {
		v.AddRule("client_secret", apperr.RuleTooLong, "must be at most 2000 characters", 2000)
	}
	var domains []string
	bad := false
	for _, d := range in.Domains {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d == "" || slices.Contains(domains, d) {
			continue
		}
		if !validDomain(d) {
			v.Add("domains", "must be e-mail domains such as example.com")
			bad = true
			break
		}
		domains = append(domains, d)
	}
	switch {
	case bad:
	case len(domains) == 0:
		v.AddRule("domains", apperr.RuleRequired, "is required")
	case len(domains) > maxDomains:
		v.Add("domains", "must be at most 50 domains")
	}
	in.Domains = domains
	if in.DefaultRole == "" {
		in.DefaultRole = access.RoleMember
	}
	// JIT never makes owners: an owner is made by another owner.
	if !in.DefaultRole.Valid() || in.DefaultRole == access.RoleOwner {
		v.Add("default_role", "must be admin, member or viewer")
	}
	return v.Err()
}

// validDomain is a plausible DNS name with at least one dot.
func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// SaveTenantSettings sets the tenant's provider.
func (s *Service) SaveTenantSettings(ctx context.Context, p access.Principal, in Input, m access.Meta) (Settings, error) {
	if err := p.Require(ActManage); err != nil {
		return Settings{}, err
	}
	if err := s.normalize(ctx, &in); err != nil {
		return Settings{}, err
	}
	var old TenantConfig
	err := s.db.InTx(ctx, func(tx Tx) error {
		now := s.clock()
		c := TenantConfig{TenantID: p.TenantID, Issuer: in.Issuer, ClientID: in.ClientID, Domains: in.Domains, JIT: in.JIT,
			DefaultRole: in.DefaultRole, Required: in.Required, CreatedAt: now, UpdatedAt: now}
		var err error
		old, err = tx.SSOConfigGet(ctx, p.TenantID)
		switch {
		case err == nil:
			c.CreatedAt, c.ClientSecret = old.CreatedAt, old.ClientSecret
		case !errors.Is(err, apperr.ErrNotFound):
			return err
		}
		if in.ClientSecret != nil {
			c.ClientSecret = ""
			if *in.ClientSecret != "" {
				if s.sealer == nil {
					return errors.New("sso: no sealer for client secrets")
				}
				if c.ClientSecret, err = s.sealer.SealText(*in.ClientSecret, secretWhat(p.TenantID)); err != nil {
					return err
				}
			}
		}
		if err := tx.SSOConfigSave(ctx, c); err != nil {
			return err
		}
		return p.Audit(ctx, tx, m, now, p.TenantID, "tenant.sso_updated", "tenant", p.TenantID.String(), map[string]any{
			"issuer": c.Issuer, "client_id": c.ClientID, "domains": c.Domains, "jit": c.JIT, "default_role": string(c.DefaultRole),
			"required": c.Required, "client_secret_changed": in.ClientSecret != nil})
	})
	if err != nil {
		return Settings{}, err
	}
	s.forget(old.Issuer)
	s.forget(in.Issuer)
	return s.TenantSettings(ctx, p)
}

// DeleteTenantSettings removes the tenant's provider: its members sign
// in with passwords again (identities stay linked, for a provider set up
// again with the same issuer).
func (s *Service) DeleteTenantSettings(ctx context.Context, p access.Principal, m access.Meta) error {
	if err := p.Require(ActManage); err != nil {
		return err
	}
	var issuer string
	err := s.db.InTx(ctx, func(tx Tx) error {
		c, err := tx.SSOConfigGet(ctx, p.TenantID)
		if err != nil {
			return err
		}
		issuer = c.Issuer
		if err := tx.SSOConfigDelete(ctx, p.TenantID); err != nil {
			return err
		}
		return p.Audit(ctx, tx, m, s.clock(), p.TenantID, "tenant.sso_deleted", "tenant", p.TenantID.String(), map[string]any{"issuer": c.Issuer})
	})
	if err == nil {
		s.forget(issuer)
	}
	return err
}
