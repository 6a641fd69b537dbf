package storetest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/tenant"
)

func randomHash() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// seedTenantUser stores a fresh tenant and user.
func seedTenantUser(t *testing.T, s store.Store) (uuid.UUID, account.User) {
	t.Helper()
	ctx := context.Background()
	tn, u := NewTenant(), NewUser()
	require.NoError(t, s.TenantCreate(ctx, tn))
	require.NoError(t, s.UserCreate(ctx, u))
	return tn.ID, u
}

func testUserListByIDs(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b, c := NewUser(), NewUser(), NewUser()
	at := now().Add(-time.Hour)
	b.EmailVerifiedAt = &at
	for _, u := range []account.User{a, b, c} {
		require.NoError(t, s.UserCreate(ctx, u))
	}

	// A missing id is left out and a repeated one listed once.
	got, err := s.UserListByIDs(ctx, []uuid.UUID{b.ID, newID(), a.ID, b.ID})
	require.NoError(t, err)
	byID := map[uuid.UUID]account.User{}
	for _, u := range got {
		byID[u.ID] = u
	}
	require.Len(t, got, 2, "users listed: %v", got)
	require.Len(t, byID, 2)
	for _, want := range []account.User{a, b} {
		u, ok := byID[want.ID]
		require.Truef(t, ok, "user %s not listed", want.ID)
		// Every column is read, as UserGetByID reads it.
		one, err := s.UserGetByID(ctx, want.ID)
		require.NoError(t, err)
		require.Equal(t, one, u)
		require.Equal(t, want.Email, u.Email)
		require.True(t, want.CreatedAt.Equal(u.CreatedAt))
	}
	require.NotNil(t, byID[b.ID].EmailVerifiedAt)
	require.True(t, at.Equal(*byID[b.ID].EmailVerifiedAt))
	require.Nil(t, byID[a.ID].EmailVerifiedAt)

	got, err = s.UserListByIDs(ctx, []uuid.UUID{newID()})
	require.NoError(t, err)
	require.Empty(t, got)
	got, err = s.UserListByIDs(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, got)

	// Inside a transaction it sees the transaction's own users.
	d := NewUser()
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.UserCreate(ctx, d); err != nil {
			return err
		}
		got, err := tx.UserListByIDs(ctx, []uuid.UUID{d.ID, c.ID})
		if err != nil {
			return err
		}
		require.Len(t, got, 2)
		return nil
	}))
}

// testMembershipLock checks the lock's contract that does not depend on
// timing: it takes an existing tenant inside and outside a transaction,
// and a missing tenant is not found. That it serialises the transactions
// changing a tenant's members is LastOwnerConcurrent's subject.
func testMembershipLock(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenantID, u := seedTenantUser(t, s)
	at := now()
	require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: tenantID, UserID: u.ID, Role: access.RoleOwner, CreatedAt: at, UpdatedAt: at}))

	require.NoError(t, s.MembershipLock(ctx, tenantID))
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.MembershipLock(ctx, tenantID); err != nil {
			return err
		}
		// Taking it again in the same transaction does not deadlock.
		if err := tx.MembershipLock(ctx, tenantID); err != nil {
			return err
		}
		n, err := tx.MembershipCountByRole(ctx, tenantID, access.RoleOwner)
		if err != nil {
			return err
		}
		require.Equal(t, 1, n)
		return tx.MembershipUpdateRole(ctx, tenantID, u.ID, access.RoleAdmin, at)
	}))
	m, err := s.MembershipGet(ctx, tenantID, u.ID)
	require.NoError(t, err)
	require.Equal(t, access.RoleAdmin, m.Role, "the change made under the lock committed")

	missing := newID()
	requireKind(t, s.MembershipLock(ctx, missing), apperr.ErrNotFound)
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.MembershipLock(ctx, missing) })
	requireKind(t, err, apperr.ErrNotFound)
}

func testUserUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := NewUser()
	require.NoError(t, s.UserCreate(ctx, u))
	other := NewUser()
	require.NoError(t, s.UserCreate(ctx, other))

	at := now()
	u.Email = "NEW-" + u.Email
	u.Name = "Renamed"
	u.PasswordHash = "new-hash"
	u.EmailVerifiedAt = &at
	u.UpdatedAt = at
	require.NoError(t, s.UserUpdate(ctx, u))
	got, err := s.UserGetByID(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, strings.ToLower(u.Email), got.Email)
	require.Equal(t, "Renamed", got.Name)
	require.Equal(t, "new-hash", got.PasswordHash)
	require.NotNil(t, got.EmailVerifiedAt)

	other.Email = u.Email
	requireKind(t, s.UserUpdate(ctx, other), apperr.ErrConflict)
	requireKind(t, s.UserUpdate(ctx, NewUser()), apperr.ErrNotFound)

	require.Zero(t, got.SessionEpoch)
	e1, err := s.UserBumpSessionEpoch(ctx, u.ID, now())
	require.NoError(t, err)
	e2, err := s.UserBumpSessionEpoch(ctx, u.ID, now())
	require.NoError(t, err)
	require.Equal(t, int64(1), e1)
	require.Equal(t, int64(2), e2)
	got, err = s.UserGetByID(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, int64(2), got.SessionEpoch)
	_, err = s.UserBumpSessionEpoch(ctx, newID(), now())
	requireKind(t, err, apperr.ErrNotFound)
}

// testUserGetForUpdate checks that read-then-write transactions on a user
// through UserGetForUpdate take turns: concurrent increments of a counter
// kept in the name lose none (without the row lock, PostgreSQL's READ
// COMMITTED would let two read the same value).
func testUserGetForUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := NewUser()
	u.Name = "0"
	require.NoError(t, s.UserCreate(ctx, u))
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.InTx(ctx, func(tx store.Tx) error {
				got, err := tx.UserGetForUpdate(ctx, u.ID)
				if err != nil {
					return err
				}
				c, err := strconv.Atoi(got.Name)
				if err != nil {
					return err
				}
				time.Sleep(5 * time.Millisecond)
				got.Name = strconv.Itoa(c + 1)
				return tx.UserUpdate(ctx, got)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := s.UserGetByID(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(n), got.Name)

	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.UserGetForUpdate(ctx, newID())
		return err
	})
	requireKind(t, err, apperr.ErrNotFound)
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, u := seedTenantUser(t, s)
	n := now()
	tok := account.Token{ID: newID(), UserID: u.ID, Purpose: account.TokenResetPassword, Hash: randomHash(), ExpiresAt: n.Add(time.Hour), CreatedAt: n}
	require.NoError(t, s.TokenCreate(ctx, tok))

	_, err := s.TokenConsume(ctx, account.TokenVerifyEmail, tok.Hash, n)
	requireKind(t, err, apperr.ErrNotFound) // wrong purpose

	got, err := s.TokenConsume(ctx, account.TokenResetPassword, tok.Hash, n)
	require.NoError(t, err)
	require.Equal(t, tok.ID, got.ID)
	require.Equal(t, u.ID, got.UserID)
	require.NotNil(t, got.UsedAt)

	_, err = s.TokenConsume(ctx, account.TokenResetPassword, tok.Hash, n)
	requireKind(t, err, apperr.ErrNotFound) // single use

	expired := account.Token{ID: newID(), UserID: u.ID, Purpose: account.TokenVerifyEmail, Hash: randomHash(), ExpiresAt: n.Add(time.Minute), CreatedAt: n}
	require.NoError(t, s.TokenCreate(ctx, expired))
	_, err = s.TokenConsume(ctx, account.TokenVerifyEmail, expired.Hash, n.Add(time.Minute))
	requireKind(t, err, apperr.ErrNotFound) // expiry is exclusive

	change := account.Token{ID: newID(), UserID: u.ID, Purpose: account.TokenChangeEmail, Hash: randomHash(), Data: "next@example.com", ExpiresAt: n.Add(time.Hour), CreatedAt: n}
	require.NoError(t, s.TokenCreate(ctx, change))
	require.NoError(t, s.TokenInvalidate(ctx, u.ID, account.TokenChangeEmail, n))
	_, err = s.TokenConsume(ctx, account.TokenChangeEmail, change.Hash, n)
	requireKind(t, err, apperr.ErrNotFound)

	kept := account.Token{ID: newID(), UserID: u.ID, Purpose: account.TokenChangeEmail, Hash: randomHash(), Data: "x@example.com", ExpiresAt: n.Add(time.Hour), CreatedAt: n}
	require.NoError(t, s.TokenCreate(ctx, kept))
	got, err = s.TokenConsume(ctx, account.TokenChangeEmail, kept.Hash, n)
	require.NoError(t, err)
	require.Equal(t, "x@example.com", got.Data)
}

