package web

import (
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPagePath(t *testing.T) {
	for _, tc := range []struct{ method, target, referer, want string }{
		{"GET", "/app/orders?status=pending", "", "/app/orders?status=pending"},
		{"POST", "/app/account/password", "http://example.com/app/account?tab=1", "/app/account?tab=1"},
		{"POST", "/app/account/password", "http://elsewhere.example/app/x", "/app/account/password"},
		{"POST", "/app/account/password", "", "/app/account/password"},
		{"POST", "/app/account/password", "http://example.com//evil.example/", "/"},
	} {
		r := httptest.NewRequest(tc.method, "http://example.com"+tc.target, nil)
		if tc.referer != "" {
			r.Header.Set("Referer", tc.referer)
		}
		require.Equal(t, tc.want, pagePath(r), "%+v", tc)
	}
}

func TestFavicon(t *testing.T) {
	s, err := New(Options{Log: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/favicon.ico", nil))
	require.Equal(t, 200, w.Code)
	require.Contains(t, w.Header().Get("Content-Type"), "image/svg+xml")
}
