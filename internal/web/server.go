// Package web is Ordo's HTTP layer: the router with every route, the
// middleware, sessions, RFC 9457 problems, and health endpoints. It knows
// nothing about SQL; it calls domain services and renders what they
// return.
package web

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ordo/ordo/internal/i18n"

	"github.com/alexedwards/scs/v2"
	"go.opentelemetry.io/otel/trace"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/idempotency"
	"github.com/ordo/ordo/internal/invoice"
	"github.com/ordo/ordo/internal/metrics"
	"github.com/ordo/ordo/internal/operator"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/passkey"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/pubsub"
	"github.com/ordo/ordo/internal/ratelimit"
	"github.com/ordo/ordo/internal/sso"
	"github.com/ordo/ordo/internal/telemetry"
	"github.com/ordo/ordo/internal/tenant"
	"github.com/ordo/ordo/internal/webhook"
)

// Limits are the rate limits of the sensitive endpoints; nil disables one.
type Limits struct {
	// LoginPerIP limits every log-in attempt of a client address.
	LoginPerIP *ratelimit.Limiter
	// Password checks (log-in, and the current password that a password
	// or e-mail change asks for) are limited by their failures only, so
	// that no one can spend another person's attempts (see
	// passwordCheckAllowed):
	//
	// LoginFailuresPerClientAccount counts one client's failures for one
	// account: a client that keeps failing for an account is refused
	// for it.
	LoginFailuresPerClientAccount *ratelimit.Limiter
	// LoginFailuresPerClient counts a client's failures across accounts
	// (password spraying).
	LoginFailuresPerClient *ratelimit.Limiter
	// LoginFailuresPerAccount counts an account's failures from every
	// client. Once it is spent, only clients with no recent failure for
	// the account may try (a client that has not been failing, such as
	// the owner with the right password, is never refused by it), so an
	// attacker spread over many addresses gets one guess from each.
	// It needs LoginFailuresPerClientAccount to tell clients apart.
	LoginFailuresPerAccount *ratelimit.Limiter

	ResetPerIP       *ratelimit.Limiter
	ResetPerAccount  *ratelimit.Limiter
	SignupPerIP      *ratelimit.Limiter
	InvitationAccept *ratelimit.Limiter
	// ExportCreate limits export starts per principal (they are costly).
	ExportCreate *ratelimit.Limiter
	// API limits every /api/ request: per API key, per user, or per IP
	// when anonymous.
	API *ratelimit.Limiter
	// APIPlan, when set, limits a tenant's /api/ requests, all its keys
	// and members together, to its plan's api_requests_per_minute: it
	// returns the limiter of the tenant's rate, nil when unlimited
	// (PlanAPIRate makes one).
	APIPlan func(ctx context.Context, tenantID uuid.UUID) (*ratelimit.Limiter, error)
}

