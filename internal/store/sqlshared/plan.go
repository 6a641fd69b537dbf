package sqlshared

import "github.com/ordo/ordo/internal/plan"

// Queries of plan limits and usage, the same on both engines. A month is
// passed as a date (PostgreSQL) or its ISO text (SQLite).
const (
	// PlanOverrides reads a tenant's plan and every override of its
	// limits: kind 'p' rows are the plan's, 't' rows the tenant's; a
	// tenant with no override is one row of kind '' (so that a missing
	// tenant is no row at all).
	PlanOverrides = `SELECT t.plan, '', '', 0 FROM tenants t WHERE t.id = $1
UNION ALL SELECT t.plan, 'p', pl.name, pl.value FROM tenants t JOIN plan_limits pl ON pl.plan = t.plan WHERE t.id = $1
UNION ALL SELECT '', 't', tl.name, tl.value FROM tenant_limits tl WHERE tl.tenant_id = $1`

	PlanLimitUpsert = `INSERT INTO plan_limits (plan, name, value, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (plan, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
	PlanLimitDelete = `DELETE FROM plan_limits WHERE plan = $1 AND name = $2`
	PlanLimitsOf    = `SELECT name, value FROM plan_limits WHERE plan = $1`

	TenantLimitUpsert = `INSERT INTO tenant_limits (tenant_id, name, value, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
	TenantLimitDelete = `DELETE FROM tenant_limits WHERE tenant_id = $1 AND name = $2`

	// UsageTakeOrder counts one order and returns the new count, the
	// tenant's plan and the two overrides of orders_per_month (NULL when
	// absent): one statement on the order's hot path.
	UsageTakeOrder = `INSERT INTO tenant_usage (tenant_id, month, orders_created) VALUES ($1, $2, 1)
ON CONFLICT (tenant_id, month) DO UPDATE SET orders_created = tenant_usage.orders_created + 1
RETURNING orders_created,
    (SELECT plan FROM tenants WHERE id = $1),
    (SELECT value FROM tenant_limits WHERE tenant_id = $1 AND name = 'orders_per_month'),
    (SELECT pl.value FROM plan_limits pl JOIN tenants t ON pl.plan = t.plan WHERE t.id = $1 AND pl.name = 'orders_per_month')`

	UsageGet = `SELECT orders_created, api_requests, export_rows, webhook_deliveries, emails_sent FROM tenant_usage WHERE tenant_id = $1 AND month = $2`
)

// UsageAdd returns the UPSERT that adds $3 to counter c of the tenant's
// month; c is one of a closed set, never client text (false for another).
func UsageAdd(c plan.Counter) (string, bool) {
	switch c {
	case plan.CountAPIRequests, plan.CountExportRows, plan.CountWebhookDeliveries, plan.CountEmailsSent:
	default:
		return "", false
	}
	col := string(c)
	return `INSERT INTO tenant_usage (tenant_id, month, ` + col + `) VALUES ($1, $2, $3)
ON CONFLICT (tenant_id, month) DO UPDATE SET ` + col + ` = tenant_usage.` + col + ` + excluded.` + col, true
}

// PlanCount returns the query counting the current use of limit name
// (which takes the tenant and, for exports, the day's start), or "" for
// a limit counted elsewhere (orders: tenant_usage) or not counted
// (the API rate, which the rate limiter keeps). Pending uploads count towards storage: they reserve their
// size until completed, failed or swept.
func PlanCount(name plan.Limit) string {
	switch name {
	case plan.Members:
		return `SELECT count(*) FROM memberships WHERE tenant_id = $1`
	case plan.StorageBytes:
		return `SELECT COALESCE(sum(size), 0) FROM attachments WHERE tenant_id = $1 AND status IN ('pending', 'uploaded')`
	case plan.WebhookEndpoints:
		return `SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1`
	case plan.ExportsPerDay:
		return `SELECT count(*) FROM exports WHERE tenant_id = $1 AND created_at >= $2`
	}
	return ""
}
