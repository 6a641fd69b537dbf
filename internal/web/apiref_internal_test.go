package web

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAPIDocsCSP checks the reference page's policy: scripts from Ordo
// only, nothing from another host, no eval, no inline script or style
// but the nonce'd and hashed ones.
func TestAPIDocsCSP(t *testing.T) {
	csp := apiDocsCSP("abc123")
	for _, banned := range []string{"'unsafe-eval'", "'unsafe-inline'", "'wasm-unsafe-eval'", "http:", "https:", "*"} {
		require.NotContains(t, csp, banned)
	}
	require.NotRegexp(t, `[a-z0-9-]+\.[a-z]{2,}`, strings.NewReplacer(redocStyleHashes, "").Replace(csp), "no host is named")
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	require.Equal(t, "'self'", directives["script-src"])
	require.Equal(t, "'self'", directives["connect-src"])
	require.Equal(t, "'none'", directives["object-src"])
	require.Equal(t, "'none'", directives["frame-ancestors"])
	require.Equal(t, "'self' 'nonce-abc123' "+redocStyleHashes, directives["style-src"])
	require.Equal(t, "blob:", directives["worker-src"])
}

func TestNewNonce(t *testing.T) {
	a, b := newNonce(), newNonce()
	require.NotEqual(t, a, b)
	require.Regexp(t, `^[A-Za-z0-9_-]{22}$`, a)
}

// TestVendoredFiles checks that the embedded vendored files are the ones
// scripts/vendor-apiref.sh fetched (its SHA256SUMS), and that the page
// loads one of them.
func TestVendoredFiles(t *testing.T) {
	sums, err := staticFS.Open("static/vendor/SHA256SUMS")
	require.NoError(t, err)
	defer sums.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(sums)
	for sc.Scan() {
		want, name, ok := strings.Cut(sc.Text(), "  ")
		require.True(t, ok, "SHA256SUMS line %q", sc.Text())
		raw, err := fs.ReadFile(staticFS, "static/vendor/"+name)
		require.NoError(t, err)
		got := sha256.Sum256(raw)
		require.Equal(t, want, hex.EncodeToString(got[:]), "%s was changed after vendoring; run make vendor-apiref", name)
		listed[name] = true
	}
	require.NoError(t, sc.Err())
	require.True(t, listed[strings.TrimPrefix(redocBundle, "/static/vendor/")], "the page's bundle %s is vendored", redocBundle)
	bundle, err := fs.ReadFile(staticFS, strings.TrimPrefix(redocBundle, "/"))
	require.NoError(t, err)
	require.NotRegexp(t, regexp.MustCompile(`cdn\.redoc\.ly`), string(bundle), "the bundle loads nothing from Redocly's CDN")
}

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"gzip, deflate, br, zstd", true},
		{"br;q=1.0, GZIP;q=0.5", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"gzip;q=0.001", true},
		{"*", true},
		{"identity", false},
		{"br", false},
	} {
		require.Equal(t, tc.want, acceptsGzip(tc.header), "Accept-Encoding: %q", tc.header)
	}
}
