package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/testkit"
)

// balancer is a tiny round-robin reverse proxy, as a load balancer in
// front of the serve processes: a refused connection (a server
// restarting) is retried on the next server, and so is a connection
// closed without an answer when the request is safe to resend (it carries
// an Idempotency-Key), as Envoy and Traefik retry idempotent requests.
type balancer struct {
	backends []*url.URL
	next     atomic.Int64
	inner    http.RoundTripper
}

func (b *balancer) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	var err error
	first := int(b.next.Add(1))
	for i := range 2 * len(b.backends) {
		u := b.backends[(first+i)%len(b.backends)]
		out := r.Clone(r.Context())
		out.URL.Scheme, out.URL.Host, out.Host = u.Scheme, u.Host, u.Host
		out.Body = io.NopCloser(bytes.NewReader(body))
		// Lets the transport resend on a keep-alive connection that the
		// backend closed as it shut down.
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		var res *http.Response
		res, err = b.inner.RoundTrip(out)
		closed := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
		if !errors.Is(err, syscall.ECONNREFUSED) && !(closed && r.Header.Get("Idempotency-Key") != "") {
			return res, err
		}
	}
	return nil, err
}

// newBalancer starts the proxy in front of bases.
func newBalancer(t *testing.T, bases []string) string {
	b := &balancer{inner: http.DefaultTransport}
	for _, base := range bases {
		u, _ := url.Parse(base)
		b.backends = append(b.backends, u)
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(*httputil.ProxyRequest) {}, Transport: b}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return srv.URL
}

// loadClient creates orders through the balancer; anything that is not
// a 201 is a failure.
type loadClient struct {
	base     string
	key      string
	ok       atomic.Int64
	failures atomic.Int64
	mu       sync.Mutex
	orderIDs []string
	errs     []string
}

func (c *loadClient) createOrder() {
	body := `{"customer_name":"Load L","customer_email":"load@example.com","currency":"EUR","items":[{"name":"Widget","quantity":1,"unit_price":100}]}`
	req, _ := http.NewRequest("POST", c.base+"/api/v1/orders", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	// Makes the POST safe to retry, as a client should.
	req.Header.Set("Idempotency-Key", uuid.NewString())
	res, err := http.DefaultClient.Do(req)
	// A retry that the balancer made while the first attempt still holds
	// the key (its server shutting down) is told 409 in flight; a client
	// waits and asks again with the same key, as the problem says.
	for try := 0; err == nil && res.StatusCode == http.StatusConflict && try < 20; try++ {
		res.Body.Close()
		time.Sleep(250 * time.Millisecond)
		req.Body = io.NopCloser(strings.NewReader(body))
		res, err = http.DefaultClient.Do(req)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.failures.Add(1)
		c.errs = append(c.errs, err.Error())
		return
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := decodeJSON(res, &out); res.StatusCode != 201 || err != nil {
		c.failures.Add(1)
		c.errs = append(c.errs, fmt.Sprintf("status %d", res.StatusCode))
		return
	}
	c.ok.Add(1)
	c.orderIDs = append(c.orderIDs, out.ID)
}

// run keeps n clients creating orders until stop is closed.
func (c *loadClient) run(n int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					c.createOrder()
				}
			}
		})
	}
	return &wg
}