// Options configures a Server.
type Options struct {
	Log          *slog.Logger
	Version      string
	MaxBodyBytes int64
	// Checks are the dependencies /readyz reports on.
	Checks []Check
	// Wrote, when set, is told of a tenant's unsafe request (POST, PUT,
	// PATCH, DELETE) before its response goes out, so that the tenant's
	// next reads see what it wrote (read replicas' floor).
	Wrote func(ctx context.Context, tenantID uuid.UUID)

	Auth     *auth.Service
	Tenants  *tenant.Service
	Accounts *account.Service
	// Passkeys signs in with passkeys (WebAuthn); nil: no passkeys.
	Passkeys *passkey.Service
	// Operators is the operator console's service; nil: no /admin.
	Operators *operator.Service
	Orders    *order.Service
	// Idempotency keeps the Idempotency-Key records of the API's unsafe
	// requests.
	Idempotency idempotency.Store
	// PubSub wakes event streams; nil means in-process.
	PubSub   pubsub.PubSub
	Sessions *scs.SessionManager

	// EventRecheck is how often an open event stream re-authenticates
	// its caller (0: DefaultEventRecheck); EventMaxLifetime is how long a
	// stream lasts before the client must reconnect (0:
	// DefaultEventMaxLifetime).
	EventRecheck, EventMaxLifetime time.Duration
	// MailLogged says that e-mails are written to the server's log, not
	// sent (embedded mode without SMTP_URL): pages that promise an e-mail
	// say where to find it, since the first user of a fresh install must
	// confirm their address before they can log in.
	MailLogged bool
	// AuditPublicKey verifies the audit log's checkpoints; an export of
	// the log names it. Nil: no export (404).
	AuditPublicKey ed25519.PublicKey
	// SupportEmail is the operator's address, shown where only the
	// operator can help (a suspended tenant); empty for none.
	SupportEmail string
	// Usage reports a tenant's usage against its plan's limits; nil
	// leaves the usage page and endpoint out (404).
	Usage func(ctx context.Context, tenantID uuid.UUID) (plan.Report, error)
	// DeletionGrace is how long a tenant an owner deletes can be
	// restored before it is purged; 0 for tenant.DefaultDeletionGrace.
	DeletionGrace time.Duration

	Attachments *attachment.Service
	Exports     *export.Service
	Invoices    *invoice.Service
	Webhooks    *webhook.Service
	// SSO is single sign-on with OpenID Connect; nil: none (no routes
	// answer but 404, and passwords are the only way in).
	SSO *sso.Service
	// Blobs and Signer serve local-disk uploads and downloads through
	// signed URLs; Signer is nil with S3.
	Blobs  blob.Store
	Signer *blob.Signer
	// BaseURL is ORDO_BASE_URL: the origin of the signed local-disk URLs
	// in API responses to requests that came to that host.
	BaseURL string
	// StorageOrigins are the origins browsers upload to besides Ordo's own
	// (the S3 server's public origin), allowed by the pages' CSP
	// connect-src.
	StorageOrigins []string

	Limits Limits
	// TrustProxy takes the client address from X-Forwarded-For.
	TrustProxy bool
	// HSTS is set when Ordo is served over https.
	HSTS bool

	// APIUsage counts each /api/ request of a tenant in its usage
	// (plan.Tally, which writes in batches); nil counts nothing.
	APIUsage plan.UsageCounter

	// Metrics counts requests and rate-limit failures; nil for none.
	Metrics *metrics.Metrics
	// MetricsToken, when set with Metrics, serves /metrics on this
	// handler to "Authorization: Bearer <MetricsToken>" (404 otherwise).
	MetricsToken string

	// TracerProvider, when set, traces every request but health checks
	// and metrics scrapes, as a span named by its route; nil for none.
	TracerProvider trace.TracerProvider
	// ReportError, when set, is told of panics and of the unexpected
	// errors answered with a 5xx (Sentry); nil for none.
	ReportError func(ctx context.Context, err error)
}

// Server holds the dependencies of the handlers.
type Server struct {
	wrote    func(ctx context.Context, tenantID uuid.UUID)
	passkeys *passkey.Service
	// idemPendings holds the idempotency keys whose release or response
	// record failed, until the write succeeds or is given up
	// (idemPendingKey → *idemPending).
	idemPendings  sync.Map
	log           *slog.Logger
	version       string
	checks        []Check
	auth          *auth.Service
	tenants       *tenant.Service
	accounts      *account.Service
	operators     *operator.Service
	orders        *order.Service
	idempotency   idempotency.Store
	pubsub        pubsub.PubSub
	attachments   *attachment.Service
	exports       *export.Service
	invoices      *invoice.Service
	webhooks      *webhook.Service
	sso           *sso.Service
	blobs         blob.Store
	signer        *blob.Signer
	baseURL       string
	sessions      *scs.SessionManager
	limits        Limits
	trustProxy    bool
	metrics       *metrics.Metrics
	apiUsage      plan.UsageCounter
	pages         pages
	catalog       *i18n.Catalog
	assets        *assets
	supportEmail  string
	auditPub      ed25519.PublicKey
	deletionGrace time.Duration
	usage         func(ctx context.Context, tenantID uuid.UUID) (plan.Report, error)
	handler       http.Handler

	// eventRecheck and eventMaxLifetime pace the event stream's checks.
	eventRecheck, eventMaxLifetime time.Duration
	mailLogged                     bool
}

