// Package storetest is the conformance suite for store.Store: every engine
// runs Exercise unchanged, so a behaviour that differs between PostgreSQL
// and SQLite is a failing test, not a surprise in production.
//
// The suite shares one migrated store between its subtests; each subtest
// makes its own tenants and users with fresh ids, so they run in parallel
// and never see each other's rows.
//
// Every method of store.Store is called here (store's
// TestConformanceCoverage fails otherwise), and store's TestSchemaParity
// checks that the engines' migrations make the same schema.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/tenant"
)

// Exercise runs the whole suite against s, which must be migrated and
// used by nothing else meanwhile.
func Exercise(t *testing.T, s store.Store) {
	t.Run("Migrations", func(t *testing.T) { testMigrations(t, s) })
	// Purge deletes what has expired in every tenant, so the tests that
	// call it do not run in parallel: the subtests below that call
	// t.Parallel wait until Exercise returns. Run alongside, Purge would
	// delete the effects test's week-old record before it is read, and
	// the purge test could count other tests' expired rows as its own.
	t.Run("Purge", func(t *testing.T) { testPurge(t, s) })
	t.Run("Effects", func(t *testing.T) { testEffects(t, s) })
	t.Run("Tenant", func(t *testing.T) { t.Parallel(); testTenant(t, s) })
	t.Run("User", func(t *testing.T) { t.Parallel(); testUser(t, s) })
	t.Run("UserListByIDs", func(t *testing.T) { t.Parallel(); testUserListByIDs(t, s) })
	t.Run("Membership", func(t *testing.T) { t.Parallel(); testMembership(t, s) })
	t.Run("MembershipLock", func(t *testing.T) { t.Parallel(); testMembershipLock(t, s) })
	t.Run("LastOwnerConcurrent", func(t *testing.T) { t.Parallel(); testLastOwnerConcurrent(t, s) })
	t.Run("UserUpdate", func(t *testing.T) { t.Parallel(); testUserUpdate(t, s) })
	t.Run("UserGetForUpdate", func(t *testing.T) { t.Parallel(); testUserGetForUpdate(t, s) })
	t.Run("UserProfile", func(t *testing.T) { t.Parallel(); testUserProfile(t, s) })
	t.Run("TwoFactor", func(t *testing.T) { t.Parallel(); testTwoFactor(t, s) })
	t.Run("Tokens", func(t *testing.T) { t.Parallel(); testTokens(t, s) })
	t.Run("Invitations", func(t *testing.T) { t.Parallel(); testInvitations(t, s) })
	t.Run("APIKeys", func(t *testing.T) { t.Parallel(); testAPIKeys(t, s) })
	t.Run("APIKeyStanding", func(t *testing.T) { t.Parallel(); testAPIKeyStanding(t, s) })
	t.Run("KeysetPages", func(t *testing.T) { t.Parallel(); testKeysetPages(t, s) })
	t.Run("Audit", func(t *testing.T) { t.Parallel(); testAudit(t, s) })
	t.Run("SessionStore", func(t *testing.T) { t.Parallel(); testSessionStore(t, s) })
	t.Run("Orders", func(t *testing.T) { t.Parallel(); testOrders(t, s) })
	t.Run("OrderNumbers", func(t *testing.T) { t.Parallel(); testOrderNumbers(t, s) })
	t.Run("OrderList", func(t *testing.T) { t.Parallel(); testOrderList(t, s) })
	t.Run("OrderSearch", func(t *testing.T) { t.Parallel(); testOrderSearch(t, s) })
	t.Run("OrderSorts", func(t *testing.T) { t.Parallel(); testOrderSorts(t, s) })
	t.Run("OrderScan", func(t *testing.T) { t.Parallel(); testOrderScan(t, s) })
	t.Run("TxOrdering", func(t *testing.T) { t.Parallel(); testTxOrdering(t, s) })
	t.Run("OrderDailyStats", func(t *testing.T) { t.Parallel(); testOrderDailyStats(t, s) })
	t.Run("OrderDailyStatsFollowsWrites", func(t *testing.T) { t.Parallel(); testOrderDailyStatsFollowsWrites(t, s) })
	t.Run("TenantPurge", func(t *testing.T) { t.Parallel(); testTenantPurge(t, s) })
	t.Run("PlanUsageAndLimits", func(t *testing.T) { t.Parallel(); testPlanUsageAndLimits(t, s) })
	t.Run("OperatorConsole", func(t *testing.T) { t.Parallel(); testOperatorConsole(t, s) })
	t.Run("Passkeys", func(t *testing.T) { t.Parallel(); testPasskeys(t, s) })
	t.Run("PlanUsageCounters", func(t *testing.T) { t.Parallel(); testPlanUsageCounters(t, s) })
	t.Run("Events", func(t *testing.T) { t.Parallel(); testEvents(t, s) })
	t.Run("Idempotency", func(t *testing.T) { t.Parallel(); testIdempotency(t, s) })
	t.Run("Attachments", func(t *testing.T) { t.Parallel(); testAttachments(t, s) })
	t.Run("Exports", func(t *testing.T) { t.Parallel(); testExports(t, s) })
	t.Run("TenantSettings", func(t *testing.T) { t.Parallel(); testTenantSettings(t, s) })
	t.Run("SSO", func(t *testing.T) { t.Parallel(); testSSO(t, s) })
	t.Run("Invoices", func(t *testing.T) { t.Parallel(); testInvoices(t, s) })
	t.Run("InvoicedOrderKept", func(t *testing.T) { t.Parallel(); testInvoicedOrderKept(t, s) })
	t.Run("OrderInvoiceLinks", func(t *testing.T) { t.Parallel(); testOrderInvoiceLinks(t, s) })
	t.Run("InvoiceNumbersConcurrent", func(t *testing.T) { t.Parallel(); testInvoiceNumbersConcurrent(t, s) })
	t.Run("WebhookEndpoints", func(t *testing.T) { t.Parallel(); testWebhookEndpoints(t, s) })
	t.Run("EventInsertForWebhooks", func(t *testing.T) { t.Parallel(); testEventInsertForWebhooks(t, s) })
	t.Run("OutboxEmit", func(t *testing.T) { t.Parallel(); testOutboxEmit(t, s) })
	t.Run("WebhookDeliveries", func(t *testing.T) { t.Parallel(); testWebhookDeliveries(t, s) })
	t.Run("WebhookAttempts", func(t *testing.T) { t.Parallel(); testWebhookAttempts(t, s) })
	t.Run("WebhookDeliveriesFailing", func(t *testing.T) { t.Parallel(); testWebhookDeliveriesFailing(t, s) })
	t.Run("WebhookOwners", func(t *testing.T) { t.Parallel(); testWebhookOwners(t, s) })
	t.Run("Tx", func(t *testing.T) { t.Parallel(); testTx(t, s) })
	t.Run("Jobs", func(t *testing.T) { t.Parallel(); testJobs(t, s) })
	t.Run("FailedJobs", func(t *testing.T) { t.Parallel(); testFailedJobs(t, s) })
	t.Run("FairJobs", func(t *testing.T) { t.Parallel(); testFairJobs(t, s) })
	t.Run("FairCaps", func(t *testing.T) { t.Parallel(); testFairCaps(t, s) })
	t.Run("FairReserve", func(t *testing.T) { t.Parallel(); testFairReserve(t, s) })
	t.Run("JobQueueDepth", func(t *testing.T) { t.Parallel(); testJobQueueDepth(t, s) })
	t.Run("PoolStats", func(t *testing.T) { t.Parallel(); testPoolStats(t, s) })
}

