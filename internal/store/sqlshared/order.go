package sqlshared

// Queries of orders, their items and status history, the same on both engines.
const (
	OrderColumns = `id, tenant_id, number, status, customer_name, customer_email, customer_phone, shipping_address, billing_address,
		currency, subtotal, tax, discount, total, notes, external_ref, metadata, created_by, version, COALESCE(idempotency_key, ''), created_at, updated_at`

	OrderNextNumber = `UPDATE tenants SET order_seq = order_seq + 1 WHERE id = $1 RETURNING order_seq`

	OrderCreate = `INSERT INTO orders (id, tenant_id, number, status, customer_name, customer_email, customer_phone, shipping_address, billing_address,
		currency, subtotal, tax, discount, total, notes, external_ref, metadata, created_by, version, idempotency_key, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 1, $19, $20, $21)`

	OrderGet = `SELECT ` + OrderColumns + ` FROM orders WHERE tenant_id = $1 AND id = $2`

	OrderGetByIdempotencyKey = `SELECT id FROM orders WHERE tenant_id = $1 AND idempotency_key = $2`

	OrderUpdate = `UPDATE orders SET status = $3, customer_name = $4, customer_email = $5, customer_phone = $6, shipping_address = $7,
		billing_address = $8, currency = $9, subtotal = $10, tax = $11, discount = $12, total = $13, notes = $14,
		external_ref = $15, metadata = $16, version = $17, updated_at = $18
		WHERE tenant_id = $1 AND id = $2 AND version = $17 - 1`

	OrderItemsDelete = `DELETE FROM order_items WHERE tenant_id = $1 AND order_id = $2`

	OrderExists = `SELECT 1 FROM orders WHERE tenant_id = $1 AND id = $2`

	OrderDelete = `DELETE FROM orders WHERE tenant_id = $1 AND id = $2
		AND NOT EXISTS (SELECT 1 FROM invoices WHERE tenant_id = $1 AND order_id = $2)`

	OrderInvoiced = `SELECT EXISTS (SELECT 1 FROM invoices WHERE tenant_id = $1 AND order_id = $2)`

	// OrderListWhere and OrderCountWhere are followed by sqlshared.OrderWhere's
	// conditions (and OrderList's ORDER BY and LIMIT).
	OrderListWhere = `SELECT ` + OrderColumns + ` FROM orders WHERE `

	OrderCountWhere = `SELECT count(*) FROM orders WHERE `

	OrderStatusChangeInsert = `INSERT INTO order_status_history (id, tenant_id, order_id, from_status, to_status, actor_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`

	// OrderStatusHistory is completed by PageQuery: oldest first.
	OrderStatusHistory = `SELECT id, tenant_id, order_id, from_status, to_status, actor_id, created_at FROM order_status_history
		WHERE tenant_id = $1 AND order_id = $2`

	// OrderScanColumns are the order's columns but the JSON ones, for OrderScan.
	OrderScanColumns = `id, tenant_id, number, status, customer_name, customer_email, customer_phone,
		currency, subtotal, tax, discount, total, notes, external_ref, created_by, version, COALESCE(idempotency_key, ''), created_at, updated_at`
)
