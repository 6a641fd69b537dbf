package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAPIReferencePage checks /api/v1/docs as a browser gets it: its own
// policy with this response's nonce, every script from Ordo, and the
// vendored bundle served gzipped and cacheable for good.
func TestAPIReferencePage(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	get := func(path string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest("GET", a.url+path, nil)
		require.NoError(t, err)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		// A Transport that leaves Content-Encoding to the test.
		res, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res, body
	}

	res, page := get("/api/v1/docs")
	require.Equal(t, 200, res.StatusCode)
	require.Equal(t, "no-store", res.Header.Get("Cache-Control"), "a nonce is good for one response")
	csp := res.Header.Get("Content-Security-Policy")
	require.NotContains(t, csp, "unsafe-eval")
	require.NotContains(t, csp, "unsafe-inline")
	require.NotRegexp(t, `https?:`, csp, "no CDN")
	nonce := regexp.MustCompile(`'nonce-([A-Za-z0-9_-]+)'`).FindStringSubmatch(csp)
	require.NotNil(t, nonce, "CSP %q", csp)
	require.Regexp(t, `<script src="/static/apiref\.[0-9a-f]{12}\.js" defer nonce="`+nonce[1]+`">`, string(page))
	_, again := get("/api/v1/docs")
	require.NotContains(t, string(again), nonce[1], "every response has its own nonce")

	var bundle string
	for _, m := range regexp.MustCompile(`<script src="([^"]+)"`).FindAllStringSubmatch(string(page), -1) {
		require.True(t, strings.HasPrefix(m[1], "/static/"), "script %s is served by Ordo", m[1])
		if strings.Contains(m[1], "redoc") {
			bundle = m[1]
		}
	}
	require.NotEmpty(t, bundle)
	require.Contains(t, string(page), `data-spec-url="/api/v1/openapi.json"`)
	// Without JavaScript the page is the table of operations.
	require.Contains(t, string(page), "<noscript>")
	require.Contains(t, string(page), "createOrder")

	res, gz := get(bundle, "Accept-Encoding", "gzip, deflate, br")
	require.Equal(t, 200, res.StatusCode)
	require.Equal(t, "gzip", res.Header.Get("Content-Encoding"))
	require.Equal(t, "public, max-age=31536000, immutable", res.Header.Get("Cache-Control"))
	require.Equal(t, "Accept-Encoding", res.Header.Get("Vary"))
	require.Contains(t, res.Header.Get("Content-Type"), "javascript")
	etag := res.Header.Get("ETag")
	require.NotEmpty(t, etag)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	require.NoError(t, err)
	unzipped, err := io.ReadAll(zr)
	require.NoError(t, err)

	res, raw := get(bundle)
	require.Equal(t, 200, res.StatusCode)
	require.Empty(t, res.Header.Get("Content-Encoding"))
	require.Equal(t, raw, unzipped)
	require.NotEqual(t, etag, res.Header.Get("ETag"), "each encoding has its own ETag")
	require.Less(t, len(gz), len(raw)/3)
	t.Logf("bundle %s: %d bytes, %d gzipped", bundle, len(raw), len(gz))

	res, _ = get(bundle, "Accept-Encoding", "gzip", "If-None-Match", etag)
	require.Equal(t, http.StatusNotModified, res.StatusCode)
	res, _ = get("/static/vendor/redoc-0.0.0.standalone.js")
	require.Equal(t, 404, res.StatusCode)
}
