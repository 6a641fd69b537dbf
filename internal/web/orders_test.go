package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/ratelimit"
	"github.com/ordo/ordo/internal/testkit"
	"github.com/ordo/ordo/internal/web"
)

func orderBody(customer string) map[string]any {
	return map[string]any{
		"customer_name": customer, "customer_email": strings.ToLower(strings.ReplaceAll(customer, " ", ".")) + "@example.com",
		"currency": "EUR", "discount": 100,
		"shipping_address": map[string]any{"line1": "1 Rue de la Paix", "city": "Paris", "country": "FR"},
		"metadata":         map[string]any{"channel": "web"},
		"items": []any{
			map[string]any{"sku": "W-1", "name": "Widget", "quantity": 3, "unit_price": 1999, "tax_rate_bp": 2000},
			map[string]any{"name": "Gadget", "quantity": 1, "unit_price": 5, "tax_rate_bp": 1000},
		},
	}
}

func num(r resp, key string) int64 {
	f, _ := r.body[key].(float64)
	return int64(f)
}

func TestOrdersAPI(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, _ := a.signup(t, uniqueEmail("orders"))
		r := owner.do("POST", "/api/v1/orders", orderBody("Ada Lovelace")).must(t, 201)
		id := r.str("id")
		require.Equal(t, "/api/v1/orders/"+id, r.header.Get("Location"))
		require.Equal(t, `"1"`, r.header.Get("ETag"))
		require.Equal(t, "ORD-000001", r.str("number"))
		require.Equal(t, "pending", r.str("status"))
		// 3 × 19.99 = 59.97 (+11.99 tax); 0.05 (+0.01 tax); discount 1.00.
		require.Equal(t, int64(6002), num(r, "subtotal"))
		require.Equal(t, int64(1200), num(r, "tax"))
		require.Equal(t, int64(7102), num(r, "total"))
		items := r.body["items"].([]any)
		require.Len(t, items, 2)
		require.Equal(t, float64(5997), items[0].(map[string]any)["total"])

		// Clients never send totals.
		body := orderBody("X")
		body["total"] = 1
		owner.do("POST", "/api/v1/orders", body).must(t, 422)

		g := owner.do("GET", "/api/v1/orders/"+id, nil).must(t, 200)
		require.Equal(t, `"1"`, g.header.Get("ETag"))

		// PATCH with a stale If-Match is 412; with the current one it works.
		req := func(method, path string, body any, ifMatch string) resp {
			t.Helper()
			c := *owner
			return c.doWith(method, path, body, map[string]string{"If-Match": ifMatch})
		}
		req("PATCH", "/api/v1/orders/"+id, map[string]any{"notes": "leave at door"}, `"7"`).must(t, 412)
		p := req("PATCH", "/api/v1/orders/"+id, map[string]any{"notes": "leave at door", "items": []any{map[string]any{"name": "Only", "quantity": 2, "unit_price": 500}}}, `"1"`).must(t, 200)
		require.Equal(t, `"2"`, p.header.Get("ETag"))
		require.Equal(t, int64(900), num(p, "total"), "items replaced and totals recomputed, discount kept")
		req("PATCH", "/api/v1/orders/"+id, map[string]any{"notes": "again"}, `"1"`).must(t, 412)

		// The status machine.
		owner.do("POST", "/api/v1/orders/"+id+"/transitions", map[string]any{"to": "shipped"}).must(t, 409)
		owner.do("POST", "/api/v1/orders/"+id+"/transitions", map[string]any{"to": "flying"}).must(t, 422)
		tr := owner.do("POST", "/api/v1/orders/"+id+"/transitions", map[string]any{"to": "processing"}).must(t, 200)
		require.Equal(t, "processing", tr.str("status"))
		owner.do("PATCH", "/api/v1/orders/"+id, map[string]any{"items": []any{map[string]any{"name": "Late", "quantity": 1, "unit_price": 1}}}).must(t, 409)
		owner.do("PATCH", "/api/v1/orders/"+id, map[string]any{"notes": "notes still editable"}).must(t, 200)
		hist := owner.do("GET", "/api/v1/orders/"+id+"/history", nil).must(t, 200).list()
		require.Len(t, hist, 2)
		require.Equal(t, "processing", hist[1]["to"])

		// A member may not delete; an owner may, and the audit keeps a snapshot.
		member, _ := a.joinAs(t, owner, access.RoleMember)
		member.do("DELETE", "/api/v1/orders/"+id, nil).must(t, 403)
		owner.do("DELETE", "/api/v1/orders/"+id, nil).must(t, 204)
		owner.do("GET", "/api/v1/orders/"+id, nil).must(t, 404)
		del := owner.do("GET", "/api/v1/audit-log?action=order.deleted", nil).must(t, 200).list()
		require.Len(t, del, 1)
		snap := del[0]["metadata"].(map[string]any)["snapshot"].(map[string]any)
		require.Equal(t, "ORD-000001", snap["number"])
		require.NotEmpty(t, del[0]["request_id"])
		require.Equal(t, "user", del[0]["actor_type"])

		upd := owner.do("GET", "/api/v1/audit-log?action=order.updated", nil).must(t, 200).list()
		require.Len(t, upd, 2)
		changes := upd[1]["metadata"].(map[string]any)["changes"].(map[string]any)
		require.Contains(t, changes, "notes")
		require.Contains(t, changes, "items")
		require.Contains(t, changes, "total")
	})
}

