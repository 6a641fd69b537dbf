package webhook

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// offlineResolver answers from /etc/hosts at most: every DNS query fails
// at once, so fuzzing never touches the network.
var offlineResolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
	return nil, errors.New("no network while fuzzing")
}}

// FuzzCheckURL: with the production setting, a URL is accepted only if it
// is an absolute https URL without user info whose host is a public IP
// literal (names cannot resolve here); everything else is a *URLError,
// never a panic or another error.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://93.184.215.14/hook", "https://example.com/hook", "http://93.184.215.14/", "https://127.0.0.1/", "https://[::1]:443/",
		"https://[::ffff:127.0.0.1]/", "https://[::ffff:7f00:1]/", "https://169.254.169.254/latest/meta-data", "https://[fd00:ec2::254]/",
		"https://0x7f.1/", "https://2130706433/", "https://017700000001/", "https://127.1/", "https://[64:ff9b::a9fe:a9fe]/",
		"https://[2002:7f00:1::]/", "https://user:pass@93.184.215.14/", "https://93.184.215.14:0/", "https://93.184.215.14:99999/",
		"https://[fe80::1%25eth0]/", "//93.184.215.14/", "https:93.184.215.14", "https://localhost/", "https://LOCALHOST./",
		"https://93.184.215.14\\@127.0.0.1/", "https://xn--n3h.example/", "https://100.64.0.1/", "https://[::]/", "javascript:alert(1)",
		"https://93.184.215.14/" + strings.Repeat("a", MaxURLLength), "https://\x00/", "https://%31%32%37.0.0.1/",
	} {
		f.Add(s, false)
	}
	f.Add("http://127.0.0.1:9/hook", true)
	f.Add("ftp://127.0.0.1/", true)
	f.Fuzz(func(t *testing.T, raw string, allowPrivate bool) {
		g := Guard{AllowPrivate: allowPrivate, Resolver: offlineResolver}
		err := g.CheckURL(context.Background(), raw)
		if err != nil {
			var ue *URLError
			if !errors.As(err, &ue) || !errors.Is(err, ErrURLNotAllowed) || ue.Reason == "" {
				t.Fatalf("CheckURL(%q) = %T %v, want a *URLError", raw, err, err)
			}
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil || len(raw) > MaxURLLength || u.User != nil || u.Hostname() == "" || u.Opaque != "" {
			t.Fatalf("CheckURL accepted %q", raw)
		}
		if allowPrivate {
			if u.Scheme != "http" && u.Scheme != "https" {
				t.Fatalf("CheckURL accepted scheme %q", u.Scheme)
			}
			return
		}
		if u.Scheme != "https" {
			t.Fatalf("CheckURL accepted %q without https", raw)
		}
		ip, perr := netip.ParseAddr(u.Hostname())
		if perr != nil {
			t.Fatalf("CheckURL accepted %q, whose host %q cannot have resolved", raw, u.Hostname())
		}
		ip = ip.Unmap().WithZone("")
		if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || Forbidden(ip) {
			t.Fatalf("CheckURL accepted %q, a non-public address", raw)
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				t.Fatalf("CheckURL accepted port %q", p)
			}
		}
	})
}

// FuzzVerify: a message signed with a secret verifies; changing its body,
// id or timestamp makes it fail; and arbitrary headers never verify
// unless they carry the true signature. Failures are always one of the
// documented errors.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("0123456789abcdef01234567"), "msg_1", int64(1_800_000_000), []byte(`{"type":"order.created"}`), "msg_1", "1800000000", "v1,AAAA")
	f.Add([]byte{}, "", int64(0), []byte{}, "", "", "")
	f.Add([]byte("k"), "id", int64(-1), []byte("x"), "id", "-1", "v1, v1,==== v2,abc  v1,")
	f.Add([]byte(strings.Repeat("s", 100)), "a b", int64(1<<62), []byte("\xff\x00"), "a b", "+1800000000", "v1a,xyz\tv1,"+base64.StdEncoding.EncodeToString(make([]byte, 32)))
	f.Add([]byte("0123456789abcdef01234567"), "x", int64(1_800_000_000), []byte("b"), "x", "1800000000 ", "v1,"+strings.Repeat("A", 4000))
	f.Fuzz(func(t *testing.T, key []byte, id string, unix int64, body []byte, hid, hts, hsig string) {
		// A valid secret from the fuzzed bytes: 24 to 64 bytes.
		k := append(append([]byte(nil), key...), make([]byte, 24)...)
		if len(k) > 64 {
			k = k[:64]
		}
		secret := SecretPrefix + base64.StdEncoding.EncodeToString(k)
		now := time.Unix(unix, 0)
		documented := func(err error) bool {
			return errors.Is(err, ErrMissingHeader) || errors.Is(err, ErrInvalidTimestamp) || errors.Is(err, ErrTimestampTolerance) || errors.Is(err, ErrNoMatchingSig)
		}

		var want string
		if id != "" {
			sig, err := Sign(id, now, body, secret)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			want = sig
			h := Headers(id, now, sig)
			if err := Verify(secret, h, body, now, 0); err != nil {
				t.Fatalf("own signature refused: %v", err)
			}
			tampered := append(append([]byte(nil), body...), '!')
			if err := Verify(secret, h, tampered, now, 0); !errors.Is(err, ErrNoMatchingSig) {
				t.Fatalf("tampered body: %v", err)
			}
			h2 := Headers(id+"x", now, sig)
			if err := Verify(secret, h2, body, now, 0); !errors.Is(err, ErrNoMatchingSig) {
				t.Fatalf("tampered id: %v", err)
			}
			if unix < 1<<62 {
				h3 := Headers(id, now.Add(time.Second), sig)
				if err := Verify(secret, h3, body, now, 0); !errors.Is(err, ErrNoMatchingSig) {
					t.Fatalf("tampered timestamp: %v", err)
				}
			}
		}

		// Arbitrary headers.
		h := http.Header{}
		h.Set(HeaderID, hid)
		h.Set(HeaderTimestamp, hts)
		h.Set(HeaderSignature, hsig)
		err := Verify(secret, h, body, now, time.Minute)
		if err != nil {
			if !documented(err) {
				t.Fatalf("Verify error %v is none of the documented ones", err)
			}
			return
		}
		// Accepted: the header must hold the true signature of what it names.
		ts, perr := strconv.ParseInt(hts, 10, 64)
		if perr != nil || hid == "" {
			t.Fatalf("accepted id %q timestamp %q", hid, hts)
		}
		real, _ := Sign(hid, time.Unix(ts, 0), body, secret)
		found := false
		for _, s := range strings.Fields(hsig) {
			if b, ok := strings.CutPrefix(s, "v1,"); ok {
				got, err := base64.StdEncoding.DecodeString(b)
				wantRaw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(real, "v1,"))
				if err == nil && string(got) == string(wantRaw) {
					found = true
				}
			}
		}
		if !found {
			t.Fatalf("forged signature %q accepted (true one %q, own %q)", hsig, real, want)
		}
		// And with another secret it fails.
		other := SecretPrefix + base64.StdEncoding.EncodeToString(append([]byte{k[0] ^ 1}, k[1:]...))
		if err := Verify(other, h, body, now, time.Minute); !errors.Is(err, ErrNoMatchingSig) {
			t.Fatalf("verified with another secret: %v", err)
		}
	})
}
