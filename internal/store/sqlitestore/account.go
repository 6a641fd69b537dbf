package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

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

func scanUser(row scanner) (account.User, error) {
	var u account.User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Image, &u.Locale, &u.PasswordHash, nullTimeCol{&u.EmailVerifiedAt}, &u.SessionEpoch, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, nullTimeCol{&u.DisabledAt})
	return u, err
}

func (q *queries) UserCreate(ctx context.Context, u account.User) error {
	_, err := q.db.ExecContext(ctx, sqlshared.UserCreate,
		u.ID, strings.ToLower(u.Email), u.Name, u.PasswordHash, tsPtr(u.EmailVerifiedAt), ts(u.CreatedAt), ts(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("UserCreate: %w", interpretError(err, "user"))
	}
	return nil
}

func (q *queries) UserGetByID(ctx context.Context, id uuid.UUID) (account.User, error) {
	u, err := scanUser(q.db.QueryRowContext(ctx, sqlshared.UserGetByID, id))
	if err != nil {
		return account.User{}, fmt.Errorf("UserGetByID(%s): %w", id, interpretError(err, "user"))
	}
	return u, nil
}

// SQLite runs one writing transaction at a time (BEGIN IMMEDIATE), so the
// read is already the row the transaction will update.
func (q *queries) UserGetForUpdate(ctx context.Context, id uuid.UUID) (account.User, error) {
	u, err := scanUser(q.db.QueryRowContext(ctx, sqlshared.UserGetByID, id))
	if err != nil {
		return account.User{}, fmt.Errorf("UserGetForUpdate(%s): %w", id, interpretError(err, "user"))
	}
	return u, nil
}

// idList is the placeholders and arguments of an IN list of ids ("$1,
// $2"); SQLite has no array parameter for PostgreSQL's = ANY($1).
func idList(ids []uuid.UUID) (string, []any) {
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i], args[i] = "$"+strconv.Itoa(i+1), id
	}
	return strings.Join(ph, ", "), args
}

