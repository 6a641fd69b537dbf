package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/passkey"
	"github.com/ordo/ordo/internal/store"
)

// testPasskeys covers users' passkeys: several per user, oldest first,
// found by credential id, a credential id unique among all users, a use
// recorded, removal only by their owner, and gone with the user.
func testPasskeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, u := seedTenantUser(t, s)
	_, other := seedTenantUser(t, s)
	at := now()
	credA, credB := []byte("cred-a-"+u.ID.String()), []byte("cred-b-"+u.ID.String())

	n, err := s.PasskeyCountByUser(ctx, u.ID)
	require.NoError(t, err)
	require.Zero(t, n)

	a := passkey.Passkey{ID: newID(), UserID: u.ID, CredentialID: credA, PublicKey: []byte{1, 2, 3}, SignCount: 7,
		Transports: []string{"internal", "hybrid"}, AAGUID: make([]byte, 16), BackupEligible: true, BackupState: true,
		Name: "Laptop", CreatedAt: at.Add(-time.Hour)}
	b := passkey.Passkey{ID: newID(), UserID: u.ID, CredentialID: credB, PublicKey: []byte{4, 5}, Name: "YubiKey", CreatedAt: at}
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.PasskeyCreate(ctx, a) }))
	require.NoError(t, s.PasskeyCreate(ctx, b))

	// The same credential id again, even another user's, is a conflict.
	dup := b
	dup.ID, dup.UserID = newID(), other.ID
	require.ErrorIs(t, s.PasskeyCreate(ctx, dup), apperr.ErrConflict)

	list, err := s.PasskeyListByUser(ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, a.ID, list[0].ID, "oldest first")
	got := list[0]
	require.Equal(t, credA, got.CredentialID)
	require.Equal(t, []byte{1, 2, 3}, got.PublicKey)
	require.Equal(t, uint32(7), got.SignCount)
	require.Equal(t, []string{"internal", "hybrid"}, got.Transports)
	require.Equal(t, make([]byte, 16), got.AAGUID)
	require.True(t, got.BackupEligible)
	require.True(t, got.BackupState)
	require.Equal(t, "Laptop", got.Name)
	require.True(t, a.CreatedAt.Equal(got.CreatedAt))
	require.Nil(t, got.LastUsedAt)
	require.Empty(t, list[1].Transports, "no transports reads back as none")
	require.Empty(t, list[1].AAGUID)
	require.False(t, list[1].BackupEligible)

	n, err = s.PasskeyCountByUser(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	// A use records the counter, the backup state and when.
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.PasskeyTouch(ctx, b.ID, 42, true, at.Add(time.Minute)) }))
	got, err = s.PasskeyGetByCredentialID(ctx, credB)
	require.NoError(t, err)
	require.Equal(t, b.ID, got.ID)
	require.Equal(t, u.ID, got.UserID)
	require.Equal(t, uint32(42), got.SignCount)
	require.True(t, got.BackupState)
	require.NotNil(t, got.LastUsedAt)
	require.True(t, at.Add(time.Minute).Equal(*got.LastUsedAt))

	_, err = s.PasskeyGetByCredentialID(ctx, []byte("no such credential"))
	require.ErrorIs(t, err, apperr.ErrNotFound)

	// Only the owner removes a passkey.
	_, err = s.PasskeyDelete(ctx, other.ID, a.ID)
	require.ErrorIs(t, err, apperr.ErrNotFound)
	var removed passkey.Passkey
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		var err error
		removed, err = tx.PasskeyDelete(ctx, u.ID, a.ID)
		return err
	}))
	require.Equal(t, "Laptop", removed.Name)
	_, err = s.PasskeyDelete(ctx, u.ID, a.ID)
	require.ErrorIs(t, err, apperr.ErrNotFound)

	// Deleting the user deletes their passkeys.
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.UserDelete(ctx, u.ID) }))
	_, err = s.PasskeyGetByCredentialID(ctx, credB)
	require.ErrorIs(t, err, apperr.ErrNotFound)
}
