package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordo/ordo/internal/access"
)

// FairResult is fair scheduling between tenants measured (issue 23): tenant
// A floods the webhook queue of a slow receiver and queues large exports;
// tenant B then creates orders (one webhook delivery each) and a small
// export, as ordo worker runs them with plan limits on.
type FairResult struct {
	Deliveries int `json:"a_deliveries"` // A's queued deliveries: orders × endpoints
	Exports    int `json:"a_exports"`    // A's large exports (XLSX of all its orders)
	ReceiverMS int `json:"receiver_ms"`  // the slow receiver's time per request
	// A's deliveries per second alone, and while B works.
	ASolo      float64 `json:"a_solo_per_sec"`
	AContended float64 `json:"a_contended_per_sec"`
	// B's webhook deliveries: from the order's 201 to the receiver.
	BSamples    int     `json:"b_samples"`
	BWebhookP50 float64 `json:"b_webhook_p50_seconds"`
	BWebhookMax float64 `json:"b_webhook_max_seconds"` // p99 and above of BSamples
	// B's small export, start to completed: idle system, and under A's load.
	BExportIdle      float64 `json:"b_export_idle_seconds"`
	BExportContended float64 `json:"b_export_contended_seconds"`
}

// benchFair runs the scenario on its own Ordo (plan limits on, loopback
// webhooks allowed) over the benchmark's database; the jobs it leaves are
// removed at the end.
func benchFair(ctx context.Context, o Options, open OpenFunc, dbURL, dataDir string, pool *pgxpool.Pool, ds *dataset) (FairResult, error) {
	const endpoints, receiverDelay, bOrders = 10, 50 * time.Millisecond, 20
	res := FairResult{Deliveries: o.FairDeliveries, Exports: 20, ReceiverMS: int(receiverDelay / time.Millisecond)}
	ordo, err := openOrdo(ctx, o, open, workerEnv(o, dbURL, dataDir, map[string]string{"ORDO_PLAN_LIMITS": "true"}))
	if err != nil {
		return res, err
	}
	defer ordo.Close()
	defer func() {
		// The flood's rest would keep the next parts' workers busy.
		_, _ = pool.Exec(context.WithoutCancel(ctx), `DELETE FROM river_job WHERE queue IN ('webhooks', 'exports')`)
	}()

	// The receiver: 50 ms an answer; B's arrivals are timed.
	var aDone atomic.Int64
	bArrived := make(chan time.Time, 64)
	recv, err := loopbackServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/b") {
			bArrived <- time.Now()
			return
		}
		time.Sleep(receiverDelay)
		aDone.Add(1)
	}))
	if err != nil {
		return res, err
	}
	defer recv.Close()

	a, b := ds.tenants[0], uuid.Must(uuid.NewV7())
	if _, err := pool.Exec(ctx, `UPDATE tenants SET plan = 'enterprise' WHERE id = $1`, a); err != nil {
		return res, err
	}
	if _, err := pool.Exec(ctx, `INSERT INTO tenants (id, name, slug, plan, created_at, updated_at) VALUES ($1, 'Bench B', $2, 'enterprise', now(), now())`, b, "bench-b-"+b.String()[:8]); err != nil {
		return res, fmt.Errorf("tenant B: %w", err)
	}
	call := func(tenant uuid.UUID) (apiCall, error) { return newAPICall(ctx, ordo, tenant) }
	callA, err := call(a)
	if err != nil {
		return res, err
	}
	callB, err := call(b)
	if err != nil {
		return res, err
	}
	rng := rand.New(rand.NewPCG(23, 23))
	order := func(c apiCall) error { return c.order(rng) }
	// B's small export: a handful of orders, CSV, timed to completed.
	for range 3 {
		if err := order(callB); err != nil {
			return res, err
		}
	}
	exportB := func() (float64, error) {
		c, err := call(b) // a key each, as for A's
		if err != nil {
			return 0, err
		}
		t0 := time.Now()
		e, err := c("POST", "/api/v1/orders/export", map[string]any{"format": "csv"})
		if err != nil {
			return 0, err
		}
		id, _ := e["id"].(string)
		for time.Since(t0) < 5*time.Minute {
			got, err := callB("GET", "/api/v1/exports/"+id, nil)
			if err != nil {
				return 0, err
			}
			if got["status"] == "completed" {
				return time.Since(t0).Seconds(), nil
			}
			time.Sleep(5 * time.Millisecond)
		}
		return 0, fmt.Errorf("B's export %s did not complete in 5 minutes", id)
	}

	stop, err := startWorker(ctx, ordo)
	if err != nil {
		return res, err
	}
	defer stop()
	var idle []float64
	for range 3 {
		s, err := exportB()
		if err != nil {
			return res, err
		}
		idle = append(idle, s)
	}
	res.BExportIdle = median(idle)

	// A's flood: endpoints × orders deliveries to the slow receiver.
	for i := range endpoints {
		if _, err := callA("POST", "/api/v1/webhook-endpoints", map[string]any{"url": fmt.Sprintf("%s/a/%d", recv.URL, i)}); err != nil {
			return res, err
		}
	}
	if _, err := callB("POST", "/api/v1/webhook-endpoints", map[string]any{"url": recv.URL + "/b"}); err != nil {
		return res, err
	}
	fmt.Fprintf(o.Progress, "fair     queueing %d webhook deliveries of tenant A\n", o.FairDeliveries)
	for range o.FairDeliveries / endpoints {
		if err := order(callA); err != nil {
			return res, err
		}
	}
	rate := func(d time.Duration) float64 {
		n0, t0 := aDone.Load(), time.Now()
		time.Sleep(d)
		return float64(aDone.Load()-n0) / time.Since(t0).Seconds()
	}
	res.ASolo = rate(5 * time.Second)

	// A's large exports, then B's work while A's flood goes on.
	for range res.Exports {
		// A key each: export starts are rate-limited per principal.
		c, err := call(a)
		if err != nil {
			return res, err
		}
		if _, err := c("POST", "/api/v1/orders/export", map[string]any{"format": "xlsx"}); err != nil {
			return res, err
		}
	}
	time.Sleep(time.Second) // B comes later, not in the same instant
	n0, t0 := aDone.Load(), time.Now()
	contended := make(chan error, 1)
	go func() {
		var ts []float64
		for range 3 {
			s, err := exportB()
			if err != nil {
				contended <- err
				return
			}
			ts = append(ts, s)
			time.Sleep(500 * time.Millisecond)
		}
		res.BExportContended = median(ts)
		contended <- nil
	}()
	var lat []float64
	for range bOrders {
		for len(bArrived) > 0 {
			<-bArrived
		}
		sent := time.Now()
		if err := order(callB); err != nil {
			return res, err
		}
		select {
		case at := <-bArrived:
			lat = append(lat, at.Sub(sent).Seconds())
		case <-time.After(60 * time.Second):
			return res, fmt.Errorf("B's webhook did not arrive in 60 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := <-contended; err != nil {
		return res, err
	}
	res.AContended = float64(aDone.Load()-n0) / time.Since(t0).Seconds()
	slices.Sort(lat)
	res.BSamples, res.BWebhookP50, res.BWebhookMax = len(lat), lat[len(lat)/2], lat[len(lat)-1]
	return res, nil
}

// apiCall calls Ordo's handler in-process as one API key of a tenant.
type apiCall func(method, path string, body any) (map[string]any, error)

func newAPICall(ctx context.Context, ordo *Ordo, tenant uuid.UUID) (apiCall, error) {
	_, key, err := ordo.Auth.CreateAPIKey(ctx, access.Operator(tenant), "ordo bench fair", access.RoleAdmin, nil, access.Meta{UserAgent: "ordo bench"})
	if err != nil {
		return nil, err
	}
	return func(method, path string, body any) (map[string]any, error) {
		raw, _ := json.Marshal(body)
		if body == nil {
			raw = nil
		}
		req := httptest.NewRequest(method, path, bytes.NewReader(raw)).WithContext(ctx)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		ordo.Handler.ServeHTTP(rec, req)
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		if rec.Code >= 300 {
			return out, fmt.Errorf("%s %s: %d %s", method, path, rec.Code, rec.Body.String())
		}
		return out, nil
	}, nil
}

// order creates an order of 3 items.
func (c apiCall) order(rng *rand.Rand) error {
	var body map[string]any
	_ = json.Unmarshal(createBody(rng), &body)
	_, err := c("POST", "/api/v1/orders", body)
	return err
}

// loopbackServer serves h on 127.0.0.1 (httptest's default may listen on
// IPv6 too, which the webhook address check need not know).
func loopbackServer(h http.Handler) (*httptest.Server, error) {
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv.Listener = ln
	srv.Start()
	return srv, nil
}

// WebhookRate is webhook deliveries worked by one worker process to a
// receiver that answers at once: signed, sent, and recorded with their
// attempt, as in production.
type WebhookRate struct {
	Deliveries int     `json:"deliveries"`
	Endpoints  int     `json:"endpoints"`
	Workers    int     `json:"workers"` // ORDO_QUEUE_WEBHOOKS_CONCURRENCY
	PerSec     float64 `json:"per_sec"`
}

// benchWebhookRate queues deliveries to a fast loopback receiver, then
// starts a worker and times until the receiver has had them all.
func benchWebhookRate(ctx context.Context, o Options, open OpenFunc, dbURL, dataDir string, pool *pgxpool.Pool) (WebhookRate, error) {
	const endpoints, workers = 32, 64
	res := WebhookRate{Endpoints: endpoints, Workers: workers}
	// An empty queue: what earlier parts left (the fair part's flood and
	// exports) would be worked, or fail, beside these deliveries.
	if _, err := pool.Exec(ctx, `DELETE FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')`); err != nil {
		return res, fmt.Errorf("empty the job queue: %w", err)
	}
	ordo, err := openOrdo(ctx, o, open, workerEnv(o, dbURL, dataDir, map[string]string{"ORDO_QUEUE_WEBHOOKS_CONCURRENCY": strconv.Itoa(workers)}))
	if err != nil {
		return res, err
	}
	defer ordo.Close()
	var got atomic.Int64
	recv, err := loopbackServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got.Add(1) }))
	if err != nil {
		return res, err
	}
	defer recv.Close()
	c := uuid.Must(uuid.NewV7())
	if _, err := pool.Exec(ctx, `INSERT INTO tenants (id, name, slug, plan, created_at, updated_at) VALUES ($1, 'Bench C', $2, 'enterprise', now(), now())`, c, "bench-c-"+c.String()[:8]); err != nil {
		return res, fmt.Errorf("tenant C: %w", err)
	}
	callC, err := newAPICall(ctx, ordo, c)
	if err != nil {
		return res, err
	}
	for i := range endpoints {
		if _, err := callC("POST", "/api/v1/webhook-endpoints", map[string]any{"url": fmt.Sprintf("%s/c/%d", recv.URL, i)}); err != nil {
			return res, err
		}
	}
	rng := rand.New(rand.NewPCG(2, 3))
	orders := max(1, o.FairDeliveries/10/endpoints)
	for range orders {
		if err := callC.order(rng); err != nil {
			return res, err
		}
	}
	res.Deliveries = orders * endpoints
	t0 := time.Now()
	stop, err := startWorker(ctx, ordo)
	if err != nil {
		return res, err
	}
	defer stop()
	for got.Load() < int64(res.Deliveries) {
		if time.Since(t0) > 5*time.Minute {
			return res, fmt.Errorf("only %d of %d webhook deliveries in 5 minutes", got.Load(), res.Deliveries)
		}
		time.Sleep(5 * time.Millisecond)
	}
	res.PerSec = float64(res.Deliveries) / time.Since(t0).Seconds()
	return res, nil
}

// startWorker starts ordo's job runner, as ordo worker does; stop stops it.
func startWorker(ctx context.Context, ordo *Ordo) (stop func(), err error) {
	runner, err := ordo.JobRunner()
	if err != nil {
		return nil, err
	}
	if err := runner.Start(ctx); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = runner.Stop(sctx)
	}, nil
}

// workerEnv is the harness's configuration (benchEnv) for an Ordo that
// delivers webhooks to the harness's loopback receivers, with the queues
// at their defaults, and set overriding.
func workerEnv(o Options, dbURL, dataDir string, set map[string]string) func(string) string {
	getenv := benchEnv(dbURL, dataDir, o.RedisURL, 1).get
	return func(k string) string {
		if v, ok := set[k]; ok {
			return v
		}
		switch k {
		case "ORDO_WEBHOOKS_ALLOW_PRIVATE":
			return "true"
		case "ORDO_QUEUE_MAINTENANCE_CONCURRENCY":
			return "" // the default, not the no-op jobs' many workers
		}
		return getenv(k)
	}
}
