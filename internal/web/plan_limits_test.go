package web_test

import (
	"html"
	"net/url"
	"sync"
	"testing"

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
			owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:9/a"}).must(t, 201)
			r = owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:9/b"})
			require.Equal(t, 403, r.status, r.raw)
			require.Equal(t, "webhook_endpoints", r.str("limit"))

			u := owner.do("GET", "/api/v1/usage", nil).must(t, 200)
			require.Equal(t, "free", u.str("plan"))
			require.Equal(t, true, u.body["enforced"])
			byName := map[string]map[string]any{}
			for _, it := range u.body["limits"].([]any) {
				m := it.(map[string]any)
				byName[m["name"].(string)] = m
			}
			require.Equal(t, float64(4), byName["orders_per_month"]["used"])
			require.Nil(t, byName["orders_per_month"]["limit"], "unlimited after the raise")
			require.Equal(t, float64(3), byName["members"]["used"])
			require.Equal(t, float64(3), byName["members"]["limit"])
			require.Equal(t, float64(1), byName["webhook_endpoints"]["used"])
			usage := owner.get(t, "/app/usage")
			require.Equal(t, 200, usage.status)
			require.Contains(t, usage.body, `id="usage-members"`)
			require.Contains(t, usage.body, `aria-current="page"`)
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
	u := owner.do("GET", "/api/v1/usage", nil).must(t, 200)
	require.Equal(t, false, u.body["enforced"])
	member, _ := a.joinAs(t, owner, access.RoleMember)
	member.do("GET", "/api/v1/usage", nil).must(t, 403)
}
