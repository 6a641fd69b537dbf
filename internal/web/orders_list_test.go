package web_test

import (
	"cmp"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
)

// seedOrdersAt stores one pending order per time in at, with totals that
// repeat (1000, 2000, 3000, …) so that sorts by total have ties, and
// returns their ids in the order of at.
func (a *app) seedOrdersAt(t *testing.T, tenantID string, at []time.Time) []string {
	t.Helper()
	ctx := t.Context()
	tid := uuid.MustParse(tenantID)
	var ids []string
	require.NoError(t, a.store.InTx(ctx, func(tx store.Tx) error {
		for i, ts := range at {
			num, err := tx.OrderNextNumber(ctx, tid)
			if err != nil {
				return err
			}
			o := order.Order{ID: uuid.Must(uuid.NewV7()), TenantID: tid, Number: num, Status: order.StatusPending, CustomerName: "Cust",
				CustomerEmail: "c@example.com", Currency: "EUR", Total: int64(1000 * (i%3 + 1)), Version: 1, CreatedAt: ts, UpdatedAt: ts}
			if err := tx.OrderCreate(ctx, o); err != nil {
				return err
			}
			ids = append(ids, o.ID.String())
		}
		return nil
	}))
	return ids
}

// problemFields are the fields a problem+json answer names.
func problemFields(r resp) []string {
	var out []string
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		m, _ := e.(map[string]any)
		f, _ := m["field"].(string)
		out = append(out, f)
	}
	return out
}

// Every sort of GET /api/v1/orders pages forward to the end and back
// through the same pages, every order once, ties broken by id; bad sorts,
// dates and cursors are 422 problems that name the field.
func TestOrderListAPISorts(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			owner, _, tenantID := a.signup(t, uniqueEmail("sorts"))
			base := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
			var at []time.Time
			for i := range 11 {
				at = append(at, base.Add(time.Duration(i/2)*time.Second)) // pairs share a time
			}
			ids := a.seedOrdersAt(t, tenantID, at)
			type row struct {
				id     string
				at     time.Time
				total  int64
				number int
			}
			var rows []row
			for i, id := range ids {
				rows = append(rows, row{id, at[i], int64(1000 * (i%3 + 1)), i + 1})
			}
			ids2 := func(r resp) []string {
				var out []string
				for _, o := range r.list() {
					out = append(out, o["id"].(string))
				}
				return out
			}
			for _, sort := range []string{"-created_at", "created_at", "-total", "total", "-number", "number"} {
				field, desc := strings.CutPrefix(sort, "-")
				want := slices.Clone(rows)
				slices.SortFunc(want, func(x, y row) int {
					var c int
					switch field {
					case "total":
						c = cmp.Compare(x.total, y.total)
					case "number":
						c = cmp.Compare(x.number, y.number)
					default:
						c = x.at.Compare(y.at)
					}
					if c == 0 {
						c = strings.Compare(x.id, y.id)
					}
					if desc {
						c = -c
					}
					return c
				})
				var wantIDs []string
				for _, r := range want {
					wantIDs = append(wantIDs, r.id)
				}
				path := "/api/v1/orders?limit=3&sort=" + url.QueryEscape(sort)
				if !strings.HasPrefix(sort, "-") {
					path += "&direction=asc" // a bare field is descending, as in v1's first release
				}
				r := owner.do("GET", path, nil).must(t, 200)
				require.Nil(t, r.body["prev_cursor"], sort)
				var pages [][]string
				for range len(rows) {
					pages = append(pages, ids2(r))
					next, _ := r.body["next_cursor"].(string)
					if next == "" {
						break
					}
					r = owner.do("GET", path+"&cursor="+next, nil).must(t, 200)
				}
				require.Equal(t, wantIDs, slices.Concat(pages...), "%s: forward, every order once", sort)
				var back [][]string
				for range len(rows) {
					back = append([][]string{ids2(r)}, back...)
					prev, _ := r.body["prev_cursor"].(string)
					if prev == "" {
						break
					}
					r = owner.do("GET", path+"&cursor="+prev, nil).must(t, 200)
				}
				require.Equal(t, pages, back, "%s: back through the same pages", sort)
			}

			// v1's first spelling still works: a bare field is descending,
			// and its cursor goes on with -field.
			r := owner.do("GET", "/api/v1/orders?limit=3&sort=total&direction=desc", nil).must(t, 200)
			next := r.body["next_cursor"].(string)
			owner.do("GET", "/api/v1/orders?limit=3&sort=-total&cursor="+next, nil).must(t, 200)

			for _, c := range []struct{ query, field string }{
				{"sort=price", "sort"},
				{"sort=--total", "sort"},
				{"sort=-total&direction=asc", "direction"},
				{"sort=total&direction=asc&cursor=" + next, "cursor"}, // a cursor of -total
				{"sort=-created_at&cursor=" + next, "cursor"},
				{"created_from=2026-02-30", "created_from"},
				{"created_to=31.01.2026", "created_to"},
				{"created_from=2026-02-02&created_to=2026-02-01", "created_to"},
			} {
				p := owner.do("GET", "/api/v1/orders?"+c.query, nil).must(t, 422)
				require.Equal(t, "application/problem+json", p.header.Get("Content-Type"), c.query)
				require.Equal(t, []string{c.field}, problemFields(p), c.query)
			}
		})
	}
}

