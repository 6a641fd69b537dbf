package pgstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

// The engine is the account service's store, and its transaction the
// service's transaction.
var (
	_ account.Store = (*Store)(nil)
	_ account.Tx    = (*queries)(nil)
)

func scanUser(row pgx.Row) (account.User, error) {
	var u account.User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Image, &u.Locale, &u.PasswordHash, &u.EmailVerifiedAt, &u.SessionEpoch, &u.CreatedAt, &u.UpdatedAt, &u.DisabledAt)
	return u, err
}

func (q *queries) UserCreate(ctx context.Context, u account.User) error {
	_, err := q.db.Exec(ctx, sqlshared.UserCreate,
		u.ID, strings.ToLower(u.Email), u.Name, u.PasswordHash, u.EmailVerifiedAt, u.CreatedAt, u.UpdatedAt)
	if err != nil {
		return fmt.Errorf("UserCreate: %w", interpretError(err, "user"))
	}
	return nil
}

func (q *queries) UserGetByID(ctx context.Context, id uuid.UUID) (account.User, error) {
	u, err := scanUser(q.db.QueryRow(ctx, sqlshared.UserGetByID, id))
	if err != nil {
		return account.User{}, fmt.Errorf("UserGetByID(%s): %w", id, interpretError(err, "user"))
	}
	return u, nil
}

func (q *queries) UserGetForUpdate(ctx context.Context, id uuid.UUID) (account.User, error) {
	u, err := scanUser(q.db.QueryRow(ctx, sqlshared.UserGetByID+` FOR NO KEY UPDATE`, id))
	if err != nil {
		return account.User{}, fmt.Errorf("UserGetForUpdate(%s): %w", id, interpretError(err, "user"))
	}
	return u, nil
}

func (q *queries) UserListByIDs(ctx context.Context, ids []uuid.UUID) ([]account.User, error) {
	rows, err := q.db.Query(ctx, `SELECT `+sqlshared.UserColumns+` FROM users WHERE id = ANY($1)`, uuidArray(ids))
	if err != nil {
		return nil, fmt.Errorf("UserListByIDs: %w", err)
	}
	us, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (account.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("UserListByIDs: %w", err)
	}
	return us, nil
}

func (q *queries) UserGetByEmail(ctx context.Context, email string) (account.User, error) {
	u, err := scanUser(q.db.QueryRow(ctx, sqlshared.UserGetByEmail, strings.ToLower(email)))
	if err != nil {
		return account.User{}, fmt.Errorf("UserGetByEmail: %w", interpretError(err, "user"))
	}
	return u, nil
}

func (q *queries) UserUpdate(ctx context.Context, u account.User) error {
	tag, err := q.db.Exec(ctx, sqlshared.UserUpdate,
		u.ID, strings.ToLower(u.Email), u.Name, u.PasswordHash, u.EmailVerifiedAt, u.UpdatedAt, u.Image, u.Locale)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("UserUpdate(%s): %w", u.ID, interpretError(err, "user"))
	}
	return nil
}

func (q *queries) UserBumpSessionEpoch(ctx context.Context, id uuid.UUID, now time.Time) (int64, error) {
	var epoch int64
	err := q.db.QueryRow(ctx,
		sqlshared.UserBumpSessionEpoch,
		id, now).Scan(&epoch)
	if err != nil {
		return 0, fmt.Errorf("UserBumpSessionEpoch(%s): %w", id, interpretError(err, "user"))
	}
	// The sessions ended are no longer listed; those that go on
	// (the caller's, on the new epoch) are recorded again.
	if _, err := q.db.Exec(ctx, sqlshared.UserSessionForget, id); err != nil {
		return 0, fmt.Errorf("UserBumpSessionEpoch(%s): %w", id, err)
	}
	return epoch, nil
}

func scanMembership(row pgx.Row) (account.Membership, error) {
	var m account.Membership
	err := row.Scan(&m.TenantID, &m.UserID, &m.Role, &m.CreatedAt, &m.UpdatedAt)
	return m, err
}

