package sso

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/tenant"
	"github.com/ordo/ordo/internal/webhook"
)

// Platform is the provider the operator configures in the environment
// (OIDC_ISSUER...), offered to everyone on the sign-in page.
type Platform struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// Name labels the button: "Sign in with <Name>".
	Name string
}

// Enabled reports whether a platform provider is configured.
func (p Platform) Enabled() bool { return p.Issuer != "" && p.ClientID != "" }

// CallbackPath is where every provider sends the browser back; the
// redirect URI to register at the provider is ORDO_BASE_URL + it.
const CallbackPath = "/login/sso/callback"

// FlowTTL bounds how long a sign-in may take at the provider.
const FlowTTL = 10 * time.Minute

// Options configures a Service.
type Options struct {
	Platform Platform
	// BaseURL is ORDO_BASE_URL, the origin of the redirect URI.
	BaseURL string
	// Sealer seals tenants' client secrets; required to save one.
	Sealer *jobs.Sealer
	// AllowPrivate lets tenants' issuers use plain http and private or
	// loopback addresses: for tests and local development only (as for
	// webhooks). The platform's provider is the operator's and may be
	// anywhere.
	AllowPrivate bool
	Log          *slog.Logger
	Now          func() time.Time // nil: time.Now
}

// Service runs single sign-on.
type Service struct {
	db       DB
	platform Platform
	baseURL  string
	sealer   *jobs.Sealer
	guard    webhook.Guard
	// platformClient fetches the operator's provider's documents;
	// tenantClient those of tenants' providers, which must not reach
	// Ordo's own network (SSRF).
	platformClient, tenantClient *http.Client
	log                          *slog.Logger
	now                          func() time.Time

	// cache is authentication's cache, told of memberships added here.
	cache AuthCache

	mu sync.Mutex
	// providers caches discovery (and so the provider's key set, which
	// go-oidc fetches again when a token names a key it does not know)
	// by issuer and client kind.
	providers map[string]*oidc.Provider
}

