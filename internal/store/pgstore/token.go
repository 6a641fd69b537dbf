package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store/sqlshared"
	"github.com/ordo/ordo/internal/tenant"
)

func scanToken(row pgx.Row) (account.Token, error) {
	var t account.Token
	err := row.Scan(&t.ID, &t.UserID, &t.Purpose, &t.Hash, &t.Data, &t.ExpiresAt, &t.UsedAt, &t.CreatedAt)
	return t, err
}

func (q *queries) TokenCreate(ctx context.Context, t account.Token) error {
	_, err := q.db.Exec(ctx, sqlshared.TokenCreate,
		t.ID, t.UserID, t.Purpose, t.Hash, t.Data, t.ExpiresAt, t.CreatedAt)
	if err != nil {
		return fmt.Errorf("TokenCreate: %w", interpretError(err, "token"))
	}
	return nil
}

func (q *queries) TokenConsume(ctx context.Context, purpose account.TokenPurpose, hash []byte, now time.Time) (account.Token, error) {
	t, err := scanToken(q.db.QueryRow(ctx, sqlshared.TokenConsume,
		hash, purpose, now))
	if err != nil {
		return account.Token{}, fmt.Errorf("TokenConsume: %w", interpretError(err, "token"))
	}
	return t, nil
}

func (q *queries) TokenInvalidate(ctx context.Context, userID uuid.UUID, purpose account.TokenPurpose, now time.Time) error {
	_, err := q.db.Exec(ctx,
		sqlshared.TokenInvalidate,
		userID, purpose, now)
	if err != nil {
		return fmt.Errorf("TokenInvalidate(%s): %w", userID, err)
	}
	return nil
}

func scanInvitation(row pgx.Row) (account.Invitation, error) {
	var i account.Invitation
	err := row.Scan(&i.ID, &i.TenantID, &i.Email, &i.Role, &i.Hash, &i.InvitedBy, &i.ExpiresAt, &i.AcceptedAt, &i.RevokedAt, &i.CreatedAt, &i.UpdatedAt)
	return i, err
}

func (q *queries) InvitationCreate(ctx context.Context, i account.Invitation) error {
	_, err := q.db.Exec(ctx, sqlshared.InvitationCreate,
		i.ID, i.TenantID, i.Email, i.Role, i.Hash, i.InvitedBy, i.ExpiresAt, i.CreatedAt, i.UpdatedAt)
	if err != nil {
		return fmt.Errorf("InvitationCreate: %w", interpretError(err, "open invitation for this address"))
	}
	return nil
}

func (q *queries) InvitationGet(ctx context.Context, tenantID, id uuid.UUID) (account.Invitation, error) {
	i, err := scanInvitation(q.db.QueryRow(ctx,
		sqlshared.InvitationGet, tenantID, id))
	if err != nil {
		return account.Invitation{}, fmt.Errorf("InvitationGet(%s): %w", id, interpretError(err, "invitation"))
	}
	return i, nil
}

func (q *queries) InvitationGetByHash(ctx context.Context, hash []byte) (account.Invitation, error) {
	i, err := scanInvitation(q.db.QueryRow(ctx,
		sqlshared.InvitationGetByHash, hash))
	if err != nil {
		return account.Invitation{}, fmt.Errorf("InvitationGetByHash: %w", interpretError(err, "invitation"))
	}
	return i, nil
}

func (q *queries) InvitationListByTenant(ctx context.Context, tenantID uuid.UUID, r page.Request) ([]account.Invitation, error) {
	sql, args := sqlshared.PageQuery(sqlshared.InvitationListByTenant, []any{tenantID}, "id", true, r)
	rows, err := q.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("InvitationListByTenant(%s): %w", tenantID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (account.Invitation, error) { return scanInvitation(r) })
	if err != nil {
		return nil, fmt.Errorf("InvitationListByTenant(%s): %w", tenantID, err)
	}
	return page.InOrder(out, r), nil
}

