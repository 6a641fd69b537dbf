package web_test

import (
	"context"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/passkey"
	"github.com/ordo/ordo/internal/web"
)

// uiRoute is a page route of server.go.
type uiRoute struct{ method, path string }

var uiRouteRE = regexp.MustCompile(`mux\.HandleFunc\("(GET|POST|PUT|PATCH|DELETE) (/[^"]*)"`)

// uiRoutes reads the page routes from server.go, so that a new page is
// covered without editing this file. API routes come from web.Routes().
func uiRoutes(t *testing.T) []uiRoute {
	t.Helper()
	src, err := os.ReadFile("server.go")
	require.NoError(t, err)
	var out []uiRoute
	for _, m := range uiRouteRE.FindAllStringSubmatch(string(src), -1) {
		if strings.HasPrefix(m[2], "/api/") || m[2] == "/blobs" || strings.HasPrefix(m[2], "/static/") {
			continue
		}
		out = append(out, uiRoute{m[1], strings.TrimSuffix(m[2], "{$}")})
	}
	require.Greater(t, len(out), 40, "server.go's page routes were not found")
	return out
}

// tenantObjects are one object of every kind a path id can name, all in
// one tenant.
type tenantObjects struct {
	owner                                          *client
	tenant, user, member, invitation, apiKey       string
	order, attachment, export, hook, delivery, job string
	session                                        string // the owner's
	passkey                                        string // the owner's
}

// makeObjects creates one object of each kind in a fresh tenant.
func makeObjects(t *testing.T, a *app, tag string) tenantObjects {
	t.Helper()
	owner, userID, tenantID := a.signup(t, uniqueEmail(tag))
	_, member := a.joinAs(t, owner, access.RoleMember)
	o := tenantObjects{owner: owner, tenant: tenantID, user: userID, member: member}
	o.invitation = owner.do("POST", "/api/v1/invitations", map[string]any{"email": uniqueEmail(tag + "-inv"), "role": "viewer"}).must(t, 201).str("id")
	o.apiKey = owner.do("POST", "/api/v1/api-keys", map[string]any{"name": tag, "role": "viewer"}).must(t, 201).str("id")
	o.order = owner.do("POST", "/api/v1/orders", orderBody("Obj "+tag)).must(t, 201).str("id")
	o.attachment = owner.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "a.pdf", "content_type": "application/pdf", "size": 10, "order_id": o.order}).must(t, 201).str("attachment", "id")
	o.export = owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "csv"}).must(t, 202).str("id")
	owner.do("POST", "/api/v1/orders/"+o.order+"/invoice", nil).must(t, 202)
	o.hook = owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:9/hook"}).must(t, 201).str("id")
	o.delivery = owner.do("POST", "/api/v1/webhook-endpoints/"+o.hook+"/test", nil).must(t, 202).str("id")
	o.job = failedJob(t, a, owner, tenantID)
	o.session = owner.do("GET", "/api/v1/me/sessions", nil).must(t, 200).list()[0]["id"].(string)
	// A passkey needs an authenticator to register: the owner's is put in
	// the store as a registration would leave it.
	pk := passkey.Passkey{ID: uuid.Must(uuid.NewV7()), UserID: uuid.MustParse(userID), CredentialID: []byte("cred-" + tag + "-" + userID),
		PublicKey: []byte{1}, Name: "Key " + tag, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	require.NoError(t, a.store.PasskeyCreate(context.Background(), pk))
	o.passkey = pk.ID.String()
	require.NotContains(t, []string{o.attachment, o.export, o.hook, o.delivery}, "")
	return o
}

