package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordo/ordo/internal/webhook"
)

func TestForbidden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ip   string
		want bool
	}{
		// Allowed: ordinary public addresses.
		{"93.184.215.14", false},
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"2606:4700:4700::1111", false},
		{"::ffff:8.8.8.8", false},
		{"64:ff9b::808:808", false}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", false},  // 6to4 of 8.8.8.8
		{"172.32.0.1", false},       // just past 172.16/12
		{"100.128.0.1", false},      // just past 100.64/10
		{"11.0.0.1", false},

		// Loopback.
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"::1", true},
		// Private.
		{"10.0.0.1", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		// Link-local and cloud metadata.
		{"169.254.0.1", true},
		{"169.254.169.254", true},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"fd00:ec2::254", true},
		// CGNAT, unspecified, "this network", broadcast, reserved.
		{"100.64.0.1", true},
		{"100.127.255.255", true},
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"::", true},
		{"255.255.255.255", true},
		{"240.0.0.1", true},
		{"198.18.0.1", true},
		{"192.0.2.1", true},
		{"2001:db8::1", true},
		// Multicast.
		{"224.0.0.1", true},
		{"239.255.255.250", true},
		{"ff02::1", true},
		// IPv4-mapped IPv6 forms.
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"::ffff:100.64.0.1", true},
		{"::ffff:0.0.0.0", true},
		// IPv4 embedded in NAT64, 6to4; Teredo; IPv4-compatible.
		{"64:ff9b::7f00:1", true},
		{"64:ff9b::a9fe:a9fe", true},
		{"2002:7f00:1::1", true},
		{"2002:a00:1::1", true},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", true},
		{"::7f00:1", true},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			t.Parallel()
			ip := netip.MustParseAddr(tt.ip)
			if got := webhook.Forbidden(ip); got != tt.want {
				t.Fatalf("Forbidden(%s) = %v, want %v", tt.ip, got, tt.want)
			}
		})
	}
	if !webhook.Forbidden(netip.Addr{}) {
		t.Error("the zero Addr must be forbidden")
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		allowPrivate bool
		url          string
		wantErr      string // substring; "" means accepted
	}{
		{name: "public https ip", url: "https://93.184.215.14/hooks"},
		{name: "public https ip with port", url: "https://93.184.215.14:8443/hooks?x=1"},
		{name: "public https ipv6", url: "https://[2606:4700:4700::1111]/hooks"},

		{name: "http", url: "http://93.184.215.14/hooks", wantErr: "url must use https"},
		{name: "ftp", url: "ftp://93.184.215.14/", wantErr: "url must use https"},
		{name: "empty", url: "", wantErr: "url is required"},
		{name: "relative", url: "/hooks", wantErr: "must be absolute"},
		{name: "opaque", url: "https:example.com", wantErr: "must be absolute"},
		{name: "no host", url: "https:///hooks", wantErr: "must have a host"},
		{name: "userinfo", url: "https://user:pw@93.184.215.14/", wantErr: "user name or password"},
		{name: "bad port", url: "https://93.184.215.14:99999/", wantErr: "invalid port"},
		{name: "unparsable", url: "https://exa mple.com/%zz", wantErr: "not a valid URL"},
		{name: "too long", url: "https://93.184.215.14/" + strings.Repeat("a", 2048), wantErr: "longer than 2048"},

		{name: "loopback", url: "https://127.0.0.1/", wantErr: "url points to a loopback address (127.0.0.1), which webhooks may not target"},
		{name: "private", url: "https://10.0.0.1/", wantErr: "url points to a private address (10.0.0.1)"},
		{name: "metadata", url: "https://169.254.169.254/latest/meta-data/", wantErr: "a cloud metadata address (169.254.169.254)"},
		{name: "ipv6 loopback", url: "https://[::1]:8443/", wantErr: "a loopback address (::1)"},
		{name: "mapped loopback", url: "https://[::ffff:127.0.0.1]/", wantErr: "a loopback address (127.0.0.1)"},
		{name: "cgnat", url: "https://100.64.1.1/", wantErr: "carrier-grade NAT"},
		{name: "localhost resolves to loopback", url: "https://localhost/", wantErr: "url resolves to a loopback address"},
		// Short numeric forms are not IP literals to netip; whatever the
		// resolver makes of them, they must not get through.
		{name: "short numeric form", url: "https://127.1/", wantErr: "127.1"},
		{name: "unresolvable", url: "https://no-such-host.invalid/", wantErr: "could not be resolved"},

		{name: "dev: http localhost", allowPrivate: true, url: "http://localhost:8080/hooks"},
		{name: "dev: https loopback", allowPrivate: true, url: "https://127.0.0.1/hooks"},
		{name: "dev: still no ftp", allowPrivate: true, url: "ftp://127.0.0.1/", wantErr: "url must use https"},
		{name: "dev: still no userinfo", allowPrivate: true, url: "http://a:b@127.0.0.1/", wantErr: "user name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := webhook.Guard{AllowPrivate: tt.allowPrivate}.CheckURL(ctx, tt.url)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want error containing %q", tt.wantErr)
			}
			if !errors.Is(err, webhook.ErrURLNotAllowed) {
				t.Errorf("error %v does not match ErrURLNotAllowed", err)
			}
			var ue *webhook.URLError
			if !errors.As(err, &ue) {
				t.Errorf("error %T is not a *URLError", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestCheckURLCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := webhook.Guard{}.CheckURL(ctx, "https://example.com/")
	if err == nil {
		t.Skip("resolver answered without looking at the context")
	}
	if errors.Is(err, webhook.ErrURLNotAllowed) || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want a context.Canceled that is not ErrURLNotAllowed", err)
	}
}

// countingServer counts requests that reach it.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestClient(t *testing.T) {
	t.Parallel()
	target, targetHits := countingServer(t, nil)
	redirector, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusFound)
	})
	localhostURL := strings.Replace(target.URL, "127.0.0.1", "localhost", 1)

	tests := []struct {
		name         string
		allowPrivate bool
		url          string
		wantStatus   int
		wantErr      string
		wantHits     int64 // on target
	}{
		{
			// CheckURL was skipped (or the name was rebound): the dialer
			// still refuses.
			name: "loopback refused at dial", url: target.URL,
			wantErr: "refused: address 127.0.0.1 is a loopback address, which webhooks may not target",
		},
		{
			name: "name resolving to loopback refused at dial", url: localhostURL,
			wantErr: "is a loopback address",
		},
		{name: "dev: reachable", allowPrivate: true, url: target.URL, wantStatus: http.StatusOK, wantHits: 1},
		{name: "dev: redirect not followed", allowPrivate: true, url: redirector.URL, wantStatus: http.StatusFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: the subtests share target's hit counter.
			before := targetHits.Load()
			c := webhook.Guard{AllowPrivate: tt.allowPrivate}.Client(5 * time.Second)
			res := webhook.Send(context.Background(), c, webhook.Request{
				URL: tt.url, ID: "msg_1", Body: []byte(`{}`), Secrets: []string{newSecret(t)},
			}, time.Now())
			if res.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d (error %q)", res.StatusCode, tt.wantStatus, res.Error)
			}
			if tt.wantErr == "" && res.Error != "" || !strings.Contains(res.Error, tt.wantErr) {
				t.Errorf("error %q, want it to contain %q", res.Error, tt.wantErr)
			}
			if got := targetHits.Load() - before; got != tt.wantHits {
				t.Errorf("target hit %d times, want %d", got, tt.wantHits)
			}
			if tt.wantStatus == http.StatusFound && res.OK() {
				t.Error("a redirect must not count as OK")
			}
		})
	}
}