// NewService returns a Service on db (store.Narrow[sso.Tx]{st}).
func NewService(db DB, o Options) *Service {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	g := webhook.Guard{AllowPrivate: o.AllowPrivate}
	return &Service{db: db, platform: o.Platform, baseURL: strings.TrimRight(o.BaseURL, "/"), sealer: o.Sealer, guard: g,
		platformClient: &http.Client{Timeout: 10 * time.Second}, tenantClient: g.Client(10 * time.Second),
		log: o.Log, now: now, providers: map[string]*oidc.Provider{}}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// AuthCache is what the service tells package auth (which caches
// memberships, and imports this package's PasswordPolicy): a member added
// at sign-in.
type AuthCache interface {
	ForgetMember(ctx context.Context, tenantID, userID uuid.UUID)
}

// WithAuthCache makes the service drop auth's cached membership of a
// member it adds (auth is made after the service, which is its password
// policy).
func (s *Service) WithAuthCache(c AuthCache) *Service {
	s.cache = c
	return s
}

// PlatformName is the label of the platform provider's button; ok is
// false when there is none.
func (s *Service) PlatformName() (name string, ok bool) {
	if !s.platform.Enabled() {
		return "", false
	}
	if s.platform.Name == "" {
		return "SSO", true
	}
	return s.platform.Name, true
}

// RedirectURL is the redirect URI every provider must have registered.
func (s *Service) RedirectURL() string { return s.baseURL + CallbackPath }

// Flow is a sign-in under way: what the browser's session keeps between
// Begin and Finish. It holds secrets (the PKCE verifier) and so never
// leaves the server-side session.
type Flow struct {
	State    string    `json:"state"`
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier"`
	TenantID uuid.UUID `json:"tenant_id"` // uuid.Nil: the platform provider
	Issuer   string    `json:"issuer"`
	Next     string    `json:"next,omitempty"`
	Started  time.Time `json:"started"`
}

// provider is one provider resolved for a flow.
type provider struct {
	issuer, clientID, clientSecret string
	tenant                         *TenantConfig
	tenantName                     string
	client                         *http.Client
}

// resolve finds the provider of tenantID (uuid.Nil: the platform's).
func (s *Service) resolve(ctx context.Context, tenantID uuid.UUID) (provider, error) {
	if tenantID == uuid.Nil {
		if !s.platform.Enabled() {
			return provider{}, ErrNoProvider
		}
		return provider{issuer: s.platform.Issuer, clientID: s.platform.ClientID, clientSecret: s.platform.ClientSecret, client: s.platformClient}, nil
	}
	t, err := s.db.TenantGetByID(ctx, tenantID)
	if err != nil {
		return provider{}, err
	}
	if t.Status != tenant.StatusActive {
		return provider{}, ErrNoProvider
	}
	c, err := s.db.SSOConfigGet(ctx, tenantID)
	if err != nil {
		return provider{}, err
	}
	secret, err := s.sealer.OpenText(c.ClientSecret, secretWhat(tenantID))
	if c.ClientSecret != "" && err != nil {
		return provider{}, fmt.Errorf("tenant %s SSO client secret: %w", tenantID, err)
	}
	return provider{issuer: c.Issuer, clientID: c.ClientID, clientSecret: secret, tenant: &c, tenantName: t.Name, client: s.tenantClient}, nil
}

// secretWhat binds a sealed client secret to its tenant: it cannot be
// copied to another tenant's row and opened there.
func secretWhat(tenantID uuid.UUID) string { return "sso client secret " + tenantID.String() }

// discover returns the provider's discovery, cached.
func (s *Service) discover(ctx context.Context, p provider) (*oidc.Provider, error) {
	key := p.issuer
	if p.tenant != nil {
		key = "tenant " + key
	}
	s.mu.Lock()
	op := s.providers[key]
	s.mu.Unlock()
	if op != nil {
		return op, nil
	}
	// The provider keeps this context to fetch its keys later: it must
	// outlive the request (the client's timeout bounds each fetch).
	op, err := oidc.NewProvider(oidc.ClientContext(context.WithoutCancel(ctx), p.client), p.issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", p.issuer, err)
	}
	s.mu.Lock()
	s.providers[key] = op
	s.mu.Unlock()
	return op, nil
}

// forget drops the cached discovery of issuer, after its configuration
// changed.
func (s *Service) forget(issuer string) {
	s.mu.Lock()
	delete(s.providers, "tenant "+issuer)
	s.mu.Unlock()
}

func (s *Service) oauth(op *oidc.Provider, p provider) *oauth2.Config {
	return &oauth2.Config{ClientID: p.clientID, ClientSecret: p.clientSecret, Endpoint: op.Endpoint(), RedirectURL: s.RedirectURL(),
		Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// ErrProviderDown: the provider's discovery document could not be read.
var ErrProviderDown = apperr.Conflict("the identity provider cannot be reached right now; try again in a moment, or tell the workspace's owners if it persists")

// Begin starts a sign-in with the platform's provider (slug "") or the
// provider of the tenant with this slug. It returns the flow to keep in
// the browser's session and the provider's URL to send the browser to.
func (s *Service) Begin(ctx context.Context, slug, next string) (Flow, string, error) {
	tenantID := uuid.Nil
	if slug != "" {
		t, err := s.db.TenantGetBySlug(ctx, strings.ToLower(strings.TrimSpace(slug)))
		if errors.Is(err, apperr.ErrNotFound) {
			return Flow{}, "", ErrNoProvider
		}
		if err != nil {
			return Flow{}, "", err
		}
		tenantID = t.ID
	}
	p, err := s.resolve(ctx, tenantID)
	if errors.Is(err, apperr.ErrNotFound) {
		return Flow{}, "", ErrNoProvider
	}
	if err != nil {
		return Flow{}, "", err
	}
	op, err := s.discover(ctx, p)
	if err != nil {
		s.log.WarnContext(ctx, "sso discovery failed", "issuer", p.issuer, "err", err)
		return Flow{}, "", ErrProviderDown
	}
	f := Flow{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(), TenantID: tenantID, Issuer: p.issuer, Next: next, Started: s.clock()}
	u := s.oauth(op, p).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	return f, u, nil
}

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// claims are what Ordo reads of an ID token.
type claims struct {
	Email string `json:"email"`
	// EmailVerified is a boolean, but some providers send "true".
	EmailVerified any    `json:"email_verified"`
	Name          string `json:"name"`
}

func (c claims) verified() bool {
	switch v := c.EmailVerified.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// Result is a finished sign-in.
type Result struct {
	User account.User
	// TenantID is the tenant to sign in to: the tenant's provider's
	// tenant, uuid.Nil for the platform's (the user's default tenant).
	TenantID uuid.UUID
	// Issuer is the provider's issuer, for the session's record.
	Issuer string
}

// Finish completes the flow f that the browser's session kept (the
// caller has already removed it from there: each is used once) with the
// state and code the provider sent back: the code is exchanged with the
// PKCE verifier, the ID token verified (signature by the provider's
// keys, issuer, audience, expiry, and the flow's nonce) and the identity
// resolved to a user, who is then signed in by the caller.
func (s *Service) Finish(ctx context.Context, f Flow, state, code string, m access.Meta) (Result, error) {
	if f.State == "" || subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) != 1 || code == "" {
		return Result{}, ErrFlow
	}
	if s.clock().Sub(f.Started) > FlowTTL {
		return Result{}, ErrFlow
	}
	p, err := s.resolve(ctx, f.TenantID)
	if err != nil || p.issuer != f.Issuer {
		// The tenant's provider was removed or changed meanwhile.
		return Result{}, ErrFlow
	}
	op, err := s.discover(ctx, p)
	if err != nil {
		return Result{}, ErrProviderDown
	}
	hctx := oidc.ClientContext(ctx, p.client)
	tok, err := s.oauth(op, p).Exchange(hctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		s.log.WarnContext(ctx, "sso code exchange failed", "issuer", p.issuer, "err", err)
		return Result{}, ErrFlow
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		s.log.WarnContext(ctx, "sso token response without an id_token", "issuer", p.issuer)
		return Result{}, ErrFlow
	}
	// The provider's own key set, cached: a token signed with a key it
	// does not know makes it fetch the JWKS again (rotated keys), once.
	idt, err := op.Verifier(&oidc.Config{ClientID: p.clientID, Now: s.now}).Verify(hctx, raw)
	if err != nil {
		s.log.WarnContext(ctx, "sso id token refused", "issuer", p.issuer, "err", err)
		return Result{}, ErrFlow
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		s.log.WarnContext(ctx, "sso id token nonce mismatch", "issuer", p.issuer)
		return Result{}, ErrFlow
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return Result{}, ErrFlow
	}
	u, err := s.signIn(ctx, p, idt.Subject, c, m)
	if err != nil {
		return Result{}, err
	}
	return Result{User: u, TenantID: f.TenantID, Issuer: p.issuer}, nil
}

// IssuerHost is the host of an issuer URL, for the session's record.
func IssuerHost(issuer string) string {
	if u, err := url.Parse(issuer); err == nil && u.Host != "" {
		return u.Host
	}
	return issuer
}