func testInvitations(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenantA, inviter := seedTenantUser(t, s)
	tenantB, _ := seedTenantUser(t, s)
	n := now()
	inv := account.Invitation{ID: newID(), TenantID: tenantA, Email: "guest-" + newID().String() + "@example.com", Role: access.RoleMember,
		Hash: randomHash(), InvitedBy: &inviter.ID, ExpiresAt: n.Add(7 * 24 * time.Hour), CreatedAt: n, UpdatedAt: n}
	require.NoError(t, s.InvitationCreate(ctx, inv))

	dup := inv
	dup.ID, dup.Hash = newID(), randomHash()
	requireKind(t, s.InvitationCreate(ctx, dup), apperr.ErrConflict) // one open invitation per address

	inB := dup
	inB.ID, inB.TenantID, inB.Hash = newID(), tenantB, randomHash()
	require.NoError(t, s.InvitationCreate(ctx, inB), "the same address may be invited to another tenant")

	got, err := s.InvitationGet(ctx, tenantA, inv.ID)
	require.NoError(t, err)
	require.Equal(t, inv.Email, got.Email)
	require.Equal(t, inviter.ID, *got.InvitedBy)
	require.Equal(t, account.InvitationPending, got.Status(n))

	_, err = s.InvitationGet(ctx, tenantB, inv.ID)
	requireKind(t, err, apperr.ErrNotFound) // isolation

	got, err = s.InvitationGetByHash(ctx, inv.Hash)
	require.NoError(t, err)
	require.Equal(t, inv.ID, got.ID)

	list, err := s.InvitationListByTenant(ctx, tenantA, page.Request{Limit: 100})
	require.NoError(t, err)
	require.Len(t, list, 1)

	revoked := n.Add(time.Minute)
	got.RevokedAt = &revoked
	got.UpdatedAt = revoked
	require.NoError(t, s.InvitationUpdate(ctx, got))
	got, err = s.InvitationGet(ctx, tenantA, inv.ID)
	require.NoError(t, err)
	require.Equal(t, account.InvitationRevoked, got.Status(n))
	require.NoError(t, s.InvitationCreate(ctx, dup), "a revoked invitation no longer blocks a new one")

	wrongTenant := got
	wrongTenant.TenantID = tenantB
	requireKind(t, s.InvitationUpdate(ctx, wrongTenant), apperr.ErrNotFound)
}

// The standing of a key: its creator's role and whether they may act, and
// the tenant's status, as they change.
func testAPIKeyStanding(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenantID, creator := seedTenantUser(t, s)
	n := now()
	k := account.APIKey{ID: newID(), TenantID: tenantID, CreatedBy: &creator.ID, Name: "ci", Prefix: "s" + newID().String()[24:],
		SecretHash: randomHash(), Role: access.RoleAdmin, CreatedAt: n}
	require.NoError(t, s.APIKeyCreate(ctx, k))
	plain := account.APIKey{ID: newID(), TenantID: tenantID, Name: "operator's", Prefix: "o" + newID().String()[24:], SecretHash: randomHash(), Role: access.RoleViewer, CreatedAt: n}
	require.NoError(t, s.APIKeyCreate(ctx, plain))

	standing := func(prefix string) tenant.KeyStanding {
		t.Helper()
		st, err := s.APIKeyStandingByPrefix(ctx, prefix)
		require.NoError(t, err)
		return st
	}
	st := standing(k.Prefix)
	require.Equal(t, k.ID, st.Key.ID)
	require.Equal(t, k.SecretHash, st.Key.SecretHash)
	require.Equal(t, creator.ID, *st.Key.CreatedBy)
	require.Equal(t, access.Role(""), st.CreatorRole, "the creator is not a member yet")
	require.True(t, st.CreatorActive)
	require.Equal(t, tenant.StatusActive, st.TenantStatus)

	require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: tenantID, UserID: creator.ID, Role: access.RoleMember, CreatedAt: n, UpdatedAt: n}))
	require.Equal(t, access.RoleMember, standing(k.Prefix).CreatorRole)
	require.NoError(t, s.UserSetDisabled(ctx, creator.ID, &n, n))
	st = standing(k.Prefix)
	require.False(t, st.CreatorActive, "a disabled creator")
	require.Equal(t, access.RoleMember, st.CreatorRole)
	require.NoError(t, s.MembershipDelete(ctx, tenantID, creator.ID, n))
	require.Equal(t, access.Role(""), standing(k.Prefix).CreatorRole, "a removed member")

	tn, err := s.TenantGetByID(ctx, tenantID)
	require.NoError(t, err)
	tn.Status = tenant.StatusSuspended
	require.NoError(t, s.TenantUpdate(ctx, tn))
	st = standing(plain.Prefix)
	require.Equal(t, tenant.StatusSuspended, st.TenantStatus)
	require.Nil(t, st.Key.CreatedBy, "an operator's key has no creator")
	require.Equal(t, access.RoleViewer, st.Key.Role)

	_, err = s.APIKeyStandingByPrefix(ctx, "nosuchkey")
	requireKind(t, err, apperr.ErrNotFound)
}

func testAPIKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenantA, creator := seedTenantUser(t, s)
	tenantB, _ := seedTenantUser(t, s)
	n := now()
	exp := n.Add(30 * 24 * time.Hour)
	k := account.APIKey{ID: newID(), TenantID: tenantA, CreatedBy: &creator.ID, Name: "ci", Prefix: "p" + newID().String()[24:],
		SecretHash: randomHash(), Role: access.RoleMember, ExpiresAt: &exp, CreatedAt: n}
	require.NoError(t, s.APIKeyCreate(ctx, k))
	plain := account.APIKey{ID: newID(), TenantID: tenantB, Name: "other", Prefix: "q" + newID().String()[24:], SecretHash: randomHash(), Role: access.RoleViewer, CreatedAt: n}
	require.NoError(t, s.APIKeyCreate(ctx, plain))

	dup := plain
	dup.ID = newID()
	requireKind(t, s.APIKeyCreate(ctx, dup), apperr.ErrConflict) // prefixes are unique

	got, err := s.APIKeyGetByPrefix(ctx, k.Prefix)
	require.NoError(t, err)
	require.Equal(t, k.ID, got.ID)
	require.Equal(t, k.SecretHash, got.SecretHash)
	require.True(t, exp.Equal(*got.ExpiresAt))
	require.Nil(t, got.LastUsedAt)
	require.True(t, got.Active(n))
	require.False(t, got.Active(exp))

	_, err = s.APIKeyGet(ctx, tenantB, k.ID)
	requireKind(t, err, apperr.ErrNotFound)
	list, err := s.APIKeyListByTenant(ctx, tenantA)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, k.ID, list[0].ID)

	require.NoError(t, s.APIKeyTouch(ctx, k.ID, n.Add(time.Second)))
	requireKind(t, s.APIKeyRevoke(ctx, tenantB, k.ID, n), apperr.ErrNotFound)
	require.NoError(t, s.APIKeyRevoke(ctx, tenantA, k.ID, n.Add(2*time.Second)))
	require.NoError(t, s.APIKeyRevoke(ctx, tenantA, k.ID, n.Add(time.Hour)), "revoking twice is fine")
	got, err = s.APIKeyGet(ctx, tenantA, k.ID)
	require.NoError(t, err)
	require.NotNil(t, got.LastUsedAt)
	require.True(t, n.Add(2*time.Second).Equal(*got.RevokedAt), "the first revocation time is kept")
	require.False(t, got.Active(n.Add(3*time.Second)))
}