// now is a timestamp at the precision both engines keep (microseconds).
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// NewTenant returns a valid tenant with a unique slug, not yet stored.
func NewTenant() tenant.Tenant {
	id := uuid.Must(uuid.NewV7())
	n := now()
	return tenant.Tenant{ID: id, Name: "Tenant " + id.String()[:8], Slug: "t-" + id.String(), Plan: tenant.PlanFree, Status: tenant.StatusActive, CreatedAt: n, UpdatedAt: n}
}

// NewUser returns a valid user with a unique e-mail, not yet stored.
func NewUser() account.User {
	id := uuid.Must(uuid.NewV7())
	n := now()
	return account.User{ID: id, Email: "user-" + id.String() + "@example.com", Name: "User", PasswordHash: "hash", CreatedAt: n, UpdatedAt: n}
}

func requireKind(t *testing.T, err error, want *apperr.Error) {
	t.Helper()
	require.Error(t, err)
	require.Truef(t, errors.Is(err, want), "want %v, got %v", want, err)
}

func testMigrations(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.Contains(t, []string{"postgres", "sqlite"}, s.Engine())
	// Applying again is a no-op, not an error.
	require.NoError(t, s.MigrateUp(ctx))
	current, err := s.SchemaCurrent(ctx)
	require.NoError(t, err)
	require.True(t, current)
	ms, err := s.MigrationStatus(ctx)
	require.NoError(t, err)
	seen := map[string]int{}
	for _, m := range ms {
		require.Truef(t, m.Applied, "migration %s %d %s not applied", m.Component, m.Version, m.Name)
		seen[m.Component]++
	}
	require.Positive(t, seen["ordo"])
	require.Positive(t, seen["river"])
}

