package web_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/tenant"
	"github.com/ordo/ordo/internal/testkit"
)

// useEverything makes the tenant of c use every feature that stores
// something: orders with items and status history, an idempotent create,
// attachments, an invoice, an export, a webhook endpoint with a delivered
// delivery, a logo, an API key, an open invitation, a member who left,
// and so events and audit entries.
func useEverything(t *testing.T, a *app, c *client, hook *receiver) {
	t.Helper()
	id := c.do("POST", "/api/v1/orders", orderBody("Every Feature")).must(t, 201).str("id")
	c.doWith("POST", "/api/v1/orders", orderBody("Idempotent Ida"), map[string]string{"Idempotency-Key": uuid.NewString()}).must(t, 201)
	c.do("POST", "/api/v1/orders/"+id+"/transitions", map[string]any{"to": "processing"}).must(t, 200)
	attach(t, c, id)
	c.do("POST", "/api/v1/orders/"+id+"/invoice", nil).must(t, 202)
	require.Equal(t, "ready", waitInvoice(t, c, id).str("status"))
	exp := c.do("POST", "/api/v1/orders/export", map[string]any{"format": "csv"}).must(t, 202).str("id")
	require.Equal(t, "completed", waitExport(t, c, exp).str("status"))
	c.do("PUT", "/api/v1/tenant/logo", pngLogo(t)).must(t, 200)
	ep := c.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": hook.srv.URL}).must(t, 201).str("id")
	c.do("POST", "/api/v1/webhook-endpoints/"+ep+"/test", nil).must(t, 202)
	require.Eventually(t, func() bool {
		ds := c.do("GET", "/api/v1/webhook-endpoints/"+ep+"/deliveries", nil).must(t, 200).list()
		return len(ds) > 0 && ds[0]["status"] == "succeeded"
	}, 20*time.Second, 20*time.Millisecond, "the test delivery is delivered")
	c.do("POST", "/api/v1/api-keys", map[string]any{"name": "ci", "role": "member"}).must(t, 201)
	c.do("POST", "/api/v1/invitations", map[string]any{"email": uniqueEmail("open"), "role": "viewer"}).must(t, 201)
	_, leaver := a.joinAs(t, c, access.RoleViewer)
	c.do("DELETE", "/api/v1/members/"+leaver, nil).must(t, 204)
	// The operator raised one of its limits.
	tid := uuid.MustParse(c.do("GET", "/api/v1/tenant", nil).must(t, 200).str("id"))
	require.NoError(t, a.tenants.SetLimit(context.Background(), access.Operator(tid), plan.Members, ptr(int64(50)), access.Meta{}))
}

// objectsOf lists the keys of every stored object of the tenant.
func objectsOf(t *testing.T, a *app, tenantID uuid.UUID) []string {
	t.Helper()
	var keys []string
	for _, p := range tenant.ObjectPrefixes(tenantID) {
		infos, err := a.blobs.List(context.Background(), p)
		require.NoError(t, err)
		for _, o := range infos {
			keys = append(keys, o.Key)
		}
	}
	return keys
}

