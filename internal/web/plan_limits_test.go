package web_test

import (
	"html"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/plan"
)

func ptr[T any](v T) *T { return &v }

// With ORDO_PLAN_LIMITS on, a tenant on a plan cannot pass its limits:
// concurrent creates for the last order of the month let exactly one
// through and refuse the others with a plan-limit problem that names the
// limit, its value, the usage and the plan; members and webhook endpoints
// likewise; GET /api/v1/usage and the Usage page show where it stands;
// nothing already accepted is lost.
func TestPlanLimits(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newAppOpts(t, b, appOpts{planLimits: true})
			owner, _, tidStr := a.signup(t, uniqueEmail("limits"))
			tid := uuid.MustParse(tidStr)
			require.NoError(t, a.tenants.SetLimit(t.Context(), access.Operator(tid), plan.OrdersPerMonth, ptr(int64(3)), access.Meta{}))
			// The API rate is tried last: until then, no test step waits
			// on the free plan's 60 a minute.
			require.NoError(t, a.tenants.SetLimit(t.Context(), access.Operator(tid), plan.APIRequestsPerMinute, ptr(plan.Unlimited), access.Meta{}))
			for range 2 {
				owner.do("POST", "/api/v1/orders", orderBody("Within Limit")).must(t, 201)
			}

			var wg sync.WaitGroup
			results := make(chan resp, 4)
			for range 4 {
				wg.Go(func() { results <- owner.do("POST", "/api/v1/orders", orderBody("Last Slot")) })
			}
			wg.Wait()
			close(results)
			var created int
			var refused resp
			for r := range results {
				switch r.status {
				case 201:
					created++
				case 403:
					refused = r
				default:
					t.Fatalf("a create at the limit answered %d: %s", r.status, r.raw)
				}
			}
			require.Equal(t, 1, created, "exactly one create takes the last slot")
			require.Equal(t, "https://ordo.dev/problems/plan-limit", refused.str("type"))
			require.Equal(t, "orders_per_month", refused.str("limit"))
			require.Equal(t, float64(3), refused.body["value"])
			require.Equal(t, float64(3), refused.body["usage"])
			require.Equal(t, "free", refused.str("plan"))
			require.Contains(t, refused.str("detail"), "the free plan allows 3 orders a month")
			require.Len(t, owner.do("GET", "/api/v1/orders", nil).must(t, 200).list(), 3, "the accepted orders are all there")

			// The order form says so in words, keeping what was typed.
			page := owner.post(t, "/app/orders", url.Values{"customer_name": {"Form Refused"}, "customer_email": {"f@example.com"}, "currency": {"EUR"},
				"items.0.name": {"Widget"}, "items.0.quantity": {"1"}, "items.0.price": {"1.00"}, "items.0.tax": {"0"}})
			require.Equal(t, 403, page.status)
			require.Contains(t, html.UnescapeString(page.body), "free plan allows 3 orders a month and this tenant has used 3")
			require.Contains(t, page.body, `value="Form Refused"`, "what was typed is kept")

			// An operator raises the limit: the next create passes.
			require.NoError(t, a.tenants.SetLimit(t.Context(), access.Operator(tid), plan.OrdersPerMonth, ptr(plan.Unlimited), access.Meta{}))
			owner.do("POST", "/api/v1/orders", orderBody("After Raise")).must(t, 201)

			// Members: the free plan's 3 seats.
			a.joinAs(t, owner, access.RoleMember)
			a.joinAs(t, owner, access.RoleViewer)
			r := owner.do("POST", "/api/v1/invitations", map[string]any{"email": uniqueEmail("fourth"), "role": "viewer"})
			require.Equal(t, 403, r.status, r.raw)
			require.Equal(t, "members", r.str("limit"))

			// Webhook endpoints: the free plan's one.
			rcv := newReceiver(t)
			owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": rcv.srv.URL}).must(t, 201)
			r = owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:9/b"})
			require.Equal(t, 403, r.status, r.raw)
			require.Equal(t, "webhook_endpoints", r.str("limit"))
			require.Equal(t, float64(1), r.body["usage"])
			// The form says it above itself, keeping what was typed.
			page = owner.post(t, "/app/webhooks", url.Values{"url": {"http://127.0.0.1:9/c"}, "description": {"Kept text"}})
			require.Equal(t, 403, page.status)
			require.Contains(t, html.UnescapeString(page.body), "free plan allows 1 webhook endpoint and this tenant has used 1")
			require.Contains(t, page.body, `value="Kept text"`)

			// Exports a day: one; the order is delivered to the endpoint.
			require.NoError(t, a.tenants.SetLimit(t.Context(), access.Operator(tid), plan.ExportsPerDay, ptr(int64(1)), access.Meta{}))
			owner.do("POST", "/api/v1/orders", orderBody("Exported Customer")).must(t, 201)
			ex := owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "csv"}).must(t, 202)
			done := waitExport(t, owner, ex.str("id"))
			require.Equal(t, "completed", done.str("status"))
			r = owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "xlsx"})
			require.Equal(t, 403, r.status, r.raw)
			require.Equal(t, "exports_per_day", r.str("limit"))
			require.Equal(t, float64(1), r.body["value"])
			require.Equal(t, float64(1), r.body["usage"])
			// A form that flashes says it and goes back.
			page = owner.post(t, "/app/exports", url.Values{"format": {"csv"}})
			require.Equal(t, 200, page.status)
			require.Contains(t, html.UnescapeString(page.body), "free plan allows 1 export a day and this tenant has used 1")
			// Deleting the day's export frees nothing.
			owner.do("DELETE", "/api/v1/exports/"+ex.str("id"), nil).must(t, 204)
			r = owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "csv"})
			require.Equal(t, 403, r.status, r.raw)
			require.Equal(t, "exports_per_day", r.str("limit"))
			// The owner's archive is not an export the limit counts.
			owner.do("POST", "/api/v1/tenant/archive", nil).must(t, 202)

			// Storage: pending uploads reserve their size.
			require.NoError(t, a.tenants.SetLimit(t.Context(), access.Operator(tid), plan.StorageBytes, ptr(int64(100)), access.Meta{}))
			up := map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 60}
			owner.do("POST", "/api/v1/uploads/presign", up).must(t, 201)
			r = owner.do("POST", "/api/v1/uploads/presign", up)
			require.Equal(t, 403, r.status, r.raw)
			require.Equal(t, "storage_bytes", r.str("limit"))
			require.Equal(t, float64(100), r.body["value"])
			require.Equal(t, float64(60), r.body["usage"])
			up["size"] = 40
			owner.do("POST", "/api/v1/uploads/presign", up).must(t, 201)

			u := owner.do("GET", "/api/v1/usage", nil).must(t, 200)
			require.Equal(t, "free", u.str("plan"))
			require.Equal(t, true, u.body["enforced"])
			byName := map[string]map[string]any{}
			for _, it := range u.body["limits"].([]any) {
				m := it.(map[string]any)
				byName[m["name"].(string)] = m
			}
			require.Equal(t, float64(5), byName["orders_per_month"]["used"])
			require.Nil(t, byName["orders_per_month"]["limit"], "unlimited after the raise")
			require.Equal(t, float64(3), byName["members"]["used"])
			require.Equal(t, float64(3), byName["members"]["limit"])
			require.Equal(t, float64(1), byName["webhook_endpoints"]["used"])
			require.Equal(t, float64(1), byName["exports_per_day"]["used"])
			require.Equal(t, float64(100), byName["storage_bytes"]["used"])
			require.Equal(t, float64(100), byName["storage_bytes"]["limit"])
			require.Nil(t, byName["api_requests_per_minute"]["limit"])

			// The month's counters: export rows in the export's
			// transaction, e-mails about the tenant once sent (two
			// invitations, the export's notice), deliveries that
			// succeeded and API requests once the tally flushes.
			counts := u.body["counts"].(map[string]any)
			require.Equal(t, float64(5), counts["orders_created"])
			require.Equal(t, done.body["row_count"], counts["export_rows"])
			require.Greater(t, counts["export_rows"], float64(0))
			require.Equal(t, float64(100), counts["storage_bytes"])
			require.Eventually(t, func() bool {
				require.NoError(t, a.usage.Flush(t.Context()))
				c := owner.do("GET", "/api/v1/usage", nil).must(t, 200).body["counts"].(map[string]any)
				return c["emails_sent"].(float64) >= 3 && c["webhook_deliveries"].(float64) >= 1
			}, 15*time.Second, 50*time.Millisecond, "e-mails and deliveries are counted")
			require.Zero(t, u.body["counts"].(map[string]any)["api_requests"], "not flushed yet")
			require.NoError(t, a.usage.Flush(t.Context()))
			counts = owner.do("GET", "/api/v1/usage", nil).must(t, 200).body["counts"].(map[string]any)
			require.GreaterOrEqual(t, counts["api_requests"], float64(20), "the requests above, written by one flush")

			usage := owner.get(t, "/app/usage")
			require.Equal(t, 200, usage.status)
			require.Contains(t, usage.body, `id="usage-members"`)
			require.Contains(t, usage.body, `id="usage-storage_bytes"`)
			require.Contains(t, usage.body, `id="count-export_rows"`)
			require.Contains(t, usage.body, `aria-current="page"`)

			// API requests a minute: the tenant's keys and members
			// together; past it, 429 with Retry-After. Another tenant is
			// not slowed.
			require.NoError(t, a.tenants.SetLimit(t.Context(), access.Operator(tid), plan.APIRequestsPerMinute, ptr(int64(3)), access.Meta{}))
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
			other, _, _ := a.signup(t, uniqueEmail("limits-other"))
			other.do("GET", "/api/v1/orders", nil).must(t, 200)
		})
	}
}

