package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ordo/ordo/internal/webhook"
)

// verifySpec checks a signature header straight from the Standard Webhooks
// spec, sharing no code with the package: it is the receiver's view.
func verifySpec(t *testing.T, secret string, h http.Header, body []byte) bool {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("decode secret: %v", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, sig := range strings.Split(h.Get("webhook-signature"), " ") {
		if sig == want {
			return true
		}
	}
	return false
}

func newSecret(t *testing.T) string {
	t.Helper()
	s, err := webhook.NewSecret()
	if err != nil {
		t.Fatalf("NewSecret: %v", err)
	}
	return s
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	a, b := newSecret(t), newSecret(t)
	if a == b {
		t.Fatal("two secrets are equal")
	}
	if !strings.HasPrefix(a, "whsec_") {
		t.Fatalf("secret %q lacks whsec_ prefix", a)
	}
	key, err := webhook.ParseSecret(a)
	if err != nil {
		t.Fatalf("ParseSecret(NewSecret()): %v", err)
	}
	if len(key) < 24 || len(key) > 32 {
		t.Fatalf("key is %d bytes, want 24 to 32", len(key))
	}
}

func TestParseSecret(t *testing.T) {
	t.Parallel()
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"ok 24 bytes", "whsec_" + b64(24), ""},
		{"ok 64 bytes", "whsec_" + b64(64), ""},
		{"no prefix", b64(32), `must start with "whsec_"`},
		{"empty", "", `must start with "whsec_"`},
		{"bad base64", "whsec_not*base64", "not valid base64"},
		{"too short", "whsec_" + b64(16), "24 to 64 bytes, got 16"},
		{"too long", "whsec_" + b64(65), "24 to 64 bytes, got 65"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := webhook.ParseSecret(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// The example from the Standard Webhooks reference libraries.
func TestSignKnownVector(t *testing.T) {
	t.Parallel()
	got, err := webhook.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0),
		[]byte(`{"test": 2432232314}`), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	oldSecret, current, other := newSecret(t), newSecret(t), newSecret(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"type":"order.created","data":{"id":"o_1"}}`)
	const id = "msg_2f1c"

	tests := []struct {
		name      string
		signWith  []string
		mutate    func(h http.Header, body []byte) []byte
		verifyAt  time.Time
		secret    string
		wantSpec  bool  // independent verifier accepts
		wantErr   error // webhook.Verify
		wantCount int   // signatures in the header
	}{
		{name: "one secret", signWith: []string{current}, secret: current, wantSpec: true, wantCount: 1},
		{name: "rotation, new secret", signWith: []string{current, oldSecret}, secret: current, wantSpec: true, wantCount: 2},
		{name: "rotation, old secret", signWith: []string{current, oldSecret}, secret: oldSecret, wantSpec: true, wantCount: 2},
		{name: "wrong secret", signWith: []string{current, oldSecret}, secret: other, wantErr: webhook.ErrNoMatchingSig, wantCount: 2},
		{
			name: "tampered body", signWith: []string{current}, secret: current, wantErr: webhook.ErrNoMatchingSig, wantCount: 1,
			mutate: func(_ http.Header, b []byte) []byte { return []byte(strings.Replace(string(b), "o_1", "o_2", 1)) },
		},
		{
			name: "tampered id", signWith: []string{current}, secret: current, wantErr: webhook.ErrNoMatchingSig, wantCount: 1,
			mutate: func(h http.Header, b []byte) []byte { h.Set("webhook-id", "msg_other"); return b },
		},
		{
			name: "timestamp 6 minutes old", signWith: []string{current}, secret: current, wantCount: 1,
			verifyAt: now.Add(6 * time.Minute), wantSpec: true, wantErr: webhook.ErrTimestampTolerance,
		},
		{
			name: "timestamp 4 minutes old", signWith: []string{current}, secret: current, wantCount: 1,
			verifyAt: now.Add(4 * time.Minute), wantSpec: true,
		},
		{
			name: "timestamp 6 minutes ahead", signWith: []string{current}, secret: current, wantCount: 1,
			verifyAt: now.Add(-6 * time.Minute), wantSpec: true, wantErr: webhook.ErrTimestampTolerance,
		},
		{
			name: "missing signature header", signWith: []string{current}, secret: current, wantCount: 0,
			mutate: func(h http.Header, b []byte) []byte { h.Del("webhook-signature"); return b }, wantErr: webhook.ErrMissingHeader,
		},
		{
			name: "garbage timestamp", signWith: []string{current}, secret: current, wantCount: 1,
			mutate: func(h http.Header, b []byte) []byte { h.Set("webhook-timestamp", "soon"); return b }, wantErr: webhook.ErrInvalidTimestamp,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sig, err := webhook.Sign(id, now, body, tt.signWith...)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			h := webhook.Headers(id, now, sig)
			got := append([]byte(nil), body...)
			if tt.mutate != nil {
				got = tt.mutate(h, got)
			}
			if n := len(strings.Fields(h.Get("webhook-signature"))); n != tt.wantCount {
				t.Errorf("header has %d signatures, want %d", n, tt.wantCount)
			}
			if h.Get("webhook-signature") != "" {
				if ok := verifySpec(t, tt.secret, h, got); ok != tt.wantSpec {
					t.Errorf("independent verifier: got %v, want %v", ok, tt.wantSpec)
				}
			}
			at := tt.verifyAt
			if at.IsZero() {
				at = now
			}
			err = webhook.Verify(tt.secret, h, got, at, 0)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Verify: got %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	t.Parallel()
	s := newSecret(t)
	tests := []struct {
		name    string
		id      string
		secrets []string
		wantErr string
	}{
		{"no secret", "msg_1", nil, "no secret"},
		{"empty id", "", []string{s}, "empty message id"},
		{"bad second secret", "msg_1", []string{s, "hunter2"}, "secret 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := webhook.Sign(tt.id, time.Now(), []byte("{}"), tt.secrets...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want error containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	ts := time.Unix(1700000000, 999)
	h := webhook.Headers("msg_1", ts, "v1,abc")
	want := map[string]string{
		"webhook-id":        "msg_1",
		"webhook-timestamp": strconv.FormatInt(ts.Unix(), 10),
		"webhook-signature": "v1,abc",
		"Content-Type":      "application/json",
		"User-Agent":        "Ordo-Webhooks/1",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: got %q, want %q", k, got, v)
		}
	}
}

func TestPayloadMarshal(t *testing.T) {
	t.Parallel()
	berlin := time.FixedZone("CET", 3600)
	tests := []struct {
		name    string
		p       webhook.Payload
		want    string
		wantErr string
	}{
		{
			name: "utc timestamp",
			p:    webhook.Payload{Type: "order.created", Timestamp: time.Date(2026, 3, 1, 13, 0, 0, 0, berlin), Data: json.RawMessage(`{"id":"o_1"}`)},
			want: `{"type":"order.created","timestamp":"2026-03-01T12:00:00Z","data":{"id":"o_1"}}`,
		},
		{
			name: "fraction kept, empty data",
			p:    webhook.Payload{Type: "ping", Timestamp: time.Date(2026, 3, 1, 12, 0, 0, 5e8, time.UTC)},
			want: `{"type":"ping","timestamp":"2026-03-01T12:00:00.5Z","data":{}}`,
		},
		{name: "no type", p: webhook.Payload{Timestamp: time.Now()}, wantErr: "empty type"},
		{name: "no timestamp", p: webhook.Payload{Type: "x"}, wantErr: "zero timestamp"},
		{name: "bad data", p: webhook.Payload{Type: "x", Timestamp: time.Now(), Data: json.RawMessage(`{`)}, wantErr: "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.p.Marshal()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			var back webhook.Payload
			if err := json.Unmarshal(got, &back); err != nil || !back.Timestamp.Equal(tt.p.Timestamp) {
				t.Fatalf("round trip: %v, timestamp %v", err, back.Timestamp)
			}
		})
	}
}
