package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/store"
)

// PageTargetMs is issue 19's target for a server-rendered page: p50 at
// most 5 ms on a tenant of 500,000 orders.
const PageTargetMs = 5.0

// PageResult is the latency of one server-rendered page of the largest
// tenant, one client with a session, sequential requests.
type PageResult struct {
	Engine       string  `json:"engine"`
	Page         string  `json:"page"` // what the page is, e.g. "GET /app/orders (second page)"
	Path         string  `json:"path"` // the path and query requested
	TenantOrders int     `json:"tenant_orders"`
	Requests     int     `json:"requests"`
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
	Errors       int     `json:"errors"`
	FirstError   string  `json:"first_error,omitempty"`
	// Bytes is the body as sent (gzipped when the server compressed it),
	// HTMLBytes the page itself.
	Bytes     int     `json:"bytes"`
	HTMLBytes int     `json:"html_bytes"`
	Encoding  string  `json:"content_encoding,omitempty"`
	TargetMs  float64 `json:"target_p50_ms"`
	Met       bool    `json:"target_met"`
}

// nextLink finds the orders list's "Next page" link (layout.html, the
// "pager" template).
var nextLink = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)

// benchPages logs in as an owner of the dataset's largest tenant, over
// loopback through Ordo's handler as a browser does (session cookie,
// Accept-Encoding: gzip), and measures the pages a user opens most:
// the dashboard, the orders list and its second page, an order, and the
// audit log. One client, requests in a row, so that only each page's own
// cost shows. A page that does not answer 200 with HTML when first
// fetched (a redirect to /login: the session did not work) fails the
// run rather than being reported.
func benchPages(ctx context.Context, engine string, ordo *Ordo, ds *dataset, requests int) ([]PageResult, error) {
	if len(ds.flat) == 0 {
		return nil, errors.New("no tenants in the dataset")
	}
	// ds.flat is sorted smallest first: its last tenant is the largest,
	// and its middle cursor names one of that tenant's orders, half-way
	// down the list (not among the recent ones the dashboard shows).
	big := len(ds.flat) - 1
	t, mid := ds.flat[big], ds.flatMids[big]
	email, password, err := createPageUser(ctx, ordo.Store, ds.tenants[t])
	if err != nil {
		return nil, err
	}
	base, stop, err := serveLoopback(ordo.Handler)
	if err != nil {
		return nil, err
	}
	defer stop()
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	client := newClient(1)
	defer client.CloseIdleConnections()
	client.Jar = jar
	// A redirect is an answer to check, not to follow: /login means the
	// session is not there.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	if err := pageLogin(ctx, client, base, email, password); err != nil {
		return nil, err
	}
	first, err := fetchPage(ctx, client, base+"/app/orders")
	if err != nil {
		return nil, err
	}
	m := nextLink.FindSubmatch(first.html)
	if m == nil {
		return nil, fmt.Errorf("/app/orders of a tenant of %d orders has no next-page link", ds.perTenant[t])
	}
	second := html.UnescapeString(string(m[1]))
	if !strings.HasPrefix(second, "/app/orders?") {
		return nil, fmt.Errorf("/app/orders: unexpected next-page link %q", second)
	}
	pages := []struct{ name, path string }{
		{"GET /app (dashboard)", "/app"},
		{"GET /app/orders (first page)", "/app/orders"},
		{"GET /app/orders?cursor= (second page)", second},
		{"GET /app/orders/{id}", "/app/orders/" + mid.ID.String()},
		{"GET /app/audit", "/app/audit"},
	}
	warm := min(max(requests/10, 1), 20)
	var out []PageResult
	for _, pg := range pages {
		r := PageResult{Engine: engine, Page: pg.name, Path: pg.path, TenantOrders: ds.perTenant[t], Requests: requests, TargetMs: PageTargetMs}
		// Warm up, and check the page once: a failure here is fatal.
		for range warm {
			f, err := fetchPage(ctx, client, base+pg.path)
			if err != nil {
				return out, fmt.Errorf("%s: %w", pg.name, err)
			}
			r.Bytes, r.HTMLBytes, r.Encoding = f.wire, len(f.html), f.encoding
		}
		lat := make([]time.Duration, 0, requests)
		for range requests {
			f, err := fetchPage(ctx, client, base+pg.path)
			if errors.Is(err, errLoggedOut) {
				return out, fmt.Errorf("%s: %w", pg.name, err)
			}
			if err != nil {
				r.Errors++
				if r.FirstError == "" {
					r.FirstError = err.Error()
				}
				continue
			}
			lat = append(lat, f.elapsed)
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		slices.Sort(lat)
		r.P50Ms, r.P99Ms = percentile(lat, 0.5), percentile(lat, 0.99)
		r.Met = r.Errors == 0 && len(lat) > 0 && r.P50Ms <= PageTargetMs
		out = append(out, r)
	}
	return out, nil
}

