package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Tail latency under mixed load: GET, list, search and create together,
// against `ordo serve` as a process of its own. The harness first finds
// the mix's maximum rate with closed-loop clients, then sends requests at
// a fixed rate of mixedLoad of it (open loop: on schedule, whether or not
// earlier answers came back) and reports each endpoint's latency from
// the moment its request was due, so that a stall shows in the tail
// instead of slowing the load down (no coordinated omission).

// mixedLoad is the fraction of the measured maximum sent at a fixed rate.
const mixedLoad = 0.7

// mixedMaxInFlight bounds the requests in flight in the open-loop phase;
// a request due when it is reached fails as "overloaded".
const mixedMaxInFlight = 1024

// MixedResult is one run of the mixed load.
type MixedResult struct {
	Engine     string          `json:"engine"`
	MaxPerSec  float64         `json:"max_req_per_sec"` // the mix, closed loop
	RatePerSec float64         `json:"rate_req_per_sec"`
	Seconds    float64         `json:"seconds"`
	Endpoints  []MixedEndpoint `json:"endpoints"`
}

// MixedEndpoint is one endpoint's share of the mixed load and its latency.
type MixedEndpoint struct {
	Name       string  `json:"name"`
	Share      float64 `json:"share"`
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	FirstError string  `json:"first_error,omitempty"`
}

// mixEndpoint is one kind of request in the mix.
type mixEndpoint struct {
	name  string
	share float64
	make  func(rng *rand.Rand) *http.Request
}

// mix is the load users put on the orders API: mostly reads of single
// orders, then list pages, searches and creates.
func mix(ordoURL, key string, ds *dataset) []mixEndpoint {
	get := func(path string) *http.Request { return getReq(ordoURL+path, key) }
	// Searches a user types: a surname, part of an e-mail address, and
	// a purchase-order reference (rare: one order in 90,000).
	terms := []string{"dijkstra", "grace.hop", "PO-4711"}
	return []mixEndpoint{
		{"GET /api/v1/orders/{id}", 0.50, func(rng *rand.Rand) *http.Request {
			return get("/api/v1/orders/" + ds.ids[rng.IntN(len(ds.ids))].String())
		}},
		{"GET /api/v1/orders?limit=50", 0.20, func(*rand.Rand) *http.Request { return get("/api/v1/orders?limit=50") }},
		{"GET /api/v1/orders?limit=50&q=", 0.15, func(rng *rand.Rand) *http.Request {
			return get("/api/v1/orders?limit=50&q=" + terms[rng.IntN(len(terms))])
		}},
		{"POST /api/v1/orders (3 items)", 0.15, func(rng *rand.Rand) *http.Request { return createReq(ordoURL+"/api/v1/orders", key, rng) }},
	}
}

// pickFrom chooses an endpoint of eps by share.
func pickFrom(eps []mixEndpoint, rng *rand.Rand) int {
	x := rng.Float64()
	for i, e := range eps {
		if x < e.share {
			return i
		}
		x -= e.share
	}
	return len(eps) - 1
}

// benchMixed finds the mix's maximum rate on Ordo at ordoURL, then runs
// it at mixedLoad of that for o.MixedDuration.
func benchMixed(ctx context.Context, o Options, engine, ordoURL, key string, ds *dataset) (MixedResult, error) {
	res := MixedResult{Engine: engine}
	eps := mix(ordoURL, key, ds)
	client := newClient(o.Concurrency)
	defer client.CloseIdleConnections()
	fmt.Fprintf(o.Progress, "mixed %-8s", engine)
	max := load(ctx, client, o.Concurrency, o.Duration, func(rng *rand.Rand) *http.Request { return eps[pickFrom(eps, rng)].make(rng) })
	if max.reqs == 0 {
		return res, fmt.Errorf("mixed load: no request succeeded: %s", max.firstErr)
	}
	res.MaxPerSec = float64(max.reqs) / max.secs
	res.RatePerSec = mixedLoad * res.MaxPerSec
	fmt.Fprintf(o.Progress, " max %6.0f req/s; at %6.0f req/s for %s:", res.MaxPerSec, res.RatePerSec, o.MixedDuration)

	open := newClient(mixedMaxInFlight)
	defer open.CloseIdleConnections()
	lat := make([][]time.Duration, len(eps))
	errs := make([]int, len(eps))
	first := make([]string, len(eps))
	var mu sync.Mutex
	record := func(i int, d time.Duration, err string) {
		mu.Lock()
		defer mu.Unlock()
		if err != "" {
			errs[i]++
			if first[i] == "" {
				first[i] = err
			}
			return
		}
		lat[i] = append(lat[i], d)
	}
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	interval := time.Duration(float64(time.Second) / res.RatePerSec)
	sem := make(chan struct{}, mixedMaxInFlight)
	var wg sync.WaitGroup
	start := time.Now()
	for n := 0; ; n++ {
		due := start.Add(time.Duration(n) * interval)
		if due.Sub(start) >= o.MixedDuration || ctx.Err() != nil {
			break
		}
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		i := pickFrom(eps, rng)
		req := eps[i].make(rng).WithContext(ctx)
		select {
		case sem <- struct{}{}:
		default:
			record(i, 0, fmt.Sprintf("overloaded: %d requests in flight", mixedMaxInFlight))
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			r, err := open.Do(req)
			if err != nil {
				record(i, 0, err.Error())
				return
			}
			body, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode >= 300 {
				record(i, 0, fmt.Sprintf("%d %s", r.StatusCode, bytes.TrimSpace(body[:min(len(body), 300)])))
				return
			}
			record(i, time.Since(due), "")
		})
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	for i, e := range eps {
		slices.Sort(lat[i])
		me := MixedEndpoint{Name: e.name, Share: e.share, Requests: len(lat[i]) + errs[i], Errors: errs[i], FirstError: first[i],
			P50Ms: percentile(lat[i], 0.5), P99Ms: percentile(lat[i], 0.99)}
		if n := len(lat[i]); n > 0 {
			me.MaxMs = float64(lat[i][n-1]) / float64(time.Millisecond)
		}
		res.Endpoints = append(res.Endpoints, me)
		fmt.Fprintf(o.Progress, " %s p99 %.1f ms;", e.name, me.P99Ms)
	}
	fmt.Fprintln(o.Progress)
	return res, ctx.Err()
}