// New builds the server and its routes. It fails only if a template is
// broken, which tests catch.
func New(o Options) (*Server, error) {
	static, err := newAssets(staticFS)
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	ps, err := parsePages(static)
	if err != nil {
		return nil, err
	}
	cat, err := i18n.New()
	if err != nil {
		return nil, err
	}
	// Every line logged during a request carries its request id, tenant
	// and user or API key id (telemetry.LogHandler), whatever handler the
	// caller gave.
	log := slog.New(telemetry.LogHandler(o.Log.Handler()))
	s := &Server{log: log, version: o.Version, checks: o.Checks, auth: o.Auth, tenants: o.Tenants, accounts: o.Accounts, passkeys: o.Passkeys, operators: o.Operators, orders: o.Orders, idempotency: o.Idempotency,
		sessions: o.Sessions, limits: o.Limits, trustProxy: o.TrustProxy, pages: ps, catalog: cat, assets: static, pubsub: o.PubSub,
		attachments: o.Attachments, exports: o.Exports, invoices: o.Invoices, webhooks: o.Webhooks, sso: o.SSO, blobs: o.Blobs, signer: o.Signer,
		baseURL: strings.TrimRight(o.BaseURL, "/"), metrics: o.Metrics, apiUsage: o.APIUsage}
	if s.pubsub == nil {
		s.pubsub = pubsub.NewMemory()
	}
	s.wrote = o.Wrote
	s.eventRecheck, s.eventMaxLifetime = o.EventRecheck, o.EventMaxLifetime
	s.mailLogged = o.MailLogged
	s.supportEmail = o.SupportEmail
	s.auditPub = o.AuditPublicKey
	s.deletionGrace = o.DeletionGrace
	s.usage = o.Usage
	if s.eventRecheck <= 0 {
		s.eventRecheck = DefaultEventRecheck
	}
	if s.eventMaxLifetime <= 0 {
		s.eventMaxLifetime = DefaultEventMaxLifetime
	}
	mux := http.NewServeMux()
	s.routes(mux)
	var h http.Handler = compressPages(s.withMethodCheck(mux))
	if s.auth != nil {
		h = s.withAPILimit(h)
		h = s.withPrincipal(h)
		h = s.sessions.LoadAndSave(h)
	}
	h = withSaneInput(h)
	// Cookie-authenticated unsafe requests from another origin are refused
	// (Sec-Fetch-Site / Origin checks); API clients send neither header.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, Problem{Status: http.StatusForbidden, Type: problemType("cross-origin"),
			Detail: "cross-origin requests with a session cookie are refused; use an API key"})
	}))
	h = cop.Handler(h)
	h = withSecurityHeaders(o.HSTS, o.StorageOrigins, h)
	h = withBodyLimit(o.MaxBodyBytes, h)
	h = withRecover(log, h)
	h = withErrorReport(o.ReportError, h)
	h = withAccessLog(log, h)
	h = withMetrics(o.Metrics, h)
	h = withRequestID(h)
	h = telemetry.HTTPHandler(o.TracerProvider, h, routeOf, "/healthz", "/readyz", "/metrics")
	h = withRoute(mux, h)
	h = withMetricsEndpoint(o.Metrics, o.MetricsToken, h)
	s.handler = h
	return s, nil
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// fail renders err as a problem.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, s.log, err)
}

// apiHandler is a JSON API handler that returns its error rather than
// writing it: one that has written its response returns nil.
type apiHandler func(w http.ResponseWriter, r *http.Request) error

