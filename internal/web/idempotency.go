package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/idempotency"
	"github.com/ordo/ordo/internal/webhook"
)

// readAndKeep returns a body that reads rc and copies what it reads to buf.
func readAndKeep(rc io.ReadCloser, buf *bytes.Buffer) io.ReadCloser {
	return struct {
		io.Reader
		io.Closer
	}{io.TeeReader(rc, buf), rc}
}

// replayHeaders are the response headers kept with an idempotent response.
var replayHeaders = []string{"Content-Type", "Location", "ETag"}

// withheldHeader marks, in a stored record only (it is never sent), a
// response that held a secret: its body was not kept, and a replay is
// answered with a problem saying the request succeeded (see withIdempotency).
const withheldHeader = "Ordo-Secret-Withheld"

// withIdempotency gives a POST route of the API, with an Idempotency-Key
// header, Stripe's semantics, per tenant: the first response is kept for
// 24 hours and replayed to retries with the same body; another body with
// the same key is 422; a retry while the first is running is 409. As with
// Stripe, only requests that succeed are kept: a failed one (4xx or 5xx)
// forgets the key, so that a corrected retry runs.
//
// It wraps each route's handler (see routes), after authentication, and
// checks the route's permission (action, from the route table) before it
// looks the key up: a stored response is only ever answered to a principal
// that may still perform the operation, so a user demoted since (or a key
// whose role was lowered) gets 403, never the response again. A response
// holding a secret (a new API key, a webhook signing secret) is never
// stored: its record keeps only that the request succeeded, and a replay
// is answered 409 (idempotency-secret-withheld) with the object's Location,
// so a retry neither repeats the operation nor shows the secret again.
func (s *Server) withIdempotency(action access.Action, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPost || key == "" {
			next.ServeHTTP(w, r)
			return
		}
		p, ok := principalFrom(r.Context())
		if !ok || !p.InTenant() {
			// Keys are per tenant; a user outside any tenant has none.
			next.ServeHTTP(w, r)
			return
		}
		if action != "" {
			// The same check the route's service starts with, made before
			// the lookup so that no stored response skips it.
			if err := p.Require(action); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		if len(key) > 255 {
			s.fail(w, r, apperr.Invalid("Idempotency-Key", "must be at most 255 characters"))
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		// The principal is part of the request: another key or user of the
		// tenant reusing the key gets 422, never the first caller's response.
		actor := p.UserID.String()
		if p.IsAPIKey() {
			actor = "key:" + p.APIKeyID.String()
		}
		h := sha256.New()
		h.Write([]byte(r.Method + " " + r.URL.Path + "\n" + actor + "\n"))
		h.Write(body)
		rec := idempotency.Record{TenantID: p.TenantID, Key: key, RequestHash: h.Sum(nil)}
		begun := time.Now().UTC()
		// The claim is made even if the client has just gone (a proxy
		// retrying elsewhere as a server shuts down): a claim cancelled
		// half-way could be committed yet unknown here, and would answer
		// 409 to the retry until stale. Made, it is released below when
		// the request fails.
		beginCtx, cancelBegin := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
		defer cancelBegin()
		got, fresh, err := s.idempotency.IdempotencyBegin(beginCtx, rec, begun)
		if err == nil && !fresh && !got.Done && bytes.Equal(got.RequestHash, rec.RequestHash) && s.settleNow(r.Context(), rec.TenantID, key) {
			// This process ran the key before and could not yet release
			// it or record its response; now it has: look again.
			got, fresh, err = s.idempotency.IdempotencyBegin(beginCtx, rec, begun)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !fresh {
			switch {
			case !bytes.Equal(got.RequestHash, rec.RequestHash):
				writeProblem(w, r, Problem{Status: http.StatusUnprocessableEntity, Type: problemType("idempotency-mismatch"),
					Detail: "this Idempotency-Key was used with another request; use a new key"})
			case !got.Done:
				writeProblem(w, r, Problem{Status: http.StatusConflict, Type: problemType("idempotency-in-flight"),
					Detail: "a request with this Idempotency-Key is still in progress; retry later"})
			case got.Headers[withheldHeader] != "":
				if loc := got.Headers["Location"]; loc != "" {
					w.Header().Set("Location", loc)
				}
				w.Header().Set("Idempotent-Replayed", "true")
				writeProblem(w, r, Problem{Status: http.StatusConflict, Type: problemType("idempotency-secret-withheld"),
					Detail: "the request with this Idempotency-Key succeeded, but its response held a secret that is shown only once and was not kept; " +
						"list the objects to find it, and rotate or replace the secret if you lost it"})
			default:
				for k, v := range got.Headers {
					w.Header().Set(k, v)
				}
				w.Header().Set("Idempotent-Replayed", "true")
				w.WriteHeader(got.Status)
				_, _ = w.Write(got.Body)
			}
			return
		}
		cap := &captureWriter{ResponseWriter: w}
		st := &idemState{}
		r = r.WithContext(context.WithValue(r.Context(), idemKey, st))
		defer func() {
			// Also on panic: never leave the key in flight.
			if cap.status == 0 || cap.status >= 400 {
				s.settleIdempotency(r.Context(), "release idempotency key", rec.TenantID, key, begun, func(ctx context.Context) error {
					return s.idempotency.IdempotencyRelease(ctx, rec.TenantID, key)
				})
				return
			}
			rec.Done, rec.Status, rec.Body, rec.KeyedEffect = true, cap.status, cap.body.Bytes(), st.keyedEffect
			rec.Headers = map[string]string{}
			for _, k := range replayHeaders {
				if v := w.Header().Get(k); v != "" {
					rec.Headers[k] = v
				}
			}
			if cap.secret || looksSecret(rec.Body) {
				if !cap.secret {
					// A response type that holds a secret must say so
					// (secretHolder); this catch keeps it out of the store.
					s.log.ErrorContext(r.Context(), "an undeclared secret in a response kept it from the idempotency store", "route", routeOf(r))
				}
				rec.Body = nil
				rec.Headers = map[string]string{withheldHeader: "true"}
				if v := w.Header().Get("Location"); v != "" {
					rec.Headers["Location"] = v
				}
			}
			s.settleIdempotency(r.Context(), "store idempotent response", rec.TenantID, key, begun, func(ctx context.Context) error {
				return s.idempotency.IdempotencyFinish(ctx, rec)
			})
		}()
		next.ServeHTTP(cap, r)
	}
}

// settleIdempotency runs f, the write that releases a key or records its
// response, even if the client has gone. When it fails (the database is
// down for a moment) it is retried in the background, and at once when
// the client retries the key here (settleNow). A key left in flight would
// answer 409 to every retry of the client's until it is stale
// (idempotency.StaleAfter), and a response left unrecorded would let a
// retry after that run the request a second time. The retries stop well
// before the key is stale, when another request may take it over.
func (s *Server) settleIdempotency(ctx context.Context, what string, tenantID uuid.UUID, key string, begun time.Time, f func(context.Context) error) {
	ctx = context.WithoutCancel(ctx)
	err := f(ctx)
	if err == nil {
		return
	}
	s.log.WarnContext(ctx, what+"; retrying", "err", err)
	pk := idemPendingKey{tenantID, key}
	p := &idemPending{f: f, until: begun.Add(idempotency.StaleAfter / 2)}
	s.idemPendings.Store(pk, p)
	go func() {
		defer s.idemPendings.CompareAndDelete(pk, p)
		for wait := 50 * time.Millisecond; time.Now().Add(wait).Before(p.until); wait = min(2*wait, 200*time.Millisecond) {
			time.Sleep(wait)
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = p.try(c)
			cancel()
			if err == nil {
				return
			}
		}
		s.log.ErrorContext(ctx, what+": gave up; the key stays in flight until it is stale", "err", err, "stale_after", idempotency.StaleAfter)
	}()
}

// settleNow runs the pending release or record of a key this process
// could not settle yet, and reports whether it has been settled.
func (s *Server) settleNow(ctx context.Context, tenantID uuid.UUID, key string) bool {
	v, ok := s.idemPendings.Load(idemPendingKey{tenantID, key})
	if !ok {
		return false
	}
	p := v.(*idemPending)
	if time.Now().After(p.until) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return p.try(ctx) == nil
}

type idemPendingKey struct {
	tenantID uuid.UUID
	key      string
}

// idemPending is a write that must happen once: never again after it
// succeeded, when the key may already belong to a new request.
type idemPending struct {
	mu    sync.Mutex
	done  bool
	f     func(context.Context) error
	until time.Time
}

func (p *idemPending) try(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return nil
	}
	if err := p.f(ctx); err != nil {
		return err
	}
	p.done = true
	return nil
}

type idemState struct{ keyedEffect bool }

const idemKey ctxKey = 200

// secretHolder is a response body that may hold a secret shown only once
// (a new API key, a webhook signing secret). writeJSON asks it, and a body
// that holds one is never stored for replay.
type secretHolder interface{ holdsSecret() bool }

// markSecret marks the response being written to w as one that holds a
// secret, so that withIdempotency does not keep it.
func markSecret(w http.ResponseWriter) {
	for {
		if c, ok := w.(*captureWriter); ok {
			c.secret = true
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// secretMarks are the secrets Ordo hands out as the JSON fields that carry
// them: a body holding one is withheld even if its type forgot to say so.
var secretMarks = [][]byte{[]byte(`"secret":"` + webhook.SecretPrefix), []byte(`"key":"` + auth.APIKeyScheme)}

func looksSecret(body []byte) bool {
	for _, m := range secretMarks {
		if bytes.Contains(body, m) {
			return true
		}
	}
	return false
}

// keyedEffect marks the request's effect as carrying its Idempotency-Key
// (see idempotency.Record.KeyedEffect).
func keyedEffect(r *http.Request) {
	if st, ok := r.Context().Value(idemKey).(*idemState); ok {
		st.keyedEffect = true
	}
}

// captureWriter passes a response through and keeps a copy.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	// secret is set by markSecret: the body must not be stored.
	secret bool
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