func testTenant(t *testing.T, s store.Store) {
	ctx := context.Background()
	tn := NewTenant()
	require.NoError(t, s.TenantCreate(ctx, tn))

	got, err := s.TenantGetByID(ctx, tn.ID)
	require.NoError(t, err)
	requireTenant(t, tn, got)

	got, err = s.TenantGetBySlug(ctx, tn.Slug)
	require.NoError(t, err)
	requireTenant(t, tn, got)

	dup := NewTenant()
	dup.Slug = tn.Slug
	requireKind(t, s.TenantCreate(ctx, dup), apperr.ErrConflict)

	_, err = s.TenantGetByID(ctx, uuid.Must(uuid.NewV7()))
	requireKind(t, err, apperr.ErrNotFound)
	_, err = s.TenantGetBySlug(ctx, "no-such-slug-"+tn.ID.String())
	requireKind(t, err, apperr.ErrNotFound)

	tn.Name = "Renamed"
	tn.Plan = tenant.PlanPro
	tn.UpdatedAt = now().Add(time.Second)
	require.NoError(t, s.TenantUpdate(ctx, tn))
	got, err = s.TenantGetByID(ctx, tn.ID)
	require.NoError(t, err)
	requireTenant(t, tn, got)

	other := NewTenant()
	require.NoError(t, s.TenantCreate(ctx, other))
	other.Slug = tn.Slug
	requireKind(t, s.TenantUpdate(ctx, other), apperr.ErrConflict)

	missing := NewTenant()
	requireKind(t, s.TenantUpdate(ctx, missing), apperr.ErrNotFound)

	// Listing by ids: the ones that exist, the missing one left out.
	list, err := s.TenantListByIDs(ctx, []uuid.UUID{other.ID, missing.ID, tn.ID})
	require.NoError(t, err)
	require.Len(t, list, 2)
	byID := map[uuid.UUID]tenant.Tenant{}
	for _, x := range list {
		byID[x.ID] = x
	}
	requireTenant(t, tn, byID[tn.ID])
	require.Equal(t, other.Name, byID[other.ID].Name)
	list, err = s.TenantListByIDs(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, list)

	// Every tenant, page by page by id: ours among them, once.
	seen := map[uuid.UUID]int{}
	var after uuid.UUID
	for {
		ts, err := s.TenantListAfter(ctx, after, 2)
		require.NoError(t, err)
		for _, x := range ts {
			require.Greater(t, x.ID.String(), after.String(), "in id order")
			seen[x.ID]++
			after = x.ID
		}
		if len(ts) < 2 {
			break
		}
	}
	require.Equal(t, 1, seen[tn.ID])
	require.Equal(t, 1, seen[other.ID])
}

