package sqlshared

// Queries of a deleted tenant's purge, the same on both engines.
//
// The big tables are emptied in batches, each its own statement and
// transaction, so that purging a tenant of a million orders never holds a
// lock (on SQLite, the one write lock) for long and a purge cut short by
// a crash resumes where it stopped. The order follows the foreign keys:
// invoices refuse the deletion of their order, and the daily rollup goes
// first so that its triggers find nothing to subtract from. Deleting the
// tenant row last cascades to the rest (memberships, keys, settings...).

// TenantPurgeFirst runs once before the batches.
const TenantPurgeFirst = `DELETE FROM order_day_stats WHERE tenant_id = $1`

// TenantPurgeBatches each delete up to $2 of the tenant's rows of one
// table; each is repeated until it deletes fewer.
var TenantPurgeBatches = func() []string {
	var qs []string
	for _, t := range []string{
		"invoices", "webhook_attempts", "webhook_deliveries", "events", "audit_log",
		"order_status_history", "order_items", "attachments", "orders", "exports",
	} {
		qs = append(qs, `DELETE FROM `+t+` WHERE tenant_id = $1 AND id IN (SELECT id FROM `+t+` WHERE tenant_id = $1 LIMIT $2)`)
	}
	return qs
}()

// TenantPurgeDelete deletes the tenant row and, by cascade, what is left.
const TenantPurgeDelete = `DELETE FROM tenants WHERE id = $1 AND status = 'deleted'`

// TenantPurgeBatchSize is how many rows one batch deletes.
const TenantPurgeBatchSize = 2000
