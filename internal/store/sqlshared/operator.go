package sqlshared

import (
	"strings"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/page"
)

// Queries of the operator console, the same on both engines.
const (
	OperatorAdd    = `INSERT INTO operators (user_id, created_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING`
	OperatorRemove = `DELETE FROM operators WHERE user_id = $1`
	OperatorIs     = `SELECT count(*) FROM operators WHERE user_id = $1`

	UserSetDisabled = `UPDATE users SET disabled_at = $2, updated_at = $3 WHERE id = $1`

	// UserSearch finds users whose e-mail or name contains $1 (lower
	// case; '' for all); PageQuery pages it by id.
	UserSearch = `SELECT ` + UserColumns + ` FROM users
		WHERE ($1 = '' OR email LIKE '%' || $1 || '%' OR lower(name) LIKE '%' || $1 || '%')`

	// TenantOverviewList is the console's tenant list: tenants whose slug
	// or name contains $1 (lower case; '' for all), paged by id
	// (PageQuery), each with its member count, orders (from the daily rollup:
	// not cancelled), the bytes of its uploaded attachments and completed
	// exports, and the time of its newest audit entry (ids are UUIDv7, in
	// time order, so the index on (tenant_id, id) answers it).
	TenantOverviewList = TenantOverviewSelect + `
		WHERE ($1 = '' OR slug LIKE '%' || $1 || '%' OR lower(name) LIKE '%' || $1 || '%')`
	TenantOverviewGet = TenantOverviewSelect + ` WHERE id = $1`

	TenantOverviewSelect = `SELECT ` + TenantColumns + `,
		(SELECT count(*) FROM memberships m WHERE m.tenant_id = tenants.id),
		(SELECT CAST(coalesce(sum(s.orders), 0) AS bigint) FROM order_day_stats s WHERE s.tenant_id = tenants.id),
		(SELECT CAST(coalesce(sum(a.size), 0) AS bigint) FROM attachments a WHERE a.tenant_id = tenants.id AND a.status = 'uploaded')
		 + (SELECT CAST(coalesce(sum(e.size), 0) AS bigint) FROM exports e WHERE e.tenant_id = tenants.id AND e.status = 'completed'),
		(SELECT l.created_at FROM audit_log l WHERE l.tenant_id = tenants.id ORDER BY l.id DESC LIMIT 1)
		FROM tenants`

	PlatformAuditColumns = `id, tenant_id, actor_type, actor_id, actor_name, actor_email, action, entity_type, entity_id, ip, user_agent, request_id, metadata, created_at`

	PlatformAuditInsert = `INSERT INTO platform_audit (` + PlatformAuditColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`

	// PlatformAuditForget runs at a tenant's purge: the operator's record
	// of it stays, without its id (the slug is in the metadata).
	PlatformAuditForget = `UPDATE platform_audit SET tenant_id = NULL, entity_id = '' WHERE tenant_id = $1`
)

// OperatorListQuery lists the operators with their user rows, by e-mail.
var OperatorListQuery = `SELECT ` + qualified("u.", UserColumns) + `, o.created_at FROM operators o JOIN users u ON u.id = o.user_id ORDER BY u.email`

// PlatformAuditPage is the query of the page r selects of the platform
// log (of one tenant if tenantID is set), newest first.
func PlatformAuditPage(tenantID *uuid.UUID, r page.Request) (string, []any) {
	head := `SELECT ` + PlatformAuditColumns + ` FROM platform_audit WHERE `
	if tenantID != nil {
		return PageQuery(head+`tenant_id = $1`, []any{*tenantID}, "id", true, r)
	}
	return PageQuery(head+`1 = 1`, nil, "id", true, r)
}

func qualified(prefix, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = prefix + parts[i]
	}
	return strings.Join(parts, ", ")
}
