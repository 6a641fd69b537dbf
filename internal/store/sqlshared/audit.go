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

	AuditCheckpoints = `SELECT tenant_id, seq, hash, signed_at, signature FROM audit_checkpoints
		WHERE tenant_id = $1 ORDER BY seq`

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