// api adapts h to net/http: an error h returns is answered as a problem
// (fail). Every route of apiRoutes goes through it.
func (s *Server) api(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// pageHandler is a server-rendered page's handler that returns its error
// rather than writing it: one that has written its response (a page, a
// redirect, a form shown again with its field errors) returns nil.
type pageHandler func(w http.ResponseWriter, r *http.Request) error

// page adapts h to net/http: an error h returns is shown as an HTML error
// page (uiError). Every page route goes through it.
func (s *Server) page(h pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.uiError(w, r, err)
		}
	}
}

// routes lists every route in one place: grep a URL to find its handler.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.HandleFunc(apiCatchAll, s.handleAPINotFound)
	mux.Handle("GET /static/", s.assets) // content-hashed, cached for good, gzipped (assets.go)
	// Browsers ask for /favicon.ico whatever the page says; a 404 there is
	// an error in every page's console.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		http.ServeFileFS(w, r, staticFS, "static/favicon.svg")
	})
	if s.auth == nil {
		mux.HandleFunc("GET /api/v1/version", s.api(s.handleVersion))
		mux.HandleFunc("GET /{$}", s.handleHome)
		return
	}

	// Pages for visitors (ui_auth.go).
	mux.HandleFunc("GET /{$}", s.page(s.uiHome))
	mux.HandleFunc("GET /signup", s.page(s.uiSignupForm))
	mux.HandleFunc("POST /signup", s.page(s.uiSignup))
	mux.HandleFunc("GET /login", s.page(s.uiLoginForm))
	mux.HandleFunc("POST /login", s.page(s.uiLogin))
	mux.HandleFunc("GET /login/two-factor", s.page(s.uiTwoFactorForm))
	mux.HandleFunc("POST /login/two-factor", s.page(s.uiTwoFactor))
	mux.HandleFunc("POST /logout", s.page(s.uiLogout))
	mux.HandleFunc("POST /language", s.page(s.uiLanguage))
	mux.HandleFunc("GET /forgot-password", s.page(s.uiForgotForm))
	mux.HandleFunc("POST /forgot-password", s.page(s.uiForgot))
	mux.HandleFunc("GET /reset-password", s.page(s.uiResetForm))
	mux.HandleFunc("POST /reset-password", s.page(s.uiReset))
	mux.HandleFunc("GET /verify-email", s.page(s.uiVerifyForm))
	mux.HandleFunc("POST /verify-email", s.page(s.uiVerify))
	mux.HandleFunc("GET /confirm-email", s.page(s.uiConfirmEmailForm))
	mux.HandleFunc("POST /confirm-email", s.page(s.uiConfirmEmail))
	mux.HandleFunc("GET /invitations/accept", s.page(s.uiAcceptForm))
	mux.HandleFunc("POST /invitations/accept", s.page(s.uiAccept))
	// Single sign-on (ui_sso.go).
	mux.HandleFunc("GET /login/sso", s.page(s.uiSSOStart))
	mux.HandleFunc("GET /login/sso/callback", s.page(s.uiSSOCallback)) // sso.CallbackPath

	// The application (ui_app.go).
	mux.HandleFunc("GET /app", s.requireLogin(s.page(s.uiDashboard)))
	mux.HandleFunc("GET /app/account", s.requireLogin(s.page(s.uiAccount)))
	mux.HandleFunc("POST /app/account/password", s.requireLogin(s.page(s.uiPasswordChange)))
	mux.HandleFunc("POST /app/account/email", s.requireLogin(s.page(s.uiEmailChange)))
	mux.HandleFunc("POST /app/account/resend-verification", s.requireLogin(s.page(s.uiResendVerification)))
	mux.HandleFunc("POST /app/account/logout-everywhere", s.requireLogin(s.page(s.uiLogoutEverywhere)))
	// The profile (ui_profile.go).
	mux.HandleFunc("POST /app/account/profile", s.requireLogin(s.page(s.uiProfileSave)))
	mux.HandleFunc("GET /app/account/avatar", s.requireLogin(s.page(s.uiAvatar)))
	mux.HandleFunc("POST /app/account/avatar", s.requireLogin(s.page(s.uiAvatarUpload)))
	mux.HandleFunc("POST /app/account/avatar/delete", s.requireLogin(s.page(s.uiAvatarDelete)))
	mux.HandleFunc("POST /app/account/sessions/{id}/revoke", s.requireLogin(s.page(s.uiSessionRevoke)))
	mux.HandleFunc("POST /app/account/logout-others", s.requireLogin(s.page(s.uiLogoutOthers)))
	mux.HandleFunc("POST /app/account/delete", s.requireLogin(s.page(s.uiAccountDelete)))
	mux.HandleFunc("GET /app/account/two-factor", s.requireLogin(s.page(s.uiTOTPSetup)))
	mux.HandleFunc("POST /app/account/two-factor", s.requireLogin(s.page(s.uiTOTPStart)))
	mux.HandleFunc("POST /app/account/two-factor/confirm", s.requireLogin(s.page(s.uiTOTPConfirm)))
	mux.HandleFunc("POST /app/account/two-factor/disable", s.requireLogin(s.page(s.uiTOTPDisable)))
	mux.HandleFunc("POST /app/account/two-factor/recovery-codes", s.requireLogin(s.page(s.uiRecoveryCodes)))
	mux.HandleFunc("POST /app/account/passkeys/{id}/delete", s.requireLogin(s.page(s.uiPasskeyRemove)))
	mux.HandleFunc("GET /app/tenants", s.requireLogin(s.page(s.uiTenants)))
	mux.HandleFunc("POST /app/tenants", s.requireLogin(s.page(s.uiTenantCreate)))
	mux.HandleFunc("POST /app/tenants/{id}/switch", s.requireLogin(s.page(s.uiTenantSwitch)))
	mux.HandleFunc("GET /app/settings", s.requireLogin(s.page(s.uiSettings)))
	mux.HandleFunc("GET /app/usage", s.requireLogin(s.page(s.uiUsage)))
	mux.HandleFunc("POST /app/settings", s.requireLogin(s.page(s.uiSettingsSave)))
	mux.HandleFunc("POST /app/settings/delete", s.requireLogin(s.page(s.uiTenantDelete)))
	mux.HandleFunc("POST /app/settings/security", s.requireLogin(s.page(s.uiTenantSecurity)))
	mux.HandleFunc("POST /app/settings/archive", s.requireLogin(s.page(s.uiArchiveCreate)))
	mux.HandleFunc("POST /app/tenant/restore", s.requireLogin(s.page(s.uiTenantRestore)))
	mux.HandleFunc("GET /app/members", s.requireLogin(s.page(s.uiMembers)))
	mux.HandleFunc("POST /app/members/{id}/role", s.requireLogin(s.page(s.uiMemberRole)))
	mux.HandleFunc("POST /app/members/{id}/remove", s.requireLogin(s.page(s.uiMemberRemove)))
	mux.HandleFunc("POST /app/invitations", s.requireLogin(s.page(s.uiInvite)))
	mux.HandleFunc("POST /app/invitations/{id}/resend", s.requireLogin(s.page(s.uiInvitationResend)))
	mux.HandleFunc("POST /app/invitations/{id}/revoke", s.requireLogin(s.page(s.uiInvitationRevoke)))
	mux.HandleFunc("GET /app/jobs", s.requireLogin(s.page(s.uiJobs)))
	mux.HandleFunc("POST /app/jobs/{id}/retry", s.requireLogin(s.page(s.uiJobRetry)))
	mux.HandleFunc("GET /app/api-keys", s.requireLogin(s.page(s.uiAPIKeys)))
	mux.HandleFunc("POST /app/api-keys", s.requireLogin(s.page(s.uiAPIKeyCreate)))
	mux.HandleFunc("POST /app/api-keys/{id}/revoke", s.requireLogin(s.page(s.uiAPIKeyRevoke)))
	mux.HandleFunc("GET /app/audit", s.requireLogin(s.page(s.uiAudit)))
	mux.HandleFunc("GET /app/orders", s.requireLogin(s.page(s.uiOrders)))
	mux.HandleFunc("GET /app/orders/new", s.requireLogin(s.page(s.uiOrderNew)))
	mux.HandleFunc("POST /app/orders", s.requireLogin(s.page(s.uiOrderCreate)))
	mux.HandleFunc("GET /app/orders/{id}", s.requireLogin(s.page(s.uiOrder)))
	mux.HandleFunc("GET /app/orders/{id}/edit", s.requireLogin(s.page(s.uiOrderEdit)))
	mux.HandleFunc("POST /app/orders/{id}", s.requireLogin(s.page(s.uiOrderSave)))
	mux.HandleFunc("POST /app/orders/{id}/transition", s.requireLogin(s.page(s.uiOrderTransition)))
	mux.HandleFunc("POST /app/orders/{id}/delete", s.requireLogin(s.page(s.uiOrderDelete)))
	mux.HandleFunc("GET /app/exports", s.requireLogin(s.page(s.uiExports)))
	mux.HandleFunc("POST /app/exports", s.requireLogin(s.page(s.uiExportCreate)))
	mux.HandleFunc("GET /app/exports/{id}/download", s.requireLogin(s.page(s.uiExportDownload)))
	mux.HandleFunc("GET /app/attachments/{id}", s.requireLogin(s.page(s.uiAttachmentDownload)))
	mux.HandleFunc("POST /app/attachments/{id}/delete", s.requireLogin(s.page(s.uiAttachmentDelete)))
	// Invoices and branding (ui_invoice.go), webhooks (ui_webhook.go).
	mux.HandleFunc("POST /app/orders/{id}/invoice", s.requireLogin(s.page(s.uiInvoiceCreate)))
	mux.HandleFunc("GET /app/orders/{id}/invoice/download", s.requireLogin(s.page(s.uiInvoiceDownload)))
	mux.HandleFunc("POST /app/settings/branding", s.requireLogin(s.page(s.uiBrandingSave)))
	mux.HandleFunc("POST /app/settings/logo", s.requireLogin(s.page(s.uiLogoUpload)))
	mux.HandleFunc("POST /app/settings/logo/delete", s.requireLogin(s.page(s.uiLogoDelete)))
	mux.HandleFunc("POST /app/settings/sso", s.requireLogin(s.page(s.uiSSOSave)))
	mux.HandleFunc("POST /app/settings/sso/delete", s.requireLogin(s.page(s.uiSSODelete)))
	mux.HandleFunc("GET /app/webhooks", s.requireLogin(s.page(s.uiWebhooks)))
	mux.HandleFunc("POST /app/webhooks", s.requireLogin(s.page(s.uiWebhookCreate)))
	mux.HandleFunc("GET /app/webhooks/{id}", s.requireLogin(s.page(s.uiWebhook)))
	mux.HandleFunc("POST /app/webhooks/{id}", s.requireLogin(s.page(s.uiWebhookSave)))
	mux.HandleFunc("POST /app/webhooks/{id}/test", s.requireLogin(s.page(s.uiWebhookTest)))
	mux.HandleFunc("POST /app/webhooks/{id}/rotate", s.requireLogin(s.page(s.uiWebhookRotate)))
	mux.HandleFunc("POST /app/webhooks/{id}/delete", s.requireLogin(s.page(s.uiWebhookDelete)))
	mux.HandleFunc("POST /app/webhooks/{id}/replay-failed", s.requireLogin(s.page(s.uiWebhookReplayFailed)))
	mux.HandleFunc("POST /app/webhooks/{id}/deliveries/{delivery_id}/replay", s.requireLogin(s.page(s.uiWebhookReplay)))

	// The operator console (ui_admin.go): 404 for all but operators.
	mux.HandleFunc("GET /admin", s.requireOperator(s.uiAdminTenants))
	mux.HandleFunc("GET /admin/tenants/{id}", s.requireOperator(s.uiAdminTenant))
	mux.HandleFunc("POST /admin/tenants/{id}/{action}", s.requireOperator(s.uiAdminTenantAction))
	mux.HandleFunc("GET /admin/users", s.requireOperator(s.uiAdminUsers))
	mux.HandleFunc("GET /admin/users/{id}", s.requireOperator(s.uiAdminUser))
	mux.HandleFunc("POST /admin/users/{id}/{action}", s.requireOperator(s.uiAdminUserAction))
	mux.HandleFunc("GET /admin/audit", s.requireOperator(s.uiAdminAudit))

	// The JSON API: every route is in apiRoutes (api_routes.go), which
	// also feeds the OpenAPI document. Its POST routes take an
	// Idempotency-Key, checked against the route's permission first.
	for _, rt := range apiRoutes() {
		h := rt.handler(s)
		if rt.method == http.MethodPost && !rt.op.public {
			h = s.withIdempotency(rt.op.action, h)
		}
		mux.Handle(rt.method+" "+rt.path, withDeprecation(rt.op, s.withKnownQuery(rt.op, h)))
	}
	if s.signer != nil {
		mux.HandleFunc("PUT /blobs", s.api(s.handleBlobPut))
		mux.HandleFunc("GET /blobs", s.api(s.handleBlobGet))
	}
	mux.Handle("GET /api/v1/openapi.json", compressJSON(s.api(s.handleOpenAPI)))
	mux.Handle("GET /api/v1/docs", gzipHTML(s.api(s.handleAPIDocs)))
}

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"version": s.version})
	return nil
}