func testTenantSettings(t *testing.T, s store.Store) {
	ctx := context.Background()
	tn, other := NewTenant(), NewTenant()
	require.NoError(t, s.TenantCreate(ctx, tn))
	require.NoError(t, s.TenantCreate(ctx, other))

	got, err := s.TenantSettings(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, tenant.Settings{}, got, "never set: zero values")

	want := tenant.Settings{Branding: tenant.Branding{Address: "1 Rue de la Paix\n75002 Paris", TaxID: "FR123", AccentColor: "#1f6feb",
		Footer: "Merci ✓", LogoKey: "logos/" + tn.ID.String(), LogoType: "png"}}
	at := now().Add(time.Minute)
	require.NoError(t, s.TenantSettingsUpdate(ctx, tn.ID, want, at))
	got, err = s.TenantSettings(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)
	saved, err := s.TenantGetByID(ctx, tn.ID)
	require.NoError(t, err)
	require.True(t, at.Equal(saved.UpdatedAt))
	require.Equal(t, tn.Name, saved.Name)

	// Replaced, not merged.
	want = tenant.Settings{Branding: tenant.Branding{Footer: "Only this"}}
	require.NoError(t, s.TenantSettingsUpdate(ctx, tn.ID, want, at))
	got, err = s.TenantSettings(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)

	got, err = s.TenantSettings(ctx, other.ID)
	require.NoError(t, err)
	require.Equal(t, tenant.Settings{}, got, "another tenant is untouched")

	missing := uuid.Must(uuid.NewV7())
	_, err = s.TenantSettings(ctx, missing)
	requireKind(t, err, apperr.ErrNotFound)
	requireKind(t, s.TenantSettingsUpdate(ctx, missing, want, at), apperr.ErrNotFound)
}

func requireTenant(t *testing.T, want, got tenant.Tenant) {
	t.Helper()
	require.True(t, want.CreatedAt.Equal(got.CreatedAt), "created_at: want %v got %v", want.CreatedAt, got.CreatedAt)
	require.True(t, want.UpdatedAt.Equal(got.UpdatedAt), "updated_at: want %v got %v", want.UpdatedAt, got.UpdatedAt)
	got.CreatedAt, got.UpdatedAt = want.CreatedAt, want.UpdatedAt
	require.Equal(t, want, got)
}

func testUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := NewUser()
	u.Email = "Mixed.Case-" + u.ID.String() + "@Example.com"
	require.NoError(t, s.UserCreate(ctx, u))

	got, err := s.UserGetByEmail(ctx, u.Email)
	require.NoError(t, err)
	require.Equal(t, u.ID, got.ID)
	require.Equal(t, "mixed.case-"+u.ID.String()+"@example.com", got.Email, "e-mail is stored lower-cased")
	require.Nil(t, got.EmailVerifiedAt)
	require.True(t, u.CreatedAt.Equal(got.CreatedAt))

	got, err = s.UserGetByID(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, u.PasswordHash, got.PasswordHash)

	dup := NewUser()
	dup.Email = u.Email
	requireKind(t, s.UserCreate(ctx, dup), apperr.ErrConflict)

	verified := NewUser()
	at := now().Add(-time.Hour)
	verified.EmailVerifiedAt = &at
	require.NoError(t, s.UserCreate(ctx, verified))
	got, err = s.UserGetByID(ctx, verified.ID)
	require.NoError(t, err)
	require.NotNil(t, got.EmailVerifiedAt)
	require.True(t, at.Equal(*got.EmailVerifiedAt))

	_, err = s.UserGetByEmail(ctx, "nobody-"+u.ID.String()+"@example.com")
	requireKind(t, err, apperr.ErrNotFound)
}

