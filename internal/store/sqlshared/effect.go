package sqlshared

// Queries of the ledger of job side effects done, the same on both engines.
const (
	EffectDone = `SELECT count(*) FROM job_effects WHERE key = $1`

	EffectRecord = `INSERT INTO job_effects (key, done_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`
)