func (q *queries) MembershipCreate(ctx context.Context, m account.Membership) error {
	_, err := q.db.Exec(ctx, sqlshared.MembershipCreate,
		m.TenantID, m.UserID, m.Role, m.CreatedAt, m.UpdatedAt)
	if err != nil {
		return fmt.Errorf("MembershipCreate: %w", interpretError(err, "membership"))
	}
	return nil
}

func (q *queries) MembershipGet(ctx context.Context, tenantID, userID uuid.UUID) (account.Membership, error) {
	m, err := scanMembership(q.db.QueryRow(ctx,
		sqlshared.MembershipGet, tenantID, userID))
	if err != nil {
		return account.Membership{}, fmt.Errorf("MembershipGet(%s, %s): %w", tenantID, userID, interpretError(err, "membership"))
	}
	return m, nil
}

func (q *queries) membershipList(ctx context.Context, op, sql string, arg uuid.UUID, more ...any) ([]account.Membership, error) {
	rows, err := q.db.Query(ctx, sql, append([]any{arg}, more...)...)
	if err != nil {
		return nil, fmt.Errorf("%s(%s): %w", op, arg, err)
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (account.Membership, error) { return scanMembership(r) })
	if err != nil {
		return nil, fmt.Errorf("%s(%s): %w", op, arg, err)
	}
	return ms, nil
}

func (q *queries) MembershipListByTenant(ctx context.Context, tenantID uuid.UUID) ([]account.Membership, error) {
	return q.membershipList(ctx, "MembershipListByTenant",
		sqlshared.MembershipListByTenant, tenantID)
}

func (q *queries) MembershipListByUser(ctx context.Context, userID uuid.UUID) ([]account.Membership, error) {
	return q.membershipList(ctx, "MembershipListByUser",
		sqlshared.MembershipListByUser, userID)
}

func (q *queries) MembershipPageByTenant(ctx context.Context, tenantID uuid.UUID, r page.Request) ([]account.Membership, error) {
	sql, args := sqlshared.PageQuery(sqlshared.MembershipPageByTenant, []any{tenantID}, "user_id", false, r)
	ms, err := q.membershipList(ctx, "MembershipPageByTenant", sql, tenantID, args[1:]...)
	return page.InOrder(ms, r), err
}

func (q *queries) MembershipPageByUser(ctx context.Context, userID uuid.UUID, r page.Request) ([]account.Membership, error) {
	sql, args := sqlshared.PageQuery(sqlshared.MembershipPageByUser, []any{userID}, "tenant_id", false, r)
	ms, err := q.membershipList(ctx, "MembershipPageByUser", sql, userID, args[1:]...)
	return page.InOrder(ms, r), err
}

func (q *queries) MembershipUpdateRole(ctx context.Context, tenantID, userID uuid.UUID, role access.Role, now time.Time) error {
	tag, err := q.db.Exec(ctx,
		sqlshared.MembershipUpdateRole,
		tenantID, userID, role, now)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("MembershipUpdateRole(%s, %s): %w", tenantID, userID, interpretError(err, "membership"))
	}
	return nil
}

func (q *queries) MembershipDelete(ctx context.Context, tenantID, userID uuid.UUID, now time.Time) error {
	// One statement: the removal is recorded with the delete, in or out of
	// a transaction.
	tag, err := q.db.Exec(ctx, `
		WITH d AS (DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2 RETURNING tenant_id, user_id)
		INSERT INTO membership_removals (tenant_id, user_id, removed_at)
		SELECT tenant_id, user_id, $3 FROM d
		ON CONFLICT (tenant_id, user_id) DO UPDATE SET removed_at = EXCLUDED.removed_at`,
		tenantID, userID, now)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("MembershipDelete(%s, %s): %w", tenantID, userID, interpretError(err, "membership"))
	}
	return nil
}

// MembershipLock locks the tenant's row: under READ COMMITTED two
// transactions would otherwise each count the owners before the other's
// change and both demote one of two owners. NO KEY UPDATE serialises the
// membership changes but not the inserts whose foreign key points at the
// tenant (orders, audit entries), which take only KEY SHARE.
func (q *queries) MembershipLock(ctx context.Context, tenantID uuid.UUID) error {
	var id uuid.UUID
	if err := q.db.QueryRow(ctx, `SELECT id FROM tenants WHERE id = $1 FOR NO KEY UPDATE`, tenantID).Scan(&id); err != nil {
		return fmt.Errorf("MembershipLock(%s): %w", tenantID, interpretError(err, "tenant"))
	}
	return nil
}