// fill puts the objects' ids into a route pattern. The kind of each
// {param} is the path segment before it; a kind without an object fails
// the test, so that a new route with a path id cannot go unchecked.
func (o tenantObjects) fill(t *testing.T, pattern string) string {
	t.Helper()
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			continue
		}
		var id string
		if s == "{action}" { // the console's /admin/.../{id}/{action}
			segs[i] = "suspend"
			continue
		}
		switch segs[i-1] {
		case "orders":
			id = o.order
		case "attachments":
			id = o.attachment
		case "exports":
			id = o.export
		case "invitations":
			id = o.invitation
		case "api-keys":
			id = o.apiKey
		case "webhook-endpoints", "webhooks":
			id = o.hook
		case "deliveries":
			id = o.delivery
		case "jobs":
			id = o.job
		case "tenants":
			id = o.tenant
		case "users": // the operator console's
			id = o.user
		case "members":
			id = o.member
		case "sessions":
			id = o.session
		case "passkeys":
			id = o.passkey
		default:
			t.Fatalf("route %s has a path id of unknown kind %q: add an object of that kind to makeObjects", pattern, segs[i-1])
		}
		segs[i] = id
	}
	return strings.Join(segs, "/")
}

// plausibleBody is a valid body for an unsafe API route, so that only the
// id can make the request fail.
func plausibleBody(method, path string) any {
	switch {
	case strings.Contains(path, "/members/"):
		return map[string]any{"role": "viewer"}
	case strings.HasSuffix(path, "/transitions"):
		return map[string]any{"to": "cancelled"}
	case strings.HasSuffix(path, "/replay") && !strings.Contains(path, "/deliveries/"):
		return map[string]any{"since": "2020-01-01T00:00:00Z"}
	case strings.Contains(path, "/webhook-endpoints/") && method == "PATCH":
		return map[string]any{"description": "hijack"}
	case method == "PATCH":
		return map[string]any{"notes": "hijack"}
	}
	return nil
}

// uiForm is a form good enough for every page form.
var uiForm = url.Values{"role": {"viewer"}, "to": {"cancelled"}, "customer_name": {"x"}, "customer_email": {"x@y.z"}, "currency": {"EUR"},
	"items.0.name": {"x"}, "items.0.quantity": {"1"}, "items.0.price": {"1"}, "version": {"1"}, "pending": {"true"}, "url": {"http://127.0.0.1:9/x"},
	"description": {"hijack"}, "since": {"2020-01-01T00:00"}, "name": {"hijack"}, "email": {"x@y.z"}, "password": {password}}

// TestIsolationAllRoutes: every API and page route with a path id,
// generated from the route tables, answers 404 to tenant A for each of
// tenant B's objects, and B's objects are unchanged afterwards.
func TestIsolationAllRoutes(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		ownerA, _, _ := a.signup(t, uniqueEmail("iso-a"))
		keyA := a.withKey(ownerA.do("POST", "/api/v1/api-keys", map[string]any{"name": "a", "role": "owner"}).must(t, 201).str("key"))
		b := makeObjects(t, a, "iso-b")

		covered := 0
		for _, rt := range web.Routes() {
			if !strings.Contains(rt.Path, "{") {
				continue
			}
			path := b.fill(t, rt.Path)
			for _, c := range []*client{ownerA, keyA} {
				r := c.do(rt.Method, path, plausibleBody(rt.Method, rt.Path))
				if c == keyA && r.status == 403 && strings.Contains(r.raw, "not an API key") {
					continue // keys may not use the route at all
				}
				require.Equal(t, 404, r.status, "%s %s (%s): %s", rt.Method, rt.Path, path, r.raw)
				require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
			}
			covered++
		}
		// Lists that filter by another kind's id.
		ownerA.do("GET", "/api/v1/attachments?order_id="+b.order, nil).must(t, 404)

		for _, rt := range uiRoutes(t) {
			if !strings.Contains(rt.path, "{") {
				continue
			}
			path := b.fill(t, rt.path)
			var status int
			if rt.method == "GET" {
				status = ownerA.get(t, path).status
			} else {
				status = ownerA.post(t, path, uiForm).status
			}
			require.Equal(t, 404, status, "page %s %s (%s)", rt.method, rt.path, path)
			covered++
		}
		t.Logf("%d routes with path ids checked", covered)

		// Nothing of B changed.
		ob := b.owner.do("GET", "/api/v1/orders/"+b.order, nil).must(t, 200)
		require.Equal(t, "pending", ob.str("status"))
		require.Empty(t, ob.str("notes"))
		b.owner.do("GET", "/api/v1/webhook-endpoints/"+b.hook, nil).must(t, 200)
		b.owner.do("GET", "/api/v1/exports/"+b.export, nil).must(t, 200)
		b.owner.do("GET", "/api/v1/attachments/"+b.attachment, nil).must(t, 200)
		require.Len(t, b.owner.do("GET", "/api/v1/members", nil).must(t, 200).list(), 2)
		require.Len(t, b.owner.do("GET", "/api/v1/api-keys", nil).must(t, 200).list(), 1)
		require.Len(t, b.owner.do("GET", "/api/v1/me/passkeys", nil).must(t, 200).list(), 1)
	})
}