// waitCreated waits until the load has created n more orders, or has
// failed a request (which the caller reports): a sleep would let a busy
// machine create too few orders to tell anything.
func (c *loadClient) waitCreated(t *testing.T, n int64) {
	t.Helper()
	want := c.ok.Load() + n
	deadline := time.Now().Add(60 * time.Second)
	for c.ok.Load() < want && c.failures.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the load created %d of %d orders within 60s", n-(want-c.ok.Load()), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hookCounter is a webhook receiver counting deliveries by webhook-id and
// order id.
type hookCounter struct {
	mu      sync.Mutex
	byID    map[string]int
	byOrder map[string]int
}

func newHookCounter(t *testing.T) (*hookCounter, string) {
	h := &hookCounter{byID: map[string]int{}, byOrder: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		_ = decodeJSONBody(r, &body)
		h.mu.Lock()
		h.byID[r.Header.Get("webhook-id")]++
		h.byOrder[body.Data.ID]++
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL
}

// waitAll waits until every order has been delivered, and returns the
// deliveries beyond one per order.
func (h *hookCounter) waitAll(t *testing.T, orderIDs []string, within time.Duration) (dups int) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		h.mu.Lock()
		missing := 0
		for _, id := range orderIDs {
			if h.byOrder[id] == 0 {
				missing++
			}
		}
		dups = 0
		for _, id := range orderIDs {
			dups += max(h.byOrder[id]-1, 0)
		}
		ids := len(h.byID)
		h.mu.Unlock()
		if missing == 0 {
			if ids < len(orderIDs) {
				t.Fatalf("%d webhook-ids for %d orders", ids, len(orderIDs))
			}
			return dups
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d orders' webhooks never arrived", missing, len(orderIDs))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Production shape on one machine: two `serve` and two `worker` processes
// on one PostgreSQL, Redis and S3 server. Each serve is restarted in turn
// with SIGTERM under load without a failed request; the jobs the orders
// make (a webhook delivery each) run exactly once across the workers; and
// a worker killed with SIGKILL mid-flight loses nothing.
func TestCluster(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	s3 := testkit.S3Server(t)
	env := []string{
		"DATABASE_URL=" + testkit.PostgresURL(t), "REDIS_URL=" + testkit.RedisURL(t),
		"S3_ENDPOINT=" + s3.Endpoint, "S3_BUCKET=ordo-cluster", "S3_ACCESS_KEY_ID=" + s3.AccessKey,
		"S3_SECRET_ACCESS_KEY=" + s3.SecretKey, "S3_FORCE_PATH_STYLE=true", "S3_CREATE_BUCKET=true",
		"ORDO_SECRET=" + strings.Repeat("c", 40), "ORDO_LOG_LEVEL=warn",
		"ORDO_API_RATE_PER_MINUTE=1000000", "ORDO_API_RATE_BURST=100000",
		"ORDO_WEBHOOKS_ALLOW_PRIVATE=true", "ORDO_WEBHOOK_RETRY_SCHEDULE=200ms,500ms,1s",
		"ORDO_JOB_RESCUE_AFTER=2s", "ORDO_SHUTDOWN_DRAIN=1s",
	}
	key := seededKey(t, dir, env, 0)

	type server struct {
		p    *process
		port int
	}
	servers := make([]*server, 2)
	var bases []string
	for i := range servers {
		port := freePort(t)
		servers[i] = &server{p: start(t, dir, append(env, fmt.Sprintf("PORT=%d", port)), "serve"), port: port}
		bases = append(bases, fmt.Sprintf("http://127.0.0.1:%d", port))
	}
	for _, b := range bases {
		waitStatus(t, b+"/readyz", 200, 20*time.Second)
	}
	workers := []*process{start(t, dir, env, "worker"), start(t, dir, env, "worker")}

	hooks, hookURL := newHookCounter(t)
	if code, ep := api(t, "POST", bases[0]+"/api/v1/webhook-endpoints", key, map[string]any{"url": hookURL, "event_types": []string{"order.created"}}); code != 201 {
		t.Fatalf("endpoint: %d %v", code, ep)
	}

	// Phase 1: rolling restart of the web tier under load, behind a
	// round-robin proxy.
	lc := &loadClient{base: newBalancer(t, bases), key: key}
	stop := make(chan struct{})
	wg := lc.run(8, stop)
	lc.waitCreated(t, 20)
	for i, s := range servers {
		if code, took := s.p.stop(t); code != 0 {
			t.Fatalf("serve %d: exit %d after %s", i, code, took)
		}
		s.p = start(t, dir, append(env, fmt.Sprintf("PORT=%d", s.port)), "serve")
		waitStatus(t, bases[i]+"/readyz", 200, 20*time.Second)
		lc.waitCreated(t, 10) // the balancer sends the restarted server its share
	}
	lc.waitCreated(t, 20)
	close(stop)
	wg.Wait()
	t.Logf("rolling restart: %d orders created, %d failed requests", lc.ok.Load(), lc.failures.Load())
	if lc.failures.Load() != 0 {
		t.Fatalf("%d requests failed during the rolling restart: %v", lc.failures.Load(), lc.errs[:min(len(lc.errs), 5)])
	}
	if lc.ok.Load() < 20 {
		t.Fatalf("only %d orders were created; the load was too light to tell", lc.ok.Load())
	}
	// At least 1,000 jobs (a webhook delivery per order), each run once
	// across the two workers.
	var top sync.WaitGroup
	for range 8 {
		top.Go(func() {
			for lc.ok.Load() < 1000 && lc.failures.Load() == 0 {
				lc.createOrder()
			}
		})
	}
	top.Wait()
	if lc.failures.Load() != 0 {
		t.Fatalf("%d requests failed: %v", lc.failures.Load(), lc.errs[:min(len(lc.errs), 5)])
	}
	if dups := hooks.waitAll(t, lc.orderIDs, 90*time.Second); dups != 0 {
		t.Fatalf("%d of %d webhook deliveries ran twice without any crash", dups, len(lc.orderIDs))
	}
	t.Logf("%d delivery jobs ran exactly once across the workers", len(lc.orderIDs))

	// Phase 2: a worker killed mid-flight loses nothing.
	phase1 := len(lc.orderIDs)
	stop = make(chan struct{})
	wg = lc.run(8, stop)
	lc.waitCreated(t, 20) // deliveries are in flight when the worker dies
	workers[0].kill(t)
	lc.waitCreated(t, 20)
	close(stop)
	wg.Wait()
	workers[0] = start(t, dir, env, "worker")
	if lc.failures.Load() != 0 {
		t.Fatalf("%d requests failed while a worker died: %v", lc.failures.Load(), lc.errs[:min(len(lc.errs), 5)])
	}
	dups := hooks.waitAll(t, lc.orderIDs, 90*time.Second)
	t.Logf("worker killed: %d more orders, all delivered; %d delivered twice (at least once, by design)", len(lc.orderIDs)-phase1, dups)

	// Phase 3: a key revoked through one server is refused by the other
	// within a second. Each server keeps what it read from Redis for up to
	// a second (cache.Near) and hears of the revocation through pub/sub.
	code, created := api(t, "POST", bases[0]+"/api/v1/api-keys", key, map[string]any{"name": "short-lived", "role": "member"})
	if code != 201 {
		t.Fatalf("create a key: %d %v", code, created)
	}
	second, id := created["key"].(string), created["id"].(string)
	for range 3 { // now in server 1's memory
		if code, body := api(t, "GET", bases[1]+"/api/v1/me", second, nil); code != 200 {
			t.Fatalf("the new key on server 1: %d %v", code, body)
		}
	}
	revoked := time.Now()
	if code, body := api(t, "DELETE", bases[0]+"/api/v1/api-keys/"+id, key, nil); code != 204 {
		t.Fatalf("revoke on server 0: %d %v", code, body)
	}
	for {
		code, _ := api(t, "GET", bases[1]+"/api/v1/me", second, nil)
		if code == 401 {
			break
		}
		if time.Since(revoked) > time.Second {
			t.Fatalf("server 1 still takes a key revoked on server 0 %s ago (%d)", time.Since(revoked), code)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("a key revoked on server 0 was refused by server 1 after %s", time.Since(revoked))
}

func decodeJSON(res *http.Response, v any) error {
	defer res.Body.Close()
	return json.NewDecoder(res.Body).Decode(v)
}

func decodeJSONBody(r *http.Request, v any) error { return json.NewDecoder(r.Body).Decode(v) }
