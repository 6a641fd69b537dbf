package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/order"
)

// dashTotals digs a currency's period out of a dashboard response:
// orders, revenue and the formatted revenue; zero values when the
// currency is absent.
func dashTotals(t *testing.T, r resp, currency, period string) (int64, int64, string) {
	t.Helper()
	for _, c := range r.body["currencies"].([]any) {
		m := c.(map[string]any)
		if m["currency"] != currency {
			continue
		}
		p := m[period].(map[string]any)
		return int64(p["orders"].(float64)), int64(p["revenue"].(float64)), p["revenue_formatted"].(string)
	}
	return 0, 0, ""
}

func dashCurrencies(r resp) []string {
	var out []string
	for _, c := range r.body["currencies"].([]any) {
		out = append(out, c.(map[string]any)["currency"].(string))
	}
	return out
}

func dashDaily(t *testing.T, r resp) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, d := range r.body["daily"].([]any) {
		out = append(out, d.(map[string]any))
	}
	require.Len(t, out, 30, "30 days")
	return out
}

func TestDashboard(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, _ := a.signup(t, uniqueEmail("dash"))
		today := time.Now().UTC().Format(time.DateOnly)

		// A new tenant: nothing yet, and the page says how to start.
		r := owner.do("GET", "/api/v1/dashboard", nil).must(t, 200)
		require.Empty(t, r.body["currencies"])
		require.Empty(t, r.body["recent_orders"])
		daily := dashDaily(t, r)
		for _, d := range daily {
			require.Zero(t, d["orders"])
		}
		pg := owner.get(t, "/app")
		require.Equal(t, 200, pg.status)
		require.Contains(t, pg.body, "No orders yet — create your first order")
		require.NotContains(t, pg.body, `<svg role="img"`, "no chart")

		// Two currencies; one EUR order cancelled.
		eur := orderBody("Dash Eur")
		e1 := owner.do("POST", "/api/v1/orders", eur).must(t, 201)
		e2 := owner.do("POST", "/api/v1/orders", eur).must(t, 201)
		jpy := orderBody("Dash Yen")
		jpy["currency"], jpy["discount"] = "JPY", 0
		y1 := owner.do("POST", "/api/v1/orders", jpy).must(t, 201)
		gone := owner.do("POST", "/api/v1/orders", eur).must(t, 201)
		owner.do("POST", "/api/v1/orders/"+gone.str("id")+"/transitions", map[string]any{"to": "cancelled"}).must(t, 200)

		r = owner.do("GET", "/api/v1/dashboard", nil).must(t, 200)
		require.Equal(t, []string{"EUR", "JPY"}, dashCurrencies(r), "by code")
		eurRevenue := num(e1, "total") + num(e2, "total")
		for _, period := range []string{"today", "last_7_days", "last_30_days"} {
			n, rev, f := dashTotals(t, r, "EUR", period)
			require.Equal(t, int64(2), n, "EUR %s: the cancelled order is left out", period)
			require.Equal(t, eurRevenue, rev, "EUR %s", period)
			require.Equal(t, order.FormatMoney(eurRevenue, "EUR"), f)
			n, rev, f = dashTotals(t, r, "JPY", period)
			require.Equal(t, int64(1), n, "JPY %s", period)
			require.Equal(t, num(y1, "total"), rev)
			require.Equal(t, order.FormatMoney(num(y1, "total"), "JPY"), f)
			require.NotContains(t, f, ".", "yen have no minor unit")
		}
		daily = dashDaily(t, r)
		last := daily[29]
		if last["date"] != today { // the test ran across midnight UTC
			today = time.Now().UTC().Format(time.DateOnly)
		}
		require.Equal(t, today, last["date"], "the series ends today")
		require.Equal(t, float64(3), last["orders"], "all currencies, cancelled left out")
		first, err := time.Parse(time.DateOnly, daily[0]["date"].(string))
		require.NoError(t, err)
		require.Equal(t, today, first.AddDate(0, 0, 29).Format(time.DateOnly), "oldest first, one entry per day")
		for _, d := range daily[:29] {
			require.Zero(t, d["orders"])
		}
		recent := r.body["recent_orders"].([]any)
		require.Len(t, recent, 4, "recent orders include the cancelled one")
		require.Equal(t, gone.str("id"), recent[0].(map[string]any)["id"], "newest first")
		require.Equal(t, "cancelled", recent[0].(map[string]any)["status"])

		// Every kind of order write shows at once: the numbers come from
		// a rollup kept in the write's transaction.
		y2 := owner.do("POST", "/api/v1/orders", jpy).must(t, 201)
		r = owner.do("GET", "/api/v1/dashboard", nil).must(t, 200)
		n, rev, _ := dashTotals(t, r, "JPY", "today")
		require.Equal(t, int64(2), n, "a new order counts at once")
		require.Equal(t, num(y1, "total")+num(y2, "total"), rev)

		upd := owner.do("PATCH", "/api/v1/orders/"+y2.str("id"), map[string]any{"discount": 7}).must(t, 200)
		r = owner.do("GET", "/api/v1/dashboard", nil).must(t, 200)
		_, rev, _ = dashTotals(t, r, "JPY", "last_30_days")
		require.Equal(t, num(y1, "total")+num(upd, "total"), rev, "an update counts at once")

		owner.do("POST", "/api/v1/orders/"+y2.str("id")+"/transitions", map[string]any{"to": "cancelled"}).must(t, 200)
		r = owner.do("GET", "/api/v1/dashboard", nil).must(t, 200)
		n, _, _ = dashTotals(t, r, "JPY", "last_7_days")
		require.Equal(t, int64(1), n, "a cancellation counts at once")

		owner.do("DELETE", "/api/v1/orders/"+e2.str("id"), nil).must(t, 204)
		r = owner.do("GET", "/api/v1/dashboard", nil).must(t, 200)
		n, rev, _ = dashTotals(t, r, "EUR", "today")
		require.Equal(t, int64(1), n, "a deletion counts at once")
		require.Equal(t, num(e1, "total"), rev)
		require.Equal(t, float64(2), dashDaily(t, r)[29]["orders"])

		// The page: stat cards, a 30-bar chart, the recent orders.
		pg = owner.get(t, "/app")
		require.Equal(t, 200, pg.status)
		require.Contains(t, pg.body, `<svg role="img"`)
		require.Contains(t, pg.body, `viewBox="0 0 600 200"`)
		require.Equal(t, 30, strings.Count(pg.body, `<rect class="chart-bar`), "one bar per day")
		require.Contains(t, pg.body, "<title id=\"chart-title\">Orders per day")
		require.Contains(t, pg.body, ": 2 orders</title>", "today's bar has its tooltip")
		require.Contains(t, pg.body, "<dt>Today</dt>")
		require.Contains(t, pg.body, "1 order<", "singular")
		require.Contains(t, pg.body, order.FormatMoney(num(e1, "total"), "EUR"))
		require.Contains(t, pg.body, order.FormatMoney(num(y1, "total"), "JPY"))
		require.Contains(t, pg.body, `href="/app/orders/`+e1.str("id")+`"`)
		require.Contains(t, pg.body, e1.str("number"))
		require.NotContains(t, pg.body, e2.str("number"), "deleted orders are gone")
		require.NotContains(t, pg.body, "No orders yet")
		require.NotContains(t, pg.body, "style=", "the CSP forbids inline styles")

		// A viewer sees the same numbers and page.
		viewer, _ := a.joinAs(t, owner, access.RoleViewer)
		vr := viewer.do("GET", "/api/v1/dashboard", nil).must(t, 200)
		require.Equal(t, r.body["currencies"], vr.body["currencies"])
		vp := viewer.get(t, "/app")
		require.Equal(t, 200, vp.status)
		require.Equal(t, 30, strings.Count(vp.body, `<rect class="chart-bar`))
		require.Contains(t, vp.body, order.FormatMoney(num(e1, "total"), "EUR"))

		// Another tenant's numbers never appear, either way.
		other, _, _ := a.signup(t, uniqueEmail("dash-other"))
		gbp := orderBody("Other Gbp")
		gbp["currency"] = "GBP"
		g1 := other.do("POST", "/api/v1/orders", gbp).must(t, 201)
		or := other.do("GET", "/api/v1/dashboard", nil).must(t, 200)
		require.Equal(t, []string{"GBP"}, dashCurrencies(or))
		require.Len(t, or.body["recent_orders"], 1)
		op := other.get(t, "/app")
		require.NotContains(t, op.body, "Dash Eur")
		require.NotContains(t, op.body, "JPY")
		r = owner.do("GET", "/api/v1/dashboard", nil).must(t, 200)
		require.Equal(t, []string{"EUR", "JPY"}, dashCurrencies(r))
		pg = owner.get(t, "/app")
		require.NotContains(t, pg.body, g1.str("id"))
		require.NotContains(t, pg.body, "Other Gbp")
		require.NotContains(t, pg.body, "GBP")

		// Anonymous callers get nothing.
		a.browser().do("GET", "/api/v1/dashboard", nil).must(t, 401)
	})
}
