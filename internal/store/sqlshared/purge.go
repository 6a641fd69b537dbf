package sqlshared

// Queries of Purge's deletion of expired rows, the same on both engines.
const (
	PurgeUserTokens = `DELETE FROM user_tokens WHERE expires_at < $1 OR used_at < $1`

	PurgeIdempotencyKeys = `DELETE FROM idempotency_keys WHERE created_at < $1`

	PurgeJobEffects = `DELETE FROM job_effects WHERE done_at < $1`
)
