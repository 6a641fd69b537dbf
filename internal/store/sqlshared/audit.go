package sqlshared

// Queries of the audit log, the same on both engines.
const (
	AuditColumns = `id, tenant_id, actor_id, actor_name, actor_email, action, entity_type, entity_id, order_id, ip, user_agent, request_id, actor_type, metadata, created_at`

	AuditInsert = `INSERT INTO audit_log (` + AuditColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`

	// AuditListWhere is followed by AuditWhere's conditions, the order and the limit.
	AuditListWhere = `SELECT ` + AuditColumns + ` FROM audit_log WHERE `
)