// crossOrigin sends an unsafe request as a page of another site would,
// with the victim's session cookie: either with the Fetch metadata of
// modern browsers, or with only an Origin header.
func crossOrigin(t *testing.T, c *client, method, path string, body string, ctype string, fetchMeta bool) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, c.a.url+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Origin", "https://evil.example")
	if fetchMeta {
		req.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	noFollow := *c.http
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := noFollow.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	return res
}

// TestCSRFAllRoutes: every unsafe API route and every page form refuses a
// cross-origin request that carries the session cookie, and nothing
// changes.
func TestCSRFAllRoutes(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	o := makeObjects(t, a, "csrf")
	n := 0
	for _, rt := range web.Routes() {
		if rt.Method == "GET" || rt.Method == "HEAD" {
			continue
		}
		path := o.fill(t, rt.Path)
		body := string(mustJSON(plausibleBody(rt.Method, rt.Path)))
		for _, meta := range []bool{true, false} {
			res := crossOrigin(t, o.owner, rt.Method, path, body, "application/json", meta)
			require.Equal(t, 403, res.StatusCode, "%s %s (fetch metadata %v)", rt.Method, rt.Path, meta)
			require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
		}
		n++
	}
	for _, rt := range uiRoutes(t) {
		if rt.method != "POST" {
			continue
		}
		path := o.fill(t, rt.path)
		for _, meta := range []bool{true, false} {
			res := crossOrigin(t, o.owner, "POST", path, uiForm.Encode(), "application/x-www-form-urlencoded", meta)
			require.Equal(t, 403, res.StatusCode, "page POST %s (fetch metadata %v)", rt.path, meta)
		}
		n++
	}
	t.Logf("%d unsafe routes refuse cross-origin requests", n)
	// Still logged in, and nothing changed.
	ob := o.owner.do("GET", "/api/v1/orders/"+o.order, nil).must(t, 200)
	require.Equal(t, "pending", ob.str("status"))
	require.Len(t, o.owner.do("GET", "/api/v1/members", nil).must(t, 200).list(), 2)
	o.owner.do("GET", "/api/v1/webhook-endpoints/"+o.hook, nil).must(t, 200)
	// The same request from the same origin works: the check is the origin.
	o.owner.doWith("PATCH", "/api/v1/tenant", map[string]any{"name": "Same origin"}, map[string]string{"Sec-Fetch-Site": "same-origin"}).must(t, 200)
}

// withToken is a browser holding the given session token.
func withToken(a *app, token string) *client {
	c := a.browser()
	u, _ := url.Parse(a.url)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "ordo_session", Value: token, Path: "/"}})
	return c
}

