package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/testkit"
	"github.com/ordo/ordo/internal/web"
)

// fuzzServer is the API on SQLite with an owner's API key, built once per
// fuzz target (newApp needs a *testing.T).
func fuzzServer(f *testing.F) (url, key string) {
	f.Helper()
	ctx := context.Background()
	log := testkit.Logger(f)
	st, err := sqlitestore.Open(ctx, filepath.Join(f.TempDir(), "ordo.db"), log)
	require.NoError(f, err)
	f.Cleanup(st.Close)
	require.NoError(f, st.MigrateUp(ctx))
	svc, tenants, accounts := newIdentity(f, st, nil, testSealer(f), log, nil)
	h, err := web.New(web.Options{Log: log, Version: "test", MaxBodyBytes: 1 << 20, Auth: svc, Tenants: tenants, Accounts: accounts, Orders: order.NewService(store.Narrow[order.Tx]{Store: st}, nil), Idempotency: st,
		Sessions: web.NewSessionManager(st.SessionStore(), false, time.Hour, time.Hour, log)})
	require.NoError(f, err)
	srv := httptest.NewServer(h)
	f.Cleanup(srv.Close)

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	post := func(path string, body any) map[string]any {
		res, err := hc.Post(srv.URL+path, "application/json", bytes.NewReader(mustJSON(body)))
		require.NoError(f, err)
		defer res.Body.Close()
		var out map[string]any
		require.NoError(f, json.NewDecoder(res.Body).Decode(&out))
		require.Less(f, res.StatusCode, 300, "%s: %v", path, out)
		return out
	}
	// No job runner works the confirmation e-mail here: the user is made
	// confirmed, as an operator would.
	email := uniqueEmail("fuzz")
	u, err := accounts.CreateUser(ctx, email, password, "Fuzz")
	require.NoError(f, err)
	_, err = tenants.CreateTenant(ctx, access.Principal{UserID: u.ID, Email: u.Email, Name: u.Name}, "Fuzz", access.Meta{})
	require.NoError(f, err)
	post("/api/v1/auth/login", map[string]any{"email": email, "password": password})
	return srv.URL, post("/api/v1/api-keys", map[string]any{"name": "fuzz", "role": "owner"})["key"].(string)
}

// send makes one API call; ok is false when the client itself refuses the
// request (a header value HTTP cannot carry).
func send(t *testing.T, method, url, key string, body []byte, hdr map[string]string) (status int, h http.Header, raw string, ok bool) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, "", false
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		if strings.Contains(err.Error(), "invalid header") || strings.Contains(err.Error(), "invalid") {
			return 0, nil, "", false
		}
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b), true
}

// FuzzIdempotencyKey: whatever Idempotency-Key a client sends, creating an
// order answers 201 or a 4xx problem, never a 5xx; a key that worked
// replays the same order for the same body and is refused for another.
func FuzzIdempotencyKey(f *testing.F) {
	url, key := fuzzServer(f)
	for _, k := range []string{"k1", "", " ", strings.Repeat("k", 255), strings.Repeat("k", 256), "é", "\xff", "\x00", "a\tb", "🙂🙂", "key with spaces", "../../etc/passwd", "'; DROP TABLE orders; --"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, k string) {
		body := mustJSON(orderBody("Idem " + strings.ToValidUTF8(k, "?")))
		st, h, raw, ok := send(t, "POST", url+"/api/v1/orders", key, body, map[string]string{"Idempotency-Key": k})
		if !ok {
			return
		}
		if st >= 500 || (st != 201 && (st < 400 || h.Get("Content-Type") != "application/problem+json")) {
			t.Fatalf("Idempotency-Key %q: %d %s", k, st, raw)
		}
		if st != 201 || strings.TrimSpace(k) == "" {
			return
		}
		var first map[string]any
		_ = json.Unmarshal([]byte(raw), &first)
		st2, h2, raw2, _ := send(t, "POST", url+"/api/v1/orders", key, body, map[string]string{"Idempotency-Key": k})
		var again map[string]any
		_ = json.Unmarshal([]byte(raw2), &again)
		if st2 != 201 || h2.Get("Idempotent-Replayed") != "true" || again["id"] != first["id"] {
			t.Fatalf("replay of key %q: %d %s (first %v)", k, st2, raw2, first["id"])
		}
		other := mustJSON(orderBody("Other " + strings.ToValidUTF8(k, "?")))
		if st3, _, raw3, _ := send(t, "POST", url+"/api/v1/orders", key, other, map[string]string{"Idempotency-Key": k}); st3 != 422 {
			t.Fatalf("key %q reused with another body: %d %s", k, st3, raw3)
		}
	})
}

// FuzzListQuery: any query string on the list endpoints answers 200 or a
// 4xx problem, never a 5xx.
func FuzzListQuery(f *testing.F) {
	url, key := fuzzServer(f)
	for _, q := range []string{
		"limit=10", "limit=0", "limit=abc", "sort=total&direction=asc", "cursor=e30", "cursor=%ff", "status=nope", "created_after=2026-01-01T00:00:00Z",
		"created_before=2026-02-30T00:00:00Z", "q=%25%5F", "q=" + strings.Repeat("a", 300), "actor_id=nope", "from=x", "entity_id=%00", "customer_email=%27",
		"cursor=00000000-0000-0000-0000-000000000000", "limit=1&cursor=eyJzIjoiY3JlYXRlZF9hdCIsImQiOnRydWUsImkiOiIwMTkwMDAwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDEifQ",
	} {
		f.Add(q, uint8(0))
		f.Add(q, uint8(1))
	}
	f.Fuzz(func(t *testing.T, q string, which uint8) {
		path := []string{"/api/v1/orders", "/api/v1/audit-log"}[which%2]
		// Bytes a request line cannot carry are sent percent-encoded, as a
		// client library would; the rest goes as it is.
		var b strings.Builder
		for i := 0; i < len(q); i++ {
			if c := q[i]; c <= ' ' || c >= 0x7f || c == '#' {
				fmt.Fprintf(&b, "%%%02X", c)
			} else {
				b.WriteByte(c)
			}
		}
		q = b.String()
		st, h, raw, ok := send(t, "GET", url+path+"?"+q, key, nil, nil)
		if !ok {
			return
		}
		if st >= 500 || (st != 200 && (st < 400 || h.Get("Content-Type") != "application/problem+json")) {
			t.Fatalf("GET %s?%s: %d %s", path, q, st, raw)
		}
	})
}
