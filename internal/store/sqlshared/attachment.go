package sqlshared

import (
	"fmt"

	"github.com/google/uuid"
)

// Queries of attachments, the same on both engines.
const (
	AttachmentColumns = `id, tenant_id, order_id, uploaded_by, filename, content_type, size, object_key, status, created_at, updated_at`

	AttachmentCreate = `INSERT INTO attachments (` + AttachmentColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

	AttachmentGet = `SELECT ` + AttachmentColumns + ` FROM attachments WHERE tenant_id = $1 AND id = $2`

	AttachmentSetStatus = `UPDATE attachments SET status = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2`

	AttachmentDelete = `DELETE FROM attachments WHERE tenant_id = $1 AND id = $2`

	AttachmentListStale = `SELECT ` + AttachmentColumns + ` FROM attachments WHERE status IN ('pending', 'failed') AND created_at < $1 ORDER BY created_at LIMIT $2`

	AttachmentUsage = `SELECT count(*), COALESCE(sum(size), 0) FROM attachments WHERE tenant_id = $1 AND status = 'uploaded'`
)

// AttachmentListQuery returns the query and arguments of a page of a
// tenant's attachments, of one order if orderID is set, older than the
// cursor before if set: newest first (ids are UUIDv7), at most limit.
func AttachmentListQuery(tenantID uuid.UUID, orderID, before *uuid.UUID, limit int) (string, []any) {
	sql, args := `SELECT `+AttachmentColumns+` FROM attachments WHERE tenant_id = $1 AND status <> 'failed'`, []any{tenantID, limit}
	if orderID != nil {
		args = append(args, *orderID)
		sql += fmt.Sprintf(` AND order_id = $%d`, len(args))
	}
	if before != nil {
		args = append(args, *before)
		sql += fmt.Sprintf(` AND id < $%d`, len(args))
	}
	return sql + ` ORDER BY id DESC LIMIT $2`, args
}
