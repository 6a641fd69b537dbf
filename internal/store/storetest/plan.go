package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/tenant"
)

// testPlanLimits checks how overrides are stored and resolved: none, the
// plan's, the tenant's over the plan's, -1 for unlimited, and removal.
func testPlanLimits(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	n := now()

	o, err := s.PlanOverrides(ctx, a)
	require.NoError(t, err)
	require.Equal(t, "free", o.Plan)
	require.Empty(t, o.ByPlan)
	require.Empty(t, o.Tenant)
	require.Equal(t, plan.Builtin("free")[plan.OrdersPerMonth], o.Value(plan.OrdersPerMonth))
	_, err = s.PlanOverrides(ctx, uuid.Must(uuid.NewV7()))
	requireKind(t, err, apperr.ErrNotFound)

	// Plan overrides are shared by every tenant of the plan: a limit name
	// of this test's own keeps parallel tests apart.
	name := plan.Limit("test_" + uuid.NewString())
	tn, err := s.TenantGetByID(ctx, a)
	require.NoError(t, err)
	tn.Plan = tenant.PlanEnterprise
	require.NoError(t, s.TenantUpdate(ctx, tn))
	ten, seven, unlimited := int64(10), int64(7), plan.Unlimited
	require.NoError(t, s.PlanLimitSet(ctx, "enterprise", name, &ten, n))
	require.NoError(t, s.PlanLimitSet(ctx, "enterprise", name, &seven, n)) // an update
	t.Cleanup(func() { _ = s.PlanLimitSet(ctx, "enterprise", name, nil, n) })
	byPlan, err := s.PlanLimitsOf(ctx, "enterprise")
	require.NoError(t, err)
	require.Equal(t, seven, byPlan[name])
	o, err = s.PlanOverrides(ctx, a)
	require.NoError(t, err)
	require.Equal(t, "enterprise", o.Plan)
	require.Equal(t, seven, o.Value(name))

	require.NoError(t, s.TenantLimitSet(ctx, a, name, &unlimited, n))
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		o, err = tx.PlanLock(ctx, a)
		return err
	}))
	require.Equal(t, plan.Unlimited, o.Value(name), "the tenant's override wins")
	require.NoError(t, o.Check(name, 1_000_000, 1))

	require.NoError(t, s.TenantLimitSet(ctx, a, name, nil, n))
	require.NoError(t, s.TenantLimitSet(ctx, a, name, nil, n)) // removing twice is fine
	require.NoError(t, s.PlanLimitSet(ctx, "enterprise", name, nil, n))
	o, err = s.PlanOverrides(ctx, a)
	require.NoError(t, err)
	require.NotContains(t, o.Tenant, name)
	require.NotContains(t, o.ByPlan, name)

	// The database refuses what is neither a value nor unlimited.
	bad := int64(-2)
	require.Error(t, s.TenantLimitSet(ctx, a, name, &bad, n))
	require.Error(t, s.PlanLimitSet(ctx, "gold", name, &ten, n))
}

// testOrderLimitConcurrent creates orders at the last slots of the
// month from many goroutines at once, as order.Service does (number,
// then the month's slot, then the order, in one transaction): exactly
// the limit succeeds, the others write nothing, and the count is right.
func testOrderLimitConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	at := now()
	// Two orders already this month, a limit of 5: three slots left.
	five := int64(5)
	require.NoError(t, s.TenantLimitSet(ctx, a, plan.OrdersPerMonth, &five, at))
	create := func(tenantID uuid.UUID) error {
		return s.InTx(ctx, func(tx store.Tx) error {
			n, err := tx.OrderNextNumber(ctx, tenantID)
			if err != nil {
				return err
			}
			take, err := tx.UsageTakeOrder(ctx, tenantID, at)
			if err != nil {
				return err
			}
			if err := take.Check(); err != nil {
				return err
			}
			return tx.OrderCreate(ctx, newOrder(tenantID, n, at))
		})
	}
	require.NoError(t, create(a))
	require.NoError(t, create(a))
	const tries = 8
	var wg sync.WaitGroup
	errs := make([]error, tries)
	for i := range tries {
		wg.Go(func() { errs[i] = create(a) })
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, err := range errs {
		var ex *plan.ExceededError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &ex):
			refused++
			require.Equal(t, plan.OrdersPerMonth, ex.Limit)
			require.Equal(t, five, ex.Value)
			require.Equal(t, five, ex.Usage)
			require.Equal(t, "free", ex.Plan)
			requireKind(t, err, apperr.ErrForbidden)
		default:
			t.Fatalf("create: %v", err)
		}
	}
	require.Equal(t, 3, ok)
	require.Equal(t, tries-3, refused)
	u, err := s.UsageGet(ctx, a, at)
	require.NoError(t, err)
	require.Equal(t, five, u.OrdersCreated, "a refused create rolls its count back")
	require.Equal(t, plan.MonthOf(at), u.Month)
	cnt, err := s.OrderCount(ctx, order.ListParams{TenantID: a})
	require.NoError(t, err)
	require.Equal(t, 5, int(cnt))

	// Another tenant, another month, counted apart.
	require.NoError(t, create(b))
	ub, err := s.UsageGet(ctx, b, at)
	require.NoError(t, err)
	require.Equal(t, int64(1), ub.OrdersCreated)
	next, err := s.UsageGet(ctx, a, plan.MonthOf(at).AddDate(0, 1, 0))
	require.NoError(t, err)
	require.Zero(t, next.OrdersCreated)
	// Raising the limit frees a slot at once.
	require.NoError(t, s.TenantLimitSet(ctx, a, plan.OrdersPerMonth, nil, at))
	require.NoError(t, create(a))
}

