package web_test

import (
	"context"
	"html"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/ratelimit"
	"github.com/ordo/ordo/internal/tenant"
	"github.com/ordo/ordo/internal/web"
)

func ptr(v int64) *int64 { return &v }

// An order past the month's limit gets 403 plan-limit with the limit, its
// value, the usage and the plan, through the API and as a message on the
// form (which keeps what was typed); nothing is written, what was stored
// stays, and GET /api/v1/usage and the usage page show the counts.
func TestPlanLimitOrders(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, tid := a.signup(t, uniqueEmail("limit"))
		id := uuid.MustParse(tid)
		require.NoError(t, a.tenants.SetLimit(t.Context(), id, plan.OrdersPerMonth, ptr(3)))
		owner.do("POST", "/api/v1/orders", orderBody("First Customer")).must(t, 201)
		// Two concurrent creates for the last two slots and two more.
		var wg sync.WaitGroup
		statuses := make([]int, 4)
		for i := range statuses {
			wg.Go(func() { statuses[i] = owner.do("POST", "/api/v1/orders", orderBody("Racing Customer")).status })
		}
		wg.Wait()
		require.ElementsMatch(t, []int{201, 201, 403, 403}, statuses)

		r := owner.do("POST", "/api/v1/orders", orderBody("Refused Customer")).must(t, 403)
		require.Equal(t, "https://ordo.dev/problems/plan-limit", r.str("type"))
		require.Equal(t, "orders_per_month", r.str("limit"))
		require.EqualValues(t, 3, r.body["value"])
		require.EqualValues(t, 3, r.body["usage"])
		require.Equal(t, "free", r.str("plan"))
		require.Contains(t, r.str("detail"), "orders per month limit of the free plan is 3")
		require.Len(t, owner.do("GET", "/api/v1/orders", nil).must(t, 200).list(), 3, "accepted orders stay, refused ones left nothing")

		form := url.Values{"customer_name": {"Typed Customer"}, "customer_email": {"k@example.com"}, "currency": {"EUR"},
			"items.0.name": {"Widget"}, "items.0.quantity": {"1"}, "items.0.price": {"1.00"}, "items.0.tax": {"0"}}
		p := owner.post(t, "/app/orders", form)
		require.Equal(t, 403, p.status)
		body := html.UnescapeString(p.body)
		require.Contains(t, body, "orders per month limit of the free plan is 3, and 3 are used")
		require.Contains(t, body, `value="Typed Customer"`, "what was typed is kept")

		// API requests are counted in memory and written by a flush.
		require.NoError(t, a.apiUsage.Flush(t.Context()))
		u := owner.do("GET", "/api/v1/usage", nil).must(t, 200)
		require.GreaterOrEqual(t, u.body["counts"].(map[string]any)["api_requests"], float64(7), "the orders posted and listed")
		require.Equal(t, "free", u.str("plan"))
		require.EqualValues(t, 3, u.body["counts"].(map[string]any)["orders_created"])
		byName := map[string]map[string]any{}
		for _, l := range u.body["limits"].([]any) {
			m := l.(map[string]any)
			byName[m["name"].(string)] = m
		}
		require.Len(t, byName, len(plan.Names))
		require.EqualValues(t, 3, byName["orders_per_month"]["limit"])
		require.EqualValues(t, 3, byName["orders_per_month"]["usage"])
		require.EqualValues(t, 1, byName["members"]["usage"])
		require.EqualValues(t, plan.Builtin("free")[plan.Members], byName["members"]["limit"])
		require.Nil(t, byName["api_requests_per_minute"]["usage"])

		up := owner.get(t, "/app/usage")
		require.Equal(t, 200, up.status)
		require.Contains(t, up.body, `id="limit-orders_per_month"`)
		require.Contains(t, up.body, "limit reached")
		require.Contains(t, up.body, `href="/app/usage" aria-current="page"`)

		// Moving the tenant to another plan, and lifting the override,
		// frees the slot; the operator's changes are in the audit log.
		require.NoError(t, a.tenants.SetPlan(t.Context(), id, tenant.PlanPro))
		owner.do("POST", "/api/v1/orders", orderBody("Still Limited")).must(t, 403) // the tenant's override still wins
		require.NoError(t, a.tenants.SetLimit(t.Context(), id, plan.OrdersPerMonth, nil))
		owner.do("POST", "/api/v1/orders", orderBody("After Upgrade")).must(t, 201)
		require.Equal(t, "pro", owner.do("GET", "/api/v1/usage", nil).must(t, 200).str("plan"))
		audit := owner.do("GET", "/api/v1/audit-log", nil).must(t, 200).list()
		var actions []string
		for _, e := range audit {
			actions = append(actions, e["action"].(string))
		}
		require.Contains(t, actions, "tenant.plan_changed")
		require.Contains(t, actions, "tenant.limit_changed")
	})
}

