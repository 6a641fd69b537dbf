package web

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/plan"
)

// Problem is an RFC 9457 problem details body. Errors lists the fields at
// fault for validation problems.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Instance  string              `json:"instance,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
	Errors    []apperr.FieldError `json:"errors,omitempty"`
	// A plan-limit problem names the limit, its value, the tenant's usage
	// and its plan.
	Limit string `json:"limit,omitempty"`
	Value *int64 `json:"value,omitempty"`
	Usage *int64 `json:"usage,omitempty"`
	Plan  string `json:"plan,omitempty"`
}

// problemType is the stable type URI of an error kind.
func problemType(kind string) string { return "https://ordo.dev/problems/" + kind }

// kindTypes gives every apperr kind its stable problem type.
var kindTypes = map[apperr.Kind]string{
	apperr.KindNotFound:     "not-found",
	apperr.KindConflict:     "conflict",
	apperr.KindInvalid:      "validation",
	apperr.KindForbidden:    "forbidden",
	apperr.KindUnauthorized: "unauthorized",
	apperr.KindPrecondition: "precondition-failed",
}

// writeProblem sends p as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p.Instance = r.URL.Path
	p.RequestID = RequestID(r.Context())
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeError renders err as a problem. Errors of a known kind carry a
// client-safe message; anything else is logged and answered with a
// generic 500 that never shows internal text.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var rl *rateLimitedError
	if errors.As(err, &rl) {
		writeTooMany(w, r, rl.after)
		return
	}
	status := apperr.HTTPStatus(err)
	p := Problem{Status: status}
	if e, ok := apperr.As(err); ok && status < 500 {
		p.Detail = e.Msg
		p.Errors = e.Fields
		p.Type = problemType(kindTypes[e.Kind])
		if errors.Is(err, access.ErrTenantSuspended) {
			// A more specific type than "forbidden": no role or
			// membership helps, only the operator.
			p.Type = problemType("tenant-suspended")
		}
		if errors.Is(err, access.ErrTenantDeleted) {
			p.Type = problemType("tenant-deleted")
		}
		switch {
		case errors.Is(err, account.ErrMFARequired):
			p.Type = problemType("mfa-required")
		case errors.Is(err, account.ErrMFAInvalid):
			p.Type = problemType("mfa-invalid")
		case errors.Is(err, access.ErrTwoFactorRequired):
			p.Type = problemType("two-factor-required")
		case isSSORequired(err):
			// A right password that a tenant of the user no longer
			// accepts: no retry helps, single sign-on does.
			p.Type = problemType("sso-required")
		}
		var le *plan.ErrLimit
		if errors.As(err, &le) {
			p.Type, p.Limit, p.Value, p.Usage, p.Plan = problemType("plan-limit"), string(le.Limit), &le.Value, &le.Usage, le.Plan
		}
		if e.Kind == apperr.KindInvalid {
			p.Title = "Your request is not valid"
		}
	} else {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeProblem(w, r, Problem{Status: http.StatusRequestEntityTooLarge, Type: problemType("too-large"), Detail: "request body too large"})
			return
		}
		if dependencyDown(err) {
			// Not Ordo's fault nor the client's: say so, and when to retry.
			log.WarnContext(r.Context(), "request failed: a dependency is unavailable", "err", err, "path", r.URL.Path)
			w.Header().Set("Retry-After", "2")
			writeProblem(w, r, Problem{Status: http.StatusServiceUnavailable, Type: problemType("unavailable"),
				Detail: "a service Ordo depends on is briefly unavailable; retry in a few seconds (with the same Idempotency-Key for a POST)"})
			return
		}
		p.Type = problemType("internal")
		log.ErrorContext(r.Context(), "request failed", "err", err, "path", r.URL.Path)
		reportError(r.Context(), err)
	}
	writeProblem(w, r, p)
}

// dependencyDown reports whether err means the database, Redis or object
// storage could not be reached (refused, reset, shutting down), as
// opposed to a bug.
func dependencyDown(err error) bool {
	var (
		connErr *pgconn.ConnectError
		pgErr   *pgconn.PgError
		netErr  *net.OpError
	)
	switch {
	case errors.As(err, &connErr), errors.As(err, &netErr),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exceptions; 57P01-57P03: the server is
		// shutting down or starting.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return pgconn.SafeToRetry(err)
}
