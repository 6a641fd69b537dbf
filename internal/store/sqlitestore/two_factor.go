package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

func (q *queries) UserTOTPGet(ctx context.Context, userID uuid.UUID) (account.TOTP, error) {
	var t account.TOTP
	err := q.db.QueryRowContext(ctx, sqlshared.UserTOTPGet, userID).Scan(&t.UserID, &t.SecretSealed, nullTimeCol{&t.ConfirmedAt}, &t.LastStep, timeCol{&t.CreatedAt})
	if err != nil {
		return account.TOTP{}, fmt.Errorf("UserTOTPGet: %w", interpretError(err, "two-factor enrolment"))
	}
	return t, nil
}

func (q *queries) UserTOTPSave(ctx context.Context, t account.TOTP) error {
	if _, err := q.db.ExecContext(ctx, sqlshared.UserTOTPSave, t.UserID, t.SecretSealed, ts(t.CreatedAt)); err != nil {
		return fmt.Errorf("UserTOTPSave: %w", interpretError(err, "two-factor enrolment"))
	}
	return nil
}

func (q *queries) UserTOTPConfirm(ctx context.Context, userID uuid.UUID, at time.Time, step int64) error {
	res, err := q.db.ExecContext(ctx, sqlshared.UserTOTPConfirm, userID, ts(at), step)
	if err != nil {
		return fmt.Errorf("UserTOTPConfirm: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("UserTOTPConfirm: %w", interpretError(sql.ErrNoRows, "two-factor enrolment"))
	}
	return nil
}

func (q *queries) UserTOTPUseStep(ctx context.Context, userID uuid.UUID, step int64) (bool, error) {
	res, err := q.db.ExecContext(ctx, sqlshared.UserTOTPUseStep, userID, step)
	if err != nil {
		return false, fmt.Errorf("UserTOTPUseStep: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (q *queries) UserTOTPDelete(ctx context.Context, userID uuid.UUID) error {
	if _, err := q.db.ExecContext(ctx, sqlshared.RecoveryCodesDelete, userID); err != nil {
		return fmt.Errorf("UserTOTPDelete: %w", err)
	}
	if _, err := q.db.ExecContext(ctx, sqlshared.UserTOTPDelete, userID); err != nil {
		return fmt.Errorf("UserTOTPDelete: %w", err)
	}
	return nil
}

func (q *queries) RecoveryCodesReplace(ctx context.Context, userID uuid.UUID, codes []account.RecoveryCode) error {
	if _, err := q.db.ExecContext(ctx, sqlshared.RecoveryCodesDelete, userID); err != nil {
		return fmt.Errorf("RecoveryCodesReplace: %w", err)
	}
	for _, c := range codes {
		if _, err := q.db.ExecContext(ctx, sqlshared.RecoveryCodeInsert, c.ID, userID, c.Hash, ts(c.CreatedAt)); err != nil {
			return fmt.Errorf("RecoveryCodesReplace: %w", interpretError(err, "recovery code"))
		}
	}
	return nil
}

func (q *queries) RecoveryCodeUse(ctx context.Context, userID uuid.UUID, hash []byte, now time.Time) (bool, error) {
	res, err := q.db.ExecContext(ctx, sqlshared.RecoveryCodeUse, userID, hash, ts(now))
	if err != nil {
		return false, fmt.Errorf("RecoveryCodeUse: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (q *queries) RecoveryCodesLeft(ctx context.Context, userID uuid.UUID) (int, error) {
	var n int
	if err := q.db.QueryRowContext(ctx, sqlshared.RecoveryCodesLeft, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("RecoveryCodesLeft: %w", err)
	}
	return n, nil
}
