package webhook_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ordo/ordo/internal/webhook"
)

func TestSend(t *testing.T) {
	t.Parallel()
	secret := newSecret(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"type":"order.created","timestamp":"2026-03-01T12:00:00Z","data":{"id":"o_1"}}`)

	tests := []struct {
		name        string
		handler     http.HandlerFunc
		timeout     time.Duration
		wantStatus  int
		wantOK      bool
		wantGone    bool
		wantSnippet func(string) bool
		wantErr     string
		wantRetry   time.Duration
	}{
		{
			name: "2xx with body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusAccepted)
				io.WriteString(w, "  thanks\n")
			},
			wantStatus: http.StatusAccepted, wantOK: true,
			wantSnippet: func(s string) bool { return s == "thanks" },
		},
		{
			name: "snippet capped at 4 KiB",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, strings.Repeat("x", 100<<10))
			},
			wantStatus: http.StatusOK, wantOK: true,
			wantSnippet: func(s string) bool { return len(s) == 4096 },
		},
		{
			name: "rune cut at the cap is dropped",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, strings.Repeat("x", 4095)+"é and more")
			},
			wantStatus: http.StatusOK, wantOK: true,
			wantSnippet: func(s string) bool { return len(s) == 4095 && utf8.ValidString(s) },
		},
		{
			name: "invalid UTF-8 replaced",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte("bad\xff\xfeinput"))
			},
			wantStatus:  http.StatusBadRequest,
			wantSnippet: func(s string) bool { return s == "bad\uFFFDinput" },
		},
		{
			name:       "410 means gone",
			handler:    func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) },
			wantStatus: http.StatusGone, wantGone: true,
		},
		{
			name: "503 with Retry-After",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "120")
				w.WriteHeader(http.StatusServiceUnavailable)
			},
			wantStatus: http.StatusServiceUnavailable, wantRetry: 2 * time.Minute,
		},
		{
			name: "Retry-After ignored on success",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "120")
			},
			wantStatus: http.StatusOK, wantOK: true,
		},
		{
			name: "timeout",
			handler: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			},
			timeout: 200 * time.Millisecond,
			wantErr: "timed out after 200ms",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			type received struct {
				header http.Header
				body   []byte
			}
			got := make(chan received, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got <- received{r.Header.Clone(), b}
				tt.handler(w, r)
			}))
			defer srv.Close()

			c := webhook.Guard{AllowPrivate: true}.Client(tt.timeout)
			res := webhook.Send(context.Background(), c, webhook.Request{
				URL: srv.URL + "/hooks", ID: "msg_1", Body: body, Secrets: []string{secret},
			}, now)

			if res.StatusCode != tt.wantStatus || res.OK() != tt.wantOK || res.Gone != tt.wantGone {
				t.Errorf("got status %d ok %v gone %v, want %d %v %v (error %q)",
					res.StatusCode, res.OK(), res.Gone, tt.wantStatus, tt.wantOK, tt.wantGone, res.Error)
			}
			if !strings.Contains(res.Error, tt.wantErr) || tt.wantErr == "" && res.Error != "" {
				t.Errorf("error %q, want %q", res.Error, tt.wantErr)
			}
			if res.RetryAfter != tt.wantRetry {
				t.Errorf("RetryAfter %v, want %v", res.RetryAfter, tt.wantRetry)
			}
			if tt.wantSnippet != nil && !tt.wantSnippet(res.ResponseSnippet) {
				t.Errorf("unexpected snippet (%d bytes): %.80q", len(res.ResponseSnippet), res.ResponseSnippet)
			}
			if res.Latency <= 0 {
				t.Errorf("latency %v, want > 0", res.Latency)
			}
			if tt.timeout > 0 && res.Latency > 3*time.Second {
				t.Errorf("latency %v: the timeout did not cut the attempt short", res.Latency)
			}

			if tt.wantErr != "" {
				return
			}
			rcv := <-got
			gotHeader, gotBody := rcv.header, rcv.body
			if string(gotBody) != string(body) {
				t.Errorf("receiver got body %q", gotBody)
			}
			for k, want := range map[string]string{
				"webhook-id":        "msg_1",
				"webhook-timestamp": "1772366400",
				"Content-Type":      "application/json",
				"User-Agent":        "Ordo-Webhooks/1",
			} {
				if got := gotHeader.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if !verifySpec(t, secret, gotHeader, gotBody) {
				t.Error("signature does not verify")
			}
			if err := webhook.Verify(secret, gotHeader, gotBody, now.Add(time.Minute), 0); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func TestSendNetworkErrors(t *testing.T) {
	t.Parallel()
	// A port that was just listening and is now closed: connection refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + l.Addr().String()
	l.Close()

	// A server that hangs up without answering.
	hangup := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(hangup.Close) // not defer: the parallel subtests run after this function returns

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	secret := newSecret(t)
	dev := webhook.Guard{AllowPrivate: true}.Client(2 * time.Second)

	tests := []struct {
		name    string
		ctx     context.Context
		client  *http.Client
		req     webhook.Request
		wantErr string
	}{
		{name: "connection refused", client: dev, req: webhook.Request{URL: closedURL}, wantErr: "connection refused"},
		{name: "hang-up", client: dev, req: webhook.Request{URL: hangup.URL}, wantErr: "connection closed by the server"},
		{name: "refused by guard", client: webhook.Guard{}.Client(0), req: webhook.Request{URL: "http://10.0.0.1/"},
			wantErr: "refused: address 10.0.0.1 is a private address"},
		{name: "canceled", ctx: canceled, client: dev, req: webhook.Request{URL: hangup.URL}, wantErr: "canceled"},
		{name: "nil client", req: webhook.Request{URL: hangup.URL}, wantErr: "no HTTP client"},
		{name: "bad secret", client: dev, req: webhook.Request{URL: hangup.URL, Secrets: []string{"nope"}}, wantErr: "secret 1"},
		{name: "bad url", client: dev, req: webhook.Request{URL: "http://a b/"}, wantErr: "invalid url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			req := tt.req
			req.ID, req.Body = "msg_1", []byte("{}")
			if req.Secrets == nil {
				req.Secrets = []string{secret}
			}
			res := webhook.Send(ctx, tt.client, req, time.Now())
			if res.StatusCode != 0 || res.OK() {
				t.Errorf("status %d, want none", res.StatusCode)
			}
			if !strings.Contains(res.Error, tt.wantErr) {
				t.Errorf("error %q, want it to contain %q", res.Error, tt.wantErr)
			}
		})
	}
}