func (q *queries) MembershipRemovedAt(ctx context.Context, tenantID, userID uuid.UUID) (time.Time, error) {
	var at time.Time
	err := q.db.QueryRow(ctx, sqlshared.MembershipRemovedAt, tenantID, userID).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("MembershipRemovedAt(%s, %s): %w", tenantID, userID, interpretError(err, "membership removal"))
	}
	return at, nil
}

func (q *queries) MembershipCountByRole(ctx context.Context, tenantID uuid.UUID, role access.Role) (int, error) {
	var n int
	err := q.db.QueryRow(ctx, sqlshared.MembershipCountByRole, tenantID, role).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("MembershipCountByRole(%s): %w", tenantID, err)
	}
	return n, nil
}

// The engine is authentication's store, and its transaction auth's.
var (
	_ auth.Store = (*Store)(nil)
	_ auth.Tx    = (*queries)(nil)
)

func (q *queries) UserDelete(ctx context.Context, id uuid.UUID) error {
	tag, err := q.db.Exec(ctx, sqlshared.UserDelete, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("UserDelete(%s): %w", id, interpretError(err, "user"))
	}
	return nil
}

func (q *queries) UserSoleOwnerOf(ctx context.Context, userID uuid.UUID) ([]string, error) {
	rows, err := q.db.Query(ctx, sqlshared.UserSoleOwnerOf, userID)
	if err != nil {
		return nil, fmt.Errorf("UserSoleOwnerOf: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("UserSoleOwnerOf: %w", err)
	}
	return names, nil
}

func scanUserSession(row pgx.Row) (account.UserSession, error) {
	var us account.UserSession
	err := row.Scan(&us.ID, &us.UserID, &us.TokenHash, &us.UserAgent, &us.IP, &us.CreatedAt, &us.LastSeenAt, &us.Method)
	return us, err
}

func (q *queries) UserSessionSave(ctx context.Context, us account.UserSession, prevHash string) error {
	if prevHash != "" {
		tag, err := q.db.Exec(ctx, sqlshared.UserSessionRename, prevHash, us.TokenHash, us.UserAgent, us.IP, us.LastSeenAt, us.Method)
		if err != nil {
			return fmt.Errorf("UserSessionSave: %w", interpretError(err, "session"))
		}
		if tag.RowsAffected() > 0 {
			return nil
		}
	}
	_, err := q.db.Exec(ctx, sqlshared.UserSessionUpsert, us.ID, us.UserID, us.TokenHash, us.UserAgent, us.IP, us.CreatedAt, us.LastSeenAt, us.Method)
	if err != nil {
		return fmt.Errorf("UserSessionSave: %w", interpretError(err, "session"))
	}
	return nil
}

func (q *queries) UserSessionList(ctx context.Context, userID uuid.UUID, since time.Time) ([]account.UserSession, error) {
	rows, err := q.db.Query(ctx, sqlshared.UserSessionList, userID, since)
	if err != nil {
		return nil, fmt.Errorf("UserSessionList: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (account.UserSession, error) { return scanUserSession(r) })
	if err != nil {
		return nil, fmt.Errorf("UserSessionList: %w", err)
	}
	return out, nil
}

func (q *queries) UserSessionDelete(ctx context.Context, userID, id uuid.UUID) (account.UserSession, error) {
	us, err := scanUserSession(q.db.QueryRow(ctx, sqlshared.UserSessionDelete, userID, id))
	if err != nil {
		return us, fmt.Errorf("UserSessionDelete(%s): %w", id, interpretError(err, "session"))
	}
	return us, nil
}

func (q *queries) UserSessionDeleteByHash(ctx context.Context, tokenHash string) error {
	if _, err := q.db.Exec(ctx, sqlshared.UserSessionDeleteByHash, tokenHash); err != nil {
		return fmt.Errorf("UserSessionDeleteByHash: %w", err)
	}
	return nil
}
