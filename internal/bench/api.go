package bench

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
)

func (b *sqliteBaseline) db() *sql.DB { return b.s.DB() }

// Stats are one side of one API measurement: medians over the rounds.
type Stats struct {
	ReqPerSec float64   `json:"req_per_sec"`
	P50Ms     float64   `json:"p50_ms"`
	P99Ms     float64   `json:"p99_ms"`
	Requests  int64     `json:"requests"`
	Errors    int64     `json:"errors"`
	Rounds    []float64 `json:"rounds_req_per_sec"`
	// FirstError is the first failed response, to tell why.
	FirstError string `json:"first_error,omitempty"`
}

// APIResult is Ordo against the bare baseline for one endpoint.
type APIResult struct {
	Engine string `json:"engine"`
	// Mode is "in-process" (Ordo's handler and the baseline served by
	// the harness's own process) or "external" (each a process of its
	// own, see external.go).
	Mode     string  `json:"mode"`
	Name     string  `json:"name"`
	Ordo     Stats   `json:"ordo"`
	Baseline Stats   `json:"baseline"`
	Ratio    float64 `json:"ratio"`     // Ordo req/s ÷ baseline req/s
	P99Ratio float64 `json:"p99_ratio"` // Ordo p99 ÷ baseline p99
}

// endpoint is one API call, built for each side.
type endpoint struct {
	name string
	ordo func(rng *rand.Rand) *http.Request
	base func(rng *rand.Rand) *http.Request
}

// round is one side's measurement over one duration.
type round struct {
	reqs, errs int64
	secs       float64
	lat        []time.Duration
	firstErr   string
}

// load runs c clients in a loop for d, each sending mk's requests on
// keep-alive connections, and records latencies of successful answers.
func load(ctx context.Context, client *http.Client, c int, d time.Duration, mk func(rng *rand.Rand) *http.Request) round {
	var mu sync.Mutex
	var r round
	var errs atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range c {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			lat := make([]time.Duration, 0, 1024)
			var first string
			for time.Now().Before(deadline) && ctx.Err() == nil {
				req := mk(rng).WithContext(ctx)
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					if first == "" {
						first = err.Error()
					}
					continue
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				el := time.Since(t0)
				if res.StatusCode >= 300 {
					errs.Add(1)
					if first == "" {
						first = fmt.Sprintf("%d %s", res.StatusCode, bytes.TrimSpace(body[:min(len(body), 300)]))
					}
					continue
				}
				lat = append(lat, el)
			}
			mu.Lock()
			r.lat = append(r.lat, lat...)
			if r.firstErr == "" {
				r.firstErr = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	r.secs = time.Since(start).Seconds()
	r.reqs = int64(len(r.lat))
	r.errs = errs.Load()
	return r
}

func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)-1, int(p*float64(len(sorted))))
	return float64(sorted[i]) / float64(time.Millisecond)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// summarize takes the median of each figure over the rounds.
func summarize(rs []round) Stats {
	var st Stats
	var rps, p50, p99 []float64
	for _, r := range rs {
		slices.Sort(r.lat)
		rps = append(rps, float64(r.reqs)/r.secs)
		p50 = append(p50, percentile(r.lat, 0.50))
		p99 = append(p99, percentile(r.lat, 0.99))
		st.Requests += r.reqs
		st.Errors += r.errs
		if st.FirstError == "" {
			st.FirstError = r.firstErr
		}
	}
	st.ReqPerSec, st.P50Ms, st.P99Ms, st.Rounds = median(rps), median(p50), median(p99), rps
	return st
}

// serveLoopback serves h on a 127.0.0.1 port until the returned function
// is called.
func serveLoopback(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

func newClient(c int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * c, MaxIdleConnsPerHost: c, MaxConnsPerHost: c,
		IdleConnTimeout: 90 * time.Second, DisableCompression: true}, Timeout: 30 * time.Second}
}

// createBody is a POST /api/v1/orders body with 3 items.
func createBody(rng *rand.Rand) []byte {
	c := rng.IntN(len(customerNames))
	b := fmt.Appendf(nil, `{"customer_name":%q,"customer_email":%q,"currency":"EUR","external_ref":"BENCH-%d","items":[`, customerNames[c], customerEmails[c], rng.IntN(1_000_000))
	for i := range 3 {
		if i > 0 {
			b = append(b, ',')
		}
		p := products[rng.IntN(len(products))]
		b = fmt.Appendf(b, `{"sku":%q,"name":%q,"quantity":%d,"unit_price":%d,"tax_rate_bp":2000}`, p.sku, p.name, rng.IntN(3)+1, p.price)
	}
	return append(b, "]}"...)
}