func (q *queries) InvitationUpdate(ctx context.Context, i account.Invitation) error {
	tag, err := q.db.Exec(ctx, sqlshared.InvitationUpdate,
		i.TenantID, i.ID, i.Hash, i.ExpiresAt, i.AcceptedAt, i.RevokedAt, i.UpdatedAt)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("InvitationUpdate(%s): %w", i.ID, interpretError(err, "invitation"))
	}
	return nil
}

func scanAPIKey(row pgx.Row) (account.APIKey, error) {
	var k account.APIKey
	err := row.Scan(&k.ID, &k.TenantID, &k.CreatedBy, &k.Name, &k.Prefix, &k.SecretHash, &k.Role, &k.LastUsedAt, &k.ExpiresAt, &k.RevokedAt, &k.CreatedAt)
	return k, err
}

func (q *queries) APIKeyCreate(ctx context.Context, k account.APIKey) error {
	_, err := q.db.Exec(ctx, sqlshared.APIKeyCreate,
		k.ID, k.TenantID, k.CreatedBy, k.Name, k.Prefix, k.SecretHash, k.Role, k.ExpiresAt, k.CreatedAt)
	if err != nil {
		return fmt.Errorf("APIKeyCreate: %w", interpretError(err, "API key"))
	}
	return nil
}

func (q *queries) APIKeyGet(ctx context.Context, tenantID, id uuid.UUID) (account.APIKey, error) {
	k, err := scanAPIKey(q.db.QueryRow(ctx,
		sqlshared.APIKeyGet, tenantID, id))
	if err != nil {
		return account.APIKey{}, fmt.Errorf("APIKeyGet(%s): %w", id, interpretError(err, "API key"))
	}
	return k, nil
}

func (q *queries) APIKeyGetByPrefix(ctx context.Context, prefix string) (account.APIKey, error) {
	k, err := scanAPIKey(q.db.QueryRow(ctx, sqlshared.APIKeyGetByPrefix, prefix))
	if err != nil {
		return account.APIKey{}, fmt.Errorf("APIKeyGetByPrefix: %w", interpretError(err, "API key"))
	}
	return k, nil
}

func (q *queries) APIKeyStandingByPrefix(ctx context.Context, prefix string) (tenant.KeyStanding, error) {
	var st tenant.KeyStanding
	k, err := scanAPIKey(withMore{q.db.QueryRow(ctx, sqlshared.APIKeyStandingByPrefix, prefix), []any{&st.CreatorRole, &st.CreatorActive, &st.TenantStatus}})
	if err != nil {
		return st, fmt.Errorf("APIKeyStandingByPrefix: %w", interpretError(err, "API key"))
	}
	st.Key = k
	return st, nil
}

// withMore scans a row's first columns into what its caller asks for
// and the rest into more: a scan function for a table's columns reused
// on a query that selects more.
type withMore struct {
	row  pgx.Row
	more []any
}

func (w withMore) Scan(dest ...any) error { return w.row.Scan(append(dest, w.more...)...) }

func (q *queries) APIKeyListByTenant(ctx context.Context, tenantID uuid.UUID) ([]account.APIKey, error) {
	rows, err := q.db.Query(ctx,
		sqlshared.APIKeyListByTenant, tenantID)
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
		sqlshared.APIKeyRevoke, tenantID, id, now)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("APIKeyRevoke(%s): %w", id, interpretError(err, "API key"))
	}
	return nil
}

func (q *queries) APIKeyTouch(ctx context.Context, id uuid.UUID, now time.Time) error {
	if _, err := q.db.Exec(ctx, sqlshared.APIKeyTouch, id, now); err != nil {
		return fmt.Errorf("APIKeyTouch(%s): %w", id, err)
	}
	return nil
}

func (q *queries) APIKeyPageByTenant(ctx context.Context, tenantID uuid.UUID, r page.Request) ([]account.APIKey, error) {
	sql, args := sqlshared.PageQuery(sqlshared.APIKeyPageByTenant, []any{tenantID}, "id", true, r)
	rows, err := q.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("APIKeyPageByTenant(%s): %w", tenantID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (account.APIKey, error) { return scanAPIKey(r) })
	if err != nil {
		return nil, fmt.Errorf("APIKeyPageByTenant(%s): %w", tenantID, err)
	}
	return page.InOrder(out, r), nil
}
