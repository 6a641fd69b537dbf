package blob

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strconv"
	"time"
)

// Upload tells a client how to send an object straight to storage: an
// HTTP PUT to URL with exactly Headers.
type Upload struct {
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expires_at"`
}

// Download says how a presigned download is served.
type Download struct {
	Filename    string // shown to the user; RFC 6266/5987 encoded
	ContentType string
	// Inline lets safe types (images, PDF) show in the browser; active
	// types (HTML, SVG, scripts) are always attachments.
	Inline bool
}

// contentDisposition builds the header value, with the name in both the
// plain (ASCII-safe) and the RFC 5987 forms.
func contentDisposition(d Download) string {
	kind := "attachment"
	if d.Inline && !activeType(d.ContentType) {
		kind = "inline"
	}
	return mime.FormatMediaType(kind, map[string]string{"filename": d.Filename})
}

// activeType reports content types a browser would run or render as a
// page: they are never served inline.
func activeType(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	switch mt {
	case "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml", "text/javascript", "application/javascript":
		return true
	}
	return false
}

// Signer makes and checks the HMAC-signed URLs through which the app
// serves local-disk uploads and downloads, so that clients use the same
// flow as with S3.
//
// The URLs are paths ("/blobs?…") without scheme or host: the app that
// signs them also serves them, so they work on whichever address the
// client reached it (ORDO_BASE_URL, 127.0.0.1, a LAN name), and a browser
// upload is always same-origin. Callers that hand a URL to a client that
// needs an absolute one resolve it against the request's own origin.
type Signer struct {
	secret []byte
	now    func() time.Time
}

// NewSigner signs URLs with secret.
func NewSigner(secret string) *Signer {
	return &Signer{secret: []byte("ordo-blob-url:" + secret), now: time.Now}
}

// The signed parameters of a blob URL.
const (
	OpPut = "put"
	OpGet = "get"
)

func (s *Signer) mac(parts ...string) string {
	m := hmac.New(sha256.New, s.secret)
	// Each part is length-prefixed, so that no bytes can move from one
	// part to the next (a NUL separator alone would let "a\x00b","" sign
	// the same as "a","b\x00").
	for _, p := range parts {
		m.Write([]byte(strconv.Itoa(len(p)) + ":"))
		m.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// URL signs an operation on key, valid until exp. For a put, ct and size
// bind the upload; for a get, ct and cd are the response headers. The URL
// is a path with a query, relative to the app's origin.
func (s *Signer) URL(op, key, ct string, size int64, cd string, exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 10)
	n := strconv.FormatInt(size, 10)
	q := url.Values{"op": {op}, "k": {key}, "ct": {ct}, "n": {n}, "cd": {cd}, "e": {e}}
	q.Set("sig", s.mac(op, key, ct, n, cd, e))
	return "/blobs?" + q.Encode()
}

// Signed is a verified blob URL.
type Signed struct {
	Op, Key, ContentType, Disposition string
	Size                              int64
}

// ErrBadSignature is a tampered or expired blob URL.
var ErrBadSignature = errors.New("blob URL: bad or expired signature")

// Verify checks a blob URL's query.
func (s *Signer) Verify(q url.Values) (Signed, error) {
	op, key, ct, n, cd, e := q.Get("op"), q.Get("k"), q.Get("ct"), q.Get("n"), q.Get("cd"), q.Get("e")
	want := s.mac(op, key, ct, n, cd, e)
	if !hmac.Equal([]byte(want), []byte(q.Get("sig"))) {
		return Signed{}, ErrBadSignature
	}
	exp, err := strconv.ParseInt(e, 10, 64)
	if err != nil || s.now().Unix() > exp {
		return Signed{}, fmt.Errorf("%w: expired", ErrBadSignature)
	}
	size, _ := strconv.ParseInt(n, 10, 64)
	return Signed{Op: op, Key: key, ContentType: ct, Disposition: cd, Size: size}, nil
}