// getReq is a GET of u, with the API key unless key is empty (the
// baseline takes none).
func getReq(u, key string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return req
}

// createReq is a POST of an order of 3 items (createBody) to u, with the
// API key and a fresh Idempotency-Key unless key is empty.
func createReq(u, key string, rng *rand.Rand) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(createBody(rng)))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Idempotency-Key", uuid.NewString())
	}
	return req
}

// benchAPI measures each endpoint on Ordo's real handler and on the bare
// baseline, over loopback, in alternating rounds.
func benchAPI(ctx context.Context, o Options, engine string, ordo *Ordo, b backend, ds *dataset) ([]APIResult, error) {
	tenantID := ds.tenants[0]
	_, key, err := ordo.Auth.CreateAPIKey(ctx, access.Operator(tenantID), "ordo bench", access.RoleAdmin, nil, access.Meta{UserAgent: "ordo bench"})
	if err != nil {
		return nil, fmt.Errorf("create API key: %w", err)
	}
	ordoURL, stopOrdo, err := serveLoopback(ordo.Handler)
	if err != nil {
		return nil, err
	}
	defer stopOrdo()
	baseURL, stopBase, err := serveLoopback(baselineHandler(b, tenantID))
	if err != nil {
		return nil, err
	}
	defer stopBase()
	return measureAPI(ctx, o, engine, "in-process", ordoURL, baseURL, key, ds, nil)
}