func (q *queries) UserListByIDs(ctx context.Context, ids []uuid.UUID) ([]account.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	in, args := idList(ids)
	rows, err := q.db.QueryContext(ctx, `SELECT `+sqlshared.UserColumns+` FROM users WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("UserListByIDs: %w", err)
	}
	us, err := collect(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("UserListByIDs: %w", err)
	}
	return us, nil
}

func (q *queries) UserGetByEmail(ctx context.Context, email string) (account.User, error) {
	u, err := scanUser(q.db.QueryRowContext(ctx, sqlshared.UserGetByEmail, strings.ToLower(email)))
	if err != nil {
		return account.User{}, fmt.Errorf("UserGetByEmail: %w", interpretError(err, "user"))
	}
	return u, nil
}

func (q *queries) UserUpdate(ctx context.Context, u account.User) error {
	res, err := q.db.ExecContext(ctx, sqlshared.UserUpdate,
		u.ID, strings.ToLower(u.Email), u.Name, u.PasswordHash, tsPtr(u.EmailVerifiedAt), ts(u.UpdatedAt), u.Image, u.Locale)
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("UserUpdate(%s): %w", u.ID, interpretError(err, "user"))
	}
	return nil
}

func (q *queries) UserBumpSessionEpoch(ctx context.Context, id uuid.UUID, now time.Time) (int64, error) {
	var epoch int64
	err := q.db.QueryRowContext(ctx,
		sqlshared.UserBumpSessionEpoch,
		id, ts(now)).Scan(&epoch)
	if err != nil {
		return 0, fmt.Errorf("UserBumpSessionEpoch(%s): %w", id, interpretError(err, "user"))
	}
	// The sessions ended are no longer listed; those that go on
	// (the caller's, on the new epoch) are recorded again.
	if _, err := q.db.ExecContext(ctx, sqlshared.UserSessionForget, id); err != nil {
		return 0, fmt.Errorf("UserBumpSessionEpoch(%s): %w", id, err)
	}
	return epoch, nil
}

func scanMembership(row scanner) (account.Membership, error) {
	var m account.Membership
	err := row.Scan(&m.TenantID, &m.UserID, &m.Role, timeCol{&m.CreatedAt}, timeCol{&m.UpdatedAt})
	return m, err
}

func (q *queries) MembershipCreate(ctx context.Context, m account.Membership) error {
	_, err := q.db.ExecContext(ctx, sqlshared.MembershipCreate,
		m.TenantID, m.UserID, m.Role, ts(m.CreatedAt), ts(m.UpdatedAt))
	if err != nil {
		return fmt.Errorf("MembershipCreate: %w", interpretError(err, "membership"))
	}
	return nil
}

func (q *queries) MembershipGet(ctx context.Context, tenantID, userID uuid.UUID) (account.Membership, error) {
	m, err := scanMembership(q.db.QueryRowContext(ctx,
		sqlshared.MembershipGet, tenantID, userID))
	if err != nil {
		return account.Membership{}, fmt.Errorf("MembershipGet(%s, %s): %w", tenantID, userID, interpretError(err, "membership"))
	}
	return m, nil
}

func (q *queries) membershipList(ctx context.Context, op, query string, arg uuid.UUID, more ...any) ([]account.Membership, error) {
	rows, err := q.db.QueryContext(ctx, query, append([]any{arg}, more...)...)
	if err != nil {
		return nil, fmt.Errorf("%s(%s): %w", op, arg, err)
	}
	ms, err := collect(rows, scanMembership)
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
	res, err := q.db.ExecContext(ctx,
		sqlshared.MembershipUpdateRole,
		tenantID, userID, role, ts(now))
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("MembershipUpdateRole(%s, %s): %w", tenantID, userID, interpretError(err, "membership"))
	}
	return nil
}

func (q *queries) MembershipDelete(ctx context.Context, tenantID, userID uuid.UUID, now time.Time) error {
	// The insert reads the membership the delete then removes: both or
	// neither, in or out of a transaction (SQLite runs one writer at a time,
	// and the insert happens only while the membership still exists).
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO membership_removals (tenant_id, user_id, removed_at)
		SELECT tenant_id, user_id, $3 FROM memberships WHERE tenant_id = $1 AND user_id = $2
		ON CONFLICT (tenant_id, user_id) DO UPDATE SET removed_at = excluded.removed_at`,
		tenantID, userID, ts(now))
	var res sql.Result
	if err == nil {
		res, err = q.db.ExecContext(ctx, `DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
	}
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("MembershipDelete(%s, %s): %w", tenantID, userID, interpretError(err, "membership"))
	}
	return nil
}

// MembershipLock only checks the tenant: write transactions begin
// IMMEDIATE (see dsn), so a transaction holds the database's write lock
// from its start and the others wait for it to end.
func (q *queries) MembershipLock(ctx context.Context, tenantID uuid.UUID) error {
	var id string
	if err := q.db.QueryRowContext(ctx, `SELECT id FROM tenants WHERE id = $1`, tenantID).Scan(&id); err != nil {
		return fmt.Errorf("MembershipLock(%s): %w", tenantID, interpretError(err, "tenant"))
	}
	return nil
}

func (q *queries) MembershipRemovedAt(ctx context.Context, tenantID, userID uuid.UUID) (time.Time, error) {
	var at time.Time
	err := q.db.QueryRowContext(ctx, sqlshared.MembershipRemovedAt, tenantID, userID).Scan(timeCol{&at})
	if err != nil {
		return time.Time{}, fmt.Errorf("MembershipRemovedAt(%s, %s): %w", tenantID, userID, interpretError(err, "membership removal"))
	}
	return at, nil
}

func (q *queries) MembershipCountByRole(ctx context.Context, tenantID uuid.UUID, role access.Role) (int, error) {
	var n int
	err := q.db.QueryRowContext(ctx, sqlshared.MembershipCountByRole, tenantID, role).Scan(&n)
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
	res, err := q.db.ExecContext(ctx, sqlshared.UserDelete, id)
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("UserDelete(%s): %w", id, interpretError(err, "user"))
	}
	return nil
}

func (q *queries) UserSoleOwnerOf(ctx context.Context, userID uuid.UUID) ([]string, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.UserSoleOwnerOf, userID)
	if err != nil {
		return nil, fmt.Errorf("UserSoleOwnerOf: %w", err)
	}
	names, err := collect(rows, func(r scanner) (string, error) {
		var n string
		err := r.Scan(&n)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("UserSoleOwnerOf: %w", err)
	}
	return names, nil
}

func scanUserSession(row scanner) (account.UserSession, error) {
	var us account.UserSession
	err := row.Scan(&us.ID, &us.UserID, &us.TokenHash, &us.UserAgent, &us.IP, timeCol{&us.CreatedAt}, timeCol{&us.LastSeenAt}, &us.Method)
	return us, err
}

func (q *queries) UserSessionSave(ctx context.Context, us account.UserSession, prevHash string) error {
	if prevHash != "" {
		res, err := q.db.ExecContext(ctx, sqlshared.UserSessionRename, prevHash, us.TokenHash, us.UserAgent, us.IP, ts(us.LastSeenAt), us.Method)
		if err != nil {
			return fmt.Errorf("UserSessionSave: %w", interpretError(err, "session"))
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
	}
	_, err := q.db.ExecContext(ctx, sqlshared.UserSessionUpsert, us.ID, us.UserID, us.TokenHash, us.UserAgent, us.IP, ts(us.CreatedAt), ts(us.LastSeenAt), us.Method)
	if err != nil {
		return fmt.Errorf("UserSessionSave: %w", interpretError(err, "session"))
	}
	return nil
}

func (q *queries) UserSessionList(ctx context.Context, userID uuid.UUID, since time.Time) ([]account.UserSession, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.UserSessionList, userID, ts(since))
	if err != nil {
		return nil, fmt.Errorf("UserSessionList: %w", err)
	}
	out, err := collect(rows, scanUserSession)
	if err != nil {
		return nil, fmt.Errorf("UserSessionList: %w", err)
	}
	return out, nil
}

func (q *queries) UserSessionDelete(ctx context.Context, userID, id uuid.UUID) (account.UserSession, error) {
	us, err := scanUserSession(q.db.QueryRowContext(ctx, sqlshared.UserSessionDelete, userID, id))
	if err != nil {
		return us, fmt.Errorf("UserSessionDelete(%s): %w", id, interpretError(err, "session"))
	}
	return us, nil
}

func (q *queries) UserSessionDeleteByHash(ctx context.Context, tokenHash string) error {
	if _, err := q.db.ExecContext(ctx, sqlshared.UserSessionDeleteByHash, tokenHash); err != nil {
		return fmt.Errorf("UserSessionDeleteByHash: %w", err)
	}
	return nil
}
