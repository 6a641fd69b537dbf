package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/idempotency"
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

// withIdempotency gives every POST under /api/ with an Idempotency-Key
// header Stripe's semantics, per tenant: the first response is kept for 24
// hours and replayed to retries with the same body; another body with the
// same key is 422; a retry while the first is running is 409. As with
// Stripe, only requests that succeed are kept: a failed one (4xx or 5xx)
// forgets the key, so that a corrected retry runs.
func (s *Server) withIdempotency(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPost || key == "" || !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		p, ok := principalFrom(r.Context())
		if !ok || !p.InTenant() {
			// Keys are per tenant; sign-up and login have none.
			next.ServeHTTP(w, r)
			return
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
		got, fresh, err := s.store.IdempotencyBegin(r.Context(), rec, time.Now().UTC())
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
			// Also on panic: never leave the key in flight. A response that
			// holds a secret (a new API key) is never kept.
			if cap.status == 0 || cap.status >= 400 || st.secret {
				if err := s.store.IdempotencyRelease(r.Context(), rec.TenantID, key); err != nil {
					s.log.WarnContext(r.Context(), "release idempotency key", "err", err)
				}
				return
			}
			rec.Done, rec.Status, rec.Body = true, cap.status, cap.body.Bytes()
			rec.Headers = map[string]string{}
			for _, k := range replayHeaders {
				if v := w.Header().Get(k); v != "" {
					rec.Headers[k] = v
				}
			}
			if err := s.store.IdempotencyFinish(r.Context(), rec); err != nil {
				s.log.WarnContext(r.Context(), "store idempotent response", "err", err)
			}
		}()
		next.ServeHTTP(cap, r)
	})
}

type idemState struct{ secret bool }

const idemKey ctxKey = 200

// secretResponse marks the response as one that must not be stored for
// replay, because it holds a secret shown only once.
func secretResponse(r *http.Request) {
	if st, ok := r.Context().Value(idemKey).(*idemState); ok {
		st.secret = true
	}
}

// captureWriter passes a response through and keeps a copy.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
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
