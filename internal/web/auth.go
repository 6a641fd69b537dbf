package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/ratelimit"
	"github.com/ordo/ordo/internal/telemetry"
)

// Session keys.
const (
	sessUserID   = "user_id"
	sessTenantID = "tenant_id"
	sessEpoch    = "epoch"
	// sessMethod is how the session signed in (account.MethodPassword, …).
	sessMethod = "method"
	// sessScope is the tenant whose identity provider signed the session
	// in, when one did (access.Principal.ScopedTo).
	sessScope = "scope_tenant"
)

const principalKey ctxKey = 100

// principalFrom returns the request's principal; ok is false when nobody
// is authenticated.
func principalFrom(ctx context.Context) (access.Principal, bool) {
	p, ok := ctx.Value(principalKey).(access.Principal)
	return p, ok
}

// Session timeouts: a session ends after this long without a request, and
// after SessionLifetime whatever happens.
const (
	SessionIdleTimeout = 12 * time.Hour
	SessionLifetime    = 30 * 24 * time.Hour
)

// NewSessionManager configures scs: HttpOnly, SameSite=Lax, Secure behind
// https, with the idle and absolute timeouts (tests shorten them).
func NewSessionManager(store scs.Store, secure bool, idle, lifetime time.Duration, log *slog.Logger) *scs.SessionManager {
	sm := scs.New()
	// The store keeps the SHA-256 of each token, never the cookie itself:
	// anyone reading the sessions table, Redis or a backup gets nothing
	// they could present.
	sm.Store = newTouchThrottle(store)
	sm.HashTokenInStore = true
	sm.Lifetime = lifetime
	sm.IdleTimeout = idle
	sm.Cookie.Name = "ordo_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	sm.Cookie.Path = "/"
	// When the session store is unreachable (Redis down), say so clearly
	// instead of answering 500.
	log = slog.New(telemetry.LogHandler(log.Handler())) // adds the request id
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		log.WarnContext(r.Context(), "session store unavailable", "err", err)
		writeProblem(w, r, Problem{Status: http.StatusServiceUnavailable, Type: problemType("sessions-unavailable"),
			Detail: "your session cannot be loaded right now; please sign in again in a moment"})
	}
	return sm
}

