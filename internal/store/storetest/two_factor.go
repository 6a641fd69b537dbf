package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/store"
)

// testTwoFactor covers TOTP enrolments (started, restarted, confirmed,
// each code's step used once, even by concurrent callers), recovery codes
// (replaced, used once), a session's sign-in method, and a tenant's
// requirement of two-factor sign-in.
func testTwoFactor(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenantID, u := seedTenantUser(t, s)
	at := now()

	_, err := s.UserTOTPGet(ctx, u.ID)
	requireKind(t, err, apperr.ErrNotFound)
	requireKind(t, s.UserTOTPConfirm(ctx, u.ID, at, 1), apperr.ErrNotFound)

	// Started, then restarted with another secret before confirming.
	require.NoError(t, s.UserTOTPSave(ctx, account.TOTP{UserID: u.ID, SecretSealed: "sealed-1", CreatedAt: at}))
	require.NoError(t, s.UserTOTPSave(ctx, account.TOTP{UserID: u.ID, SecretSealed: "sealed-2", CreatedAt: at.Add(time.Second)}))
	got, err := s.UserTOTPGet(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, "sealed-2", got.SecretSealed)
	require.Nil(t, got.ConfirmedAt)
	ok, err := s.UserTOTPUseStep(ctx, u.ID, 5)
	require.NoError(t, err)
	require.False(t, ok, "an unconfirmed enrolment accepts no code")

	require.NoError(t, s.UserTOTPConfirm(ctx, u.ID, at, 100))
	requireKind(t, s.UserTOTPConfirm(ctx, u.ID, at, 101), apperr.ErrNotFound)
	// A confirmed enrolment is not replaced by a new start.
	require.NoError(t, s.UserTOTPSave(ctx, account.TOTP{UserID: u.ID, SecretSealed: "sealed-3", CreatedAt: at}))
	got, err = s.UserTOTPGet(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, "sealed-2", got.SecretSealed)
	require.NotNil(t, got.ConfirmedAt)
	require.Equal(t, int64(100), got.LastStep)

	// The confirming code's step, and any before it, are used up.
	for _, step := range []int64{99, 100} {
		ok, err := s.UserTOTPUseStep(ctx, u.ID, step)
		require.NoError(t, err)
		require.False(t, ok, "step %d", step)
	}
	// Of concurrent uses of one step, exactly one wins.
	var wg sync.WaitGroup
	wins := make(chan bool, 4)
	for range 4 {
		wg.Go(func() {
			ok, err := s.UserTOTPUseStep(ctx, u.ID, 101)
			if err == nil {
				wins <- ok
			}
		})
	}
	wg.Wait()
	close(wins)
	n := 0
	for w := range wins {
		if w {
			n++
		}
	}
	require.Equal(t, 1, n)

	// Recovery codes: replaced as a set, each used once.
	codes := []account.RecoveryCode{
		{ID: newID(), UserID: u.ID, Hash: []byte("hash-1"), CreatedAt: at},
		{ID: newID(), UserID: u.ID, Hash: []byte("hash-2"), CreatedAt: at},
	}
	require.NoError(t, s.RecoveryCodesReplace(ctx, u.ID, codes))
	left, err := s.RecoveryCodesLeft(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, 2, left)
	_, other := seedTenantUser(t, s)
	ok, err = s.RecoveryCodeUse(ctx, other.ID, []byte("hash-1"), at)
	require.NoError(t, err)
	require.False(t, ok, "another user's code")
	ok, err = s.RecoveryCodeUse(ctx, u.ID, []byte("hash-1"), at)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = s.RecoveryCodeUse(ctx, u.ID, []byte("hash-1"), at)
	require.NoError(t, err)
	require.False(t, ok, "used once only")
	left, err = s.RecoveryCodesLeft(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, 1, left)
	require.NoError(t, s.RecoveryCodesReplace(ctx, u.ID, codes[:1]))
	ok, err = s.RecoveryCodeUse(ctx, u.ID, []byte("hash-1"), at)
	require.NoError(t, err)
	require.True(t, ok, "a replaced set starts unused")

	// Ending the enrolment deletes the codes too.
	require.NoError(t, s.RecoveryCodesReplace(ctx, u.ID, codes))
	require.NoError(t, s.UserTOTPDelete(ctx, u.ID))
	_, err = s.UserTOTPGet(ctx, u.ID)
	requireKind(t, err, apperr.ErrNotFound)
	left, err = s.RecoveryCodesLeft(ctx, u.ID)
	require.NoError(t, err)
	require.Zero(t, left)

	// A session keeps how it signed in, through a renewal.
	sess := account.UserSession{ID: newID(), UserID: u.ID, TokenHash: "tf-" + u.ID.String(), Method: account.MethodPasswordTOTP, CreatedAt: at, LastSeenAt: at}
	require.NoError(t, s.UserSessionSave(ctx, sess, ""))
	renewed := sess
	renewed.TokenHash, renewed.Method = "tf2-"+u.ID.String(), account.MethodPasswordRecoveryCode
	require.NoError(t, s.UserSessionSave(ctx, renewed, sess.TokenHash))
	list, err := s.UserSessionList(ctx, u.ID, at.Add(-time.Minute))
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, account.MethodPasswordRecoveryCode, list[0].Method)

	// A tenant's requirement is saved and read back.
	tn, err := s.TenantGetByID(ctx, tenantID)
	require.NoError(t, err)
	require.False(t, tn.RequireTwoFactor)
	tn.RequireTwoFactor, tn.UpdatedAt = true, at.Add(time.Minute)
	require.NoError(t, s.TenantUpdate(ctx, tn))
	tn, err = s.TenantGetByID(ctx, tenantID)
	require.NoError(t, err)
	require.True(t, tn.RequireTwoFactor)
}
