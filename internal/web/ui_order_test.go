package web_test

import (
	"html"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/account"
)

var orderLinkRE = regexp.MustCompile(`/app/orders/([0-9a-f-]{36})`)

func TestUIOrders(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			owner, _, _ := a.signup(t, uniqueEmail("uio"))
			require.Contains(t, owner.get(t, "/app/orders").body, "Create the first one")

			form := url.Values{"customer_name": {"Ada Lovelace"}, "customer_email": {"ada@example.com"}, "currency": {"EUR"},
				"ship_line1": {"1 Main St"}, "ship_city": {"Lyon"}, "ship_country": {"fr"}, "discount": {"1"},
				"items.0.name": {"Widget"}, "items.0.quantity": {"3"}, "items.0.price": {"19.99"}, "items.0.tax": {"20"},
				"items.1.name": {"Gadget"}, "items.1.quantity": {"1"}, "items.1.price": {"0.05"}, "items.1.tax": {"10"}}
			bad := url.Values{}
			for k, v := range form {
				bad[k] = v
			}
			bad.Set("items.0.quantity", "many")
			p := owner.post(t, "/app/orders", bad)
			require.Equal(t, 422, p.status)
			require.Contains(t, p.body, "items[0].quantity")
			require.Contains(t, p.body, `value="Ada Lovelace"`, "the form keeps what was typed")

			p = owner.post(t, "/app/orders", form)
			require.Equal(t, 200, p.status, p.body)
			require.Contains(t, p.body, "ORD-000001")
			require.Contains(t, p.body, "71.02 EUR", "total computed by the server")
			id := orderLinkRE.FindStringSubmatch(p.url)[1]
			require.Contains(t, p.body, `value="processing"`)

			list := owner.get(t, "/app/orders?q=ada")
			require.Contains(t, list.body, "ORD-000001")
			require.NotContains(t, owner.get(t, "/app/orders?status=shipped").body, "ORD-000001")

			// Editing with a stale version is refused without losing anything.
			edit := owner.get(t, "/app/orders/"+id+"/edit")
			require.Contains(t, edit.body, `name="version" value="1"`)
			form.Set("version", "1")
			form.Set("pending", "true")
			form.Set("notes", "first edit")
			require.Equal(t, 200, owner.post(t, "/app/orders/"+id, form).status)
			form.Set("notes", "stale edit")
			p = owner.post(t, "/app/orders/"+id, form)
			require.Equal(t, 412, p.status)
			require.Contains(t, p.body, "changed this order")

			p = owner.post(t, "/app/orders/"+id+"/transition", url.Values{"to": {"processing"}})
			require.Contains(t, p.body, "Order is now processing")
			require.Contains(t, p.body, "pending → processing")
			p = owner.post(t, "/app/orders/"+id+"/transition", url.Values{"to": {"delivered"}})
			require.Contains(t, p.body, "Not done")

			// A viewer sees the order but no actions.
			viewer, _ := a.joinAs(t, owner, account.RoleViewer)
			v := viewer.get(t, "/app/orders/"+id)
			require.Equal(t, 200, v.status)
			require.NotContains(t, v.body, "/transition")
			require.NotContains(t, v.body, "/delete")
			require.Equal(t, 403, viewer.post(t, "/app/orders/"+id+"/delete", nil).status)

			p = owner.post(t, "/app/orders/"+id+"/delete", nil)
			require.Equal(t, "/app/orders", p.url)
			require.Equal(t, 404, owner.get(t, "/app/orders/"+id).status)
		})
	}
}

// Saving the edit form unchanged keeps everything the form does not show:
// items beyond the default rows, descriptions, metadata, address lines.
func TestUIOrderEditKeepsData(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("keep"))
	body := orderBody("Keep K")
	var items []any
	for i := range 8 {
		items = append(items, map[string]any{"name": "Item " + strconv.Itoa(i), "description": "desc " + strconv.Itoa(i),
			"quantity": 1, "unit_price": 100, "metadata": map[string]any{"i": i}})
	}
	body["items"] = items
	body["currency"] = "NOK"
	body["shipping_address"] = map[string]any{"name": "Keep", "line1": "1 St", "line2": "Flat 2", "city": "Oslo", "region": "Oslo", "country": "NO"}
	before := owner.do("POST", "/api/v1/orders", body).must(t, 201)
	id := before.str("id")

	edit := owner.get(t, "/app/orders/"+id+"/edit")
	form := url.Values{}
	for _, m := range regexp.MustCompile(`name="([^"]+)" (?:type="[^"]*" )?value="([^"]*)"`).FindAllStringSubmatch(edit.body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	form.Set("currency", "NOK")
	form.Set("notes", "only the notes change")
	require.Equal(t, 200, owner.post(t, "/app/orders/"+id, form).status)

	after := owner.do("GET", "/api/v1/orders/"+id, nil).must(t, 200)
	require.Equal(t, num(before, "total"), num(after, "total"))
	require.Equal(t, "NOK", after.str("currency"))
	require.Equal(t, "only the notes change", after.str("notes"))
	got := after.body["items"].([]any)
	require.Len(t, got, 8)
	last := got[7].(map[string]any)
	require.Equal(t, "desc 7", last["description"])
	require.Equal(t, map[string]any{"i": float64(7)}, last["metadata"])
	addr := after.body["shipping_address"].(map[string]any)
	require.Equal(t, "Flat 2", addr["line2"])
	require.Equal(t, "Oslo", addr["region"])
}
