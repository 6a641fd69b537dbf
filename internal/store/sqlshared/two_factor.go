package sqlshared

// Two-factor sign-in: TOTP enrolments and recovery codes (package
// account's totp.go).
const (
	UserTOTPGet = `SELECT user_id, secret_sealed, confirmed_at, last_step, created_at FROM user_totp WHERE user_id = $1`

	// UserTOTPSave starts an enrolment, or restarts one not yet
	// confirmed; a confirmed one is left as it is.
	UserTOTPSave = `INSERT INTO user_totp (user_id, secret_sealed, confirmed_at, last_step, created_at) VALUES ($1, $2, NULL, 0, $3)
		ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, created_at = excluded.created_at, last_step = 0
		WHERE user_totp.confirmed_at IS NULL`

	UserTOTPConfirm = `UPDATE user_totp SET confirmed_at = $2, last_step = $3 WHERE user_id = $1 AND confirmed_at IS NULL`

	// UserTOTPUseStep accepts a code's time step only once, and only after
	// the last one accepted: of two concurrent uses of a code, one wins.
	UserTOTPUseStep = `UPDATE user_totp SET last_step = $2 WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2`

	UserTOTPDelete = `DELETE FROM user_totp WHERE user_id = $1`

	RecoveryCodesDelete = `DELETE FROM user_recovery_codes WHERE user_id = $1`

	RecoveryCodeInsert = `INSERT INTO user_recovery_codes (id, user_id, code_hash, used_at, created_at) VALUES ($1, $2, $3, NULL, $4)`

	RecoveryCodeUse = `UPDATE user_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`

	RecoveryCodesLeft = `SELECT count(*) FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL`
)