// apiCatchAll is the pattern of handleAPINotFound.
const apiCatchAll = "/api/"

// routeMethods are the methods withMethodCheck tries a path with.
var routeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// withMethodCheck answers a request to a path that has routes, but none
// for its method, with 405, an Allow header and an error in the path's
// format (a problem under /api/, a page elsewhere). The mux would answer
// 405 itself, in plain text, but the apiCatchAll pattern has no method
// and matches any, so that PUT /api/v1/orders/{id} was a 404.
func (s *Server) withMethodCheck(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// withRoute (outermost) has already looked the route up once.
		if rt := routeOf(r); rt == "" || rt == apiCatchAll {
			if allow := allowedMethods(mux, r); len(allow) > 0 {
				s.methodNotAllowed(w, r, allow)
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// allowedMethods lists the methods the mux routes r's path for, besides
// the catch-all.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range routeMethods {
		if m == r.Method {
			continue
		}
		r2 := r.WithContext(r.Context()) // a shallow copy to probe the mux with
		r2.Method = m
		if _, pattern := mux.Handler(r2); pattern != "" && pattern != apiCatchAll {
			allow = append(allow, m)
		}
	}
	return allow
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow []string) {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	detail := r.Method + " is not allowed here; use " + strings.Join(allow, ", ")
	if strings.HasPrefix(r.URL.Path, apiCatchAll) {
		writeProblem(w, r, Problem{Status: http.StatusMethodNotAllowed, Type: problemType("method-not-allowed"), Detail: detail})
		return
	}
	s.render(w, r, http.StatusMethodNotAllowed, "error", view{Title: http.StatusText(http.StatusMethodNotAllowed), Data: errorPage{Message: detail}})
}

// handleAPINotFound answers unknown API paths with a problem, not HTML.
func (s *Server) handleAPINotFound(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, r, Problem{Status: http.StatusNotFound, Detail: "no such API endpoint"})
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ordo</title></head>` +
		`<body><h1>Ordo</h1><p>Ordo is running. Health: <a href="/healthz">/healthz</a>, readiness: <a href="/readyz">/readyz</a>.</p></body></html>`))
}
