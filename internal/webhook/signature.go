package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names and values of a signed delivery, as in Standard Webhooks.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"

	// UserAgent is sent with every delivery so receivers can recognise us.
	UserAgent = "Ordo-Webhooks/1"
)

// SecretPrefix starts every secret, as in Standard Webhooks, so a leaked
// secret is recognisable by scanners.
const SecretPrefix = "whsec_"

// DefaultTolerance is how far webhook-timestamp may be from the receiver's
// clock before Verify rejects the message as a possible replay.
const DefaultTolerance = 5 * time.Minute

const (
	secretBytes    = 32 // what NewSecret generates
	minSecretBytes = 24 // Standard Webhooks: 24 to 64 bytes
	maxSecretBytes = 64
	signatureV1    = "v1,"
)

// Errors returned by Verify; they are wrapped with detail.
var (
	ErrMissingHeader      = errors.New("missing webhook header")
	ErrInvalidTimestamp   = errors.New("invalid webhook timestamp")
	ErrTimestampTolerance = errors.New("webhook timestamp outside tolerance")
	ErrNoMatchingSig      = errors.New("no matching webhook signature")
)

// NewSecret returns a fresh signing secret: "whsec_" followed by the
// standard base64 encoding of 32 random bytes. Show it to the tenant once;
// it must be stored as is (it is needed to sign, so it cannot be hashed).
func NewSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate webhook secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// ParseSecret returns the key bytes of a "whsec_…" secret. The error never
// contains the secret itself, so it is safe to log or show.
func ParseSecret(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("webhook secret must start with %q", SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, errors.New("webhook secret is not valid base64 after the prefix")
	}
	if len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return nil, fmt.Errorf("webhook secret must decode to %d to %d bytes, got %d",
			minSecretBytes, maxSecretBytes, len(key))
	}
	return key, nil
}

// Sign returns the webhook-signature header value for one message: one
// "v1,<base64 HMAC-SHA256>" per secret, separated by a single space, over
// id + "." + ts in Unix seconds + "." + body.
//
// During secret rotation pass both the new and the old secret; receivers
// accept the message if any signature matches the secret they hold.
func Sign(id string, ts time.Time, body []byte, secrets ...string) (string, error) {
	if id == "" {
		return "", errors.New("sign webhook: empty message id")
	}
	if len(secrets) == 0 {
		return "", errors.New("sign webhook: no secret")
	}
	sigs := make([]string, 0, len(secrets))
	for i, s := range secrets {
		key, err := ParseSecret(s)
		if err != nil {
			return "", fmt.Errorf("sign webhook: secret %d: %w", i+1, err)
		}
		sigs = append(sigs, signatureV1+base64.StdEncoding.EncodeToString(mac(key, id, ts.Unix(), body)))
	}
	return strings.Join(sigs, " "), nil
}

func mac(key []byte, id string, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(strconv.FormatInt(unix, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Headers returns the headers of a delivery: the three Standard Webhooks
// headers plus Content-Type and User-Agent.
func Headers(id string, ts time.Time, signature string) http.Header {
	h := make(http.Header, 5)
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, signature)
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", UserAgent)
	return h
}

// Verify checks a received message the way a receiver would: the headers
// are present, webhook-timestamp is within tolerance of now (either side;
// tolerance <= 0 means DefaultTolerance), and one of the v1 signatures
// matches secret. Comparison is constant-time. It exists for tests and for
// documentation to receivers; the sender never calls it.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := ParseSecret(secret)
	if err != nil {
		return fmt.Errorf("verify webhook: %w", err)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	id, tsRaw, sigRaw := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	for _, hv := range [...]struct{ name, value string }{
		{HeaderID, id}, {HeaderTimestamp, tsRaw}, {HeaderSignature, sigRaw},
	} {
		if hv.value == "" {
			return fmt.Errorf("verify webhook: %w: %s", ErrMissingHeader, hv.name)
		}
	}
	unix, err := strconv.ParseInt(tsRaw, 10, 64)
	if err != nil {
		return fmt.Errorf("verify webhook: %w: %q", ErrInvalidTimestamp, tsRaw)
	}
	ts := time.Unix(unix, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return fmt.Errorf("verify webhook: %w: %s is %s from now", ErrTimestampTolerance,
			ts.UTC().Format(time.RFC3339), d.Round(time.Second))
	}
	want := mac(key, id, unix, body)
	for _, sig := range strings.Fields(sigRaw) {
		b64, ok := strings.CutPrefix(sig, signatureV1)
		if !ok {
			continue // other versions, e.g. v1a (asymmetric), are not ours
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("verify webhook: %w", ErrNoMatchingSig)
}

// Payload is the JSON body of every delivery, in the shape Standard
// Webhooks recommends: {"type": "order.created", "timestamp": "…", "data": {…}}.
type Payload struct {
	// Type is the event type, e.g. "order.created".
	Type string `json:"type"`
	// Timestamp is when the event happened (not when it is delivered).
	// It is encoded in UTC as RFC 3339, with fractional seconds only when
	// present.
	Timestamp time.Time `json:"timestamp"`
	// Data is the event-specific object.
	Data json.RawMessage `json:"data"`
}

// MarshalJSON encodes p with its timestamp in UTC, so the body does not
// depend on the server's time zone.
func (p Payload) MarshalJSON() ([]byte, error) {
	data := p.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	return json.Marshal(struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{p.Type, p.Timestamp.UTC().Format(time.RFC3339Nano), data})
}

// Marshal validates p and returns the body to send. Marshal once per
// message and keep the bytes: every attempt must send exactly the same
// body. Empty Data is sent as {}.
func (p Payload) Marshal() ([]byte, error) {
	if p.Type == "" {
		return nil, errors.New("marshal webhook payload: empty type")
	}
	if p.Timestamp.IsZero() {
		return nil, errors.New("marshal webhook payload: zero timestamp")
	}
	if len(p.Data) > 0 && !json.Valid(p.Data) {
		return nil, fmt.Errorf("marshal webhook payload %s: data is not valid JSON", p.Type)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("marshal webhook payload %s: %w", p.Type, err)
	}
	return b, nil
}