func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenantA, actor := seedTenantUser(t, s)
	tenantB, _ := seedTenantUser(t, s)
	var ids []uuid.UUID
	for i, action := range []string{"auth.login", "member.role_changed", "auth.login"} {
		e := audit.Entry{ID: newID(), TenantID: tenantA, ActorType: "user", ActorID: &actor.ID, ActorEmail: actor.Email, Action: action, RequestID: "req-1",
			EntityType: "user", EntityID: actor.ID.String(), IP: "192.0.2.1", UserAgent: "test",
			Metadata: json.RawMessage(`{"n":` + string(rune('0'+i)) + `}`), CreatedAt: now()}
		require.NoError(t, s.AuditInsert(ctx, e))
		ids = append(ids, e.ID)
	}
	require.NoError(t, s.AuditInsert(ctx, audit.Entry{ID: newID(), TenantID: tenantB, Action: "auth.login", EntityType: "user", CreatedAt: now()}))

	all, err := s.AuditList(ctx, tenantA, audit.Filter{})
	require.NoError(t, err)
	require.Len(t, all, 3, "another tenant's entries never show")
	require.Equal(t, ids[2], all[0].ID, "newest first")
	require.JSONEq(t, `{"n":2}`, string(all[0].Metadata))
	require.Equal(t, "192.0.2.1", all[0].IP)
	require.Equal(t, "user", all[0].ActorType)
	require.Equal(t, "req-1", all[0].RequestID)

	logins, err := s.AuditList(ctx, tenantA, audit.Filter{Action: "auth.login"})
	require.NoError(t, err)
	require.Len(t, logins, 2)

	page, err := s.AuditList(ctx, tenantA, audit.Filter{Before: &ids[2], Limit: 1})
	require.NoError(t, err)
	require.Len(t, page, 1)
	require.Equal(t, ids[1], page[0].ID)
	// The previous page: the entries just above a cursor, newest first.
	prev, err := s.AuditList(ctx, tenantA, audit.Filter{After: &ids[0], Limit: 1})
	require.NoError(t, err)
	require.Equal(t, []uuid.UUID{ids[1]}, []uuid.UUID{prev[0].ID}, "the entry just above the cursor, not the newest")
	prev, err = s.AuditList(ctx, tenantA, audit.Filter{After: &ids[0], Limit: 5})
	require.NoError(t, err)
	require.Len(t, prev, 2)
	require.Equal(t, ids[2], prev[0].ID, "newest first")
	prev, err = s.AuditList(ctx, tenantA, audit.Filter{After: &ids[0], Action: "auth.login", Limit: 5})
	require.NoError(t, err)
	require.Len(t, prev, 1, "with a filter")
	require.Equal(t, ids[2], prev[0].ID)

	none, err := s.AuditList(ctx, tenantB, audit.Filter{ActorID: &actor.ID})
	require.NoError(t, err)
	require.Empty(t, none)
}

func testSessionStore(t *testing.T, s store.Store) {
	ss := s.SessionStore()
	tok := "tok-" + uuid.NewString()
	require.NoError(t, ss.Commit(tok, []byte("data"), time.Now().Add(time.Hour)))
	b, found, err := ss.Find(tok)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "data", string(b))

	require.NoError(t, ss.Commit(tok, []byte("data2"), time.Now().Add(time.Hour)))
	b, _, _ = ss.Find(tok)
	require.Equal(t, "data2", string(b), "commit replaces")

	require.NoError(t, ss.Delete(tok))
	_, found, err = ss.Find(tok)
	require.NoError(t, err)
	require.False(t, found)

	expired := "exp-" + uuid.NewString()
	require.NoError(t, ss.Commit(expired, []byte("old"), time.Now().Add(-time.Second)))
	_, found, err = ss.Find(expired)
	require.NoError(t, err)
	require.False(t, found, "an expired session is not found")
}

// testPurge runs alone (see Exercise), so that what Purge counts is what
// it creates.
func testPurge(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Whatever earlier subtests left expired goes first.
	_, err := s.Purge(ctx, time.Now())
	require.NoError(t, err)
	ss := s.SessionStore()
	old, live := "old-"+uuid.NewString(), "live-"+uuid.NewString()
	require.NoError(t, ss.Commit(old, []byte("x"), time.Now().Add(-time.Hour)))
	require.NoError(t, ss.Commit(live, []byte("y"), time.Now().Add(time.Hour)))
	_, u := seedTenantUser(t, s)
	n := now()
	stale := account.Token{ID: newID(), UserID: u.ID, Purpose: account.TokenVerifyEmail, Hash: randomHash(), ExpiresAt: n.Add(-8 * 24 * time.Hour), CreatedAt: n.Add(-9 * 24 * time.Hour)}
	fresh := account.Token{ID: newID(), UserID: u.ID, Purpose: account.TokenVerifyEmail, Hash: randomHash(), ExpiresAt: n.Add(time.Hour), CreatedAt: n}
	require.NoError(t, s.TokenCreate(ctx, stale))
	require.NoError(t, s.TokenCreate(ctx, fresh))

	purged, err := s.Purge(ctx, time.Now())
	require.NoError(t, err)
	require.Equal(t, int64(2), purged, "the expired session and the week-old token")
	_, found, err := ss.Find(live)
	require.NoError(t, err)
	require.True(t, found, "a live session survives")
	_, err = s.TokenConsume(ctx, account.TokenVerifyEmail, fresh.Hash, n)
	require.NoError(t, err, "a fresh token survives")
}