func TestOrderListAPI(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, _ := a.signup(t, uniqueEmail("list"))
		for _, n := range []string{"Alice A", "Bob B", "Carol C", "Dan D", "Eve E"} {
			owner.do("POST", "/api/v1/orders", orderBody(n)).must(t, 201)
		}
		var names []string
		cursor := ""
		for range 5 {
			path := "/api/v1/orders?limit=2"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			r := owner.do("GET", path, nil).must(t, 200)
			for _, o := range r.list() {
				names = append(names, o["customer_name"].(string))
			}
			next, _ := r.body["next_cursor"].(string)
			if next == "" {
				require.Nil(t, r.body["next_cursor"], "the last page says next_cursor: null")
				break
			}
			cursor = next
		}
		require.Equal(t, []string{"Eve E", "Dan D", "Carol C", "Bob B", "Alice A"}, names, "newest first, each once")

		asc := owner.do("GET", "/api/v1/orders?direction=asc&limit=1", nil).must(t, 200)
		require.Equal(t, "Alice A", asc.list()[0]["customer_name"])
		c := asc.body["next_cursor"].(string)
		owner.do("GET", "/api/v1/orders?direction=desc&cursor="+c, nil).must(t, 422) // a cursor of another sort
		owner.do("GET", "/api/v1/orders?cursor=garbage", nil).must(t, 422)
		owner.do("GET", "/api/v1/orders?limit=500", nil).must(t, 422)
		owner.do("GET", "/api/v1/orders?status=lost", nil).must(t, 422)
		owner.do("GET", "/api/v1/orders?created_after=yesterday", nil).must(t, 422)

		require.Len(t, owner.do("GET", "/api/v1/orders?q=carol", nil).must(t, 200).list(), 1)
		require.Len(t, owner.do("GET", "/api/v1/orders?q=ORD-000002", nil).must(t, 200).list(), 1)
		require.Len(t, owner.do("GET", "/api/v1/orders?customer_email=dan.d@example.com", nil).must(t, 200).list(), 1)
		require.Len(t, owner.do("GET", "/api/v1/orders?sort=total&direction=asc", nil).must(t, 200).list(), 5)
	})
}

// Many clients retrying one create with the same key make one order.
func TestIdempotencyConcurrent(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, _ := a.signup(t, uniqueEmail("idem"))
		key := a.withKey(owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "k", "role": "member"}).must(t, 201).str("key"))
		body := orderBody("Same Body")
		const n = 12
		var wg sync.WaitGroup
		results := make(chan resp, n)
		for range n {
			wg.Go(func() {
				results <- key.doWith("POST", "/api/v1/orders", body, map[string]string{"Idempotency-Key": "order-42"})
			})
		}
		wg.Wait()
		close(results)
		ids := map[string]bool{}
		for r := range results {
			require.Contains(t, []int{201, 409}, r.status, r.raw)
			if r.status == 201 {
				ids[r.str("id")] = true
			}
		}
		require.Len(t, ids, 1, "every success is the same order")
		list := key.do("GET", "/api/v1/orders", nil).must(t, 200).list()
		require.Len(t, list, 1, "exactly one order was created")

		again := key.doWith("POST", "/api/v1/orders", body, map[string]string{"Idempotency-Key": "order-42"}).must(t, 201)
		require.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
		require.NotEmpty(t, again.header.Get("Location"))
		other := orderBody("Other Body")
		key.doWith("POST", "/api/v1/orders", other, map[string]string{"Idempotency-Key": "order-42"}).must(t, 422)
		// A failed request does not pin its key.
		bad := orderBody("Bad")
		bad["currency"] = "euro"
		key.doWith("POST", "/api/v1/orders", bad, map[string]string{"Idempotency-Key": "order-43"}).must(t, 422)
		key.doWith("POST", "/api/v1/orders", orderBody("Fixed"), map[string]string{"Idempotency-Key": "order-43"}).must(t, 201)
	})
}

