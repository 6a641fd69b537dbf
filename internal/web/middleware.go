package web

import (
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzhttp"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/telemetry"
)

type ctxKey int

const requestIDKey ctxKey = iota

// RequestID returns the request's id, or "" outside a request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// validRequestID accepts ids from a proxy in front of us, within reason.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// withRequestID takes X-Request-ID from the client or proxy when it is
// sane, makes one otherwise, and echoes it in the response.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !validRequestID.MatchString(id) {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", id)
		ctx := telemetry.WithRequestLog(context.WithValue(r.Context(), requestIDKey, id), id)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines (SSE).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// withAccessLog logs one line per request, after it is served; log's
// handler (telemetry.LogHandler) adds the request id, and the tenant and
// user or API key once withPrincipal has set them.
// The route is looked up on mux: the mux sets r.Pattern only on its own
// copy of the request.
func withAccessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		log.LogAttrs(r.Context(), level, "http request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", routeOf(r)),
			slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

// withRecover turns a panic in a handler into a logged 500 problem, so one
// bad request never takes the process down.
func withRecover(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			log.ErrorContext(r.Context(), "panic serving request",
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			reportError(r.Context(), fmt.Errorf("panic serving %s %s: %v", r.Method, r.URL.Path, p))
			writeProblem(w, r, Problem{Status: http.StatusInternalServerError, Detail: "an internal error occurred; quote the request id when reporting it"})
		}()
		next.ServeHTTP(w, r)
	})
}

type reportKey struct{}

// withErrorReport lets reportError reach report (Sentry) from anywhere in
// the request; with report nil, reportError does nothing.
func withErrorReport(report func(context.Context, error), next http.Handler) http.Handler {
	if report == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), reportKey{}, report)))
	})
}

// reportError reports an unexpected error (one answered with a 5xx, or a
// panic) to the error reporter, if there is one. Call it where such an
// error is logged.
func reportError(ctx context.Context, err error) {
	if report, ok := ctx.Value(reportKey{}).(func(context.Context, error)); ok {
		report(ctx, err)
	}
}

// withBodyLimit caps what a handler can read from a request body.
func withBodyLimit(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/blobs" {
			// Signed uploads carry their own size limit in the signature.
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > limit {
			writeProblem(w, r, Problem{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("request body is limited to %d bytes", limit)})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// withSaneInput refuses query strings, form fields and the headers Ordo
// reads that are not valid UTF-8 or hold NUL: no database stores them, and
// a client sending them gets a clear 422, not a 500.
func withSaneInput(next http.Handler) http.Handler {
	bad := func(s string) bool { return !utf8.ValidString(s) || strings.ContainsRune(s, 0) }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range r.URL.Query() {
			for _, v := range vs {
				if bad(k) || bad(v) {
					writeProblem(w, r, Problem{Status: http.StatusUnprocessableEntity, Type: problemType("validation"),
						Title: "Your request is not valid", Errors: []apperr.FieldError{{Field: k, Detail: "must be valid UTF-8 without NUL"}}})
					return
				}
			}
		}
		for _, h := range []string{"Idempotency-Key", "If-Match", "Last-Event-ID", "X-Request-ID"} {
			if v := r.Header.Get(h); bad(v) {
				writeProblem(w, r, Problem{Status: http.StatusUnprocessableEntity, Type: problemType("validation"),
					Title: "Your request is not valid", Errors: []apperr.FieldError{{Field: h, Detail: "must be valid UTF-8 without NUL"}}})
				return
			}
		}
		if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			if err := r.ParseForm(); err == nil {
				for k, vs := range r.PostForm {
					for _, v := range vs {
						if bad(v) {
							writeProblem(w, r, Problem{Status: http.StatusUnprocessableEntity, Type: problemType("validation"),
								Title: "Your request is not valid", Errors: []apperr.FieldError{{Field: k, Detail: "must be valid UTF-8 without NUL"}}})
							return
						}
					}
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Response compression. Pages are gzipped for browsers that accept it;
// static files come gzipped already (assets.go). API responses are not:
// they are small, and an API client's CPU and ours are better spent
// elsewhere; the one large document, the OpenAPI description (275 KB,
// about 25 KB gzipped), is. Event streams never are (they must reach the
// client as each event is written).
//
// Pages hold secrets (the CSRF token) next to text a visitor can put in
// them, so each compressed page gets 1 to 32 bytes of padding derived from
// its content (gzhttp's RandomJitter): the size no longer tells an
// attacker whether a guess matched (BREACH).
var (
	gzipHTML     = mustGzipWrapper("text/html")
	compressJSON = mustGzipWrapper("application/json")
)

// compressPages gzips the pages h serves; the API (but its reference
// page, which its route wraps) and static files pass by untouched, at no
// cost.
func compressPages(h http.Handler) http.Handler {
	z := gzipHTML(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/static/") {
			h.ServeHTTP(w, r)
			return
		}
		z.ServeHTTP(w, r)
	})
}

func mustGzipWrapper(contentType string) func(http.Handler) http.HandlerFunc {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.ContentTypes([]string{contentType}),
		gzhttp.MinSize(1024),
		gzhttp.CompressionLevel(gzip.DefaultCompression),
		gzhttp.RandomJitter(32, 0, false),
	)
	if err != nil {
		panic(err) // the options are constants: a test catches a bad one
	}
	return wrap
}
