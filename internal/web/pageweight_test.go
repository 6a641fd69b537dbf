package web_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// pageBudget is issue 19's weight limit: a page's HTML, CSS and JavaScript
// together, gzip-compressed, fonts aside.
const pageBudget = 60 * 1024

// pageAssetRE finds what a page makes the browser load besides itself:
// scripts and stylesheets (the layout's and any a page adds).
var pageAssetRE = regexp.MustCompile(`<script[^>]*\ssrc="([^"]+)"|<link[^>]*\srel="(?:stylesheet|modulepreload)"[^>]*\shref="([^"]+)"|<link[^>]*\shref="([^"]+)"[^>]*\srel="(?:stylesheet|modulepreload)"`)

func gzipSize(t *testing.T, b []byte) int {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	require.NoError(t, err)
	_, err = zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Len()
}

// TestPageWeight renders every page of the app with a tenant full of data
// (a full page of orders with items, an order with its history and audit
// trail, keys, endpoints, members, invitations) and checks that each
// page's HTML with the CSS and JavaScript it loads stays within 60 KB
// gzip-compressed.
func TestPageWeight(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("weight"))

	var first string
	customers := []string{"Grace Hopper", "Alan Turing", "Ada Lovelace", "Edsger Dijkstra", "Barbara Liskov"}
	for i := range 60 {
		o := owner.do("POST", "/api/v1/orders", map[string]any{
			"customer_name": customers[i%len(customers)], "customer_email": fmt.Sprintf("customer%d@example.com", i), "currency": "EUR",
			"external_ref": fmt.Sprintf("PO-%04d", i), "notes": "Deliver to the loading dock at the back of the building.",
			"items": []map[string]any{
				{"name": "Widget, large", "sku": "W-L", "quantity": 1 + i%4, "unit_price": 1250 + 37*i},
				{"name": "Service hour", "sku": "S-H", "quantity": 2, "unit_price": 9500},
				{"name": "Shipping", "quantity": 1, "unit_price": 990},
			}}).must(t, 201)
		id := o.str("id")
		if first == "" {
			first = id
		}
		for _, to := range []string{"processing", "shipped"}[:i%3] {
			owner.do("POST", "/api/v1/orders/"+id+"/transitions", map[string]any{"to": to}).must(t, 200)
		}
	}
	for i := range 5 {
		owner.do("PATCH", "/api/v1/orders/"+first, map[string]any{"notes": fmt.Sprintf("Changed %d times", i+1)}).must(t, 200)
	}
	owner.do("POST", "/api/v1/orders/"+first+"/transitions", map[string]any{"to": "processing"}).must(t, 200)
	owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "csv"}).must(t, 202)
	for _, name := range []string{"Warehouse sync", "Accounting", "Shop front"} {
		owner.do("POST", "/api/v1/api-keys", map[string]any{"name": name, "role": "member"}).must(t, 201)
	}
	ep := owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:9/hook", "description": "Warehouse receiver"}).must(t, 201).str("id")
	for i := range 5 {
		owner.do("POST", "/api/v1/invitations", map[string]any{"email": fmt.Sprintf("invitee%d@example.com", i), "role": "viewer"}).must(t, 201)
	}

	anon := a.browser()
	pages := []struct {
		name, path string
		c          *client
	}{
		{"dashboard", "/app", owner},
		{"orders", "/app/orders", owner},
		{"order", "/app/orders/" + first, owner},
		{"order-new", "/app/orders/new", owner},
		{"order-edit", "/app/orders/" + first + "/edit", owner},
		{"exports", "/app/exports", owner},
		{"members", "/app/members", owner},
		{"api-keys", "/app/api-keys", owner},
		{"webhooks", "/app/webhooks", owner},
		{"webhook", "/app/webhooks/" + ep, owner},
		{"audit", "/app/audit", owner},
		{"jobs", "/app/jobs", owner},
		{"settings", "/app/settings", owner},
		{"account", "/app/account", owner},
		{"tenants", "/app/tenants", owner},
		{"login", "/login", anon},
		{"signup", "/signup", anon},
		{"forgot", "/forgot-password", anon},
		{"reset", "/reset-password?token=x", anon},
		{"verify-email", "/verify-email?token=x", anon},
		{"accept", "/invitations/accept?token=x", anon},
	}
	assets := map[string]int{} // gzip size of each script and stylesheet, fetched once
	for _, p := range pages {
		pg := p.c.get(t, p.path)
		require.Equal(t, 200, pg.status, "%s (%s)", p.name, p.path)
		require.Equal(t, strings.SplitN(p.path, "?", 2)[0], pg.url, "%s was redirected", p.name)
		total := gzipSize(t, []byte(pg.body))
		parts := []string{fmt.Sprintf("HTML %d", total)}
		for _, m := range pageAssetRE.FindAllStringSubmatch(pg.body, -1) {
			src := m[1] + m[2] + m[3]
			require.True(t, strings.HasPrefix(src, "/"), "%s loads %s from elsewhere", p.name, src)
			size, ok := assets[src]
			if !ok {
				res, err := p.c.http.Get(a.url + src)
				require.NoError(t, err)
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				require.Equal(t, 200, res.StatusCode, "%s loads %s", p.name, src)
				size = gzipSize(t, b)
				assets[src] = size
			}
			total += size
			parts = append(parts, fmt.Sprintf("%s %d", src, size))
		}
		t.Logf("%-12s %6d bytes gzipped (%s)", p.name, total, strings.Join(parts, ", "))
		if total > pageBudget {
			t.Errorf("%s (%s) weighs %d bytes gzipped, over the %d budget: %s", p.name, p.path, total, pageBudget, strings.Join(parts, ", "))
		}
	}
}
