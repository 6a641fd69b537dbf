package web_test

import (
	"net/url"
	"regexp"
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