func testMembership(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewTenant(), NewTenant()
	require.NoError(t, s.TenantCreate(ctx, a))
	require.NoError(t, s.TenantCreate(ctx, b))
	owner, member := NewUser(), NewUser()
	require.NoError(t, s.UserCreate(ctx, owner))
	require.NoError(t, s.UserCreate(ctx, member))

	n := now()
	add := func(tn tenant.Tenant, u account.User, role access.Role, at time.Time) {
		t.Helper()
		require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: tn.ID, UserID: u.ID, Role: role, CreatedAt: at, UpdatedAt: at}))
	}
	add(a, owner, access.RoleOwner, n)
	add(a, member, access.RoleMember, n.Add(time.Second))
	add(b, member, access.RoleOwner, n.Add(2*time.Second))

	err := s.MembershipCreate(ctx, account.Membership{TenantID: a.ID, UserID: owner.ID, Role: access.RoleAdmin, CreatedAt: n, UpdatedAt: n})
	requireKind(t, err, apperr.ErrConflict)

	err = s.MembershipCreate(ctx, account.Membership{TenantID: uuid.Must(uuid.NewV7()), UserID: owner.ID, Role: access.RoleAdmin, CreatedAt: n, UpdatedAt: n})
	requireKind(t, err, apperr.ErrInvalid) // a tenant that does not exist

	err = s.MembershipCreate(ctx, account.Membership{TenantID: b.ID, UserID: owner.ID, Role: "superuser", CreatedAt: n, UpdatedAt: n})
	requireKind(t, err, apperr.ErrInvalid) // the role CHECK constraint

	m, err := s.MembershipGet(ctx, a.ID, member.ID)
	require.NoError(t, err)
	require.Equal(t, access.RoleMember, m.Role)

	// Isolation: the owner of A is nothing in B.
	_, err = s.MembershipGet(ctx, b.ID, owner.ID)
	requireKind(t, err, apperr.ErrNotFound)

	list, err := s.MembershipListByTenant(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, owner.ID, list[0].UserID)
	require.Equal(t, member.ID, list[1].UserID)

	list, err = s.MembershipListByUser(ctx, member.ID)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, a.ID, list[0].TenantID)
	require.Equal(t, b.ID, list[1].TenantID)

	count, err := s.MembershipCountByRole(ctx, a.ID, access.RoleOwner)
	require.NoError(t, err)
	require.Equal(t, 1, count)

	require.NoError(t, s.MembershipUpdateRole(ctx, a.ID, member.ID, access.RoleOwner, n.Add(time.Minute)))
	count, err = s.MembershipCountByRole(ctx, a.ID, access.RoleOwner)
	require.NoError(t, err)
	require.Equal(t, 2, count)
	m, err = s.MembershipGet(ctx, a.ID, member.ID)
	require.NoError(t, err)
	require.True(t, n.Add(time.Minute).Equal(m.UpdatedAt))

	requireKind(t, s.MembershipUpdateRole(ctx, b.ID, owner.ID, access.RoleAdmin, n), apperr.ErrNotFound)

	// Never removed: no removal on record.
	_, err = s.MembershipRemovedAt(ctx, a.ID, member.ID)
	requireKind(t, err, apperr.ErrNotFound)

	removed := n.Add(2 * time.Minute)
	require.NoError(t, s.MembershipDelete(ctx, a.ID, member.ID, removed))
	requireKind(t, s.MembershipDelete(ctx, a.ID, member.ID, removed.Add(time.Minute)), apperr.ErrNotFound)
	_, err = s.MembershipGet(ctx, a.ID, member.ID)
	requireKind(t, err, apperr.ErrNotFound)
	// The removal is on record, at the time of the delete that removed
	// something (not of the one that found nothing).
	at, err := s.MembershipRemovedAt(ctx, a.ID, member.ID)
	require.NoError(t, err)
	require.True(t, removed.Equal(at), "removed at %s, want %s", at, removed)
	// The membership in B is untouched, and was never removed.
	_, err = s.MembershipGet(ctx, b.ID, member.ID)
	require.NoError(t, err)
	_, err = s.MembershipRemovedAt(ctx, b.ID, member.ID)
	requireKind(t, err, apperr.ErrNotFound)
	// Nor was the owner of A, who never was in B.
	_, err = s.MembershipRemovedAt(ctx, b.ID, owner.ID)
	requireKind(t, err, apperr.ErrNotFound)

	// Back, then removed again: the later removal is on record.
	add(a, member, access.RoleViewer, n.Add(3*time.Minute))
	require.NoError(t, s.MembershipDelete(ctx, a.ID, member.ID, n.Add(4*time.Minute)))
	at, err = s.MembershipRemovedAt(ctx, a.ID, member.ID)
	require.NoError(t, err)
	require.True(t, n.Add(4*time.Minute).Equal(at), "removed again at %s", at)
}

