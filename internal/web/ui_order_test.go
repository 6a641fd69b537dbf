package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
)

var orderLinkRE = regexp.MustCompile(`/app/orders/([0-9a-f-]{36})`)

func TestUIOrders(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			owner, _, _ := a.signup(t, uniqueEmail("uio"))
			require.Contains(t, owner.get(t, "/app/orders").body, "Create your first order")

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
			require.Contains(t, p.body, "Item 1: quantity must be a whole number")
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
			require.Contains(t, p.body, "changed the status from Pending to Processing")
			p = owner.post(t, "/app/orders/"+id+"/transition", url.Values{"to": {"delivered"}})
			require.Contains(t, p.body, "Not done")

			// A viewer sees the order but no actions.
			viewer, _ := a.joinAs(t, owner, access.RoleViewer)
			v := viewer.get(t, "/app/orders/"+id)
			require.Equal(t, 200, v.status)
			require.NotContains(t, v.body, "/transition")
			require.NotContains(t, v.body, "/delete")
			require.Equal(t, 403, viewer.post(t, "/app/orders/"+id+"/delete", nil).status)
			// Nor the forms to create or edit one, nor the links to them.
			require.Equal(t, 403, viewer.get(t, "/app/orders/new").status)
			require.Equal(t, 403, viewer.get(t, "/app/orders/"+id+"/edit").status)
			for _, page := range []string{"/app", "/app/orders", "/app/orders/" + id} {
				require.NotContains(t, viewer.get(t, page).body, "/app/orders/new", page)
			}

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
	// A browser sends only the button clicked, not every one the page has.
	form.Del("add_row")
	form.Del("remove_row")
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

// getLang and postLang are get and post from a browser whose language is
// lang (Accept-Language).
func (c *client) getLang(t *testing.T, path, lang string) page {
	t.Helper()
	req, err := http.NewRequest("GET", c.a.url+path, nil)
	require.NoError(t, err)
	req.Header.Set("Accept-Language", lang)
	return c.send(t, req)
}

func (c *client) postLang(t *testing.T, path, lang string, form url.Values) page {
	t.Helper()
	req, err := http.NewRequest("POST", c.a.url+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Accept-Language", lang)
	return c.send(t, req)
}

func (c *client) send(t *testing.T, req *http.Request) page {
	t.Helper()
	res, err := c.http.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, url: res.Request.URL.Path, body: string(b)}
}

// Issue 16 (2): a price typed with a decimal comma by a German user is
// 12.50, not 1,250.00; an English user's "12,50" is refused with a field
// error instead of being read as 1250; the currency's minor unit decides
// how many decimals there may be; the edit form round-trips in the
// viewer's locale. (Before the fix every comma was stripped: "12,50" was
// stored as 125000 minor units under any language.)
func TestUIOrderLocaleAmounts(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("loc"))
	const de, en = "de-DE,de;q=0.9,en;q=0.8", "en-US,en;q=0.9"
	orderForm := func(cur, price string) url.Values {
		return url.Values{"customer_name": {"Łukasz"}, "customer_email": {"l@example.com"}, "currency": {cur},
			"items.0.name": {"Widget"}, "items.0.quantity": {"2"}, "items.0.price": {price}, "items.0.tax": {"0"}}
	}
	unitPrice := func(id string) float64 {
		o := owner.do("GET", "/api/v1/orders/"+id, nil).must(t, 200)
		return o.body["items"].([]any)[0].(map[string]any)["unit_price"].(float64)
	}

	// The form tells a German user how to write amounts.
	p := owner.getLang(t, "/app/orders/new", de)
	require.Contains(t, p.body, "<strong>1.234,56</strong>")
	require.Contains(t, p.body, `placeholder="0,00"`)
	require.Contains(t, p.body, "<option>PLN</option>", "every ISO 4217 currency is offered")
	require.Contains(t, p.body, "<option>KWD</option>")
	require.Contains(t, owner.getLang(t, "/app/orders/new", en).body, "<strong>1,234.56</strong>")

	// de: "12,50" is 1250 minor units; the order shows German separators.
	p = owner.postLang(t, "/app/orders", de, orderForm("EUR", "12,50"))
	require.Equal(t, 200, p.status, p.body)
	m := orderLinkRE.FindStringSubmatch(p.url)
	require.NotNil(t, m, p.url)
	id := m[1]
	require.Equal(t, float64(1250), unitPrice(id))
	require.Contains(t, p.body, "25,00 EUR", "total of 2 × 12,50")
	require.NotContains(t, p.body, "1,250.00")
	require.Contains(t, owner.getLang(t, "/app/orders/"+id, en).body, "25.00 EUR")
	require.Contains(t, owner.getLang(t, "/app/orders", de).body, "25,00 EUR")
	dash := owner.getLang(t, "/app", de).body
	require.Contains(t, dash, `<span class="stat-value">25,00 EUR</span>`, "the revenue cards too")
	require.NotContains(t, dash, "25.00 EUR")

	// The edit form shows the price the German way, and saving it
	// unchanged keeps it.
	edit := owner.getLang(t, "/app/orders/"+id+"/edit", de)
	require.Contains(t, edit.body, `value="12,50"`)
	form := orderForm("EUR", "12,50")
	form.Set("version", "1")
	form.Set("pending", "true")
	form.Set("notes", "edited")
	require.Equal(t, 200, owner.postLang(t, "/app/orders/"+id, de, form).status)
	require.Equal(t, float64(1250), unitPrice(id))

	// Refused with a field error, the form shown again, nothing stored.
	for _, tt := range []struct{ lang, cur, price, msg string }{
		{en, "EUR", "12,50", "Item 1: unit price is not an amount; write it like 1,234.56"},
		{de, "EUR", "12,505", "Position 1: Stückpreis darf in EUR höchstens 2 Nachkommastellen haben"},
		{en, "JPY", "1.000", "Item 1: unit price must be a whole number: JPY has no decimals"},
		{de, "EUR", "-5", "Position 1: Stückpreis darf nicht negativ sein"},
		{de, "EUR", "", "Position 1: Stückpreis ist erforderlich"},
		{"fr-FR", "EUR", "1.000", "Item 1: unit price could be read two ways; write it like"},
	} {
		p := owner.postLang(t, "/app/orders", tt.lang, orderForm(tt.cur, tt.price))
		require.Equal(t, 422, p.status, "%s %q", tt.lang, tt.price)
		require.Contains(t, html.UnescapeString(p.body), tt.msg, "%s %q", tt.lang, tt.price)
		require.Contains(t, p.body, `value="Widget"`, "the form keeps what was typed")
	}
	// Several mistakes at once are all shown at once: the amount the form
	// could not read, and the order's own rules on the rest.
	many := orderForm("EUR", "12,505")
	many.Set("customer_name", "")
	many.Set("customer_email", "not-an-email")
	p = owner.postLang(t, "/app/orders", de, many)
	require.Equal(t, 422, p.status)
	body := html.UnescapeString(p.body)
	require.Contains(t, body, "höchstens 2 Nachkommastellen")
	for _, f := range []string{"customer_name", "customer_email"} {
		require.Contains(t, body, `id="e-`+f+`"`, "every mistake is named at its field")
	}
	list := owner.do("GET", "/api/v1/orders", nil).must(t, 200)
	require.Len(t, list.body["data"].([]any), 1, "no refused order was stored")

	// The currency's minor unit: JPY "1.000" in de is a thousand yen,
	// KWD "1,250" in de is 1.250 dinars = 1250 fils.
	// In de-CH the point is the decimal mark and the apostrophe groups.
	for _, tt := range []struct {
		lang, cur, price string
		want             float64
	}{{de, "JPY", "1.000", 1000}, {de, "KWD", "1,250", 1250}, {"pl-PL", "PLN", "1 234,50", 123450}, {"de-CH", "CHF", "1'234.50", 123450}} {
		p := owner.postLang(t, "/app/orders", tt.lang, orderForm(tt.cur, tt.price))
		require.Equal(t, 200, p.status, "%s %q: %s", tt.cur, tt.price, p.body)
		require.Equal(t, tt.want, unitPrice(orderLinkRE.FindStringSubmatch(p.url)[1]), "%s %q", tt.cur, tt.price)
	}
}