// withPrincipal authenticates the request, by API key (Authorization:
// Bearer) or by session cookie, and puts the principal in the context.
// A bad key is 401 at once; a stale session is dropped and the request
// continues anonymously.
func (s *Server) withPrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, key, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ordo"`)
				s.fail(w, r, &apperr.Error{Kind: apperr.KindUnauthorized, Msg: "use Authorization: Bearer <API key>"})
				return
			}
			p, err := s.auth.AuthenticateAPIKey(ctx, strings.TrimSpace(key))
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ordo", error="invalid_token"`)
				s.fail(w, r, err)
				return
			}
			telemetry.SetLogPrincipal(ctx, p.TenantID, p.UserID, p.APIKeyID)
			ctx = context.WithValue(ctx, principalKey, p)
			next.ServeHTTP(s.noteWrites(w, r.WithContext(ctx), p), r.WithContext(ctx))
			return
		}
		if uid, err := uuid.Parse(s.sessions.GetString(ctx, sessUserID)); err == nil {
			tid, _ := uuid.Parse(s.sessions.GetString(ctx, sessTenantID))
			epoch, _ := s.sessions.Get(ctx, sessEpoch).(int64)
			scope, _ := uuid.Parse(s.sessions.GetString(ctx, sessScope))
			if scope != uuid.Nil {
				// The session may act in that tenant only, whatever it names.
				tid = scope
			}
			p, err := s.auth.Resolve(ctx, uid, epoch, tid, s.sessionMethod(ctx))
			p.ScopedTo = scope
			if err == nil && tid != uuid.Nil && !p.InTenant() && p.RemovedFrom == uuid.Nil && p.SuspendedTenant == uuid.Nil && p.DeletedTenant == uuid.Nil && p.TwoFactorTenant == uuid.Nil {
				// The tenant is gone (purged): carry on in the user's
				// oldest remaining tenant, as at login.
				p, err = s.fallBackTenant(ctx, uid, epoch)
			}
			switch {
			case errors.Is(err, apperr.ErrUnauthorized):
				_ = s.sessions.Destroy(ctx)
			case err != nil:
				s.fail(w, r, err)
				return
			default:
				telemetry.SetLogPrincipal(ctx, p.TenantID, p.UserID, p.APIKeyID)
				ctx = context.WithValue(ctx, principalKey, p)
				s.noteSession(r.WithContext(ctx), p, false)
				w = s.noteWrites(w, r.WithContext(ctx), p)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// noteWrites tells Options.Wrote of a tenant's unsafe request just before
// its response starts: after the handler's writes, and before the client
// can send its next request.
func (s *Server) noteWrites(w http.ResponseWriter, r *http.Request, p access.Principal) http.ResponseWriter {
	switch {
	case s.wrote == nil, p.TenantID == uuid.Nil, r.Method == http.MethodGet, r.Method == http.MethodHead, r.Method == http.MethodOptions:
		return w
	}
	ctx := r.Context()
	return &writeNoter{ResponseWriter: w, note: func() { s.wrote(ctx, p.TenantID) }}
}

// writeNoter calls note once, before the response's first byte.
type writeNoter struct {
	http.ResponseWriter
	once sync.Once
	note func()
}

func (w *writeNoter) WriteHeader(code int) {
	w.once.Do(w.note)
	w.ResponseWriter.WriteHeader(code)
}

func (w *writeNoter) Write(b []byte) (int, error) {
	w.once.Do(w.note)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the writer below.
func (w *writeNoter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// fallBackTenant points the session at the user's default tenant (none
// if they have none) and resolves them there.
func (s *Server) fallBackTenant(ctx context.Context, userID uuid.UUID, epoch int64) (access.Principal, error) {
	tid, err := s.auth.DefaultTenant(ctx, userID)
	if err != nil {
		return access.Principal{}, err
	}
	if tid == uuid.Nil {
		s.sessions.Remove(ctx, sessTenantID)
	} else {
		s.sessions.Put(ctx, sessTenantID, tid.String())
	}
	return s.auth.Resolve(ctx, userID, epoch, tid, s.sessionMethod(ctx))
}

// scopeSession limits the session just started to tenantID, whose
// identity provider signed it in (access.Principal.ScopedTo).
func (s *Server) scopeSession(ctx context.Context, tenantID uuid.UUID) {
	s.sessions.Put(ctx, sessScope, tenantID.String())
}

// sessionMethod is how the request's session signed in ("" if it
// predates the record of it, or there is no session).
func (s *Server) sessionMethod(ctx context.Context) string {
	return s.sessions.GetString(ctx, sessMethod)
}

// startSession logs the user in: a new session token (no fixation), the
// user, their tenant, their session epoch, and how they signed in
// (method; a session that moves to a new token keeps its own,
// s.sessionMethod).
func (s *Server) startSession(ctx context.Context, userID, tenantID uuid.UUID, epoch int64, method string) error {
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	// The rest of the request's log lines are the new session's.
	telemetry.SetLogPrincipal(ctx, tenantID, userID, uuid.Nil)
	s.sessions.Put(ctx, sessUserID, userID.String())
	s.sessions.Put(ctx, sessEpoch, epoch)
	if s.sessionMethod(ctx) != method {
		// Signed in anew, another way: no longer limited to the tenant
		// whose provider signed the session in. A renewal keeps the limit.
		s.sessions.Remove(ctx, sessScope)
	}
	s.sessions.Put(ctx, sessMethod, method)
	s.sessions.Remove(ctx, sessPendingUser)
	// Recorded in user_sessions on its next request, under its new token
	// (the record of the old one is renamed).
	s.sessions.Remove(ctx, sessSeen)
	if tenantID != uuid.Nil {
		s.sessions.Put(ctx, sessTenantID, tenantID.String())
	} else {
		s.sessions.Remove(ctx, sessTenantID)
	}
	return nil
}

// clientIP is the peer address, or with ORDO_TRUST_PROXY the address the
// proxy in front of Ordo saw (the last X-Forwarded-For entry).
func (s *Server) clientIP(r *http.Request) string {
	if s.trustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// browserURL makes a signed local-disk URL ("/blobs?…", relative to Ordo's
// origin) absolute for an API response, on the origin the request came
// to: a client that reached Ordo at 127.0.0.1 while ORDO_BASE_URL says
// localhost gets URLs it can use (and a page there stays same-origin).
// A request to ORDO_BASE_URL's host gets ORDO_BASE_URL, scheme included,
// so that TLS ended at a proxy still gives https. Absolute URLs (S3) are
// returned as they are.
func (s *Server) browserURL(r *http.Request, u string) string {
	if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
		return u
	}
	if base, err := url.Parse(s.baseURL); err == nil && (r.Host == "" || strings.EqualFold(base.Host, r.Host)) && base.Host != "" {
		return base.Scheme + "://" + base.Host + u
	}
	if r.Host == "" {
		return u
	}
	scheme := "http"
	if r.TLS != nil || (s.trustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + u
}

func (s *Server) meta(r *http.Request) access.Meta {
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	return access.Meta{IP: s.clientIP(r), UserAgent: ua, RequestID: RequestID(r.Context())}
}

// limit spends one request of each key's quota with l and answers 429
// with Retry-After when any is exhausted. It returns false if it answered.
// It is allow for the pages and middleware, which answer for themselves;
// API handlers return allow's error instead.
func (s *Server) limit(w http.ResponseWriter, r *http.Request, l *ratelimit.Limiter, keys ...string) bool {
	if err := s.allow(w, r, l, keys...); err != nil {
		s.fail(w, r, err)
		return false
	}
	return true
}

// allow spends one request of each key's quota with l, sets the
// RateLimit-* headers, and returns a *rateLimitedError (429 with
// Retry-After) when any is exhausted. A limiter error is logged and the
// request allowed: a Redis outage must not lock everyone out.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, l *ratelimit.Limiter, keys ...string) error {
	if l == nil {
		return nil
	}
	for _, key := range keys {
		res, err := l.Allow(r.Context(), key)
		if err != nil {
			s.log.WarnContext(r.Context(), "rate limiter unavailable", "err", err)
			s.metrics.RateLimitFailOpen()
			continue
		}
		w.Header().Set("RateLimit-Limit", strconv.Itoa(res.Limit))
		w.Header().Set("RateLimit-Remaining", strconv.Itoa(res.Remaining))
		w.Header().Set("RateLimit-Reset", strconv.Itoa(int(res.ResetAfter.Seconds()+0.999)))
		if !res.Allowed {
			return &rateLimitedError{after: res.RetryAfter}
		}
	}
	return nil
}

// rateLimitedError refuses a request until after has passed; writeError
// answers it 429 with Retry-After (writeTooMany).
type rateLimitedError struct{ after time.Duration }

func (e *rateLimitedError) Error() string { return "rate limited: retry after " + e.after.String() }

// writeTooMany answers 429 with Retry-After.
func writeTooMany(w http.ResponseWriter, r *http.Request, after time.Duration) {
	retry := max(int(after.Seconds()+0.999), 1)
	w.Header().Set("Retry-After", strconv.Itoa(retry))
	unit := " seconds"
	if retry == 1 {
		unit = " second"
	}
	writeProblem(w, r, Problem{Status: http.StatusTooManyRequests, Type: problemType("rate-limited"),
		Detail: "too many attempts; try again in " + strconv.Itoa(retry) + unit})
}

// Keys of the password-check failure limits. The client address comes
// first and a space (in neither an address nor an e-mail address)
// separates it from the account.
func failClientAccountKey(ip, account string) string { return "pwfail:ca:" + ip + " " + account }
func failClientKey(ip string) string                 { return "pwfail:c:" + ip }
func failAccountKey(account string) string           { return "pwfail:a:" + account }

// passwordCheckAllowed decides, before a password is checked for account
// (the normalised e-mail address), whether this client may try, and
// answers 429 with Retry-After if not. It spends nothing: only failures
// count (passwordCheckFailed), so a correct password never uses up
// anyone's attempts, and failures from elsewhere never refuse a client
// that has not been failing itself:
//
//   - a client with too many recent failures for this account, or across
//     accounts, is refused;
//   - once the account has too many recent failures from everywhere, a
//     client that has failed for it recently is refused too, however few
//     its failures; a clean client may still try.
//
// Concurrent attempts may each pass before any failure is counted; the
// per-client attempt limit (LoginPerIP, spent up front) bounds that. A
// limiter error is logged and the check allowed, as with limit.
func (s *Server) passwordCheckAllowed(w http.ResponseWriter, r *http.Request, account string) bool {
	if err := s.passwordCheck(r, account); err != nil {
		s.fail(w, r, err)
		return false
	}
	return true
}

// passwordCheck is passwordCheckAllowed for handlers that return their
// errors: a refusal is a *rateLimitedError.
func (s *Server) passwordCheck(r *http.Request, account string) error {
	ctx, ip := r.Context(), s.clientIP(r)
	peek := func(l *ratelimit.Limiter, key string) (ratelimit.Result, bool) {
		if l == nil {
			return ratelimit.Result{Allowed: true}, false
		}
		res, err := l.Peek(ctx, key)
		if err != nil {
			s.log.WarnContext(ctx, "rate limiter unavailable", "err", err)
			s.metrics.RateLimitFailOpen()
			return ratelimit.Result{Allowed: true}, false
		}
		return res, true
	}
	ca, caKnown := peek(s.limits.LoginFailuresPerClientAccount, failClientAccountKey(ip, account))
	if !ca.Allowed {
		return &rateLimitedError{after: ca.RetryAfter}
	}
	if c, _ := peek(s.limits.LoginFailuresPerClient, failClientKey(ip)); !c.Allowed {
		return &rateLimitedError{after: c.RetryAfter}
	}
	if a, _ := peek(s.limits.LoginFailuresPerAccount, failAccountKey(account)); !a.Allowed && caKnown && ca.Used() {
		// Refused until this client's own failures for the account have
		// drained.
		return &rateLimitedError{after: ca.ResetAfter}
	}
	return nil
}

// passwordCheckFailed counts a failed password check of this client for
// account against the three failure limits.
func (s *Server) passwordCheckFailed(r *http.Request, account string) {
	// The failure counts even if the client has gone.
	ctx, ip := context.WithoutCancel(r.Context()), s.clientIP(r)
	for _, c := range []struct {
		l   *ratelimit.Limiter
		key string
	}{
		{s.limits.LoginFailuresPerClientAccount, failClientAccountKey(ip, account)},
		{s.limits.LoginFailuresPerClient, failClientKey(ip)},
		{s.limits.LoginFailuresPerAccount, failAccountKey(account)},
	} {
		if c.l == nil {
			continue
		}
		if _, err := c.l.Allow(ctx, c.key); err != nil {
			s.log.WarnContext(ctx, "rate limiter unavailable", "err", err)
			s.metrics.RateLimitFailOpen()
		}
	}
}

// withAPILimit applies the general API rate limit to /api/ requests, keyed
// by API key, user, or IP for anonymous callers.
//
// It also counts the request in its tenant's usage (APIUsage), in memory:
// the counter writes in batches, never once per request; and, with
// APIPlan, limits the tenant's requests together to its plan's rate.
func (s *Server) withAPILimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		p, ok := principalFrom(r.Context())
		inTenant := ok && p.InTenant()
		if inTenant && s.apiUsage != nil {
			s.apiUsage.Add(p.TenantID, plan.CountAPIRequests, 1)
		}
		if inTenant && s.limits.APIPlan != nil {
			l, err := s.limits.APIPlan(r.Context(), p.TenantID)
			if err != nil {
				// As for a limiter that is down: the request goes on.
				s.log.WarnContext(r.Context(), "plan rate limit unavailable", "err", err)
				s.metrics.RateLimitFailOpen()
			} else if !s.limit(w, r, l, "api:tenant:"+p.TenantID.String()) {
				return
			}
		}
		if s.limits.API == nil {
			next.ServeHTTP(w, r)
			return
		}
		key := "api:ip:" + s.clientIP(r)
		if ok {
			if p.IsAPIKey() {
				key = "api:key:" + p.APIKeyID.String()
			} else {
				key = "api:user:" + p.UserID.String()
			}
		}
		if s.limit(w, r, s.limits.API, key) {
			next.ServeHTTP(w, r)
		}
	})
}

// withSecurityHeaders sets the headers every response carries. Pages may
// connect to Ordo itself and to storageOrigins (the S3 server browsers
// upload to); local-disk uploads are same-origin.
func withSecurityHeaders(hsts bool, storageOrigins []string, next http.Handler) http.Handler {
	connect := strings.Join(append([]string{"'self'"}, storageOrigins...), " ")
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src " + connect + "; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

func withPrincipalValue(ctx context.Context, p access.Principal) context.Context {
	return context.WithValue(ctx, principalKey, p)
}
