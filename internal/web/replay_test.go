package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/web"
)

// An idempotent replay goes through the route's permission check: a user
// demoted to viewer gets 403 for the keys they used as admin, never the
// stored response. Responses holding a secret (webhook create and
// rotation, API key create) are never stored: a retry is told the request
// succeeded (409 idempotency-secret-withheld) and neither repeats it nor
// shows the secret; the idempotency table holds no secret.
func TestIdempotentReplaySecretsAndPermission(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, _ := a.signup(t, uniqueEmail("rp"))
		admin, adminID := a.joinAs(t, owner, access.RoleAdmin)
		key := func(k string) map[string]string { return map[string]string{"Idempotency-Key": k} }
		var secrets []string

		// Webhook create: the secret is shown once; a retry does not create
		// a second endpoint nor show the secret again.
		hook := map[string]any{"url": "http://127.0.0.1:9/hook"}
		created := admin.doWith("POST", "/api/v1/webhook-endpoints", hook, key("wh-1")).must(t, 201)
		require.True(t, strings.HasPrefix(created.str("secret"), "whsec_"), created.raw)
		secrets = append(secrets, created.str("secret"))
		again := admin.doWith("POST", "/api/v1/webhook-endpoints", hook, key("wh-1")).must(t, 409)
		require.Equal(t, "https://ordo.dev/problems/idempotency-secret-withheld", again.str("type"))
		require.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
		require.Equal(t, created.header.Get("Location"), again.header.Get("Location"))
		require.NotContains(t, again.raw, "whsec_")
		require.Len(t, admin.do("GET", "/api/v1/webhook-endpoints", nil).must(t, 200).list(), 1, "the retry created no endpoint")

		// Rotation: likewise, and the retry does not rotate a second time
		// (which would end the first new secret's life at once).
		rotatePath := "/api/v1/webhook-endpoints/" + created.str("id") + "/rotate-secret"
		rotated := admin.doWith("POST", rotatePath, nil, key("rot-1")).must(t, 200)
		require.True(t, strings.HasPrefix(rotated.str("secret"), "whsec_"), rotated.raw)
		secrets = append(secrets, rotated.str("secret"))
		again = admin.doWith("POST", rotatePath, nil, key("rot-1")).must(t, 409)
		require.Equal(t, "https://ordo.dev/problems/idempotency-secret-withheld", again.str("type"))
		require.NotContains(t, again.raw, "whsec_")

		// API key create: likewise.
		apiKey := admin.doWith("POST", "/api/v1/api-keys", map[string]any{"name": "ci", "role": "member"}, key("ak-1")).must(t, 201)
		require.True(t, strings.HasPrefix(apiKey.str("key"), "ordo_"), apiKey.raw)
		secrets = append(secrets, apiKey.str("key"))
		again = admin.doWith("POST", "/api/v1/api-keys", map[string]any{"name": "ci", "role": "member"}, key("ak-1")).must(t, 409)
		require.Equal(t, "https://ordo.dev/problems/idempotency-secret-withheld", again.str("type"))
		require.NotContains(t, again.raw, apiKey.str("key"))
		require.Len(t, admin.do("GET", "/api/v1/api-keys", nil).must(t, 200).list(), 1, "the retry created no key")

		// A response without a secret is replayed as it was.
		ord := admin.doWith("POST", "/api/v1/orders", orderBody("Replay"), key("o-1")).must(t, 201)
		replayed := admin.doWith("POST", "/api/v1/orders", orderBody("Replay"), key("o-1")).must(t, 201)
		require.Equal(t, "true", replayed.header.Get("Idempotent-Replayed"))
		require.Equal(t, ord.str("id"), replayed.str("id"))

		for _, row := range a.idempotencyRows(t) {
			require.NotContains(t, row, "whsec_")
			for _, s := range secrets {
				require.NotContains(t, row, s)
			}
		}

		// Demoted to viewer, the admin may no longer create orders,
		// webhooks or keys: their replays are refused, not answered.
		owner.do("PATCH", "/api/v1/members/"+adminID, map[string]any{"role": "viewer"}).must(t, 200)
		for _, c := range []struct {
			path string
			body any
			key  string
		}{
			{"/api/v1/orders", orderBody("Replay"), "o-1"},
			{"/api/v1/webhook-endpoints", hook, "wh-1"},
			{rotatePath, nil, "rot-1"},
			{"/api/v1/api-keys", map[string]any{"name": "ci", "role": "member"}, "ak-1"},
		} {
			r := admin.doWith("POST", c.path, c.body, key(c.key))
			require.Equal(t, http.StatusForbidden, r.status, "%s: %s", c.path, r.raw)
			require.Empty(t, r.header.Get("Idempotent-Replayed"), c.path)
			require.NotContains(t, r.raw, ord.str("id"))
		}
	})
}

// Every POST route of the API names the permission an idempotent replay
// is checked against, but for the routes of the user (not the tenant).
func TestPostRoutesNamePermission(t *testing.T) {
	userRoutes := map[string]bool{
		"POST /api/v1/auth/logout-everywhere":   true,
		"POST /api/v1/auth/verify-email/resend": true,
		"POST /api/v1/auth/password":            true,
		"POST /api/v1/auth/email":               true,
		"POST /api/v1/tenants":                  true,
		"POST /api/v1/tenants/{id}/switch":      true,
		"POST /api/v1/me/totp":                  true,
		"POST /api/v1/me/totp/confirm":          true,
		"POST /api/v1/me/totp/disable":          true,
		"POST /api/v1/me/totp/recovery-codes":   true,
	}
	for _, rt := range web.Routes() {
		if rt.Method != http.MethodPost || rt.Public {
			continue
		}
		id := rt.Method + " " + rt.Path
		if userRoutes[id] {
			require.Empty(t, rt.Action, id)
			continue
		}
		require.NotEmpty(t, rt.Action, "%s names no permission", id)
	}
}
