package sqlshared

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/page"
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

// AttachmentListQuery returns the query and arguments of the page r
// selects of a tenant's attachments, of one order if orderID is set:
// newest first (ids are UUIDv7).
func AttachmentListQuery(tenantID uuid.UUID, orderID *uuid.UUID, r page.Request) (string, []any) {
	sql, args := `SELECT `+AttachmentColumns+` FROM attachments WHERE tenant_id = $1 AND status <> 'failed'`, []any{tenantID}
	if orderID != nil {
		args = append(args, *orderID)
		sql += fmt.Sprintf(` AND order_id = $%d`, len(args))
	}
	return PageQuery(sql, args, "id", true, r)
}
