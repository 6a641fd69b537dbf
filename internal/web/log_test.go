package web_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/telemetry"
)

// syncBuffer is a bytes.Buffer for many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Every request's log line names the request, the tenant and the user or
// API key (by id), and nothing logged in a sign-up, login and API journey
// holds the password, the session cookie or the API key.
func TestRequestLogFields(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	// As the app builds its logger (app.newLogger).
	log := slog.New(telemetry.LogHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	a := newAppOpts(t, backends[0], appOpts{log: log})

	email := uniqueEmail("log")
	_, userID, tenantID := a.signup(t, email)
	c := a.browser()
	c.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
	me := c.do("GET", "/api/v1/me", nil).must(t, 200)
	created := c.do("POST", "/api/v1/api-keys", map[string]any{"name": "logs", "role": "member"}).must(t, 201)
	apiKey, keyID := created.str("key"), created.str("id")
	require.NotEmpty(t, apiKey)
	byKey := a.withKey(apiKey).do("POST", "/api/v1/orders", orderBody("Logged")).must(t, 201)
	u, err := url.Parse(a.url)
	require.NoError(t, err)
	var cookie string
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "ordo_session" {
			cookie = ck.Value
		}
	}
	require.NotEmpty(t, cookie)

	// The access lines of the two authenticated requests.
	find := func(requestID string) map[string]any {
		t.Helper()
		for _, l := range strings.Split(buf.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "http request" && m["request_id"] == requestID {
				return m
			}
		}
		t.Fatalf("no access log line for request %s in:\n%s", requestID, buf.String())
		return nil
	}
	bySession := find(me.header.Get("X-Request-ID"))
	require.Equal(t, userID, bySession["user_id"])
	require.Equal(t, tenantID, bySession["tenant_id"])
	require.NotContains(t, bySession, "api_key_id")
	keyLine := find(byKey.header.Get("X-Request-ID"))
	require.Equal(t, keyID, keyLine["api_key_id"])
	require.Equal(t, tenantID, keyLine["tenant_id"])
	require.NotContains(t, keyLine, "user_id")
	// The login request's line names who logged in.
	login := find(c.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200).header.Get("X-Request-ID"))
	require.Equal(t, userID, login["user_id"])

	logged := buf.String()
	for what, secret := range map[string]string{"password": password, "session cookie": cookie, "API key": apiKey,
		"API key secret": apiKeySecret(apiKey)} {
		require.NotContains(t, logged, secret, "the %s is in the log", what)
	}
}
