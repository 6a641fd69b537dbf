package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// deprecatedRoutes is the route table with two routes made for the tests
// appended, one deprecated: no real route is deprecated today. (The real
// table stays, since the document's finishing rules name its schemas.)
func deprecatedRoutes() []apiRoute {
	return append(apiRoutes(),
		apiRoute{"GET", "/api/v1/old", nil, operation{id: "getOld", summary: "Old", tag: "test", resp: nameReq{}, status: 200,
			deprecated: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), sunset: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)}},
		apiRoute{"GET", "/api/v1/new", nil, operation{id: "getNew", summary: "New", tag: "test", resp: nameReq{}, status: 200}},
	)
}

func TestDeprecatedOperationInOpenAPI(t *testing.T) {
	raw, err := openAPIOf("1", deprecatedRoutes())
	require.NoError(t, err)
	var doc struct {
		Paths map[string]map[string]struct {
			Deprecated bool `json:"deprecated"`
			Responses  map[string]struct {
				Headers map[string]any `json:"headers"`
			} `json:"responses"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	old := doc.Paths["/api/v1/old"]["get"]
	require.True(t, old.Deprecated)
	for _, h := range []string{"Deprecation", "Sunset", "Link"} {
		require.Contains(t, old.Responses["200"].Headers, h)
	}
	cur := doc.Paths["/api/v1/new"]["get"]
	require.False(t, cur.Deprecated)
	for _, h := range []string{"Deprecation", "Sunset", "Link"} {
		require.NotContains(t, cur.Responses["200"].Headers, h)
	}
}

func TestDeprecationHeaders(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	routes := deprecatedRoutes()

	rec := httptest.NewRecorder()
	withDeprecation(routes[len(routes)-2].op, ok).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/old", nil))
	require.Equal(t, "@1796083200", rec.Header().Get("Deprecation")) // 2026-12-01T00:00:00Z
	require.Equal(t, "Tue, 01 Jun 2027 00:00:00 GMT", rec.Header().Get("Sunset"))
	require.Equal(t, `</api/v1/docs>; rel="deprecation"`, rec.Header().Get("Link"))

	rec = httptest.NewRecorder()
	withDeprecation(routes[len(routes)-1].op, ok).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/new", nil))
	for _, h := range []string{"Deprecation", "Sunset", "Link"} {
		require.Empty(t, rec.Header().Get(h), h)
	}
}
