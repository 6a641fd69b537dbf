package web_test

import (
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Issue 19: a form with four mistakes shows all four at their fields in
// one answer, keeps what was typed and exactly the rows submitted; fixing
// all four in one submit creates the order.
func TestUIOrderFormFourErrors(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			owner, _, _ := a.signup(t, uniqueEmail("four"))
			form := url.Values{"customer_name": {""}, "customer_email": {"k@example.com"}, "currency": {"XYZ"},
				"items.0.name": {"Widget"}, "items.0.quantity": {"0"}, "items.0.price": {"1.00"}, "items.0.tax": {"0"},
				"items.1.name": {"Gadget"}, "items.1.quantity": {"2"}, "items.1.price": {"abc"}, "items.1.tax": {"0"},
				"items.2.name": {""}, "items.2.quantity": {"1"}, "items.2.price": {""}, "items.2.tax": {"0"}}
			p := owner.post(t, "/app/orders", form)
			require.Equal(t, 422, p.status)
			body := html.UnescapeString(p.body)
			for _, want := range []string{`id="e-customer_name"`, `id="e-items-0-quantity"`, `id="e-items-1-unit_price"`, `id="e-currency"`,
				"Item 1: quantity must be 1 to 1,000,000", "Customer name is required", `class="errors-summary"`} {
				require.Contains(t, body, want)
			}
			require.Contains(t, body, `value="abc"`, "what was typed is kept")
			require.Equal(t, 4, strings.Count(body, "data-item-row>"), "two filled rows, one blank, and the <template> row")

			form.Set("customer_name", "Kim")
			form.Set("currency", "JPY")
			form.Set("items.0.quantity", "3")
			form.Set("items.0.price", "100")
			form.Set("items.1.price", "250")
			p = owner.post(t, "/app/orders", form)
			require.Equal(t, 200, p.status, p.body)
			require.Contains(t, p.body, "800 JPY")
		})
	}
}