// CheckAPIKeyGoesWithCreator checks that deleting a user deletes the API
// keys they created, rather than leaving keys without a creator: those
// read as an operator's keys, which act for nobody and keep their role.
// The store has no user deletion, so each engine passes its own SQL.
func CheckAPIKeyGoesWithCreator(t *testing.T, s store.Store, deleteUser func(ctx context.Context, id uuid.UUID) error) {
	ctx := context.Background()
	tenantID, creator := seedTenantUser(t, s)
	k := account.APIKey{ID: newID(), TenantID: tenantID, CreatedBy: &creator.ID, Name: "hers", Prefix: "c" + newID().String()[24:],
		SecretHash: randomHash(), Role: access.RoleAdmin, CreatedAt: now()}
	require.NoError(t, s.APIKeyCreate(ctx, k))
	op := account.APIKey{ID: newID(), TenantID: tenantID, Name: "operator", Prefix: "o" + newID().String()[24:],
		SecretHash: randomHash(), Role: access.RoleAdmin, CreatedAt: now()}
	require.NoError(t, s.APIKeyCreate(ctx, op))

	require.NoError(t, deleteUser(ctx, creator.ID))
	_, err := s.APIKeyGetByPrefix(ctx, k.Prefix)
	requireKind(t, err, apperr.ErrNotFound)
	_, err = s.APIKeyGetByPrefix(ctx, op.Prefix)
	require.NoError(t, err, "a key without a creator is not touched")
}

// testLastOwnerConcurrent: two owners demoting or removing each other at
// the same moment, many times over, always leave the tenant an owner; the
// one that comes second is told it would remove the last owner. The rule
// is the tenant service's; it holds only if MembershipLock serialises the two.
func testLastOwnerConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	svc := tenant.NewService(store.Narrow[tenant.Tx]{Store: s}, tenant.Options{Auth: auth.New(auth.Options{Store: store.Narrow[auth.Tx]{Store: s}})})
	tenantID, a := seedTenantUser(t, s)
	b := NewUser()
	require.NoError(t, s.UserCreate(ctx, b))
	at := now()
	for _, u := range []account.User{a, b} {
		require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: tenantID, UserID: u.ID, Role: access.RoleOwner, CreatedAt: at, UpdatedAt: at}))
	}
	as := func(u account.User) access.Principal {
		return access.Principal{UserID: u.ID, Email: u.Email, TenantID: tenantID, Role: access.RoleOwner}
	}
	demote := func(by, who account.User) error {
		return svc.ChangeRole(ctx, as(by), who.ID, access.RoleAdmin, access.Meta{})
	}
	remove := func(by, who account.User) error { return svc.RemoveMember(ctx, as(by), who.ID, access.Meta{}) }
	variants := []struct {
		name   string
		ab, ba func(by, who account.User) error
	}{{"demote each other", demote, demote}, {"remove each other", remove, remove}, {"demote and remove", demote, remove}}

	for i := range 30 {
		v := variants[i%len(variants)]
		start := make(chan struct{})
		errs := make([]error, 2)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); <-start; errs[0] = v.ab(a, b) }()
		go func() { defer wg.Done(); <-start; errs[1] = v.ba(b, a) }()
		close(start)
		wg.Wait()

		owners, err := s.MembershipCountByRole(ctx, tenantID, access.RoleOwner)
		require.NoError(t, err)
		require.Equal(t, 1, owners, "round %d (%s): %v", i, v.name, errs)
		ok, conflict := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, apperr.ErrConflict):
				conflict++
			default:
				t.Fatalf("round %d (%s): %v", i, v.name, err)
			}
		}
		require.Equal(t, [2]int{1, 1}, [2]int{ok, conflict}, "round %d (%s): one wins, the other is refused: %v", i, v.name, errs)

		// Make both owners again for the next round.
		for _, u := range []account.User{a, b} {
			m, err := s.MembershipGet(ctx, tenantID, u.ID)
			switch {
			case errors.Is(err, apperr.ErrNotFound):
				require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: tenantID, UserID: u.ID, Role: access.RoleOwner, CreatedAt: at, UpdatedAt: at}))
			case err != nil:
				t.Fatal(err)
			case m.Role != access.RoleOwner:
				require.NoError(t, s.MembershipUpdateRole(ctx, tenantID, u.ID, access.RoleOwner, at))
			}
		}
	}
}