// testUsageCounters checks the monthly counters and the counts of the
// limits that are not counters.
func testUsageCounters(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, u := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	n := now()
	month := plan.MonthOf(n)

	zero, err := s.UsageGet(ctx, a, n)
	require.NoError(t, err)
	require.Equal(t, plan.Usage{Month: month}, zero)
	for _, c := range []struct {
		c plan.Counter
		n int64
	}{{plan.CountAPIRequests, 1000}, {plan.CountAPIRequests, 5}, {plan.CountExportRows, 40}, {plan.CountWebhookDeliveries, 3}, {plan.CountEmailsSent, 2}} {
		require.NoError(t, s.UsageAdd(ctx, a, n, c.c, c.n))
	}
	require.NoError(t, s.UsageAdd(ctx, b, n, plan.CountAPIRequests, 7))
	require.NoError(t, s.UsageAdd(ctx, a, month.AddDate(0, -1, 0), plan.CountAPIRequests, 9))
	require.Error(t, s.UsageAdd(ctx, a, n, plan.Counter("orders_created; DROP TABLE tenants"), 1))
	got, err := s.UsageGet(ctx, a, n)
	require.NoError(t, err)
	require.Equal(t, plan.Usage{Month: month, APIRequests: 1005, ExportRows: 40, WebhookDeliveries: 3, EmailsSent: 2}, got)

	count := func(name plan.Limit) int64 {
		t.Helper()
		v, err := s.PlanCount(ctx, a, name, n)
		require.NoError(t, err)
		return v
	}
	require.Zero(t, count(plan.Members))
	require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: a, UserID: u.ID, Role: access.RoleOwner, CreatedAt: n, UpdatedAt: n}))
	require.Equal(t, int64(1), count(plan.Members))

	// Storage: pending (reserved) and uploaded attachments, not failed.
	for i, st := range []attachment.Status{attachment.StatusPending, attachment.StatusUploaded, attachment.StatusFailed} {
		id := newID()
		require.NoError(t, s.AttachmentCreate(ctx, attachment.Attachment{ID: id, TenantID: a, Filename: "f.pdf", ContentType: "application/pdf",
			Size: int64(100 * (i + 1)), ObjectKey: "tenants/" + a.String() + "/attachments/" + id.String(), Status: st, CreatedAt: n, UpdatedAt: n}))
	}
	require.Equal(t, int64(300), count(plan.StorageBytes))

	// Exports of the day only.
	for _, at := range []time.Time{n, plan.DayOf(n).Add(-time.Second)} {
		require.NoError(t, s.ExportCreate(ctx, export.Export{ID: newID(), TenantID: a, Format: export.FormatCSV, Status: export.StatusQueued, CreatedAt: at, UpdatedAt: at}))
	}
	require.Equal(t, int64(1), count(plan.ExportsPerDay))
	require.Zero(t, count(plan.WebhookEndpoints))
	require.Zero(t, count(plan.APIRequestsPerMinute))
}

// testPlanTakeConcurrent checks plan.Take, which the services call for
// members, storage, exports and webhook endpoints: concurrent takes of the
// last slot, one after the other under PlanLock, let exactly one through.
func testPlanTakeConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, owner := seedTenantUser(t, s)
	n := now()
	require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: a, UserID: owner.ID, Role: access.RoleOwner, CreatedAt: n, UpdatedAt: n}))
	two := int64(2)
	require.NoError(t, s.TenantLimitSet(ctx, a, plan.Members, &two, n))
	const tries = 5
	users := make([]account.User, tries)
	for i := range users {
		users[i] = NewUser()
		require.NoError(t, s.UserCreate(ctx, users[i]))
	}
	var wg sync.WaitGroup
	errs := make([]error, tries)
	for i := range tries {
		wg.Go(func() {
			errs[i] = s.InTx(ctx, func(tx store.Tx) error {
				if err := plan.Take(ctx, tx, a, plan.Members, 1, n); err != nil {
					return err
				}
				return tx.MembershipCreate(ctx, account.Membership{TenantID: a, UserID: users[i].ID, Role: access.RoleMember, CreatedAt: n, UpdatedAt: n})
			})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		var ex *plan.ExceededError
		require.ErrorAs(t, err, &ex)
		require.Equal(t, int64(2), ex.Usage)
	}
	require.Equal(t, 1, ok)
	ms, err := s.MembershipListByTenant(ctx, a)
	require.NoError(t, err)
	require.Len(t, ms, 2)
}
