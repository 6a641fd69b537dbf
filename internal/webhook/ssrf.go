package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// MaxURLLength is the longest endpoint URL CheckURL accepts.
const MaxURLLength = 2048

// DefaultTimeout is the whole-attempt timeout Client uses when given 0.
const DefaultTimeout = 10 * time.Second

// ErrURLNotAllowed matches (with errors.Is) every *URLError: the endpoint
// URL is malformed or targets an address webhooks may not reach. Callers
// map it to a 422 on field "url" and may show the error text as is.
var ErrURLNotAllowed = errors.New("webhook url not allowed")

// URLError explains why a URL or address was refused. Its text is written
// for the API user and never contains secrets.
type URLError struct {
	// Reason is the client-safe explanation, e.g. "url must use https".
	Reason string
	// Err is the underlying cause, if any (a DNS error, say); for logs.
	Err error
}

func (e *URLError) Error() string { return e.Reason }

// Unwrap returns the underlying cause.
func (e *URLError) Unwrap() error { return e.Err }

// Is reports whether target is ErrURLNotAllowed.
func (e *URLError) Is(target error) bool { return target == ErrURLNotAllowed }

// Guard keeps webhooks from being pointed at our own network (SSRF): the
// loopback interface, private ranges, cloud metadata endpoints and so on.
// The zero value is the production setting.
type Guard struct {
	// AllowPrivate turns the address checks off and allows plain http.
	// Only for development and tests, where receivers run on localhost.
	AllowPrivate bool
	// Resolver resolves host names; nil means net.DefaultResolver.
	Resolver *net.Resolver
}

func (g Guard) resolver() *net.Resolver {
	if g.Resolver != nil {
		return g.Resolver
	}
	return net.DefaultResolver
}

// CheckURL validates an endpoint URL when a tenant registers or changes
// it: it must be an absolute https URL (http too when AllowPrivate) with a
// host, no user info, and at most MaxURLLength bytes. Unless AllowPrivate,
// the host is resolved now and refused if any of its addresses is
// Forbidden.
//
// Errors that are the user's to fix are *URLError (errors.Is
// ErrURLNotAllowed); that includes a host that does not resolve, which can
// also be a passing DNS failure. Cancellation of ctx is returned as a
// wrapped ctx.Err() instead.
//
// CheckURL alone does not stop DNS rebinding (the name can resolve
// elsewhere later): deliveries must go through Guard.Client, which checks
// the address actually dialled.
func (g Guard) CheckURL(ctx context.Context, rawURL string) error {
	if rawURL == "" {
		return &URLError{Reason: "url is required"}
	}
	if len(rawURL) > MaxURLLength {
		return &URLError{Reason: fmt.Sprintf("url is longer than %d characters", MaxURLLength)}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return &URLError{Reason: "url is not a valid URL", Err: err}
	}
	if !u.IsAbs() || u.Opaque != "" {
		return &URLError{Reason: "url must be absolute, starting with https://"}
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && g.AllowPrivate:
	default:
		return &URLError{Reason: "url must use https"}
	}
	if u.User != nil {
		return &URLError{Reason: "url must not contain a user name or password"}
	}
	host := u.Hostname()
	if host == "" {
		return &URLError{Reason: "url must have a host"}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return &URLError{Reason: "url has an invalid port"}
		}
	}
	if g.AllowPrivate {
		return nil
	}

	if ip, err := netip.ParseAddr(host); err == nil {
		if why := forbiddenReason(ip); why != "" {
			return &URLError{Reason: fmt.Sprintf("url points to %s (%s), which webhooks may not target", why, ip.Unmap().WithZone(""))}
		}
		return nil
	}
	addrs, err := g.resolver().LookupNetIP(ctx, "ip", host)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("check webhook url: resolve %s: %w", host, ctx.Err())
		}
		return &URLError{Reason: fmt.Sprintf("url host %s could not be resolved", host), Err: err}
	}
	if len(addrs) == 0 {
		return &URLError{Reason: fmt.Sprintf("url host %s has no addresses", host)}
	}
	// Any forbidden address refuses the URL: the dialer may pick any of
	// them, and a name that mixes public and private addresses is suspect.
	for _, ip := range addrs {
		if why := forbiddenReason(ip); why != "" {
			return &URLError{Reason: fmt.Sprintf("url resolves to %s (%s), which webhooks may not target", why, ip.Unmap().WithZone(""))}
		}
	}
	return nil
}

