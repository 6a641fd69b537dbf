package web_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/webhook"
)

// seedOrders stores n orders a second apart, oldest first, with the
// status and customer name that pick gives the i-th; it returns their ids.
func (a *app) seedOrders(t *testing.T, tenantID string, n int, pick func(i int) (order.Status, string)) []string {
	t.Helper()
	ctx := t.Context()
	tid := uuid.MustParse(tenantID)
	base := time.Now().UTC().Truncate(time.Second).Add(-time.Duration(n) * time.Second)
	var ids []string
	require.NoError(t, a.store.InTx(ctx, func(tx store.Tx) error {
		for i := range n {
			num, err := tx.OrderNextNumber(ctx, tid)
			if err != nil {
				return err
			}
			st, name := pick(i)
			at := base.Add(time.Duration(i) * time.Second)
			o := order.Order{ID: uuid.Must(uuid.NewV7()), TenantID: tid, Number: num, Status: st, CustomerName: name,
				CustomerEmail: "c@example.com", Currency: "EUR", Total: int64(1000 + i%7), Version: 1, CreatedAt: at, UpdatedAt: at}
			if err := tx.OrderCreate(ctx, o); err != nil {
				return err
			}
			ids = append(ids, o.ID.String())
		}
		return nil
	}))
	return ids
}

var pagerLinkRE = regexp.MustCompile(`<a href="([^"]*)" rel="(next|prev)">`)

// pagerLinks reads a page's Next and Previous links.
func pagerLinks(body string) (next, prev string) {
	for _, m := range pagerLinkRE.FindAllStringSubmatch(body, -1) {
		if m[2] == "next" {
			next = html.UnescapeString(m[1])
		} else {
			prev = html.UnescapeString(m[1])
		}
	}
	return next, prev
}

// walkPages follows Next from start to the last page, then Previous back
// to the first, and checks that both walks show want in order, each row
// once, that every link keeps the filters of keep, and that the links do
// not grow from page to page.
func walkPages(t *testing.T, c *client, start string, row *regexp.Regexp, keep url.Values, want []string) {
	t.Helper()
	rows := func(body string) []string {
		var out []string
		for _, m := range row.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	checkLink := func(link string) {
		t.Helper()
		u, err := url.Parse(link)
		require.NoError(t, err)
		q := u.Query()
		for k := range keep {
			require.Equal(t, keep.Get(k), q.Get(k), "link %s keeps %s", link, k)
		}
		require.NotEmpty(t, q.Get("cursor"), link)
		require.Less(t, len(link), 400, "links do not grow: %s", link)
	}
	var forward [][]string
	link := start
	for range len(want) + 2 {
		p := c.get(t, link)
		require.Equal(t, 200, p.status, p.body)
		forward = append(forward, rows(p.body))
		next, prev := pagerLinks(p.body)
		if len(forward) == 1 {
			require.Empty(t, prev, "the first page has no previous page")
		} else {
			checkLink(prev)
		}
		if next == "" {
			break
		}
		checkLink(next)
		link = next
	}
	require.Equal(t, want, slices.Concat(forward...), "forward: every row once, in order, filters kept")
	require.Greater(t, len(forward), 2, "the walk spans several pages")

	// And back with Previous: the same pages in reverse.
	var back [][]string
	p := c.get(t, link)
	for range len(forward) + 2 {
		back = append([][]string{rows(p.body)}, back...)
		_, prev := pagerLinks(p.body)
		if prev == "" {
			break
		}
		p = c.get(t, prev)
		require.Equal(t, 200, p.status, p.body)
	}
	require.Equal(t, forward, back, "Previous walks back through the same pages")
}

var orderRowRE = regexp.MustCompile(`<a class="rowlink-a" href="/app/orders/([0-9a-f-]{36})">`)

// The orders list pages forward to the end and back with its filters and
// sort kept (issue 16, defect 1: the Next link used to be escaped into
// one query parameter and lead back to page 1 without the filters).
func TestUIOrdersPaging(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, tenantID := a.signup(t, uniqueEmail("paging"))
	statuses := []order.Status{order.StatusPending, order.StatusShipped, order.StatusDelivered}
	ids := a.seedOrders(t, tenantID, 40, func(i int) (order.Status, string) {
		name := "Alan Turing"
		if i%2 == 0 {
			name = "Grace Hopper"
		}
		return statuses[i%3], name
	})
	var shippedGrace []string // oldest first
	for i, id := range ids {
		if i%3 == 1 && i%2 == 0 {
			shippedGrace = append(shippedGrace, id)
		}
	}
	newest := slices.Clone(shippedGrace)
	slices.Reverse(newest)

	keep := url.Values{"status": {"shipped"}, "q": {"grace"}, "limit": {"2"}}
	walkPages(t, owner, "/app/orders?status=shipped&q=grace&limit=2&sort=created_at&direction=desc", orderRowRE, keep, newest)
	// Ascending, and junk in the URL is ignored, not carried on.
	keep.Set("direction", "asc")
	walkPages(t, owner, "/app/orders?status=shipped&q=grace&limit=2&direction=asc&utm_source=mail&page=2", orderRowRE, keep, shippedGrace)
	p := owner.get(t, "/app/orders?status=shipped&q=grace&limit=2&page=2")
	next, _ := pagerLinks(p.body)
	require.NotContains(t, next, "page=", "unknown parameters are not carried on")
}

// The API pages back too: prev_cursor walks from the last page to the
// first through the same pages.
func TestOrderListAPIPrevCursor(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, tenantID := a.signup(t, uniqueEmail("prev"))
	ids := a.seedOrders(t, tenantID, 7, func(int) (order.Status, string) { return order.StatusPending, "P" })
	names := func(r resp) []string {
		var out []string
		for _, o := range r.list() {
			out = append(out, o["id"].(string))
		}
		return out
	}
	var pages [][]string
	r := owner.do("GET", "/api/v1/orders?limit=3&direction=asc", nil).must(t, 200)
	require.Nil(t, r.body["prev_cursor"], "the first page says prev_cursor: null")
	for {
		pages = append(pages, names(r))
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			break
		}
		r = owner.do("GET", "/api/v1/orders?limit=3&direction=asc&cursor="+next, nil).must(t, 200)
	}
	require.Equal(t, ids, slices.Concat(pages...))
	var back [][]string
	for {
		back = append([][]string{names(r)}, back...)
		prev, _ := r.body["prev_cursor"].(string)
		if prev == "" {
			break
		}
		r = owner.do("GET", "/api/v1/orders?limit=3&direction=asc&cursor="+prev, nil).must(t, 200)
	}
	require.Equal(t, pages, back)
}

