package web_test

import (
	"github.com/ordo/ordo/internal/access"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/tenant"
)

// A suspended tenant's members and API keys get 403 tenant-suspended on
// every tenant route, the API and the pages, and its open event streams
// close; another tenant is untouched, and resuming gives everything back
// as it was.
func TestTenantSuspension(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, tid := a.signup(t, uniqueEmail("susp"))
		other, _, _ := a.signup(t, uniqueEmail("susp-other"))
		key := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "k", "role": "admin"}).must(t, 201).str("key")
		keyClient := a.withKey(key)
		id := owner.do("POST", "/api/v1/orders", orderBody("Kept Customer")).must(t, 201).str("id")
		stream, stop := openStream(t, a.url, key, "")
		defer stop()
		requireOrderEvent(t, stream, owner.do("POST", "/api/v1/orders", orderBody("Before Suspension")).must(t, 201).str("id"))

		require.NoError(t, a.tenants.SetTenantStatus(t.Context(), access.Operator(uuid.MustParse(tid)), tenant.StatusSuspended, access.Meta{}))
		requireEnds(t, stream, "suspended tenant")
		for name, c := range map[string]*client{"owner": owner, "key": keyClient} {
			for _, path := range []string{"/api/v1/orders", "/api/v1/orders/" + id, "/api/v1/members", "/api/v1/tenant", "/api/v1/events", "/api/v1/dashboard"} {
				r := c.do("GET", path, nil).must(t, 403)
				require.Equal(t, "https://ordo.dev/problems/tenant-suspended", r.str("type"), "%s %s", name, path)
				require.Contains(t, r.str("detail"), "suspended", "%s %s", name, path)
			}
			c.do("POST", "/api/v1/orders", orderBody("While Suspended")).must(t, 403)
		}
		for _, path := range []string{"/app", "/app/orders", "/app/orders/" + id} {
			r := owner.do("GET", path, nil)
			require.Equal(t, 403, r.status, path)
			require.Contains(t, r.raw, "suspended", path)
			require.Contains(t, r.raw, `href="/app/tenants"`, "%s shows the way to the user's other tenants", path)
		}
		other.do("GET", "/api/v1/orders", nil).must(t, 200)

		require.NoError(t, a.tenants.SetTenantStatus(t.Context(), access.Operator(uuid.MustParse(tid)), tenant.StatusActive, access.Meta{}))
		for _, c := range []*client{owner, keyClient} {
			require.Equal(t, "Kept Customer", c.do("GET", "/api/v1/orders/"+id, nil).must(t, 200).str("customer_name"))
			require.Len(t, c.do("GET", "/api/v1/orders", nil).must(t, 200).list(), 2, "nothing was lost, nothing was added while suspended")
		}
		require.Equal(t, 200, owner.do("GET", "/app/orders", nil).status)
	})
}