// Without ORDO_PLAN_LIMITS, usage is counted and nothing is refused.
func TestPlanLimitsOff(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, tidStr := a.signup(t, uniqueEmail("nolimits"))
	require.NoError(t, a.tenants.SetLimit(t.Context(), access.Operator(uuid.MustParse(tidStr)), plan.OrdersPerMonth, ptr(int64(1)), access.Meta{}))
	for range 3 {
		owner.do("POST", "/api/v1/orders", orderBody("Unlimited U")).must(t, 201)
	}
	require.NoError(t, a.usage.Flush(t.Context()))
	u := owner.do("GET", "/api/v1/usage", nil).must(t, 200)
	require.Equal(t, false, u.body["enforced"])
	require.GreaterOrEqual(t, u.body["counts"].(map[string]any)["api_requests"], float64(3), "counted all the same")
	member, _ := a.joinAs(t, owner, access.RoleMember)
	member.do("GET", "/api/v1/usage", nil).must(t, 403)
}

// Exports a day and stored bytes are counted under the tenant's lock:
// concurrent requests for the last slot let exactly one through, on both
// engines.
func TestPlanLimitsConcurrent(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newAppOpts(t, b, appOpts{planLimits: true})
			for _, tc := range []struct {
				limit  plan.Name
				value  int64
				path   string
				body   map[string]any
				status int
			}{
				{plan.ExportsPerDay, 1, "/api/v1/orders/export", map[string]any{"format": "csv"}, 202},
				{plan.StorageBytes, 100, "/api/v1/uploads/presign", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 60}, 201},
			} {
				t.Run(string(tc.limit), func(t *testing.T) {
					owner, _, tid := a.signup(t, uniqueEmail("race"))
					require.NoError(t, a.tenants.SetLimit(t.Context(), access.Operator(uuid.MustParse(tid)), tc.limit, ptr(tc.value), access.Meta{}))
					var wg sync.WaitGroup
					results := make(chan resp, 4)
					for range 4 {
						wg.Go(func() { results <- owner.do("POST", tc.path, tc.body) })
					}
					wg.Wait()
					close(results)
					var passed, refused int
					for r := range results {
						switch r.status {
						case tc.status:
							passed++
						case 403:
							refused++
							require.Equal(t, string(tc.limit), r.str("limit"))
						default:
							t.Fatalf("%s at the limit answered %d: %s", tc.path, r.status, r.raw)
						}
					}
					require.Equal(t, 1, passed, "exactly one takes the last slot")
					require.Equal(t, 3, refused)
				})
			}
		})
	}
}
