package sqlitestore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/passkey"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

var _ passkey.Tx = (*queries)(nil)

func scanPasskey(row interface{ Scan(...any) error }) (passkey.Passkey, error) {
	var (
		k          passkey.Passkey
		signCount  int64
		transports string
	)
	err := row.Scan(&k.ID, &k.UserID, &k.CredentialID, &k.PublicKey, &signCount, &transports, &k.AAGUID,
		&k.BackupEligible, &k.BackupState, &k.Name, timeCol{&k.CreatedAt}, nullTimeCol{&k.LastUsedAt})
	k.SignCount = uint32(signCount)
	if transports != "" {
		k.Transports = strings.Split(transports, ",")
	}
	return k, err
}

func (q *queries) PasskeyCreate(ctx context.Context, k passkey.Passkey) error {
	_, err := q.db.ExecContext(ctx, sqlshared.PasskeyInsert, k.ID, k.UserID, k.CredentialID, k.PublicKey, int64(k.SignCount),
		strings.Join(k.Transports, ","), nonNil(k.AAGUID), k.BackupEligible, k.BackupState, k.Name, ts(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("PasskeyCreate: %w", interpretError(err, "passkey"))
	}
	return nil
}

func (q *queries) PasskeyListByUser(ctx context.Context, userID uuid.UUID) ([]passkey.Passkey, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.PasskeyListByUser, userID)
	if err != nil {
		return nil, fmt.Errorf("PasskeyListByUser: %w", err)
	}
	defer rows.Close()
	var out []passkey.Passkey
	for rows.Next() {
		k, err := scanPasskey(rows)
		if err != nil {
			return nil, fmt.Errorf("PasskeyListByUser: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("PasskeyListByUser: %w", err)
	}
	return out, nil
}

func (q *queries) PasskeyGetByCredentialID(ctx context.Context, credentialID []byte) (passkey.Passkey, error) {
	k, err := scanPasskey(q.db.QueryRowContext(ctx, sqlshared.PasskeyGetByCredentialID, credentialID))
	if err != nil {
		return passkey.Passkey{}, fmt.Errorf("PasskeyGetByCredentialID: %w", interpretError(err, "passkey"))
	}
	return k, nil
}

func (q *queries) PasskeyCountByUser(ctx context.Context, userID uuid.UUID) (int, error) {
	var n int
	if err := q.db.QueryRowContext(ctx, sqlshared.PasskeyCountByUser, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("PasskeyCountByUser: %w", err)
	}
	return n, nil
}

func (q *queries) PasskeyTouch(ctx context.Context, id uuid.UUID, signCount uint32, backupState bool, at time.Time) error {
	if _, err := q.db.ExecContext(ctx, sqlshared.PasskeyTouch, id, int64(signCount), backupState, ts(at)); err != nil {
		return fmt.Errorf("PasskeyTouch: %w", err)
	}
	return nil
}

func (q *queries) PasskeyDelete(ctx context.Context, userID, id uuid.UUID) (passkey.Passkey, error) {
	k, err := scanPasskey(q.db.QueryRowContext(ctx, sqlshared.PasskeyDelete, userID, id))
	if err != nil {
		return passkey.Passkey{}, fmt.Errorf("PasskeyDelete(%s): %w", id, interpretError(err, "passkey"))
	}
	return k, nil
}

// nonNil stores an absent byte string as an empty one: the column is NOT
// NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