// Forbidden reports whether webhooks may not connect to ip. It covers
// unspecified, loopback, private (RFC 1918 and IPv6 unique-local
// fc00::/7), link-local (including the cloud metadata addresses
// 169.254.169.254 and fd00:ec2::254), carrier-grade NAT 100.64.0.0/10,
// multicast, broadcast, 0.0.0.0/8 and the other reserved, documentation
// and benchmarking ranges. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are
// judged by their IPv4 address, as are the IPv4 addresses embedded in
// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses. Teredo (2001::/32)
// is refused outright rather than decoded. An invalid Addr is forbidden.
func Forbidden(ip netip.Addr) bool { return forbiddenReason(ip) != "" }

type prefixReason struct {
	prefix netip.Prefix
	reason string
}

// Ranges the netip.Addr predicates do not cover. Order matters only for
// the wording of the error.
var forbiddenPrefixes = []prefixReason{
	{netip.MustParsePrefix("169.254.169.254/32"), "a cloud metadata address"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "a cloud metadata address"},
	{netip.MustParsePrefix("255.255.255.255/32"), "a broadcast address"},
	{netip.MustParsePrefix("0.0.0.0/8"), "a reserved address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "a reserved address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("::/96"), "a reserved address"}, // IPv4-compatible, deprecated
	{netip.MustParsePrefix("100::/64"), "a reserved address"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a private address"}, // local-use NAT64
	{netip.MustParsePrefix("fec0::/10"), "a private address"},      // site-local, deprecated
}

var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// forbiddenReason returns why ip may not be targeted as a noun phrase
// ("a loopback address"), or "" if it may.
func forbiddenReason(ip netip.Addr) string {
	if !ip.IsValid() {
		return "an invalid address"
	}
	ip = ip.Unmap().WithZone("")
	for _, p := range forbiddenPrefixes[:2] { // metadata first: the clearest wording
		if p.prefix.Contains(ip) {
			return p.reason
		}
	}
	switch {
	case ip.IsUnspecified():
		return "an unspecified address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		return "a private address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address"
	case ip.IsMulticast():
		return "a multicast address"
	}
	for _, p := range forbiddenPrefixes[2:] {
		if p.prefix.Contains(ip) {
			return p.reason
		}
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64Prefix.Contains(ip):
			return forbiddenReason(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			return forbiddenReason(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return ""
}

// dialControl runs after DNS resolution, once per address the dialer
// tries, so it sees what is really connected to; a name that resolved to
// a public address at CheckURL time and to 127.0.0.1 now is refused here.
func dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &URLError{Reason: fmt.Sprintf("refused: cannot check address %q", address), Err: err}
	}
	if why := forbiddenReason(ap.Addr()); why != "" {
		return &URLError{Reason: fmt.Sprintf("refused: address %s is %s, which webhooks may not target", ap.Addr().Unmap().WithZone(""), why)}
	}
	return nil
}

// Client returns the HTTP client for deliveries. Unless AllowPrivate, it
// refuses to connect to Forbidden addresses, checked on the address
// actually dialled (so DNS rebinding does not help). It never uses a
// proxy from the environment, which would hide the real destination, and
// it does not follow redirects: a 3xx is returned as the response, and
// Result.OK reports it as a failure. timeout bounds the whole attempt,
// including reading the body; 0 means DefaultTimeout.
//
// Make one Client per Guard and reuse it: it pools connections.
func (g Guard) Client(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	phase := min(timeout, 5*time.Second) // connect and TLS handshake
	d := &net.Dialer{Timeout: phase, KeepAlive: 30 * time.Second, Resolver: g.Resolver}
	if !g.AllowPrivate {
		d.Control = dialControl
	}
	t := &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true, // a custom DialContext turns HTTP/2 off otherwise
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    phase,
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: t,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
