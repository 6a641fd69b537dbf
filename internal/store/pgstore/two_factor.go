package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

func (q *queries) UserTOTPGet(ctx context.Context, userID uuid.UUID) (account.TOTP, error) {
	var t account.TOTP
	err := q.db.QueryRow(ctx, sqlshared.UserTOTPGet, userID).Scan(&t.UserID, &t.SecretSealed, &t.ConfirmedAt, &t.LastStep, &t.CreatedAt)
	if err != nil {
		return account.TOTP{}, fmt.Errorf("UserTOTPGet: %w", interpretError(err, "two-factor enrolment"))
	}
	return t, nil
}

func (q *queries) UserTOTPSave(ctx context.Context, t account.TOTP) error {
	if _, err := q.db.Exec(ctx, sqlshared.UserTOTPSave, t.UserID, t.SecretSealed, t.CreatedAt); err != nil {
		return fmt.Errorf("UserTOTPSave: %w", interpretError(err, "two-factor enrolment"))
	}
	return nil
}

func (q *queries) UserTOTPConfirm(ctx context.Context, userID uuid.UUID, at time.Time, step int64) error {
	tag, err := q.db.Exec(ctx, sqlshared.UserTOTPConfirm, userID, at, step)
	if err != nil {
		return fmt.Errorf("UserTOTPConfirm: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("UserTOTPConfirm: %w", interpretError(pgx.ErrNoRows, "two-factor enrolment"))
	}
	return nil
}

func (q *queries) UserTOTPUseStep(ctx context.Context, userID uuid.UUID, step int64) (bool, error) {
	tag, err := q.db.Exec(ctx, sqlshared.UserTOTPUseStep, userID, step)
	if err != nil {
		return false, fmt.Errorf("UserTOTPUseStep: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (q *queries) UserTOTPDelete(ctx context.Context, userID uuid.UUID) error {
	if _, err := q.db.Exec(ctx, sqlshared.RecoveryCodesDelete, userID); err != nil {
		return fmt.Errorf("UserTOTPDelete: %w", err)
	}
	if _, err := q.db.Exec(ctx, sqlshared.UserTOTPDelete, userID); err != nil {
		return fmt.Errorf("UserTOTPDelete: %w", err)
	}
	return nil
}

func (q *queries) RecoveryCodesReplace(ctx context.Context, userID uuid.UUID, codes []account.RecoveryCode) error {
	if _, err := q.db.Exec(ctx, sqlshared.RecoveryCodesDelete, userID); err != nil {
		return fmt.Errorf("RecoveryCodesReplace: %w", err)
	}
	for _, c := range codes {
		if _, err := q.db.Exec(ctx, sqlshared.RecoveryCodeInsert, c.ID, userID, c.Hash, c.CreatedAt); err != nil {
			return fmt.Errorf("RecoveryCodesReplace: %w", interpretError(err, "recovery code"))
		}
	}
	return nil
}

func (q *queries) RecoveryCodeUse(ctx context.Context, userID uuid.UUID, hash []byte, now time.Time) (bool, error) {
	tag, err := q.db.Exec(ctx, sqlshared.RecoveryCodeUse, userID, hash, now)
	if err != nil {
		return false, fmt.Errorf("RecoveryCodeUse: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (q *queries) RecoveryCodesLeft(ctx context.Context, userID uuid.UUID) (int, error) {
	var n int
	if err := q.db.QueryRow(ctx, sqlshared.RecoveryCodesLeft, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("RecoveryCodesLeft: %w", err)
	}
	return n, nil
}
