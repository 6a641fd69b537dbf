package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// MaxSnippetBytes is how much of a response body Send keeps, for the
// delivery log.
const MaxSnippetBytes = 4 << 10

// maxDrainBytes is how much more of the body Send reads and drops so the
// connection can be reused; a longer body costs a new connection instead.
const maxDrainBytes = 64 << 10

// Request is one delivery attempt.
type Request struct {
	// URL is the endpoint, already accepted by Guard.CheckURL.
	URL string
	// ID is the message id sent as webhook-id. It is the same for every
	// attempt of one message: receivers de-duplicate on it.
	ID string
	// Timestamp is sent as webhook-timestamp and signed. It must be the
	// time of this attempt, not of the event, or receivers reject retries
	// as replays; leave it zero to use Send's now.
	Timestamp time.Time
	// Body is the JSON body, the same bytes on every attempt (see
	// Payload.Marshal).
	Body []byte
	// Secrets sign the message; pass the new and the old secret while a
	// rotation is in progress.
	Secrets []string
}

// Result is the outcome of one attempt, ready to be stored in a delivery
// log. Error is set only when no HTTP response was received; a response of
// any status leaves it empty and sets StatusCode.
type Result struct {
	// StatusCode is the HTTP status, or 0 when there was no response.
	StatusCode int
	// Latency is the time from sending the request to having read the
	// response snippet, or to the failure.
	Latency time.Duration
	// ResponseSnippet is the start of the response body (at most
	// MaxSnippetBytes), valid UTF-8, with surrounding space trimmed.
	ResponseSnippet string
	// Error explains, for the tenant, why there was no response, e.g.
	// "connection refused" or "timed out after 10s".
	Error string
	// RetryAfter is the receiver's Retry-After on a non-2xx response, or
	// 0. Pass it to NextDelay.
	RetryAfter time.Duration
	// Gone is true on 410 Gone: the receiver asks us to stop sending, so
	// the caller should disable the endpoint instead of retrying.
	Gone bool
}

// OK reports whether the attempt succeeded: a 2xx status. Redirects are
// not followed and count as failures.
func (r Result) OK() bool { return r.StatusCode >= 200 && r.StatusCode <= 299 }

// Send makes one signed POST of req.Body to req.URL with c, which should
// come from Guard.Client. now is the time of the attempt: it is the
// signature timestamp when req.Timestamp is zero, and the reference for a
// Retry-After date. Send never returns an error; failures are in Result.
func Send(ctx context.Context, c *http.Client, req Request, now time.Time) Result {
	start := time.Now()
	fail := func(msg string) Result {
		return Result{Error: msg, Latency: time.Since(start)}
	}
	if c == nil {
		return fail("internal error: no HTTP client")
	}
	ts := req.Timestamp
	if ts.IsZero() {
		ts = now
	}
	sig, err := Sign(req.ID, ts, req.Body, req.Secrets...)
	if err != nil {
		return fail(err.Error())
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return fail("invalid url")
	}
	hr.Header = Headers(req.ID, ts, sig)

	resp, err := c.Do(hr)
	if err != nil {
		return fail(describeError(ctx, c, err))
	}
	defer resp.Body.Close()

	res := Result{StatusCode: resp.StatusCode, Gone: resp.StatusCode == http.StatusGone}
	// A body that fails half way is not an error: the status is the
	// receiver's answer, and the snippet is only for display.
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxSnippetBytes))
	res.ResponseSnippet = snippet(b)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrainBytes))
	res.Latency = time.Since(start)
	if !res.OK() {
		res.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	}
	return res
}

// snippet makes b displayable: a rune cut at the size limit is dropped,
// other invalid bytes become U+FFFD.
func snippet(b []byte) string {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				b = b[:i]
			}
			break
		}
	}
	return strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
}

// describeError turns a client error into a short message for the
// tenant's delivery log, without Go's "Post \"url\": dial tcp …" prefixes.
func describeError(ctx context.Context, c *http.Client, err error) string {
	var (
		urlErr  *URLError
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		hostErr x509.HostnameError
		authErr x509.UnknownAuthorityError
		invErr  x509.CertificateInvalidError
		recErr  tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &urlErr):
		return urlErr.Reason
	case errors.Is(err, context.Canceled), errors.Is(ctx.Err(), context.Canceled):
		return "canceled"
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "timed out" // the caller's deadline, not the client's
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		if c.Timeout > 0 {
			return fmt.Sprintf("timed out after %s", c.Timeout)
		}
		return "timed out"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return fmt.Sprintf("host %s not found", dnsErr.Name)
		}
		return fmt.Sprintf("DNS lookup of %s failed", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	case errors.As(err, &hostErr):
		return "TLS certificate is not valid for " + hostErr.Host
	case errors.As(err, &authErr):
		return "TLS certificate is signed by an unknown authority"
	case errors.As(err, &invErr):
		return "TLS certificate is invalid: " + invErr.Error()
	case errors.As(err, &certErr):
		return "TLS certificate verification failed"
	case errors.As(err, &recErr):
		return "TLS handshake failed: the server does not speak TLS on this port"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the server before a response"
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap().Error() // drop the url.Error prefix
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
