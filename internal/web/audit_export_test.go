package web_test

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/audit"
)

// An owner downloads the audit log with its proofs: a JSON Lines
// attachment that verifies offline against the server's public key, and
// holds the tenant's entries only. The audit page links to it, for
// those who may read the log.
func TestAuditExport(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, tid := a.signup(t, uniqueEmail("export-owner"))
		other, _, _ := a.signup(t, uniqueEmail("export-other"))
		other.do("POST", "/api/v1/orders", orderBody("Other Co")).must(t, 201)
		owner.do("POST", "/api/v1/orders", orderBody("Chain Co")).must(t, 201)
		_, err := audit.WriteCheckpoints(t.Context(), a.store, testAuditKey, time.Now())
		require.NoError(t, err)
		owner.do("POST", "/api/v1/orders", orderBody("After Co")).must(t, 201)

		r := owner.do("GET", "/api/v1/audit-log/export", nil).must(t, 200)
		require.Equal(t, "application/x-ndjson", r.header.Get("Content-Type"))
		require.Contains(t, r.header.Get("Content-Disposition"), "attachment; filename=audit-log-")
		x, err := audit.ReadExport(strings.NewReader(r.raw))
		require.NoError(t, err)
		require.Equal(t, tid, x.Header.TenantID.String())
		require.Equal(t, testAuditKey.Public().(ed25519.PublicKey), x.PublicKey)
		rep := audit.Verify(x.Entries, x.Head, x.Checkpoints, testAuditKey.Public().(ed25519.PublicKey))
		require.Nil(t, rep.Problem)
		require.NotEmpty(t, x.Checkpoints)
		require.Equal(t, int64(len(x.Entries)), x.Head.Seq, "every entry, all chained")
		for _, e := range x.Entries {
			require.Equal(t, tid, e.TenantID.String(), "an entry of another tenant")
			require.NotEqual(t, "Other Co", e.EntityID)
		}
		require.NotContains(t, r.raw, "Other Co")

		viewer, _ := a.joinAs(t, owner, access.RoleViewer)
		viewer.do("GET", "/api/v1/audit-log/export", nil).must(t, 403)
		require.Contains(t, owner.get(t, "/app/audit").body, `href="/api/v1/audit-log/export"`)
	})
}

// After retention pruned the tenant's log, the download starts with the
// signed cut and still verifies, from the entry after it.
func TestAuditExportAfterPrune(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, tid := a.signup(t, uniqueEmail("export-pruned"))
		owner.do("POST", "/api/v1/orders", orderBody("Old Co")).must(t, 201)
		_, err := audit.WriteCheckpoints(t.Context(), a.store, testAuditKey, time.Now())
		require.NoError(t, err)
		n, err := audit.PruneTenant(t.Context(), a.store, testAuditKey, uuid.MustParse(tid), time.Now().Add(time.Hour), time.Now(), 1000)
		require.NoError(t, err)
		require.Positive(t, n)
		owner.do("POST", "/api/v1/orders", orderBody("New Co")).must(t, 201)

		r := owner.do("GET", "/api/v1/audit-log/export", nil).must(t, 200)
		require.Contains(t, strings.SplitN(r.raw, "\n", 3)[1], `"type":"cut"`)
		x, err := audit.ReadExport(strings.NewReader(r.raw))
		require.NoError(t, err)
		rep := audit.Verify(x.Entries, x.Head, x.Checkpoints, testAuditKey.Public().(ed25519.PublicKey))
		require.Nil(t, rep.Problem)
		require.Equal(t, int64(n)+1, rep.Start)
		require.Positive(t, rep.Chained)
		require.Contains(t, r.raw, `ORD-000002`, "the new order's entry")
		require.NotContains(t, r.raw, `ORD-000001`, "the old order's entry was pruned")
	})
}
