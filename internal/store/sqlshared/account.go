package sqlshared

// Queries of users and memberships, the same on both engines.
const (
	UserColumns = `id, email, name, image, locale, password_hash, email_verified_at, session_epoch, created_at, updated_at, disabled_at`

	UserCreate = `INSERT INTO users (id, email, name, password_hash, email_verified_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`

	UserGetByID = `SELECT ` + UserColumns + ` FROM users WHERE id = $1`

	UserGetByEmail = `SELECT ` + UserColumns + ` FROM users WHERE email = $1`

	UserUpdate = `UPDATE users SET email = $2, name = $3, password_hash = $4, email_verified_at = $5, updated_at = $6,
		image = $7, locale = $8
		WHERE id = $1`

	UserDelete = `DELETE FROM users WHERE id = $1`

	UserSoleOwnerOf = `SELECT t.name FROM memberships m JOIN tenants t ON t.id = m.tenant_id
		WHERE m.user_id = $1 AND m.role = 'owner' AND t.status <> 'deleted'
		AND NOT EXISTS (SELECT 1 FROM memberships o WHERE o.tenant_id = m.tenant_id AND o.role = 'owner' AND o.user_id <> m.user_id)
		ORDER BY t.name`

	UserSessionColumns = `id, user_id, token_hash, user_agent, ip, created_at, last_seen_at, method`

	// UserSessionRename moves a session's row to its renewed token.
	UserSessionRename = `UPDATE user_sessions SET token_hash = $2, user_agent = $3, ip = $4, last_seen_at = $5, method = $6
		WHERE token_hash = $1`

	UserSessionUpsert = `INSERT INTO user_sessions (` + UserSessionColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (token_hash) DO UPDATE SET user_agent = excluded.user_agent, ip = excluded.ip, last_seen_at = excluded.last_seen_at, method = excluded.method`

	UserSessionList = `SELECT ` + UserSessionColumns + ` FROM user_sessions WHERE user_id = $1 AND last_seen_at >= $2
		ORDER BY last_seen_at DESC, id`

	UserSessionDelete = `DELETE FROM user_sessions WHERE user_id = $1 AND id = $2 RETURNING ` + UserSessionColumns

	UserSessionDeleteByHash = `DELETE FROM user_sessions WHERE token_hash = $1`

	// UserSessionForget runs with UserBumpSessionEpoch: the sessions it
	// ends are no longer listed.
	UserSessionForget = `DELETE FROM user_sessions WHERE user_id = $1`

	// PurgeUserSessions forgets sessions unseen for longer than any
	// session lives.
	PurgeUserSessions = `DELETE FROM user_sessions WHERE last_seen_at < $1`

	UserBumpSessionEpoch = `UPDATE users SET session_epoch = session_epoch + 1, updated_at = $2 WHERE id = $1 RETURNING session_epoch`

	MembershipColumns = `tenant_id, user_id, role, created_at, updated_at`

	MembershipCreate = `INSERT INTO memberships (tenant_id, user_id, role, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5)`

	MembershipGet = `SELECT ` + MembershipColumns + ` FROM memberships WHERE tenant_id = $1 AND user_id = $2`

	MembershipListByTenant = `SELECT ` + MembershipColumns + ` FROM memberships WHERE tenant_id = $1 ORDER BY created_at, user_id`

	MembershipListByUser = `SELECT ` + MembershipColumns + ` FROM memberships WHERE user_id = $1 ORDER BY created_at, tenant_id`

	// MembershipPageByTenant and MembershipPageByUser are completed by
	// PageQuery, ordered by the other side's id (UUIDv7: members in the
	// order their users signed up, tenants in the order they were made).
	MembershipPageByTenant = `SELECT ` + MembershipColumns + ` FROM memberships WHERE tenant_id = $1`
	MembershipPageByUser   = `SELECT ` + MembershipColumns + ` FROM memberships WHERE user_id = $1`

	MembershipUpdateRole = `UPDATE memberships SET role = $3, updated_at = $4 WHERE tenant_id = $1 AND user_id = $2`

	MembershipRemovedAt = `SELECT removed_at FROM membership_removals WHERE tenant_id = $1 AND user_id = $2`

	MembershipCountByRole = `SELECT count(*) FROM memberships WHERE tenant_id = $1 AND role = $2`
)