// TestSessionFixation: logging in and accepting an invitation
// (API and pages) always issue a new session token; a token held before
// (an attacker's planted one) never becomes the new user's session.
func TestSessionFixation(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		emailX, emailY := uniqueEmail("fix-x"), uniqueEmail("fix-y")
		_, _, _ = a.signup(t, emailY)
		// The attacker's account, whose session is planted in the victim's browser.
		a.signup(t, emailX)

		steps := []struct {
			name string
			do   func(c *client)
		}{
			{"api login", func(c *client) {
				c.do("POST", "/api/v1/auth/login", map[string]any{"email": emailY, "password": password}).must(t, 200)
			}},
			{"page login", func(c *client) {
				require.Equal(t, "/app", c.post(t, "/login", url.Values{"email": {emailY}, "password": {password}}).url)
			}},
			// Signing up starts no session (the address must be confirmed
			// first), so there is nothing to fix there.
			{"api accept invitation", func(c *client) {
				owner, _, _ := a.signup(t, uniqueEmail("fix-o"))
				email := uniqueEmail("fix-i")
				owner.do("POST", "/api/v1/invitations", map[string]any{"email": email, "role": "viewer"}).must(t, 201)
				c.do("POST", "/api/v1/invitations/accept", map[string]any{"token": a.outbox.token(t, email, "invited"), "password": password}).must(t, 200)
			}},
			{"page accept invitation", func(c *client) {
				owner, _, _ := a.signup(t, uniqueEmail("fix-o"))
				email := uniqueEmail("fix-pi")
				owner.do("POST", "/api/v1/invitations", map[string]any{"email": email, "role": "viewer"}).must(t, 201)
				p := c.post(t, "/invitations/accept", url.Values{"token": {a.outbox.token(t, email, "invited")}, "name": {"I"}, "password": {password}})
				require.Equal(t, "/app", p.url)
			}},
		}
		for _, st := range steps {
			for _, plant := range []string{"attacker's session", "made-up token"} {
				invitation := strings.Contains(st.name, "invitation")
				if invitation && plant == "attacker's session" {
					continue // accepting as another logged-in user is refused, rightly
				}
				// A fresh planted token per step: each step ends the one before.
				planted := "attacker-chosen-" + uuid.NewString()
				var before string
				if plant == "attacker's session" {
					attacker := a.browser()
					attacker.do("POST", "/api/v1/auth/login", map[string]any{"email": emailX, "password": password}).must(t, 200)
					planted = sessionCookie(t, attacker)
				}
				victim := withToken(a, planted)
				if r := victim.do("GET", "/api/v1/me", nil); r.status == 200 {
					before = r.str("principal", "id")
				}
				st.do(victim)
				after := sessionCookie(t, victim)
				require.NotEmpty(t, after, st.name)
				require.NotEqual(t, planted, after, "%s with %s kept the session token", st.name, plant)
				me := victim.do("GET", "/api/v1/me", nil).must(t, 200).str("principal", "id")
				require.NotEqual(t, before, me, st.name)
				// The planted token is not the victim's session.
				r := withToken(a, planted).do("GET", "/api/v1/me", nil)
				require.True(t, r.status == 401 || r.str("principal", "id") != me, "%s with %s: the planted token became the new session", st.name, plant)
			}
		}
	})
}

