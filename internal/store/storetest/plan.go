package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/store"
)

// Usage counts add up under concurrent transactions, per tenant and
// month; a tenant's plan and overrides read back as written.
func testPlanUsageAndLimits(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, owner := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	dec := plan.Month(time.Date(2026, 12, 17, 23, 0, 0, 0, time.UTC))
	jan := plan.Month(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))

	var wg sync.WaitGroup
	seen := make(chan int64, 8)
	for range 8 {
		wg.Go(func() {
			require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
				num, n, err := tx.OrderNextNumberCounted(ctx, a, dec)
				if num != n {
					return fmt.Errorf("order number %d counted as %d: a fresh tenant's are equal", num, n)
				}
				seen <- n
				return err
			}))
		})
	}
	wg.Wait()
	close(seen)
	got := map[int64]bool{}
	for n := range seen {
		got[n] = true
	}
	require.Len(t, got, 8, "each transaction saw its own count: %v", got)
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		n, err := tx.UsageAddOrders(ctx, b, jan, 2)
		require.Equal(t, int64(2), n)
		return err
	}))
	_, _, err := s.OrderNextNumberCounted(ctx, uuid.New(), dec)
	require.ErrorIs(t, err, apperr.ErrNotFound, "no such tenant")
	for _, c := range []struct {
		tenant uuid.UUID
		month  time.Time
		want   int64
	}{{a, dec, 8}, {a, jan, 0}, {b, dec, 0}, {b, jan, 2}} {
		n, err := s.UsageMonth(ctx, c.tenant, c.month)
		require.NoError(t, err)
		require.Equal(t, c.want, n.OrdersCreated, "%s %s", c.tenant, c.month)
	}

	var members, hooks int64
	require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: a, UserID: owner.ID, Role: access.RoleOwner, CreatedAt: now(), UpdatedAt: now()}))
	members, hooks, err = s.UsageCounts(ctx, a)
	require.NoError(t, err)
	require.Equal(t, int64(1), members)
	require.Zero(t, hooks)

	// Overrides: the plan's, then the tenant's. Plan overrides are
	// global: this test uses a limit name no other test sets on "pro".
	require.NoError(t, s.PlanLimitSet(ctx, "enterprise", plan.WebhookEndpoints, 7))
	require.NoError(t, s.PlanLimitSet(ctx, "enterprise", plan.WebhookEndpoints, 8)) // replaces
	require.NoError(t, s.TenantLimitSet(ctx, a, plan.Members, 2))
	require.NoError(t, s.TenantLimitSet(ctx, a, plan.Members, plan.Unlimited))
	p, po, to, err := s.PlanOf(ctx, a)
	require.NoError(t, err)
	require.Equal(t, "free", p)
	require.Equal(t, map[string]int64{string(plan.Members): plan.Unlimited}, to)
	_, ok := po[string(plan.WebhookEndpoints)]
	require.False(t, ok, "a free tenant does not see the enterprise plan's overrides")
	require.NoError(t, s.TenantLimitDelete(ctx, a, plan.Members))
	require.NoError(t, s.PlanLimitDelete(ctx, "enterprise", plan.WebhookEndpoints))
	_, _, to, err = s.PlanOf(ctx, a)
	require.NoError(t, err)
	require.Empty(t, to)
}

// The counters that limit nothing add up per tenant, month and counter,
// concurrently too (the request counter's batches and the workers write
// at once); storage sums the tenant's pending and uploaded attachments;
// exports are counted from a time on, archives aside.
func testPlanUsageCounters(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, u := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	dec := time.Date(2026, 12, 17, 23, 0, 0, 0, time.UTC)
	jan := time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)

	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			require.NoError(t, s.UsageAdd(ctx, a, dec, plan.CountAPIRequests, 100))
		})
	}
	wg.Wait()
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.UsageAdd(ctx, a, dec, plan.CountExportRows, 7); err != nil {
			return err
		}
		return tx.UsageAdd(ctx, a, dec, plan.CountWebhookDeliveries, 1)
	}))
	require.Error(t, s.InTx(ctx, func(tx store.Tx) error {
		require.NoError(t, tx.UsageAdd(ctx, a, dec, plan.CountExportRows, 1000))
		return fmt.Errorf("rolled back")
	}))
	require.NoError(t, s.UsageAdd(ctx, a, jan, plan.CountEmailsSent, 2))
	require.NoError(t, s.UsageAdd(ctx, b, dec, plan.CountEmailsSent, 3))
	requireKind(t, s.UsageAdd(ctx, uuid.New(), dec, plan.CountAPIRequests, 1), apperr.ErrInvalid)
	require.Error(t, s.UsageAdd(ctx, a, dec, plan.Counter("orders_created; DROP TABLE tenants"), 1), "not a counter")
	_, _, err := s.OrderNextNumberCounted(ctx, a, plan.Month(dec))
	require.NoError(t, err)

	for _, c := range []struct {
		tenant uuid.UUID
		month  time.Time
		want   plan.Counts
	}{
		{a, plan.Month(dec), plan.Counts{OrdersCreated: 1, APIRequests: 600, ExportRows: 7, WebhookDeliveries: 1}},
		{a, plan.Month(jan), plan.Counts{EmailsSent: 2}},
		{b, plan.Month(dec), plan.Counts{EmailsSent: 3}},
		{b, plan.Month(jan), plan.Counts{}},
	} {
		got, err := s.UsageMonth(ctx, c.tenant, c.month)
		require.NoError(t, err)
		require.Equal(t, c.want, got, "%s %s", c.tenant, c.month)
	}

	n := now()
	for i, st := range []attachment.Status{attachment.StatusPending, attachment.StatusUploaded, attachment.StatusFailed} {
		id := newID()
		require.NoError(t, s.AttachmentCreate(ctx, attachment.Attachment{ID: id, TenantID: a, UploadedBy: &u.ID, Filename: "f.pdf",
			ContentType: "application/pdf", Size: int64(1000 * (i + 1)), ObjectKey: "tenants/" + a.String() + "/attachments/" + id.String(),
			Status: st, CreatedAt: n, UpdatedAt: n}))
	}
	bytes, err := s.UsageStorageBytes(ctx, a)
	require.NoError(t, err)
	require.Equal(t, int64(3000), bytes, "pending and uploaded count, failed does not")
	bytes, err = s.UsageStorageBytes(ctx, b)
	require.NoError(t, err)
	require.Zero(t, bytes)

	// Exports are counted from their audit entries (what export.Service
	// writes), so that a deleted export still counts.
	day := plan.Day(n)
	for _, e := range []struct {
		action string
		f      export.Format
		at     time.Time
	}{
		{"export.created", export.FormatCSV, day.Add(-time.Minute)},
		{"export.created", export.FormatCSV, day},
		{"export.created", export.FormatPDF, n},
		{"export.created", export.FormatArchive, n},
		{"export.deleted", "", n},
	} {
		id := newID()
		meta := json.RawMessage(`{"format":"` + string(e.f) + `","filters":{}}`)
		if e.f == "" {
			meta = nil
		}
		require.NoError(t, s.AuditInsert(ctx, audit.Entry{ID: newID(), TenantID: a, ActorType: "user", ActorID: &u.ID, Action: e.action,
			EntityType: "export", EntityID: id.String(), Metadata: meta, CreatedAt: e.at}))
	}
	exports, err := s.UsageExportsSince(ctx, a, day)
	require.NoError(t, err)
	require.Equal(t, int64(2), exports, "today's creates, from 00:00 on, without the archive")
	exports, err = s.UsageExportsSince(ctx, b, day)
	require.NoError(t, err)
	require.Zero(t, exports)
}
