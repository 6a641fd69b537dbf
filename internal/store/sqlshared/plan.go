package sqlshared

import (
	"slices"

	"github.com/ordo/ordo/internal/plan"
)

// Queries of plans, limits and usage, the same on both engines.
const (
	UsageAddOrders = `INSERT INTO tenant_usage (tenant_id, month, orders_created) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, month) DO UPDATE SET orders_created = tenant_usage.orders_created + EXCLUDED.orders_created
		RETURNING orders_created`

	UsageMonth = `SELECT orders_created, api_requests, export_rows, webhook_deliveries, emails_sent
		FROM tenant_usage WHERE tenant_id = $1 AND month = $2`

	// UsageStorageBytes: pending uploads count, since each reserves its
	// size when it is signed (so two concurrent uploads cannot both fit
	// in the last bytes); exports and invoices are files Ordo makes and
	// expires, and are not counted.
	UsageStorageBytes = `SELECT COALESCE(sum(size), 0) FROM attachments
		WHERE tenant_id = $1 AND status IN ('pending', 'uploaded')`
	// UsageExportsSince counts the audit log's export.created entries,
	// not the exports table: an export deleted (or expired) after it ran
	// still counts towards its day, so deleting one frees nothing. An
	// owner's archive is not an export the limit is about. The entry's
	// metadata is the create's details; ->> reads it on both engines.
	UsageExportsSince = `SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'export.created'
		AND created_at >= $2 AND COALESCE(metadata->>'format', '') <> 'archive'`

	UsageCounts = `SELECT (SELECT count(*) FROM memberships WHERE tenant_id = $1),
		(SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1)`

	PlanOfTenant       = `SELECT plan FROM tenants WHERE id = $1`
	PlanLimitsOfPlan   = `SELECT name, value FROM plan_limits WHERE plan = $1`
	PlanLimitsOfTenant = `SELECT name, value FROM tenant_limits WHERE tenant_id = $1`

	PlanLimitSet = `INSERT INTO plan_limits (plan, name, value) VALUES ($1, $2, $3)
		ON CONFLICT (plan, name) DO UPDATE SET value = EXCLUDED.value`
	PlanLimitDelete = `DELETE FROM plan_limits WHERE plan = $1 AND name = $2`
	TenantLimitSet  = `INSERT INTO tenant_limits (tenant_id, name, value) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, name) DO UPDATE SET value = EXCLUDED.value`
	TenantLimitDelete = `DELETE FROM tenant_limits WHERE tenant_id = $1 AND name = $2`
)

// UsageAdd returns the UPSERT adding $3 to counter c of the tenant's
// month ($2), and false for a counter that is not one: the column name
// comes from a closed set, never from a client.
func UsageAdd(c plan.Counter) (string, bool) {
	if !slices.Contains(plan.Counters(), c) {
		return "", false
	}
	col := string(c)
	return `INSERT INTO tenant_usage (tenant_id, month, ` + col + `) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, month) DO UPDATE SET ` + col + ` = tenant_usage.` + col + ` + EXCLUDED.` + col, true
}