// created_from and created_to are whole UTC days, both included.
func TestOrderListAPIDateRange(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			owner, _, tenantID := a.signup(t, uniqueEmail("days"))
			d := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
			ids := a.seedOrdersAt(t, tenantID, []time.Time{d.Add(-time.Second), d, d.Add(24*time.Hour - time.Second), d.Add(24 * time.Hour), d.Add(48 * time.Hour)})
			list := func(q string) []string {
				t.Helper()
				var out []string
				for _, o := range owner.do("GET", "/api/v1/orders?sort=created_at&direction=asc&"+q, nil).must(t, 200).list() {
					out = append(out, o["id"].(string))
				}
				return out
			}
			require.Equal(t, ids[1:3], list("created_from=2026-03-10&created_to=2026-03-10"), "one day: its first and last second")
			require.Equal(t, ids[1:4], list("created_from=2026-03-10&created_to=2026-03-11"))
			require.Equal(t, ids[:3], list("created_to=2026-03-10"))
			require.Equal(t, ids[3:], list("created_from=2026-03-11"))
			require.Equal(t, ids[2:3], list("created_from=2026-03-10&created_to=2026-03-10&created_after=2026-03-10T12:00:00Z"), "with created_after, the later start wins")
		})
	}
}

var (
	chipRE   = regexp.MustCompile(` <a class="chip" href="([^"]*)"( aria-current="true")?>([^<]*)</a>`)
	headerRE = regexp.MustCompile(`<th scope="col"(?: class="num")? aria-sort="(\w+)"><a href="([^"]*)">([^<]*)</a></th>`)
)

