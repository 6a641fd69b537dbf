package sqlshared

// Passkeys: users' WebAuthn credentials (package passkey).
const (
	PasskeyColumns = `id, user_id, credential_id, public_key, sign_count, transports, aaguid, backup_eligible, backup_state, name, created_at, last_used_at`

	PasskeyInsert = `INSERT INTO user_passkeys (` + PasskeyColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL)`

	PasskeyListByUser = `SELECT ` + PasskeyColumns + ` FROM user_passkeys WHERE user_id = $1 ORDER BY created_at, id`

	PasskeyGetByCredentialID = `SELECT ` + PasskeyColumns + ` FROM user_passkeys WHERE credential_id = $1`

	PasskeyCountByUser = `SELECT count(*) FROM user_passkeys WHERE user_id = $1`

	PasskeyTouch = `UPDATE user_passkeys SET sign_count = $2, backup_state = $3, last_used_at = $4 WHERE id = $1`

	PasskeyDelete = `DELETE FROM user_passkeys WHERE user_id = $1 AND id = $2 RETURNING ` + PasskeyColumns
)