// Concurrent creates through the API get distinct, gapless numbers.
func TestOrderNumbersConcurrent(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, _ := a.signup(t, uniqueEmail("numbers"))
		key := a.withKey(owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "k", "role": "member"}).must(t, 201).str("key"))
		const n = 16
		var wg sync.WaitGroup
		nums := make(chan string, n)
		for range n {
			wg.Go(func() { nums <- key.do("POST", "/api/v1/orders", orderBody("Concurrent C")).str("number") })
		}
		wg.Wait()
		close(nums)
		seen := map[string]bool{}
		for x := range nums {
			require.NotEmpty(t, x)
			require.False(t, seen[x], "number %s given twice", x)
			seen[x] = true
		}
		require.Len(t, seen, n)
		require.True(t, seen["ORD-000001"] && seen["ORD-000016"])
	})
}

// Whatever a client sends, the answer is a 4xx problem, never a 500, on
// every engine.
func TestOrderBadInput(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, _ := a.signup(t, uniqueEmail("bad"))
		raw := func(method, path, body string, headers ...string) *http.Response {
			req, _ := http.NewRequest(method, a.url+path, bytes.NewBufferString(body))
			req.Header.Set("Content-Type", "application/json")
			for i := 0; i+1 < len(headers); i += 2 {
				req.Header.Set(headers[i], headers[i+1])
			}
			res, err := owner.http.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			return res
		}
		valid := `"customer_email": "a@b.c", "currency": "EUR", "items": [{"name":"x","quantity":1,"unit_price":1}]`
		for _, body := range []string{
			`{"customer_name": 5}`,
			`{"unknown_field": 1}`,
			`[1,2,3]`,
			`{"customer_name": "A", "items": "many"}`,
			"{\"customer_name\": \"\xff\xfe\", " + valid + "}",
			`{"customer_name": "A\u0000nn", ` + valid + `}`,
			`{"customer_name": "Ann", "metadata": {"a": "\u0000"}, ` + valid + `}`,
			`{"items": [{"quantity": 9223372036854775807, "unit_price": 9223372036854775807, "name": "x"}], "customer_name": "a", "customer_email": "a@b.c", "currency": "EUR"}`,
			`{"customer_name": "a", "customer_email": "a@b.c", "currency": "EUR", "items": [{"name": "x", "quantity": 1.5, "unit_price": 1}]}`,
			`not json`,
			``,
		} {
			res := raw("POST", "/api/v1/orders", body)
			require.Equal(t, 422, res.StatusCode, "body %q", body)
			require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
		}
		for _, path := range []string{"/api/v1/orders?q=%00", "/api/v1/orders?customer_email=%ff", "/api/v1/audit-log?action=%00",
			"/api/v1/audit-log?entity_id=%ff", "/app/orders?q=%ff", "/app/audit?action=%00"} {
			require.Equal(t, 422, raw("GET", path, "").StatusCode, path)
		}
		require.Equal(t, 422, raw("PATCH", "/api/v1/tenant", `{"name":"x\u0000y"}`).StatusCode)
		require.Equal(t, 422, raw("POST", "/api/v1/orders", `{}`, "Idempotency-Key", "\xff\xfe").StatusCode)
		big := `{"notes": "` + strings.Repeat("x", 2<<20) + `"}`
		require.Equal(t, 413, raw("POST", "/api/v1/orders", big).StatusCode)
		require.Equal(t, 404, raw("GET", "/api/v1/orders/not-a-uuid", "").StatusCode)
		require.Equal(t, 404, raw("PATCH", "/api/v1/orders/01234567-0000-7000-8000-000000000000", `{}`).StatusCode)
		// The largest order the limits allow is computed without overflow.
		huge := `{"customer_name": "Big", "customer_email": "b@b.c", "currency": "EUR", "items": [{"name": "x", "quantity": 10000, "unit_price": 100000000000, "tax_rate_bp": 10000}]}`
		r := owner.do("POST", "/api/v1/orders", json.RawMessage(huge)).must(t, 201)
		require.Equal(t, int64(2_000_000_000_000_000), num(r, "total"))
	})
}

