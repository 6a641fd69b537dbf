package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/order"
)

// SearchResult is the latency of one search of one tenant's orders
// (GET /api/v1/orders?limit=50&q=…), one client at a time, for issue #24's
// check that search is fast on a large tenant and does not grow with its
// size.
type SearchResult struct {
	Engine     string  `json:"engine"`
	Orders     int     `json:"tenant_orders"`
	Term       string  `json:"term"` // what the query is: "surname infix", …
	Query      string  `json:"q"`
	Requests   int     `json:"requests"`
	Hits       int     `json:"hits"` // orders on the first page
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
}

// searchTerms are the searches measured for a tenant of n orders: each hits.
// The seeded customers are the 256 pairs of firstNames and lastNames, so
// the surname and e-mail fragments each match about 1 order in 16; the
// number matches one order.
func searchTerms(n int) [][2]string {
	return [][2]string{
		{"surname infix", "ovela"},        // Lovelace
		{"e-mail fragment", "hopper@exa"}, // grace.hopper@example.com, …
		{"order number", order.FormatNumber(int64(max(n/2, 1)))},
	}
}

// benchSearch measures searchTerms on the tenants of the flatness check
// (ds.flat, smallest first), as benchFlatness measures their list pages.
func benchSearch(ctx context.Context, engine string, ordo *Ordo, ds *dataset, requests int) ([]SearchResult, error) {
	base, stop, err := serveLoopback(ordo.Handler)
	if err != nil {
		return nil, err
	}
	defer stop()
	client := newClient(1)
	defer client.CloseIdleConnections()
	var out []SearchResult
	for _, t := range ds.flat {
		_, key, err := ordo.Auth.CreateAPIKey(ctx, access.Operator(ds.tenants[t]), "ordo bench search", access.RoleAdmin, nil, access.Meta{UserAgent: "ordo bench"})
		if err != nil {
			return out, fmt.Errorf("create API key: %w", err)
		}
		for _, term := range searchTerms(ds.perTenant[t]) {
			r := SearchResult{Engine: engine, Orders: ds.perTenant[t], Term: term[0], Query: term[1], Requests: requests}
			path := "/api/v1/orders?limit=50&q=" + url.QueryEscape(term[1])
			// The first request warms up: its answer counts the hits, its
			// time is left out.
			g := getSeries(ctx, client, base, key, path, requests+1)
			r.Errors, r.FirstError = g.errs, g.firstErr
			r.Hits = countHits(g.body)
			lat := g.lat[min(1, len(g.lat)):]
			slices.Sort(lat)
			r.P50Ms, r.P99Ms = percentile(lat, 0.5), percentile(lat, 0.99)
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// countHits is the number of orders in a list response, or -1 when it
// cannot be read.
func countHits(body []byte) int {
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return -1
	}
	return len(page.Data)
}

// searchLatency runs benchSearch and reports its progress.
func searchLatency(ctx context.Context, o Options, engine string, ordo *Ordo, ds *dataset, rep *Report) error {
	res, err := benchSearch(ctx, engine, ordo, ds, max(o.LatencyRequests, 1))
	if err != nil {
		return fmt.Errorf("search latency (%s): %w", engine, err)
	}
	for _, s := range res {
		fmt.Fprintf(o.Progress, "search latency %-8s tenant of %8d orders, %-15s q=%-12s %2d hits: p50 %.2f ms, p99 %.2f ms\n", engine, s.Orders, s.Term, s.Query, s.Hits, s.P50Ms, s.P99Ms)
	}
	rep.Search = append(rep.Search, res...)
	return nil
}

// searchRange is, for engine and each term, the smallest and the largest
// tenant's result.
func (r *Report) searchRange(engine string) (terms []string, small, big map[string]SearchResult) {
	small, big = map[string]SearchResult{}, map[string]SearchResult{}
	for _, s := range r.Search {
		if s.Engine != engine {
			continue
		}
		if _, ok := small[s.Term]; !ok {
			terms = append(terms, s.Term)
			small[s.Term], big[s.Term] = s, s
			continue
		}
		if s.Orders < small[s.Term].Orders {
			small[s.Term] = s
		}
		if s.Orders > big[s.Term].Orders {
			big[s.Term] = s
		}
	}
	return terms, small, big
}