// createPageUser makes a verified user with a password, owner of tenant.
func createPageUser(ctx context.Context, st store.Store, tenant uuid.UUID) (email, password string, err error) {
	h, err := account.NewHasher(nil)
	if err != nil {
		return "", "", err
	}
	password = "bench-" + randomHex(12)
	hash, err := h.Hash(password)
	if err != nil {
		return "", "", fmt.Errorf("hash password: %w", err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	u := account.User{ID: uuid.Must(uuid.NewV7()), Email: "bench-pages-" + randomHex(5) + "@example.com", Name: "Bench Pages",
		PasswordHash: hash, EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	if err := st.UserCreate(ctx, u); err != nil {
		return "", "", fmt.Errorf("create user: %w", err)
	}
	if err := st.MembershipCreate(ctx, account.Membership{TenantID: tenant, UserID: u.ID, Role: access.RoleOwner, CreatedAt: now, UpdatedAt: now}); err != nil {
		return "", "", fmt.Errorf("create membership: %w", err)
	}
	return u.Email, password, nil
}

// pageLogin starts a session in client's cookie jar.
func pageLogin(ctx context.Context, client *http.Client, base, email, password string) error {
	body := fmt.Appendf(nil, `{"email":%q,"password":%q}`, email, password)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("log in: %w", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("log in: %s %s", res.Status, bytes.TrimSpace(raw[:min(len(raw), 300)]))
	}
	return nil
}

// errLoggedOut is a page answered with a redirect to /login.
var errLoggedOut = errors.New("redirected to /login: the session did not work")

// fetched is one page as the client got it.
type fetched struct {
	elapsed  time.Duration // until the last byte of the body
	wire     int
	encoding string
	html     []byte
}

// fetchPage GETs u as a browser does and checks that the answer is a
// page: 200 with HTML.
func fetchPage(ctx context.Context, client *http.Client, u string) (fetched, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fetched{}, err
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	// Set by hand, the transport leaves the body as it came.
	req.Header.Set("Accept-Encoding", "gzip")
	t0 := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return fetched{}, err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	f := fetched{elapsed: time.Since(t0), wire: len(raw), encoding: res.Header.Get("Content-Encoding"), html: raw}
	if err != nil {
		return f, err
	}
	if loc := res.Header.Get("Location"); res.StatusCode/100 == 3 && strings.HasPrefix(loc, "/login") {
		return f, errLoggedOut
	}
	if f.encoding == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return f, fmt.Errorf("gunzip: %w", err)
		}
		if f.html, err = io.ReadAll(zr); err != nil {
			return f, fmt.Errorf("gunzip: %w", err)
		}
	}
	if res.StatusCode != http.StatusOK {
		return f, fmt.Errorf("%s: %s", u, res.Status)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !bytes.Contains(f.html, []byte("</html>")) {
		return f, fmt.Errorf("%s: not an HTML page (%s, %d bytes)", u, ct, len(f.html))
	}
	return f, nil
}