// An owner deletes a tenant that used every feature: everyone loses
// access at once, an owner can still cancel, and after the grace period
// the purge leaves no row and no object that holds the tenant's id, on
// SQLite with local disk and on PostgreSQL with S3, while another
// tenant's data is untouched.
func TestTenantDeletionAndPurge(t *testing.T) {
	t.Parallel()
	forEachStorage(t, func(t *testing.T, a *app, s3 bool) {
		ctx := context.Background()
		hook := newReceiver(t)
		owner, _, tidStr := a.signup(t, uniqueEmail("del"))
		tid := uuid.MustParse(tidStr)
		other, _, otherStr := a.signup(t, uniqueEmail("del-other"))
		otherID := uuid.MustParse(otherStr)
		useEverything(t, a, owner, hook)
		useEverything(t, a, other, hook)
		admin, _ := a.joinAs(t, owner, access.RoleAdmin)
		keyClient := a.withKey(owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "owner key", "role": "owner"}).must(t, 201).str("key"))
		slug := owner.do("GET", "/api/v1/tenant", nil).must(t, 200).str("slug")
		otherRows, otherObjects := settledRows(t, a, otherID), objectsOf(t, a, otherID)
		require.NotEmpty(t, objectsOf(t, a, tid), "the tenant has attachments, an invoice, an export and a logo")
		before := a.rowsHolding(t, tid)
		for _, table := range []string{"orders", "order_items", "order_status_history", "attachments", "invoices", "exports", "webhook_endpoints", "webhook_deliveries", "webhook_attempts", "events", "audit_log", "api_keys", "invitations", "memberships", "membership_removals", "idempotency_keys", "order_day_stats", "tenant_limits", "tenant_usage", "river_job"} {
			require.Positive(t, before[table], "before the purge, %s holds rows of the tenant: the test covers it", table)
		}

		// Only an owner deletes, and only with the slug typed.
		admin.do("POST", "/api/v1/tenant/deletion", map[string]any{"confirm": slug}).must(t, 403)
		r := owner.do("POST", "/api/v1/tenant/deletion", map[string]any{"confirm": "not-" + slug})
		require.Equal(t, 422, r.status, r.raw)
		require.Contains(t, r.raw, `"confirm"`)
		r = owner.do("POST", "/api/v1/tenant/deletion", map[string]any{"confirm": slug}).must(t, 202)
		require.Equal(t, "deleted", r.str("status"))
		purgeAfter, err := time.Parse(time.RFC3339Nano, r.str("purge_after"))
		require.NoError(t, err)
		require.WithinDuration(t, time.Now().Add(tenant.DefaultDeletionGrace), purgeAfter, time.Minute)

		// Nobody uses it any more; the owner is offered to cancel.
		for name, c := range map[string]*client{"owner": owner, "admin": admin, "key": keyClient} {
			r := c.do("GET", "/api/v1/orders", nil).must(t, 403)
			require.Equal(t, "https://ordo.dev/problems/tenant-deleted", r.str("type"), name)
			c.do("POST", "/api/v1/orders", orderBody("Too Late")).must(t, 403)
		}
		page := owner.do("GET", "/app", nil)
		require.Equal(t, 403, page.status)
		require.Contains(t, page.raw, `action="/app/tenant/restore"`, "an owner may cancel")
		require.Contains(t, page.raw, `id="purge-after"`)
		page = admin.do("GET", "/app/orders", nil)
		require.Equal(t, 403, page.status)
		require.NotContains(t, page.raw, `action="/app/tenant/restore"`, "an admin may not")
		admin.do("DELETE", "/api/v1/tenant/deletion", nil).must(t, 403)
		other.do("GET", "/api/v1/orders", nil).must(t, 200)

		// Cancelling restores everything; then the owner deletes it again
		// from the settings page.
		require.Equal(t, "active", keyClient.do("DELETE", "/api/v1/tenant/deletion", nil).must(t, 200).str("status"))
		require.Len(t, admin.do("GET", "/api/v1/orders", nil).must(t, 200).list(), 2)
		bad := owner.post(t, "/app/settings/delete", url.Values{"confirm": {"nope"}})
		require.Equal(t, 422, bad.status)
		require.Contains(t, bad.body, `id="e-confirm"`, "the mistake is shown next to the field")
		gone := owner.post(t, "/app/settings/delete", url.Values{"confirm": {slug}})
		require.Equal(t, http.StatusForbidden, gone.status, "the redirect lands on the page that says the tenant is deleted")
		require.Contains(t, gone.body, `action="/app/tenant/restore"`)
		owner.do("GET", "/api/v1/orders", nil).must(t, 403)

		// Not purged before its time.
		purger := &tenant.Purger{Store: a.store, Objects: a.blobs, Log: testkit.Logger(t)}
		n, err := purger.PurgeDue(ctx, time.Now())
		require.NoError(t, err)
		require.Zero(t, n)
		require.NotEmpty(t, a.rowsHolding(t, tid))

		n, err = purger.PurgeDue(ctx, time.Now().Add(tenant.DefaultDeletionGrace+time.Hour))
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Empty(t, a.rowsHolding(t, tid), "no row of any table holds the purged tenant's id")
		require.Empty(t, objectsOf(t, a, tid), "no object of the purged tenant is left")

		require.Equal(t, otherRows, a.rowsHolding(t, otherID), "the other tenant's rows are untouched")
		require.Equal(t, otherObjects, objectsOf(t, a, otherID), "the other tenant's objects are untouched")
		require.Len(t, other.do("GET", "/api/v1/orders", nil).must(t, 200).list(), 2)

		// Sessions that still named the tenant ended with it (their
		// users log in again, into what they have left); keys are gone.
		admin.do("GET", "/api/v1/me", nil).must(t, 401)
		keyClient.do("GET", "/api/v1/me", nil).must(t, 401)
	})
}

// settledRows is rowsHolding once the tenant's background work (webhook
// deliveries of its events) has stopped changing it for half a second.
func settledRows(t *testing.T, a *app, id uuid.UUID) map[string]int {
	t.Helper()
	last := a.rowsHolding(t, id)
	stable := time.Now()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		cur := a.rowsHolding(t, id)
		if !reflect.DeepEqual(cur, last) {
			last, stable = cur, time.Now()
		} else if time.Since(stable) > 500*time.Millisecond {
			return cur
		}
	}
	t.Fatalf("the tenant's rows kept changing: %v", last)
	return nil
}
