package sqlshared

// Queries of exports, the same on both engines.
const (
	ExportColumns = `id, tenant_id, created_by, format, filters, status, done, total, order_count, row_count, object_key, size, error, expires_at, created_at, updated_at, completed_at`

	ExportCreate = `INSERT INTO exports (id, tenant_id, created_by, format, filters, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

	ExportGet = `SELECT ` + ExportColumns + ` FROM exports WHERE tenant_id = $1 AND id = $2`

	// ExportList is completed by PageQuery: newest first (ids are UUIDv7).
	ExportList = `SELECT ` + ExportColumns + ` FROM exports WHERE tenant_id = $1`

	ExportUpdate = `UPDATE exports SET status = $3, done = $4, total = $5, row_count = $6, object_key = $7, size = $8, error = $9,
		expires_at = $10, updated_at = $11, completed_at = $12, order_count = $13 WHERE tenant_id = $1 AND id = $2`

	ExportListExpired = `SELECT ` + ExportColumns + ` FROM exports WHERE status = 'completed' AND expires_at < $1 ORDER BY expires_at LIMIT $2`

	ExportDelete = `DELETE FROM exports WHERE tenant_id = $1 AND id = $2`
)
