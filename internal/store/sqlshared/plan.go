package sqlshared

// Queries of plans, limits and usage, the same on both engines.
const (
	UsageAddOrders = `INSERT INTO tenant_usage (tenant_id, month, orders_created) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, month) DO UPDATE SET orders_created = tenant_usage.orders_created + EXCLUDED.orders_created
		RETURNING orders_created`
	UsageOrders = `SELECT orders_created FROM tenant_usage WHERE tenant_id = $1 AND month = $2`

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
