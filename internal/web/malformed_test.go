package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/web"
)

// openAPIOps reads, from the OpenAPI document that the route table
// generates, which routes take a body and which need authentication.
func openAPIOps(t *testing.T) map[string]struct{ body, auth bool } {
	t.Helper()
	doc, err := web.OpenAPI("test")
	require.NoError(t, err)
	var spec struct {
		Paths map[string]map[string]struct {
			RequestBody map[string]any `json:"requestBody"`
			Security    []any          `json:"security"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(doc, &spec))
	out := map[string]struct{ body, auth bool }{}
	for path, ops := range spec.Paths {
		for method, op := range ops {
			out[strings.ToUpper(method)+" "+path] = struct{ body, auth bool }{op.RequestBody != nil, len(op.Security) > 0}
		}
	}
	return out
}

// rawDo sends a request with exactly this body and headers.
func rawDo(t *testing.T, c *client, method, path string, body io.Reader, length int64, headers map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, c.a.url+path, body)
	require.NoError(t, err)
	if length >= 0 {
		req.ContentLength = length
	} else {
		req.ContentLength = -1 // chunked: the limit must hold without a length
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// wrongTypes are bodies with a wrong JSON type in one field each, or at
// the top level.
var wrongTypes = []string{
	`[]`, `"text"`, `123`, `true`, `{"name":[1]}`, `{"email":{}}`, `{"password":7}`, `{"role":true}`, `{"to":1}`, `{"items":"x"}`,
	`{"customer_name":{"a":1}}`, `{"discount":"10"}`, `{"notes":["x"]}`, `{"items":[{"quantity":"2"}]}`, `{"url":1}`, `{"description":[]}`,
	`{"event_types":"order.created"}`, `{"enabled":"yes"}`, `{"since":5}`, `{"format":1}`, `{"filename":1}`, `{"size":"10"}`,
	`{"token":1}`, `{"expires_at":"tomorrow"}`, `{"address":1}`, `{"footer":false}`, `{"order_id":"nope"}`, `{"quantity":1e400}`,
	`{`, `{"a":1}{"b":2}`, `{"name":"x",}`, strings.Repeat("[", 100_000),
}

// TestMalformedRequests: every API route of the route table, sent wrong
// JSON types, a body over MaxBodyBytes (with and without a length),
// invalid UTF-8, a non-JSON body, garbage path ids and no credentials,
// answers a 4xx problem, never a 5xx.
func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			o := makeObjects(t, a, "bad")
			key := a.withKey(o.owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "bad", "role": "owner"}).must(t, 201).str("key"))
			ops := openAPIOps(t)
			huge := bytes.Repeat([]byte("x"), 1<<20+1024)
			hugeJSON := append(append([]byte(`{"name":"`), huge...), '"', '}')
			const problem = "application/problem+json"
			n := 0
			for _, rt := range web.Routes() {
				op, ok := ops[rt.Method+" "+rt.Path]
				require.True(t, ok, "%s %s is not in the OpenAPI document", rt.Method, rt.Path)
				name := rt.Method + " " + rt.Path
				real := o.fill(t, rt.Path)
				check := func(what string, status int, h http.Header, body string, want4xx bool) {
					t.Helper()
					require.Less(t, status, 500, "%s, %s: %d %s", name, what, status, body)
					if want4xx {
						require.GreaterOrEqual(t, status, 400, "%s, %s: %d %s", name, what, status, body)
						require.Equal(t, problem, h.Get("Content-Type"), "%s, %s: %s", name, what, body)
					}
				}
				for _, c := range []*client{o.owner, key} {
					// The logo and the avatar take the image itself as the
					// body, not JSON.
					imageBody := rt.Method == "PUT" && (rt.Path == "/api/v1/tenant/logo" || rt.Path == "/api/v1/me/avatar")
					if op.body && !imageBody {
						for _, wt := range wrongTypes {
							st, h, body := rawDo(t, c, rt.Method, real, strings.NewReader(wt), int64(len(wt)), map[string]string{"Content-Type": "application/json"})
							check("body "+wt[:min(len(wt), 30)], st, h, body, true)
						}
						bad := []byte("{\"name\":\"\xff\xfe\",\"notes\":\"\xc3\x28\"}")
						st, h, body := rawDo(t, c, rt.Method, real, bytes.NewReader(bad), int64(len(bad)), map[string]string{"Content-Type": "application/json"})
						check("invalid UTF-8", st, h, body, true)
						st, h, body = rawDo(t, c, rt.Method, real, strings.NewReader("name=x&role=owner"), 17, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
						check("form body", st, h, body, true)
						st, h, body = rawDo(t, c, rt.Method, real, strings.NewReader("<xml/>"), 6, map[string]string{"Content-Type": "text/xml"})
						check("XML body", st, h, body, true)
						st, h, body = rawDo(t, c, rt.Method, real, bytes.NewReader(hugeJSON), -1, map[string]string{"Content-Type": "application/json"})
						check("huge chunked body", st, h, body, true)
						if st != 403 { // a principal that may not use the route at all
							require.Equal(t, 413, st, "%s, huge chunked body: %s", name, body)
						}
					}
					if imageBody {
						st, h, body := rawDo(t, c, rt.Method, real, strings.NewReader("not an image"), 12, map[string]string{"Content-Type": "image/png"})
						check("not an image", st, h, body, true)
					}
					// Over the limit with a length: refused before any handler.
					st, h, body := rawDo(t, c, rt.Method, real, bytes.NewReader(hugeJSON), int64(len(hugeJSON)), map[string]string{"Content-Type": "application/json"})
					check("huge body", st, h, body, true)
					require.Equal(t, 413, st, "%s, huge body: %s", name, body)
					// Invalid UTF-8 and NUL in the query string.
					st, h, body = rawDo(t, c, rt.Method, real+"?q=%ff%fe&cursor=%00", nil, 0, nil)
					check("bad query", st, h, body, true)
					// Garbage path ids.
					if strings.Contains(rt.Path, "{") {
						for _, g := range []string{"garbage", "00000000-0000-0000-0000-000000000000", "01900000-0000-7000-8000-000000000000", "-1", "99999999999999999999", "%2e%2e", "%ff", "1%20OR%201=1"} {
							path := strings.Join(strings.FieldsFunc(rt.Path, func(r rune) bool { return r == '/' }), "/")
							garbled := "/" + replaceParams(path, g)
							var rd io.Reader
							var l int64
							if op.body {
								j := mustJSON(plausibleBody(rt.Method, rt.Path))
								rd, l = bytes.NewReader(j), int64(len(j))
							}
							st, h, body := rawDo(t, c, rt.Method, garbled, rd, l, map[string]string{"Content-Type": "application/json"})
							check("path id "+g, st, h, body, true)
						}
					}
				}
				// No credentials at all.
				anon := a.browser()
				st, h, body := rawDo(t, anon, rt.Method, real, strings.NewReader("{}"), 2, map[string]string{"Content-Type": "application/json"})
				check("no auth", st, h, body, op.auth)
				if op.auth {
					require.Equal(t, 401, st, "%s without credentials: %s", name, body)
				}
				// A wrong API key.
				st, h, body = rawDo(t, a.withKey("ordo_000000000000_nope"), rt.Method, real, nil, 0, nil)
				check("bad key", st, h, body, op.auth)
				n++
			}
			t.Logf("%d API routes checked", n)
			// The fixtures still work: nothing above succeeded by mistake.
			o.owner.do("GET", "/api/v1/orders/"+o.order, nil).must(t, 200)
		})
	}
}

// replaceParams puts g in place of every {param} of a path.
func replaceParams(path, g string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = g
		}
	}
	return strings.Join(segs, "/")
}