var auditRowRE = regexp.MustCompile(`<span class="muted">(e-\d+)</span>`)

// The audit log pages both ways with its filters (50 entries a page).
func TestUIAuditPaging(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, tenantID := a.signup(t, uniqueEmail("auditpage"))
	tid := uuid.MustParse(tenantID)
	var want []string
	for i := range 240 {
		action := "test.other"
		if i%2 == 0 {
			action = "test.paged"
		}
		e := audit.Entry{ID: uuid.Must(uuid.NewV7()), TenantID: tid, ActorType: "system", Action: action, EntityType: "thing",
			EntityID: fmt.Sprintf("e-%03d", i), CreatedAt: time.Now()}
		require.NoError(t, a.store.AuditInsert(t.Context(), e))
		if i%2 == 0 {
			want = append([]string{e.EntityID}, want...) // newest first
		}
	}
	walkPages(t, owner, "/app/audit?action=test.paged&entity_type=thing", auditRowRE, url.Values{"action": {"test.paged"}, "entity_type": {"thing"}}, want)

	// The API gives prev_cursor too.
	r := owner.do("GET", "/api/v1/audit-log?action=test.paged&limit=50", nil).must(t, 200)
	require.Empty(t, r.body["prev_cursor"])
	r = owner.do("GET", "/api/v1/audit-log?action=test.paged&limit=50&cursor="+r.str("next_cursor"), nil).must(t, 200)
	r = owner.do("GET", "/api/v1/audit-log?action=test.paged&limit=50&cursor="+r.str("prev_cursor"), nil).must(t, 200)
	require.Equal(t, want[0], r.list()[0]["entity_id"], "back on the first page")
	require.Empty(t, r.body["prev_cursor"])
}

var deliveryRowRE = regexp.MustCompile(`<span class="muted small" title="[^"]*">([0-9a-f-]{36})</span>`)

// A webhook endpoint's deliveries page both ways with the filters (25 a
// page).
func TestUIDeliveriesPaging(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, tenantID := a.signup(t, uniqueEmail("delpage"))
	tid := uuid.MustParse(tenantID)
	ctx := t.Context()
	n := time.Now().UTC()
	ep := webhook.Endpoint{ID: uuid.Must(uuid.NewV7()), TenantID: tid, URL: "https://example.com/hooks", Description: "ERP",
		EventTypes: []string{}, Enabled: false, Secret: "whsec_" + uuid.NewString(), CreatedAt: n, UpdatedAt: n}
	// Disabled, so that the app's own fan-out of the events below adds no
	// deliveries of its own.
	require.NoError(t, a.store.WebhookEndpointCreate(ctx, ep))
	var want []string
	for i := range 110 {
		typ := event.OrderUpdated
		if i%2 == 0 {
			typ = event.OrderCreated
		}
		ev := event.Event{ID: uuid.Must(uuid.NewV7()), TenantID: tid, Type: typ, EntityID: "x", Data: json.RawMessage(`{"id":"x"}`), CreatedAt: n}
		require.NoError(t, a.store.EventInsert(ctx, ev))
		d := webhook.Delivery{ID: uuid.Must(uuid.NewV7()), TenantID: tid, EndpointID: ep.ID, EventID: ev.ID, EventType: typ,
			Status: webhook.DeliveryFailed, CreatedAt: n, UpdatedAt: n}
		require.NoError(t, a.store.WebhookDeliveryCreate(ctx, d))
		if i%2 == 0 {
			want = append([]string{ev.ID.String()}, want...)
		}
	}
	walkPages(t, owner, "/app/webhooks/"+ep.ID.String()+"?event_type="+event.OrderCreated+"&status=failed", deliveryRowRE,
		url.Values{"event_type": {event.OrderCreated}, "status": {"failed"}}, want)

	// The API gives prev_cursor too.
	list := "/api/v1/webhook-endpoints/" + ep.ID.String() + "/deliveries?event_type=" + event.OrderCreated + "&limit=20"
	r := owner.do("GET", list, nil).must(t, 200)
	require.Nil(t, r.body["prev_cursor"])
	r = owner.do("GET", list+"&cursor="+r.str("next_cursor"), nil).must(t, 200)
	r = owner.do("GET", list+"&cursor="+r.str("prev_cursor"), nil).must(t, 200)
	require.Equal(t, want[0], r.list()[0]["event_id"], "back on the first page")
	require.Len(t, r.list(), 20)
	require.Nil(t, r.body["prev_cursor"])
}