// Members, webhook endpoints, exports per day and storage are refused at
// their limits with the same problem; a viewer may not read the usage.
func TestPlanLimitOthers(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, tid := a.signup(t, uniqueEmail("limits"))
		id := uuid.MustParse(tid)
		for name, v := range map[plan.Limit]int64{plan.WebhookEndpoints: 1, plan.ExportsPerDay: 1, plan.StorageBytes: 100} {
			require.NoError(t, a.tenants.SetLimit(t.Context(), id, name, ptr(v)))
		}
		requireLimit := func(r resp, name string) {
			t.Helper()
			r.must(t, 403)
			require.Equal(t, "https://ordo.dev/problems/plan-limit", r.str("type"))
			require.Equal(t, name, r.str("limit"))
		}

		guest := uniqueEmail("guest")
		owner.do("POST", "/api/v1/invitations", map[string]any{"email": guest, "role": "viewer"}).must(t, 201)
		tok := a.outbox.token(t, guest, "invited")
		// The tenant fills up between the invitation and its acceptance.
		require.NoError(t, a.tenants.SetLimit(t.Context(), id, plan.Members, ptr(1)))
		requireLimit(a.browser().do("POST", "/api/v1/invitations/accept", map[string]any{"token": tok, "password": password}), "members")
		requireLimit(owner.do("POST", "/api/v1/invitations", map[string]any{"email": uniqueEmail("later"), "role": "viewer"}), "members")
		require.Len(t, owner.do("GET", "/api/v1/members", nil).must(t, 200).list(), 1)

		hook := map[string]any{"url": "http://127.0.0.1:9/hook"}
		owner.do("POST", "/api/v1/webhook-endpoints", hook).must(t, 201)
		requireLimit(owner.do("POST", "/api/v1/webhook-endpoints", hook), "webhook_endpoints")
		p := owner.post(t, "/app/webhooks", url.Values{"url": {"http://127.0.0.1:9/other"}, "description": {"Kept text"}})
		require.Equal(t, 403, p.status)
		require.Contains(t, html.UnescapeString(p.body), "The webhook endpoints limit of the free plan is 1, and 1 are used")
		require.Contains(t, p.body, `value="Kept text"`, "what was typed is kept")

		owner.do("POST", "/api/v1/orders", orderBody("Exported Customer")).must(t, 201)
		ex := owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "csv"}).must(t, 202)
		require.Equal(t, "completed", waitExport(t, owner, ex.str("id")).str("status"))
		counts := owner.do("GET", "/api/v1/usage", nil).must(t, 200).body["counts"].(map[string]any)
		require.EqualValues(t, 2, counts["export_rows"], "an order of two items is two rows")
		require.EqualValues(t, 1, counts["orders_created"])
		require.Eventually(t, func() bool {
			c := owner.do("GET", "/api/v1/usage", nil).must(t, 200).body["counts"].(map[string]any)
			return c["emails_sent"] == float64(2)
		}, 10*time.Second, 50*time.Millisecond, "the invitation's e-mail and the export's, about the tenant, are counted")
		requireLimit(owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "csv"}), "exports_per_day")
		p = owner.post(t, "/app/exports", url.Values{"format": {"csv"}})
		require.Equal(t, "/app/exports", p.url)
		require.Contains(t, html.UnescapeString(p.body), "exports per day limit of the free plan is 1")

		up := map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 60}
		owner.do("POST", "/api/v1/uploads/presign", up).must(t, 201)
		requireLimit(owner.do("POST", "/api/v1/uploads/presign", up), "storage_bytes")

		// The guest joins once the limit is lifted.
		require.NoError(t, a.tenants.SetLimit(t.Context(), id, plan.Members, ptr(plan.Unlimited)))
		g := a.browser()
		g.do("POST", "/api/v1/invitations/accept", map[string]any{"token": tok, "password": password}).must(t, 200)
		g.do("GET", "/api/v1/usage", nil).must(t, 403)
		require.Equal(t, 403, g.get(t, "/app/usage").status)
		require.NotContains(t, g.get(t, "/app").body, `href="/app/usage"`)
	})
}

// With APIPlan (ORDO_PLAN_API_RATE), a tenant's API requests are limited
// to its plan's api_requests_per_minute, its members and keys together:
// past it, 429 with Retry-After; another tenant is not slowed.
func TestPlanAPIRate(t *testing.T) {
	t.Parallel()
	st, err := ratelimit.NewMemoryStore(1000)
	require.NoError(t, err)
	perMinute := ratelimit.NewPerMinute(st)
	var a *app
	var once sync.Once
	var rates *plan.ValueCache
	lim := &web.Limits{APIPlan: func(ctx context.Context, tenantID uuid.UUID) (*ratelimit.Limiter, error) {
		once.Do(func() { rates = plan.NewValueCache(a.store, plan.APIRequestsPerMinute, time.Millisecond) })
		v, err := rates.Get(ctx, tenantID)
		if err != nil || v == plan.Unlimited {
			return nil, err
		}
		return perMinute.Get(int(v))
	}}
	a = newApp(t, backends[0], lim)
	owner, _, tid := a.signup(t, uniqueEmail("rate"))
	other, _, _ := a.signup(t, uniqueEmail("rate-other"))
	require.NoError(t, a.tenants.SetLimit(t.Context(), uuid.MustParse(tid), plan.APIRequestsPerMinute, ptr(3)))
	var limited resp
	for range 10 {
		if r := owner.do("GET", "/api/v1/orders", nil); r.status == 429 {
			limited = r
			break
		}
	}
	require.Equal(t, 429, limited.status, "past the plan's rate")
	require.NotEmpty(t, limited.header.Get("Retry-After"))
	require.Equal(t, "3", limited.header.Get("RateLimit-Limit"))
	other.do("GET", "/api/v1/orders", nil).must(t, 200)
	require.NoError(t, a.tenants.SetLimit(t.Context(), uuid.MustParse(tid), plan.APIRequestsPerMinute, ptr(plan.Unlimited)))
	time.Sleep(5 * time.Millisecond) // the cached rate expires
	owner.do("GET", "/api/v1/orders", nil).must(t, 200)
}
