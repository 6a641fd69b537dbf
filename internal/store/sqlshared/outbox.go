package sqlshared

// Queries of events and idempotency keys, the same on both engines.
const (
	// EventInsert writes an event (pgstore's EventInsertForWebhooks too, in a WITH).
	EventInsert = `INSERT INTO events (id, tenant_id, type, entity_id, data, created_at) VALUES ($1, $2, $3, $4, $5, $6)`

	EventListAfter = `SELECT id, tenant_id, type, entity_id, data, created_at FROM events
		WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3`

	EventColumns = `id, tenant_id, type, entity_id, data, created_at`

	EventGet = `SELECT ` + EventColumns + ` FROM events WHERE tenant_id = $1 AND id = $2`

	IdempotencyColumns = `tenant_id, key, request_hash, state, response_status, response_headers, response_body, locked_at, created_at`

	IdempotencyGet = `SELECT ` + IdempotencyColumns + ` FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`

	IdempotencyRelease = `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`
)
