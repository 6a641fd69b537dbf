package sqlshared

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
)

// Queries of webhook endpoints, deliveries and attempts, the same on both engines.
const (
	WebhookEndpointColumns = `id, tenant_id, url, description, event_types, enabled, secret, previous_secret, previous_secret_expires_at,
		disabled_reason, failing_since, created_at, updated_at`

	WebhookEndpointCreate = `INSERT INTO webhook_endpoints (` + WebhookEndpointColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`

	WebhookEndpointGet = `SELECT ` + WebhookEndpointColumns + ` FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`

	// WebhookEndpointList is followed by " AND enabled" if asked, and the order.
	WebhookEndpointList = `SELECT ` + WebhookEndpointColumns + ` FROM webhook_endpoints WHERE tenant_id = $1`

	WebhookEndpointUpdate = `UPDATE webhook_endpoints SET url = $3, description = $4, event_types = $5, enabled = $6, secret = $7, previous_secret = $8,
		previous_secret_expires_at = $9, disabled_reason = $10, failing_since = $11, updated_at = $12
		WHERE tenant_id = $1 AND id = $2`

	WebhookEndpointDelete = `DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`

	WebhookDeliveryColumns = `id, tenant_id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, last_status_code,
		last_error, last_response_body, created_at, updated_at, delivered_at`

	WebhookDeliveryCreate = `INSERT INTO webhook_deliveries (` + WebhookDeliveryColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`

	WebhookDeliveryGet = `SELECT ` + WebhookDeliveryColumns + ` FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2`

	WebhookDeliveryUpdate = `UPDATE webhook_deliveries SET status = $3, attempts = $4, next_attempt_at = $5, last_status_code = $6, last_error = $7,
		last_response_body = $8, updated_at = $9, delivered_at = $10
		WHERE tenant_id = $1 AND id = $2`

	// WebhookDeliveryListWhere is followed by the filter's conditions, the order and the limit.
	WebhookDeliveryListWhere = `SELECT ` + WebhookDeliveryColumns + ` FROM webhook_deliveries WHERE `

	// WebhookDeliveryFailing is the condition of WebhookDeliveryListFailing, the
	// same as the partial index webhook_deliveries_failing_idx's.
	WebhookDeliveryFailing = `(status = 'failed' OR (status = 'pending' AND attempts > 0))`

	WebhookDeliveryListFailing = `SELECT ` + WebhookDeliveryColumns + ` FROM webhook_deliveries WHERE tenant_id = $1 AND ` + WebhookDeliveryFailing + `
		ORDER BY updated_at DESC, id DESC LIMIT $2`

	WebhookAttemptColumns = `id, tenant_id, delivery_id, number, status_code, latency_ms, response, error, created_at`

	WebhookAttemptInsert = `INSERT INTO webhook_attempts (` + WebhookAttemptColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

	// WebhookOwners: a tenant's name and its owners' e-mail addresses
	// (one row with a NULL address when it has no owner).
	WebhookOwners = `SELECT t.name, u.email FROM tenants t
	LEFT JOIN memberships m ON m.tenant_id = t.id AND m.role = 'owner'
	LEFT JOIN users u ON u.id = m.user_id
	WHERE t.id = $1 ORDER BY u.email`
)

// Rows is what both engines' query results offer (pgx.Rows, *sql.Rows).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanWebhookOwners reads WebhookOwners' rows: the tenant's name and its
// owners' addresses; no row at all means no such tenant.
func ScanWebhookOwners(rows Rows, tenantID uuid.UUID) (string, []string, error) {
	var (
		name   string
		emails []string
		found  bool
	)
	for rows.Next() {
		var email *string
		if err := rows.Scan(&name, &email); err != nil {
			return "", nil, fmt.Errorf("WebhookOwners: %w", err)
		}
		found = true
		if email != nil {
			emails = append(emails, *email)
		}
	}
	if err := rows.Err(); err != nil {
		return "", nil, fmt.Errorf("WebhookOwners: %w", err)
	}
	if !found {
		return "", nil, fmt.Errorf("WebhookOwners(%s): %w", tenantID, apperr.NotFound("tenant"))
	}
	return name, emails, nil
}
