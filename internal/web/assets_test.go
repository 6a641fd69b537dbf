package web_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// rawGet fetches path with a transport that leaves Content-Encoding to
// the caller, and returns the body as sent and, when gzipped, unzipped.
func rawGet(t *testing.T, url string, header ...string) (res *http.Response, body, plain []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err = (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err = io.ReadAll(res.Body)
	require.NoError(t, err)
	plain = body
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		require.NoError(t, err)
		plain, err = io.ReadAll(zr)
		require.NoError(t, err)
	}
	return res, body, plain
}

// TestCompressionAndAssets checks what a browser is sent: pages gzipped
// when it accepts gzip, static files at content-hashed URLs that may be
// kept for a year (and gzipped), the API's JSON and event streams as they
// are, and the large OpenAPI document gzipped.
func TestCompressionAndAssets(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)

	res, zipped, page := rawGet(t, a.url+"/login", "Accept-Encoding", "gzip, deflate, br")
	require.Equal(t, 200, res.StatusCode)
	require.Equal(t, "gzip", res.Header.Get("Content-Encoding"))
	require.Contains(t, res.Header.Values("Vary"), "Accept-Encoding")
	require.Contains(t, string(page), "</html>")
	require.Less(t, len(zipped), len(page)/2)
	res, _, _ = rawGet(t, a.url+"/login")
	require.Empty(t, res.Header.Get("Content-Encoding"), "no gzip for a client that does not ask")

	// The layout links its stylesheet and script by content hash.
	links := regexp.MustCompile(`(?:href|src)="/static/(app)\.([0-9a-f]{12})\.(css|js)"`).FindAllStringSubmatch(string(page), -1)
	require.Len(t, links, 2, "the layout links app.css and app.js by hash")
	for _, m := range links {
		name := m[1] + "." + m[3]
		file, err := os.ReadFile("static/" + name)
		require.NoError(t, err)
		sum := sha256.Sum256(file)
		require.Equal(t, hex.EncodeToString(sum[:])[:12], m[2], "%s's hash is its content's", name)

		hashed := a.url + "/static/" + m[1] + "." + m[2] + "." + m[3]
		res, _, got := rawGet(t, hashed, "Accept-Encoding", "gzip")
		require.Equal(t, 200, res.StatusCode)
		require.Equal(t, "gzip", res.Header.Get("Content-Encoding"))
		require.Equal(t, "public, max-age=31536000, immutable", res.Header.Get("Cache-Control"))
		require.Equal(t, file, got)
		res, _, _ = rawGet(t, hashed, "Accept-Encoding", "gzip", "If-None-Match", res.Header.Get("ETag"))
		require.Equal(t, http.StatusNotModified, res.StatusCode)

		// The plain name, or a hash of another release, gets today's file
		// but may not be kept without asking again.
		for _, u := range []string{"/static/" + name, "/static/" + m[1] + ".0123456789ab." + m[3]} {
			res, _, got := rawGet(t, a.url+u)
			require.Equal(t, 200, res.StatusCode, u)
			require.Equal(t, "no-cache", res.Header.Get("Cache-Control"), u)
			require.Equal(t, file, got, u)
		}
	}
	for _, u := range []string{"/static/nope.css", "/static/nope.0123456789ab.css", "/static/../render.go"} {
		res, _, _ := rawGet(t, a.url+u)
		require.Equal(t, 404, res.StatusCode, u)
	}

	// The API answers as it is, whatever the client accepts...
	res, _, _ = rawGet(t, a.url+"/api/v1/version", "Accept-Encoding", "gzip")
	require.Equal(t, 200, res.StatusCode)
	require.Empty(t, res.Header.Get("Content-Encoding"))
	// ...but for its 275 KB description.
	res, zipped, doc := rawGet(t, a.url+"/api/v1/openapi.json", "Accept-Encoding", "gzip")
	require.Equal(t, 200, res.StatusCode)
	require.Equal(t, "gzip", res.Header.Get("Content-Encoding"))
	require.Less(t, len(zipped), len(doc)/5)
	t.Logf("openapi.json: %d bytes, %d gzipped", len(doc), len(zipped))
}