func testTx(t *testing.T, s store.Store) {
	ctx := context.Background()

	committed := NewTenant()
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.TenantCreate(ctx, committed); err != nil {
			return err
		}
		// A read inside the transaction sees its own write.
		_, err := tx.TenantGetByID(ctx, committed.ID)
		return err
	}))
	_, err := s.TenantGetByID(ctx, committed.ID)
	require.NoError(t, err)

	rolledBack := NewTenant()
	boom := errors.New("boom")
	err = s.InTx(ctx, func(tx store.Tx) error {
		require.NoError(t, tx.TenantCreate(ctx, rolledBack))
		return boom
	})
	require.ErrorIs(t, err, boom)
	_, err = s.TenantGetByID(ctx, rolledBack.ID)
	requireKind(t, err, apperr.ErrNotFound)

	panicked := NewTenant()
	require.Panics(t, func() {
		_ = s.InTx(ctx, func(tx store.Tx) error {
			require.NoError(t, tx.TenantCreate(ctx, panicked))
			panic("mid-transaction")
		})
	})
	_, err = s.TenantGetByID(ctx, panicked.ID)
	requireKind(t, err, apperr.ErrNotFound)
}

// probeArgs is a job that reports its token when it runs.
type probeArgs struct {
	Token string `json:"token"`
}

func (probeArgs) Kind() string { return "storetest_probe" }

func (probeArgs) InsertOpts() jobs.Opts { return jobs.Opts{Queue: "storetest"} }

func testJobs(t *testing.T, s store.Store) {
	ctx := context.Background()
	ran := make(chan string, 16)
	workers := jobs.NewWorkers()
	jobs.Register(workers, jobs.WorkFunc[probeArgs](func(ctx context.Context, job *jobs.Job[probeArgs]) error {
		ran <- job.Args.Token
		return nil
	}))

	// A job inserted inside a transaction that rolls back must never run;
	// it is inserted first so that, were it there, it would run first.
	rollbackToken, commitToken, plainToken := "rollback-"+uuid.NewString(), "commit-"+uuid.NewString(), "plain-"+uuid.NewString()
	boom := errors.New("roll back")
	err := s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.JobInsert(ctx, probeArgs{Token: rollbackToken}, nil)
		require.NoError(t, err)
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.JobInsert(ctx, probeArgs{Token: commitToken}, nil)
		return err
	}))
	_, err = s.JobInsert(ctx, probeArgs{Token: plainToken}, nil)
	require.NoError(t, err)

	startRunner(t, s, "storetest", workers)

	seen := map[string]int{}
	deadline := time.After(20 * time.Second)
	for seen[commitToken] == 0 || seen[plainToken] == 0 {
		select {
		case tok := <-ran:
			seen[tok]++
		case <-deadline:
			t.Fatalf("committed jobs did not run within 20s; ran: %v", seen)
		}
	}
	// Give a wrongly surviving job every chance to show up.
	settle := time.After(500 * time.Millisecond)
	for done := false; !done; {
		select {
		case tok := <-ran:
			seen[tok]++
		case <-settle:
			done = true
		}
	}
	require.Zero(t, seen[rollbackToken], "a job inserted in a rolled-back transaction ran")
	require.Equal(t, 1, seen[commitToken])
	require.Equal(t, 1, seen[plainToken])
}
