package sqlshared

// Queries of users and memberships, the same on both engines.
const (
	UserColumns = `id, email, name, password_hash, email_verified_at, session_epoch, created_at, updated_at`

	UserCreate = `INSERT INTO users (id, email, name, password_hash, email_verified_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`

	UserGetByID = `SELECT ` + UserColumns + ` FROM users WHERE id = $1`

	UserGetByEmail = `SELECT ` + UserColumns + ` FROM users WHERE email = $1`

	UserUpdate = `UPDATE users SET email = $2, name = $3, password_hash = $4, email_verified_at = $5, updated_at = $6
		WHERE id = $1`

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
