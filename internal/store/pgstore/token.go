package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/account"
)

const tokenColumns = `id, user_id, purpose, token_hash, data, expires_at, used_at, created_at`

func scanToken(row pgx.Row) (account.Token, error) {
	var t account.Token
	err := row.Scan(&t.ID, &t.UserID, &t.Purpose, &t.Hash, &t.Data, &t.ExpiresAt, &t.UsedAt, &t.CreatedAt)
	return t, err
}

func (q *queries) TokenCreate(ctx context.Context, t account.Token) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO user_tokens (id, user_id, purpose, token_hash, data, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.UserID, t.Purpose, t.Hash, t.Data, t.ExpiresAt, t.CreatedAt)
	if err != nil {
		return fmt.Errorf("TokenCreate: %w", interpretError(err, "token"))
	}
	return nil
}

func (q *queries) TokenConsume(ctx context.Context, purpose account.TokenPurpose, hash []byte, now time.Time) (account.Token, error) {
	t, err := scanToken(q.db.QueryRow(ctx, `
		UPDATE user_tokens SET used_at = $3
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
		RETURNING `+tokenColumns,
		hash, purpose, now))
	if err != nil {
		return account.Token{}, fmt.Errorf("TokenConsume: %w", interpretError(err, "token"))
	}
	return t, nil
}

func (q *queries) TokenInvalidate(ctx context.Context, userID uuid.UUID, purpose account.TokenPurpose, now time.Time) error {
	_, err := q.db.Exec(ctx,
		`UPDATE user_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
		userID, purpose, now)
	if err != nil {
		return fmt.Errorf("TokenInvalidate(%s): %w", userID, err)
	}
	return nil
}

const invitationColumns = `id, tenant_id, email, role, token_hash, invited_by, expires_at, accepted_at, revoked_at, created_at, updated_at`

func scanInvitation(row pgx.Row) (account.Invitation, error) {
	var i account.Invitation
	err := row.Scan(&i.ID, &i.TenantID, &i.Email, &i.Role, &i.Hash, &i.InvitedBy, &i.ExpiresAt, &i.AcceptedAt, &i.RevokedAt, &i.CreatedAt, &i.UpdatedAt)
	return i, err
}

func (q *queries) InvitationCreate(ctx context.Context, i account.Invitation) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO invitations (id, tenant_id, email, role, token_hash, invited_by, expires_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		i.ID, i.TenantID, i.Email, i.Role, i.Hash, i.InvitedBy, i.ExpiresAt, i.CreatedAt, i.UpdatedAt)
	if err != nil {
		return fmt.Errorf("InvitationCreate: %w", interpretError(err, "open invitation for this address"))
	}
	return nil
}

func (q *queries) InvitationGet(ctx context.Context, tenantID, id uuid.UUID) (account.Invitation, error) {
	i, err := scanInvitation(q.db.QueryRow(ctx,
		`SELECT `+invitationColumns+` FROM invitations WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return account.Invitation{}, fmt.Errorf("InvitationGet(%s): %w", id, interpretError(err, "invitation"))
	}
	return i, nil
}

func (q *queries) InvitationGetByHash(ctx context.Context, hash []byte) (account.Invitation, error) {
	i, err := scanInvitation(q.db.QueryRow(ctx,
		`SELECT `+invitationColumns+` FROM invitations WHERE token_hash = $1`, hash))
	if err != nil {
		return account.Invitation{}, fmt.Errorf("InvitationGetByHash: %w", interpretError(err, "invitation"))
	}
	return i, nil
}

func (q *queries) InvitationListByTenant(ctx context.Context, tenantID uuid.UUID) ([]account.Invitation, error) {
	rows, err := q.db.Query(ctx,
		`SELECT `+invitationColumns+` FROM invitations WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1000`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("InvitationListByTenant(%s): %w", tenantID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (account.Invitation, error) { return scanInvitation(r) })
	if err != nil {
		return nil, fmt.Errorf("InvitationListByTenant(%s): %w", tenantID, err)
	}
	return out, nil
}

func (q *queries) InvitationUpdate(ctx context.Context, i account.Invitation) error {
	tag, err := q.db.Exec(ctx, `
		UPDATE invitations SET token_hash = $3, expires_at = $4, accepted_at = $5, revoked_at = $6, updated_at = $7
		WHERE tenant_id = $1 AND id = $2`,
		i.TenantID, i.ID, i.Hash, i.ExpiresAt, i.AcceptedAt, i.RevokedAt, i.UpdatedAt)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("InvitationUpdate(%s): %w", i.ID, interpretError(err, "invitation"))
	}
	return nil
}

const apiKeyColumns = `id, tenant_id, created_by, name, prefix, secret_hash, role, last_used_at, expires_at, revoked_at, created_at`

func scanAPIKey(row pgx.Row) (account.APIKey, error) {
	var k account.APIKey
	err := row.Scan(&k.ID, &k.TenantID, &k.CreatedBy, &k.Name, &k.Prefix, &k.SecretHash, &k.Role, &k.LastUsedAt, &k.ExpiresAt, &k.RevokedAt, &k.CreatedAt)
	return k, err
}

func (q *queries) APIKeyCreate(ctx context.Context, k account.APIKey) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO api_keys (id, tenant_id, created_by, name, prefix, secret_hash, role, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		k.ID, k.TenantID, k.CreatedBy, k.Name, k.Prefix, k.SecretHash, k.Role, k.ExpiresAt, k.CreatedAt)
	if err != nil {
		return fmt.Errorf("APIKeyCreate: %w", interpretError(err, "API key"))
	}
	return nil
}

func (q *queries) APIKeyGet(ctx context.Context, tenantID, id uuid.UUID) (account.APIKey, error) {
	k, err := scanAPIKey(q.db.QueryRow(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return account.APIKey{}, fmt.Errorf("APIKeyGet(%s): %w", id, interpretError(err, "API key"))
	}
	return k, nil
}

func (q *queries) APIKeyGetByPrefix(ctx context.Context, prefix string) (account.APIKey, error) {
	k, err := scanAPIKey(q.db.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE prefix = $1`, prefix))
	if err != nil {
		return account.APIKey{}, fmt.Errorf("APIKeyGetByPrefix: %w", interpretError(err, "API key"))
	}
	return k, nil
}

func (q *queries) APIKeyListByTenant(ctx context.Context, tenantID uuid.UUID) ([]account.APIKey, error) {
	rows, err := q.db.Query(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1000`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("APIKeyListByTenant(%s): %w", tenantID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (account.APIKey, error) { return scanAPIKey(r) })
	if err != nil {
		return nil, fmt.Errorf("APIKeyListByTenant(%s): %w", tenantID, err)
	}
	return out, nil
}

func (q *queries) APIKeyRevoke(ctx context.Context, tenantID, id uuid.UUID, now time.Time) error {
	tag, err := q.db.Exec(ctx,
		`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE tenant_id = $1 AND id = $2`, tenantID, id, now)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("APIKeyRevoke(%s): %w", id, interpretError(err, "API key"))
	}
	return nil
}

func (q *queries) APIKeyTouch(ctx context.Context, id uuid.UUID, now time.Time) error {
	if _, err := q.db.Exec(ctx, `UPDATE api_keys SET last_used_at = $2 WHERE id = $1`, id, now); err != nil {
		return fmt.Errorf("APIKeyTouch(%s): %w", id, err)
	}
	return nil
}
