package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/web"
)

type problemBody struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func decodeProblem(t *testing.T, raw string) problemBody {
	t.Helper()
	var p problemBody
	require.NoError(t, json.Unmarshal([]byte(raw), &p), raw)
	return p
}

// A known path with a method it has no route for is 405 with Allow, a
// problem on the API and a page elsewhere; it used to be a 404 on the API
// (issue 16, defect 6).
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("m405"))
	id := owner.do("POST", "/api/v1/orders", orderBody("Method M")).must(t, 201).str("id")

	for _, c := range []struct {
		method, path, allow string
	}{
		{"PUT", "/api/v1/orders/" + id, "GET, HEAD, PATCH, DELETE"},
		{"DELETE", "/api/v1/orders", "GET, HEAD, POST"},
		{"POST", "/api/v1/version", "GET, HEAD"},
	} {
		for _, cl := range []*client{owner, a.browser()} { // with and without a session
			r := cl.do(c.method, c.path, nil)
			require.Equal(t, 405, r.status, "%s %s: %s", c.method, c.path, r.raw)
			require.Equal(t, c.allow, r.header.Get("Allow"), "%s %s", c.method, c.path)
			require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
			p := decodeProblem(t, r.raw)
			require.Equal(t, 405, p.Status)
			require.Equal(t, "https://ordo.dev/problems/method-not-allowed", p.Type)
			require.Contains(t, p.Detail, c.allow)
		}
	}
	// Unknown API paths are still 404 problems.
	r := owner.do("PUT", "/api/v1/nothing-here", nil)
	require.Equal(t, 404, r.status)
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
	require.Empty(t, r.header.Get("Allow"))

	// Pages: an HTML error page, with Allow.
	for _, c := range []struct {
		method, path, allow string
	}{
		{"PUT", "/app/orders", "GET, HEAD, POST"},
		{"DELETE", "/app/orders/" + id, "GET, HEAD, POST"},
		{"PATCH", "/login", "GET, HEAD, POST"},
	} {
		r := owner.do(c.method, c.path, nil)
		require.Equal(t, 405, r.status, "%s %s: %s", c.method, c.path, r.raw)
		require.Equal(t, c.allow, r.header.Get("Allow"), "%s %s", c.method, c.path)
		require.True(t, strings.HasPrefix(r.header.Get("Content-Type"), "text/html"), r.header.Get("Content-Type"))
		require.Contains(t, r.raw, "Method Not Allowed")
	}

	// Every API route's path answers every other method with 405 and an
	// Allow header that lists exactly the methods the route table has for
	// it (a mux of the table's patterns says which those are, since
	// GET /api/v1/orders/export is also GET /api/v1/orders/{id}).
	table := http.NewServeMux()
	paths := map[string]bool{}
	for _, rt := range web.Routes() {
		table.HandleFunc(rt.Method+" "+rt.Path, func(http.ResponseWriter, *http.Request) {})
		paths[rt.Path] = true
	}
	checked := 0
	for path := range paths {
		real := strings.ReplaceAll(strings.ReplaceAll(path, "{id}", id), "{user_id}", id)
		routed := func(m string) bool {
			req, _ := http.NewRequest(m, a.url+real, nil)
			_, pattern := table.Handler(req)
			return pattern != ""
		}
		var want []string
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
			if routed(m) {
				want = append(want, m)
			}
		}
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if routed(m) {
				continue
			}
			r := owner.do(m, real, nil)
			require.Equal(t, 405, r.status, "%s %s: %s", m, path, r.raw)
			require.Equal(t, strings.Join(want, ", "), r.header.Get("Allow"), "%s %s", m, path)
			require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
			checked++
		}
	}
	require.Greater(t, checked, 100)
}

// A list refuses a query parameter it does not know with a 422 naming
// it, with a hint to use cursor for offset paging words; ?page=2 used to
// give page 1 silently (issue 16, defect 7).
func TestUnknownQueryParameters(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("q422"))
	owner.do("POST", "/api/v1/orders", orderBody("Query Q")).must(t, 201)

	for _, name := range []string{"page", "pageSize", "page_size", "offset"} {
		r := owner.do("GET", "/api/v1/orders?status=pending&"+name+"=2", nil).must(t, 422)
		require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
		p := decodeProblem(t, r.raw)
		require.Len(t, p.Errors, 1, r.raw)
		require.Equal(t, name, p.Errors[0].Field)
		require.Contains(t, p.Errors[0].Message, "cursor", "the hint says how to page")
		require.Equal(t, "unknown query parameter: "+name, p.Detail)
		require.Equal(t, "https://ordo.dev/problems/validation", p.Type)
	}
	p := decodeProblem(t, owner.do("GET", "/api/v1/orders?colour=red&limit=5&Status=x", nil).must(t, 422).raw)
	require.Equal(t, []string{"Status", "colour"}, []string{p.Errors[0].Field, p.Errors[1].Field}, "each unknown one named; names are case-sensitive")
	require.Contains(t, p.Errors[1].Message, "limit", "the message lists what the list takes")

	// Every documented parameter is accepted.
	owner.do("GET", "/api/v1/orders?limit=5&sort=total&direction=asc&status=pending&q=query&customer_email=query.q@example.com"+
		"&created_after=2020-01-01T00:00:00Z&created_before=2100-01-01T00:00:00Z", nil).must(t, 200)
	owner.do("GET", "/api/v1/audit-log?action=order.created&limit=5", nil).must(t, 200)
	owner.do("GET", "/api/v1/audit-log?page=2", nil).must(t, 422)
	// Lists without query parameters refuse them too.
	p = decodeProblem(t, owner.do("GET", "/api/v1/tenants?page=2", nil).must(t, 422).raw)
	require.Equal(t, "page", p.Errors[0].Field)
	owner.do("GET", "/api/v1/tenants", nil).must(t, 200)
	// Without credentials the answer is still 401, not a hint about the API.
	a.browser().do("GET", "/api/v1/orders?page=2", nil).must(t, 401)

	// Pages ignore what they do not know: a bookmarked URL still renders.
	pg := owner.get(t, "/app/orders?page=2&utm_source=mail&status=pending")
	require.Equal(t, 200, pg.status)
	require.Contains(t, pg.body, "ORD-000001")
}