// The orders page: status chips and sortable headers keep the other
// filters, the count, the empty states, and date errors by their fields.
func TestUIOrdersList(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, tenantID := a.signup(t, uniqueEmail("uilist"))
	p := owner.get(t, "/app/orders")
	require.Contains(t, p.body, "Create your first order", "a new tenant is told what to do")
	require.NotContains(t, p.body, "No orders match")

	statuses := []order.Status{order.StatusPending, order.StatusShipped, order.StatusDelivered}
	a.seedOrders(t, tenantID, 25, func(i int) (order.Status, string) { return statuses[i%3], "Grace Hopper" })
	today := time.Now().UTC().Format("2006-01-02")
	p = owner.get(t, "/app/orders?status=shipped&created_from="+today+"&created_to="+today+"&sort=-total&cursor=x&junk=1")
	require.Equal(t, 422, p.status, "a bad cursor is shown next to the list")
	p = owner.get(t, "/app/orders?status=shipped&created_from="+today+"&created_to="+today+"&sort=-total")
	require.Equal(t, 200, p.status, p.body)
	require.Contains(t, p.body, "8 orders")
	require.Contains(t, p.body, `class="rowlink"`)
	require.Contains(t, p.body, `<td data-label="Total" class="num">`)

	chips := chipRE.FindAllStringSubmatch(p.body, -1)
	require.Len(t, chips, 6)
	for _, c := range chips {
		u, err := url.Parse(strings.ReplaceAll(c[1], "&amp;", "&"))
		require.NoError(t, err)
		q := u.Query()
		require.Equal(t, today, q.Get("created_from"), c[1])
		require.Equal(t, "-total", q.Get("sort"), c[1])
		require.Empty(t, q.Get("cursor"), c[1])
		require.Empty(t, q.Get("junk"), c[1])
		require.Equal(t, c[3] == "Shipped", c[2] != "", "the current chip is marked: %s", c[3])
	}
	headers := headerRE.FindAllStringSubmatch(p.body, -1)
	require.Len(t, headers, 3)
	aria := map[string]string{}
	for _, h := range headers {
		u, err := url.Parse(strings.ReplaceAll(h[2], "&amp;", "&"))
		require.NoError(t, err)
		aria[h[3]] = strings.TrimSpace(h[1] + " " + u.Query().Get("sort") + " " + u.Query().Get("direction"))
		require.Equal(t, "shipped", u.Query().Get("status"), h[2])
		require.Equal(t, today, u.Query().Get("created_to"), h[2])
	}
	require.Equal(t, map[string]string{"Number": "none number", "Total": "descending total asc", "Created": "none created_at"}, aria)

	p = owner.get(t, "/app/orders?limit=5")
	require.Contains(t, p.body, "25 orders", "a count beyond the page")
	p = owner.get(t, "/app/orders?limit=5&q=grace")
	require.NotContains(t, p.body, `id="orders-count"`, "no count for a search over more than a page")

	p = owner.get(t, "/app/orders?status=cancelled&sort=total")
	require.Contains(t, p.body, "No orders match these filters.")
	require.Contains(t, p.body, `<a href="/app/orders?sort=total">Clear filters</a>`)
	require.NotContains(t, p.body, "Create your first order")

	p = owner.get(t, "/app/orders?created_from=2026-03-02&created_to=2026-03-01&status=shipped")
	require.Equal(t, 422, p.status)
	require.Contains(t, p.body, `aria-describedby="e-created_to"`)
	require.Contains(t, p.body, "The last day must be on or after the first day.")
	require.Contains(t, p.body, "8 orders", "the list is still shown, without the range in error")
}

// The orders page's export takes the page's date range along.
func TestUIExportDateRange(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("expdays"))
	owner.do("POST", "/api/v1/orders", orderBody("Today T")).must(t, 201)
	now := time.Now().UTC()
	for _, c := range []struct {
		from, to string
		want     float64
	}{
		{now.AddDate(0, 0, -2).Format("2006-01-02"), now.AddDate(0, 0, -1).Format("2006-01-02"), 0},
		{now.Format("2006-01-02"), now.Format("2006-01-02"), 1},
	} {
		p := owner.post(t, "/app/exports", url.Values{"format": {"csv"}, "created_from": {c.from}, "created_to": {c.to}})
		require.Equal(t, "/app/exports", p.url)
		var got map[string]any
		require.Eventually(t, func() bool {
			got = owner.do("GET", "/api/v1/exports?limit=1", nil).must(t, 200).list()[0]
			return got["status"] == "completed"
		}, 10*time.Second, 50*time.Millisecond)
		require.Equal(t, c.want, got["order_count"], "%s to %s", c.from, c.to)
	}
}