func TestAuditFilters(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, ownerID, _ := a.signup(t, uniqueEmail("af"))
	id := owner.do("POST", "/api/v1/orders", orderBody("Filter F")).must(t, 201).str("id")
	owner.do("POST", "/api/v1/orders/"+id+"/transitions", map[string]any{"to": "processing"}).must(t, 200)
	require.Len(t, owner.do("GET", "/api/v1/audit-log?entity_type=order&entity_id="+id, nil).must(t, 200).list(), 2)
	require.Len(t, owner.do("GET", "/api/v1/audit-log?action=order.status_changed&actor_id="+ownerID, nil).must(t, 200).list(), 1)
	require.Empty(t, owner.do("GET", "/api/v1/audit-log?from=2999-01-01T00:00:00Z", nil).must(t, 200).list())
	require.NotEmpty(t, owner.do("GET", "/api/v1/audit-log?to=2999-01-01T00:00:00Z", nil).must(t, 200).list())
	owner.do("GET", "/api/v1/audit-log?from=yesterday", nil).must(t, 422)
	owner.do("GET", "/api/v1/audit-log?actor_id=me", nil).must(t, 422)
}

// The general API limit: the N+1th request gets 429 with the headers;
// other keys, users and addresses are unaffected. In process and on Redis.
func TestAPIRateLimit(t *testing.T) {
	t.Parallel()
	stores := map[string]func(t *testing.T) ratelimit.Store{
		"memory": func(t *testing.T) ratelimit.Store {
			st, err := ratelimit.NewMemoryStore(1000)
			require.NoError(t, err)
			return st
		},
		"redis": func(t *testing.T) ratelimit.Store {
			opts, err := redis.ParseURL(testkit.RedisURL(t))
			require.NoError(t, err)
			c := redis.NewClient(opts)
			t.Cleanup(func() { c.Close() })
			st, err := ratelimit.NewRedisStore(c, "ordo-test:"+uuid.NewString()+":")
			require.NoError(t, err)
			return st
		},
	}
	for name, mk := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			setup := newApp(t, backends[0], nil)
			owner, _, _ := setup.signup(t, uniqueEmail("rl"))
			k1 := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "a", "role": "viewer"}).must(t, 201).str("key")
			k2 := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "b", "role": "viewer"}).must(t, 201).str("key")
			// A second server on the same store with a tight limit.
			lim, err := ratelimit.New(mk(t), ratelimit.Quota{Rate: 5, Per: time.Minute, Burst: 5})
			require.NoError(t, err)
			a := newAppOnStore(t, setup, &web.Limits{API: lim})
			for i := range 5 {
				r := a.withKey(k1).do("GET", "/api/v1/me", nil).must(t, 200)
				require.Equal(t, strconv.Itoa(4-i), r.header.Get("RateLimit-Remaining"))
			}
			r := a.withKey(k1).do("GET", "/api/v1/me", nil).must(t, 429)
			require.NotEmpty(t, r.header.Get("Retry-After"))
			require.Equal(t, "5", r.header.Get("RateLimit-Limit"))
			require.Equal(t, "0", r.header.Get("RateLimit-Remaining"))
			require.NotEmpty(t, r.header.Get("RateLimit-Reset"))
			require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
			a.withKey(k2).do("GET", "/api/v1/me", nil).must(t, 200)    // another key
			a.browser().do("GET", "/api/v1/version", nil).must(t, 200) // anonymous, by IP
		})
	}
}

// A reused key from another principal never replays the first response,
// and responses holding a new API key are never stored (a retry is told
// the key was made).
func TestIdempotencyPerPrincipal(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("ip"))
	viewerKey := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "v", "role": "viewer"}).must(t, 201).str("key")
	body := map[string]any{"name": "admin", "role": "admin"}
	first := owner.doWith("POST", "/api/v1/api-keys", body, map[string]string{"Idempotency-Key": "k-123"}).must(t, 201)
	stolen := a.withKey(viewerKey).doWith("POST", "/api/v1/api-keys", body, map[string]string{"Idempotency-Key": "k-123"})
	require.NotEqual(t, 201, stolen.status)
	require.NotContains(t, stolen.raw, first.str("key"))
	// The owner's retry is told the key was made, without the secret, and
	// makes no second key.
	again := owner.doWith("POST", "/api/v1/api-keys", body, map[string]string{"Idempotency-Key": "k-123"}).must(t, 409)
	require.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	require.NotContains(t, again.raw, first.str("key"), "a secret response is not replayed")
	require.Len(t, owner.do("GET", "/api/v1/api-keys", nil).must(t, 200).list(), 2)
}
