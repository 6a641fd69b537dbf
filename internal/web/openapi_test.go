package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"
)

// TestOpenAPI checks that the served document is valid OpenAPI and that
// real responses of the main endpoints validate against it.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	res, err := http.Get(a.url + "/api/v1/openapi.json")
	require.NoError(t, err)
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode)

	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()), "the document is valid OpenAPI")
	doc.Servers = openapi3.Servers{{URL: a.url}}
	router, err := legacy.NewRouter(doc)
	require.NoError(t, err)

	owner, _, _ := a.signup(t, uniqueEmail("oas"))
	key := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "oas", "role": "owner"}).must(t, 201).str("key")
	created := owner.do("POST", "/api/v1/orders", orderBody("Spec S")).must(t, 201)
	id := created.str("id")

	check := func(method, path string, body any, want int) {
		t.Helper()
		c := a.withKey(key)
		r := c.do(method, path, body)
		require.Equal(t, want, r.status, "%s %s: %s", method, path, r.raw)
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(mustJSON(body))
		}
		req, _ := http.NewRequest(method, a.url+path, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+key)
		route, params, err := router.FindRoute(req)
		require.NoError(t, err, "%s %s is in the document", method, path)
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if want < 300 {
			require.NoError(t, openapi3filter.ValidateRequest(context.Background(), in), "%s %s request", method, path)
		} else if body != nil {
			// The document states the required fields: it refuses what
			// the server refuses.
			require.Error(t, openapi3filter.ValidateRequest(context.Background(), in), "%s %s request", method, path)
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.status, Header: r.header,
			Body:    io.NopCloser(bytes.NewReader([]byte(r.raw))),
			Options: &openapi3filter.Options{IncludeResponseStatus: true}} // an undocumented status fails
		require.NoError(t, openapi3filter.ValidateResponse(context.Background(), out), "%s %s response %s", method, path, r.raw)
	}
	check("GET", "/api/v1/me", nil, 200)
	check("GET", "/api/v1/orders?limit=10&sort=total&direction=asc", nil, 200)
	check("GET", "/api/v1/orders/"+id, nil, 200)
	check("POST", "/api/v1/orders", orderBody("Another A"), 201)
	check("PATCH", "/api/v1/orders/"+id, map[string]any{"notes": "n"}, 200)
	check("POST", "/api/v1/orders/"+id+"/transitions", map[string]any{"to": "processing"}, 200)
	check("GET", "/api/v1/orders/"+id+"/history", nil, 200)
	check("GET", "/api/v1/dashboard", nil, 200)
	check("POST", "/api/v1/orders", map[string]any{"customer_name": "x"}, 422)
	check("GET", "/api/v1/orders/01234567-0000-7000-8000-000000000000", nil, 404)
	check("GET", "/api/v1/members", nil, 200)
	check("GET", "/api/v1/api-keys", nil, 200)
	check("GET", "/api/v1/audit-log", nil, 200)
	check("GET", "/api/v1/tenant", nil, 200)
	check("DELETE", "/api/v1/orders/"+id, nil, 204)

	// The reference page renders every operation.
	page := owner.get(t, "/api/v1/docs")
	require.Equal(t, 200, page.status)
	require.Contains(t, page.body, "createOrder")
	require.Contains(t, page.body, "/api/v1/orders/{id}/transitions")
	require.Contains(t, page.body, "Idempotency-Key", "shared parameters are shown too")
}
