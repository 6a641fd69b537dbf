package sqlshared

// Queries of the audit log, the same on both engines.
const (
	AuditColumns = `id, tenant_id, actor_id, actor_name, actor_email, action, entity_type, entity_id, order_id, ip, user_agent, request_id, actor_type, metadata, created_at`

	// AuditListWhere is followed by AuditWhere's conditions, the order and the limit.
	AuditListWhere = `SELECT ` + AuditColumns + ` FROM audit_log WHERE `
)

// Queries of the audit log's hash chain (audit/chain.go).
const (
	// AuditChainSelect lists a tenant's entries in the chain's order,
	// those from before the chain (seq NULL) first.
	AuditChainSelect = `SELECT ` + AuditColumns + `, seq, prev_hash, hash FROM audit_log WHERE tenant_id = $1
		ORDER BY seq IS NOT NULL, seq, created_at, id`

	AuditHead = `SELECT seq, hash FROM audit_chain_heads WHERE tenant_id = $1`

	AuditCheckpointInsert = `INSERT INTO audit_checkpoints (tenant_id, seq, hash, signed_at, signature)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, seq) DO NOTHING`

	// AuditCheckpoints lists the tenant's retention cut, if any, then its
	// checkpoints by seq.
	AuditCheckpoints = `SELECT tenant_id, seq, hash, signed_at, signature, true AS cut FROM audit_chain_cuts WHERE tenant_id = $1
		UNION ALL
		SELECT tenant_id, seq, hash, signed_at, signature, false AS cut FROM audit_checkpoints WHERE tenant_id = $1
		ORDER BY cut DESC, seq`

	// AuditHeadsToCheckpoint finds heads past their tenant's last
	// checkpoint.
	AuditHeadsToCheckpoint = `SELECT h.tenant_id, h.seq, h.hash FROM audit_chain_heads h
		WHERE h.seq > COALESCE((SELECT max(c.seq) FROM audit_checkpoints c WHERE c.tenant_id = h.tenant_id), 0)
		ORDER BY h.tenant_id LIMIT $1`
)

// Pages of a tenant's chain in its order, for an export that streams it:
// first the entries from before the chain (seq NULL) by id, then the
// chained ones by seq and id, each after a keyset cursor.
const (
	AuditUnchainedPage = `SELECT ` + AuditColumns + `, seq, prev_hash, hash FROM audit_log
		WHERE tenant_id = $1 AND seq IS NULL AND id > $2 ORDER BY id LIMIT $3`
	AuditChainedPage = `SELECT ` + AuditColumns + `, seq, prev_hash, hash FROM audit_log
		WHERE tenant_id = $1 AND seq IS NOT NULL AND (seq > $2 OR (seq = $2 AND id > $3)) ORDER BY seq, id LIMIT $4`
)

// AuditChainTenants lists the tenants with a chain, by id after a keyset
// cursor: the nightly verification goes through them.
const AuditChainTenants = `SELECT tenant_id FROM audit_chain_heads WHERE tenant_id > $1 ORDER BY tenant_id LIMIT $2`

// Queries of a retention prune (audit/retention.go), run in one
// transaction by AuditPrune.
const (
	// AuditHashAt is the hash of the tenant's entry at a seq: the cut must
	// sign what is there.
	AuditHashAt = `SELECT hash FROM audit_log WHERE tenant_id = $1 AND seq = $2`
	// AuditLastCheckpoint is the seq of the tenant's newest checkpoint,
	// 0 without one: no cut goes past it.
	AuditLastCheckpoint = `SELECT COALESCE(max(seq), 0) FROM audit_checkpoints WHERE tenant_id = $1`
	// AuditCutSet records the cut in place of an earlier one, and only in
	// place of an earlier one: a concurrent prune that cut further first
	// makes this one write nothing (and roll back).
	AuditCutSet = `INSERT INTO audit_chain_cuts (tenant_id, seq, hash, signed_at, signature) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, signed_at = excluded.signed_at, signature = excluded.signature
		WHERE audit_chain_cuts.seq < excluded.seq`
	// AuditPruneEntries deletes the chain up to the cut and the entries
	// from before the chain, which are all older than it.
	AuditPruneEntries = `DELETE FROM audit_log WHERE tenant_id = $1 AND (seq IS NULL OR seq <= $2)`
	// AuditPruneCheckpoints deletes the checkpoints of pruned entries; one
	// at the cut stays (its hash is the cut's).
	AuditPruneCheckpoints = `DELETE FROM audit_checkpoints WHERE tenant_id = $1 AND seq < $2`
)
