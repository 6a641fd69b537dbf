package sqlshared

// Queries of user tokens, invitations and API keys, the same on both engines.
const (
	TokenColumns = `id, user_id, purpose, token_hash, data, expires_at, used_at, created_at`

	TokenCreate = `INSERT INTO user_tokens (id, user_id, purpose, token_hash, data, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`

	TokenConsume = `UPDATE user_tokens SET used_at = $3
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
		RETURNING ` + TokenColumns

	TokenInvalidate = `UPDATE user_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`

	InvitationColumns = `id, tenant_id, email, role, token_hash, invited_by, expires_at, accepted_at, revoked_at, created_at, updated_at`

	InvitationCreate = `INSERT INTO invitations (id, tenant_id, email, role, token_hash, invited_by, expires_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

	InvitationGet = `SELECT ` + InvitationColumns + ` FROM invitations WHERE tenant_id = $1 AND id = $2`

	InvitationGetByHash = `SELECT ` + InvitationColumns + ` FROM invitations WHERE token_hash = $1`

	// InvitationListByTenant is completed by PageQuery: newest first.
	InvitationListByTenant = `SELECT ` + InvitationColumns + ` FROM invitations WHERE tenant_id = $1`

	InvitationUpdate = `UPDATE invitations SET token_hash = $3, expires_at = $4, accepted_at = $5, revoked_at = $6, updated_at = $7
		WHERE tenant_id = $1 AND id = $2`

	APIKeyColumns = `id, tenant_id, created_by, name, prefix, secret_hash, role, last_used_at, expires_at, revoked_at, created_at`

	APIKeyCreate = `INSERT INTO api_keys (id, tenant_id, created_by, name, prefix, secret_hash, role, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

	APIKeyGet = `SELECT ` + APIKeyColumns + ` FROM api_keys WHERE tenant_id = $1 AND id = $2`

	APIKeyGetByPrefix = `SELECT ` + APIKeyColumns + ` FROM api_keys WHERE prefix = $1`

	// APIKeyStandingByPrefix is a key with its creator's role in the
	// tenant, whether the creator may act, and the tenant's status
	// (tenant.KeyStanding): what authenticating it needs, in one query.
	APIKeyStandingByPrefix = `SELECT k.id, k.tenant_id, k.created_by, k.name, k.prefix, k.secret_hash, k.role, k.last_used_at, k.expires_at, k.revoked_at, k.created_at,
		COALESCE(m.role, ''), u.id IS NOT NULL AND u.disabled_at IS NULL, COALESCE(t.status, '')
		FROM api_keys k
		LEFT JOIN memberships m ON m.tenant_id = k.tenant_id AND m.user_id = k.created_by
		LEFT JOIN users u ON u.id = k.created_by
		LEFT JOIN tenants t ON t.id = k.tenant_id
		WHERE k.prefix = $1`

	APIKeyListByTenant = `SELECT ` + APIKeyColumns + ` FROM api_keys WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1000`

	// APIKeyPageByTenant is completed by PageQuery: newest first.
	APIKeyPageByTenant = `SELECT ` + APIKeyColumns + ` FROM api_keys WHERE tenant_id = $1`

	APIKeyRevoke = `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE tenant_id = $1 AND id = $2`

	APIKeyTouch = `UPDATE api_keys SET last_used_at = $2 WHERE id = $1`
)
