package sqlshared

// Queries of attachments, the same on both engines.
const (
	AttachmentColumns = `id, tenant_id, order_id, uploaded_by, filename, content_type, size, object_key, status, created_at, updated_at`

	AttachmentCreate = `INSERT INTO attachments (` + AttachmentColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

	AttachmentGet = `SELECT ` + AttachmentColumns + ` FROM attachments WHERE tenant_id = $1 AND id = $2`

	// AttachmentList is followed by the order's condition if any, the order and the limit.
	AttachmentList = `SELECT ` + AttachmentColumns + ` FROM attachments WHERE tenant_id = $1 AND status <> 'failed'`

	AttachmentSetStatus = `UPDATE attachments SET status = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2`

	AttachmentDelete = `DELETE FROM attachments WHERE tenant_id = $1 AND id = $2`

	AttachmentListStale = `SELECT ` + AttachmentColumns + ` FROM attachments WHERE status IN ('pending', 'failed') AND created_at < $1 ORDER BY created_at LIMIT $2`

	AttachmentUsage = `SELECT count(*), COALESCE(sum(size), 0) FROM attachments WHERE tenant_id = $1 AND status = 'uploaded'`
)
