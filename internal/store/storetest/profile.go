package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/store"
)

// testUserProfile covers the profile's columns, the session records and
// deleting a user.
func testUserProfile(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenantID, u := seedTenantUser(t, s)
	at := now()

	// Image and locale are saved and read back.
	u.Image, u.Locale, u.UpdatedAt = "users/x/avatar.png", "de", at
	require.NoError(t, s.UserUpdate(ctx, u))
	got, err := s.UserGetByID(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, "users/x/avatar.png", got.Image)
	require.Equal(t, "de", got.Locale)

	// Sessions: inserted, seen again (upsert), renamed to a renewed token.
	a := account.UserSession{ID: newID(), UserID: u.ID, TokenHash: "hash-a", UserAgent: "UA a", IP: "192.0.2.1", CreatedAt: at.Add(-time.Hour), LastSeenAt: at.Add(-time.Hour)}
	b := account.UserSession{ID: newID(), UserID: u.ID, TokenHash: "hash-b", UserAgent: "UA b", IP: "192.0.2.2", CreatedAt: at, LastSeenAt: at}
	require.NoError(t, s.UserSessionSave(ctx, a, ""))
	require.NoError(t, s.UserSessionSave(ctx, b, ""))
	seen := a
	seen.ID, seen.LastSeenAt, seen.IP = newID(), at.Add(time.Minute), "192.0.2.9"
	require.NoError(t, s.UserSessionSave(ctx, seen, ""))
	renewed := b
	renewed.ID, renewed.TokenHash = newID(), "hash-b2"
	require.NoError(t, s.UserSessionSave(ctx, renewed, "hash-b"))

	list, err := s.UserSessionList(ctx, u.ID, at.Add(-2*time.Hour))
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, a.ID, list[0].ID, "most recently seen first; the id stays")
	require.Equal(t, "192.0.2.9", list[0].IP)
	require.True(t, at.Add(time.Minute).Equal(list[0].LastSeenAt))
	require.True(t, a.CreatedAt.Equal(list[0].CreatedAt))
	require.Equal(t, b.ID, list[1].ID)
	require.Equal(t, "hash-b2", list[1].TokenHash)

	// Sessions not seen since are left out.
	list, err = s.UserSessionList(ctx, u.ID, at.Add(30*time.Second))
	require.NoError(t, err)
	require.Len(t, list, 1)

	// Another user's session is not found.
	_, other := seedTenantUser(t, s)
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.UserSessionDelete(ctx, other.ID, a.ID)
		return err
	})
	requireKind(t, err, apperr.ErrNotFound)
	var deleted account.UserSession
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		var err error
		deleted, err = tx.UserSessionDelete(ctx, u.ID, a.ID)
		return err
	}))
	require.Equal(t, "hash-a", deleted.TokenHash)

	require.NoError(t, s.UserSessionSave(ctx, a, ""))
	require.NoError(t, s.UserSessionDeleteByHash(ctx, "hash-a"))
	require.NoError(t, s.UserSessionDeleteByHash(ctx, "hash-none"))
	// A new session epoch ends every session: none is listed.
	require.NoError(t, s.UserSessionSave(ctx, a, ""))
	_, err = s.UserBumpSessionEpoch(ctx, u.ID, at)
	require.NoError(t, err)
	list, err = s.UserSessionList(ctx, u.ID, time.Time{})
	require.NoError(t, err)
	require.Empty(t, list)
	require.NoError(t, s.UserSessionSave(ctx, b, ""))

	// Sole owner: named until another owner joins.
	require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: tenantID, UserID: u.ID, Role: access.RoleOwner, CreatedAt: at, UpdatedAt: at}))
	var names []string
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.MembershipLock(ctx, tenantID); err != nil {
			return err
		}
		names, err = tx.UserSoleOwnerOf(ctx, u.ID)
		return err
	}))
	tn, err := s.TenantGetByID(ctx, tenantID)
	require.NoError(t, err)
	require.Equal(t, []string{tn.Name}, names)
	require.NoError(t, s.MembershipCreate(ctx, account.Membership{TenantID: tenantID, UserID: other.ID, Role: access.RoleOwner, CreatedAt: at, UpdatedAt: at}))
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		names, err = tx.UserSoleOwnerOf(ctx, u.ID)
		return err
	}))
	require.Empty(t, names)

	// Deleting the user takes their memberships and sessions along.
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.UserDelete(ctx, u.ID) }))
	_, err = s.UserGetByID(ctx, u.ID)
	requireKind(t, err, apperr.ErrNotFound)
	_, err = s.MembershipGet(ctx, tenantID, u.ID)
	requireKind(t, err, apperr.ErrNotFound)
	list, err = s.UserSessionList(ctx, u.ID, time.Time{})
	require.NoError(t, err)
	require.Empty(t, list)
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.UserDelete(ctx, uuid.New()) })
	requireKind(t, err, apperr.ErrNotFound)
}