// measureAPI measures each endpoint on Ordo at ordoURL (with the API key)
// and on the bare baseline at baseURL, in alternating rounds. profile,
// when not nil, is called as Ordo's first round of each endpoint starts,
// and what it returns when the round ends.
func measureAPI(ctx context.Context, o Options, engine, mode, ordoURL, baseURL, key string, ds *dataset, profile func(endpoint string) func()) ([]APIResult, error) {
	get := func(u string, authz bool) *http.Request {
		if authz {
			return getReq(u, key)
		}
		return getReq(u, "")
	}
	post := func(u string, rng *rand.Rand, authz bool) *http.Request {
		if authz {
			return createReq(u, key, rng)
		}
		return createReq(u, "", rng)
	}
	pick := func(rng *rand.Rand) string { return ds.ids[rng.IntN(len(ds.ids))].String() }
	cursor := encodeBaseCursor(ds.mid)
	eps := []endpoint{
		{"GET /api/v1/orders/{id}",
			func(rng *rand.Rand) *http.Request { return get(ordoURL+"/api/v1/orders/"+pick(rng), true) },
			func(rng *rand.Rand) *http.Request { return get(baseURL+"/orders/"+pick(rng), false) }},
		{"GET /api/v1/orders?limit=50",
			func(*rand.Rand) *http.Request { return get(ordoURL+"/api/v1/orders?limit=50", true) },
			func(*rand.Rand) *http.Request { return get(baseURL+"/orders?limit=50", false) }},
		{"GET /api/v1/orders?limit=50&cursor= (mid-list)",
			func(*rand.Rand) *http.Request { return get(ordoURL+"/api/v1/orders?limit=50&cursor="+cursor, true) },
			func(*rand.Rand) *http.Request { return get(baseURL+"/orders?limit=50&cursor="+cursor, false) }},
		{"POST /api/v1/orders (3 items)",
			func(rng *rand.Rand) *http.Request { return post(ordoURL+"/api/v1/orders", rng, true) },
			func(rng *rand.Rand) *http.Request { return post(baseURL+"/orders", rng, false) }},
	}
	ordoClient, baseClient := newClient(o.Concurrency), newClient(o.Concurrency)
	defer ordoClient.CloseIdleConnections()
	defer baseClient.CloseIdleConnections()
	warm := min(o.Duration/4, time.Second)

	var out []APIResult
	for _, ep := range eps {
		fmt.Fprintf(o.Progress, "api %-8s %-10s %-48s", engine, mode, ep.name)
		load(ctx, ordoClient, o.Concurrency, warm, ep.ordo)
		load(ctx, baseClient, o.Concurrency, warm, ep.base)
		var ro, rb []round
		for i := range o.Rounds {
			// Alternate who goes first, so drift in the machine's load
			// falls on both sides alike.
			if i%2 == 0 {
				done := func() {}
				if profile != nil && i == 0 {
					done = profile(ep.name)
				}
				ro = append(ro, load(ctx, ordoClient, o.Concurrency, o.Duration, ep.ordo))
				done()
				rb = append(rb, load(ctx, baseClient, o.Concurrency, o.Duration, ep.base))
			} else {
				rb = append(rb, load(ctx, baseClient, o.Concurrency, o.Duration, ep.base))
				ro = append(ro, load(ctx, ordoClient, o.Concurrency, o.Duration, ep.ordo))
			}
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
		}
		res := APIResult{Engine: engine, Mode: mode, Name: ep.name, Ordo: summarize(ro), Baseline: summarize(rb)}
		if res.Baseline.ReqPerSec > 0 {
			res.Ratio = res.Ordo.ReqPerSec / res.Baseline.ReqPerSec
		}
		if res.Baseline.P99Ms > 0 {
			res.P99Ratio = res.Ordo.P99Ms / res.Baseline.P99Ms
		}
		fmt.Fprintf(o.Progress, " ordo %8.0f req/s  base %8.0f req/s  ratio %.2f\n", res.Ordo.ReqPerSec, res.Baseline.ReqPerSec, res.Ratio)
		for _, s := range []Stats{res.Ordo, res.Baseline} {
			if s.FirstError != "" {
				fmt.Fprintf(o.Progress, "  first error: %s\n", s.FirstError)
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// series is getSeries's answer: the latency of each successful request
// in the order sent, the first successful body, and the failures.
type series struct {
	lat      []time.Duration
	body     []byte
	errs     int
	firstErr string
}

// getSeries sends n GETs of path to base with the API key, one after the
// other on client, so that only the server's own cost per request shows.
func getSeries(ctx context.Context, client *http.Client, base, key, path string, n int) series {
	var g series
	for range n {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		t0 := time.Now()
		res, err := client.Do(req)
		var body []byte
		if err == nil {
			body, err = io.ReadAll(res.Body)
			res.Body.Close()
			if err == nil && res.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s: %s", path, res.Status)
			}
		}
		if err != nil {
			g.errs++
			if g.firstErr == "" {
				g.firstErr = err.Error()
			}
			continue
		}
		g.lat = append(g.lat, time.Since(t0))
		if g.body == nil {
			g.body = body
		}
	}
	return g
}

// FlatResult is the latency of one tenant's list pages, one client at a
// time, for the check that it does not grow with the tenant's size.
type FlatResult struct {
	Engine       string  `json:"engine"`
	Orders       int     `json:"tenant_orders"`
	Requests     int     `json:"requests"`
	FirstP50Ms   float64 `json:"first_page_p50_ms"`
	FirstP99Ms   float64 `json:"first_page_p99_ms"`
	CursorP50Ms  float64 `json:"cursor_page_p50_ms"`
	CursorP99Ms  float64 `json:"cursor_page_p99_ms"`
	Errors       int     `json:"errors"`
	FirstError   string  `json:"first_error,omitempty"`
	CursorOffset int     `json:"cursor_offset"` // orders before the cursor page
}

// benchFlatness measures GET /api/v1/orders?limit=50, first page and a
// page from the middle of the list, for tenants of different sizes, with
// one client so that only the query's own cost shows.
func benchFlatness(ctx context.Context, engine string, ordo *Ordo, ds *dataset, requests int) ([]FlatResult, error) {
	url, stop, err := serveLoopback(ordo.Handler)
	if err != nil {
		return nil, err
	}
	defer stop()
	client := newClient(1)
	defer client.CloseIdleConnections()
	var out []FlatResult
	for i, t := range ds.flat {
		_, key, err := ordo.Auth.CreateAPIKey(ctx, access.Operator(ds.tenants[t]), "ordo bench flatness", access.RoleAdmin, nil, access.Meta{UserAgent: "ordo bench"})
		if err != nil {
			return out, fmt.Errorf("create API key: %w", err)
		}
		r := FlatResult{Engine: engine, Orders: ds.perTenant[t], Requests: requests, CursorOffset: ds.perTenant[t] / 2}
		measure := func(path string) (p50, p99 float64) {
			g := getSeries(ctx, client, url, key, path, requests)
			r.Errors += g.errs
			if r.FirstError == "" {
				r.FirstError = g.firstErr
			}
			slices.Sort(g.lat)
			return percentile(g.lat, 0.5), percentile(g.lat, 0.99)
		}
		r.FirstP50Ms, r.FirstP99Ms = measure("/api/v1/orders?limit=50")
		r.CursorP50Ms, r.CursorP99Ms = measure("/api/v1/orders?limit=50&cursor=" + encodeBaseCursor(ds.flatMids[i]))
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		out = append(out, r)
	}
	return out, nil
}