// TestLoginOpenRedirect: next= only ever redirects within the site.
func TestLoginOpenRedirect(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	email := uniqueEmail("redir")
	a.signup(t, email)
	for _, next := range []string{
		"https://evil.example", "//evil.example", `/\evil.example`, `\/evil.example`, `/\/evil.example`, "javascript:alert(1)",
		"JavaScript:alert(1)", "/%2F%2Fevil.example", "/%5Cevil.example", "http:/evil.example", "https:evil.example", "///evil.example",
		"/\t/evil.example", " //evil.example", "//evil.example/%2e%2e", "data:text/html,<script>alert(1)</script>", "evil.example",
		"/app/../..//evil.example", "/app?x=//evil.example", "/app/orders",
	} {
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, err := http.NewRequest("POST", a.url+"/login?next="+url.QueryEscape(next), strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := hc.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, 303, res.StatusCode, "next=%q", next)
		loc := res.Header.Get("Location")
		// Resolve it as a browser would (backslashes are slashes, tabs and
		// newlines vanish) and it must stay on this site.
		browserLoc := strings.NewReplacer(`\`, "/", "\t", "", "\n", "", "\r", "").Replace(strings.TrimSpace(loc))
		base, _ := url.Parse(a.url + "/login")
		u, err := url.Parse(browserLoc)
		require.NoError(t, err, "next=%q gave Location %q", next, loc)
		got := base.ResolveReference(u)
		require.Equal(t, base.Host, got.Host, "next=%q redirects off-site to %q", next, loc)
		require.Contains(t, []string{"http", "https"}, got.Scheme, "next=%q gave Location %q", next, loc)
	}
}

const xssPayload = `<script>alert(1)</script>"'><img src=x onerror=alert(1)>`

// TestXSSEveryField: a script payload stored in every user-controlled
// field that the pages show comes back escaped on every page, never raw.
func TestXSSEveryField(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	p := func(field string) string { return xssPayload + field }
	c := a.browser()
	email := uniqueEmail("xss")
	c.do("POST", "/api/v1/auth/signup", map[string]any{"email": email, "password": password, "name": p("user"), "tenant_name": p("tenant")}).must(t, 202)
	c.do("POST", "/api/v1/auth/verify-email", map[string]any{"token": a.outbox.token(t, email, "Confirm your e-mail")}).must(t, 200)
	c.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
	c.do("PATCH", "/api/v1/tenant", map[string]any{"name": p("tenant")}).must(t, 200)
	phone := `<b>"'&phone` // at most 50 characters
	addr := map[string]any{"name": p("addr-name"), "line1": p("addr-line1"), "line2": p("addr-line2"), "city": p("addr-city"), "region": p("addr-region"), "postal_code": p("addr-postal")}
	order := c.do("POST", "/api/v1/orders", map[string]any{
		"customer_name": p("customer"), "customer_email": p("email") + "@example.com", "customer_phone": phone, "currency": "EUR",
		"notes": p("notes"), "external_ref": p("ref"), "shipping_address": addr, "billing_address": addr,
		"items": []map[string]any{{"sku": p("sku"), "name": p("item"), "description": p("item-desc"), "quantity": 1, "unit_price": 100}},
	}).must(t, 201).str("id")
	c.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": p("file") + ".pdf", "content_type": "application/pdf", "size": 10, "order_id": order}).must(t, 201)
	c.do("POST", "/api/v1/api-keys", map[string]any{"name": p("key"), "role": "viewer"}).must(t, 201)
	hook := c.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:9/hook", "description": p("hook")}).must(t, 201).str("id")
	c.do("PUT", "/api/v1/tenant/branding", map[string]any{"address": p("brand-address"), "footer": p("brand-footer"), "tax_id": "DE<b>1"}).must(t, 200)
	// An invitation address that is still an address; refused is fine too.
	inv := c.do("POST", "/api/v1/invitations", map[string]any{"email": `"<img src=x onerror=alert(1)>"@example.com`, "role": "viewer"})
	require.True(t, inv.status == 201 || inv.status == 422, "invitation: %d %s", inv.status, inv.raw)

	pages := map[string][]string{
		"/app":                           {"tenant"},
		"/app/tenants":                   {"tenant"},
		"/app/account":                   nil,
		"/app/members":                   {"user"},
		"/app/settings":                  {"tenant", "brand-address", "brand-footer"},
		"/app/orders":                    {"customer"},
		"/app/orders/" + order:           {"customer", "email", "notes", "ref", "addr-line1", "addr-city", "addr-postal", "sku", "item"},
		"/app/orders/" + order + "/edit": {"customer", "notes", "item"},
		"/app/api-keys":                  {"key"},
		"/app/webhooks":                  {"hook"},
		"/app/webhooks/" + hook:          {"hook"},
		"/app/audit":                     nil,
		"/app/exports":                   nil,
		"/app/jobs":                      nil,
	}
	orderPage := c.get(t, "/app/orders/"+order).body
	require.Contains(t, orderPage, html.EscapeString(phone))
	// File names are sanitised when stored (no <, >, " or /), then escaped.
	require.Contains(t, orderPage, html.EscapeString(attachment.SanitizeFilename(p("file")+".pdf")))
	escapedAnywhere := map[string]bool{}
	for path, fields := range pages {
		pg := c.get(t, path)
		require.Equal(t, 200, pg.status, path)
		for _, raw := range []string{"<script>alert(1)", "<img src=x", `"'><img`} {
			require.NotContains(t, pg.body, raw, "page %s shows user content unescaped", path)
		}
		for _, f := range fields {
			require.Contains(t, pg.body, html.EscapeString(p(f)), "page %s does not show field %s escaped", path, f)
			escapedAnywhere[f] = true
		}
	}
	require.True(t, escapedAnywhere["brand-footer"] && escapedAnywhere["hook"] && escapedAnywhere["key"])
	// The JSON API returns stored text as it is; it is JSON, not HTML.
	got := c.do("GET", "/api/v1/orders/"+order, nil).must(t, 200)
	require.Equal(t, p("customer"), got.str("customer_name"))
	require.Equal(t, "application/json", got.header.Get("Content-Type"))
	_ = uuid.Nil
}