// Issue 16 (12): the API takes every ISO 4217 currency in integer minor
// units of it, and shows amounts with that currency's decimals; anything
// else is a problem+json naming the currency field.
func TestAPIOrderCurrencies(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("cur"))
	for code, shown := range map[string]string{"PLN": "12.50 PLN", "CHF": "12.50 CHF", "SEK": "12.50 SEK", "JPY": "1,250 JPY", "KWD": "1.250 KWD", "VES": "12.50 VES"} {
		body := orderBody("Cur " + code)
		body["currency"], body["discount"] = code, 0
		body["items"] = []any{map[string]any{"name": "One", "quantity": 1, "unit_price": 1250}}
		o := owner.do("POST", "/api/v1/orders", body).must(t, 201)
		require.Equal(t, code, o.str("currency"))
		require.Equal(t, int64(1250), num(o, "total"), "integer minor units, as sent")
		require.Contains(t, owner.get(t, "/app/orders/"+o.str("id")).body, shown)
	}
	for _, code := range []string{"XAU", "XXX", "ABC", "eur", "DEM", ""} {
		body := orderBody("Bad " + code)
		body["currency"] = code
		r := owner.do("POST", "/api/v1/orders", body).must(t, 422)
		require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
		require.Contains(t, r.raw, `"field":"currency"`, code)
	}
}
