package web

import (
	"encoding/json"
	"fmt"

	"github.com/ordo/ordo/internal/webhook"
)

// schemaExamples are the examples of the main component schemas, as an
// integrator would see them on the wire. TestOpenAPIExamples validates
// every example of the document against its schema, so that one cannot
// drift from the types.
var schemaExamples = map[string]string{
	"Order": `{"id": "0192f5c4-8e1a-7c3b-9d2e-4f5a6b7c8d9e", "number": "ORD-000042", "status": "processing",
		"customer_name": "Ada Lovelace", "customer_email": "ada@example.com", "customer_phone": "+44 20 7946 0958",
		"shipping_address": {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"},
		"billing_address": null, "currency": "EUR", "subtotal": 4000, "tax": 760, "discount": 500, "total": 4260,
		"notes": "Leave at the door", "external_ref": "ERP-1001", "metadata": {"channel": "web"},
		"items": [{"id": "0192f5c4-8e1b-7000-8000-0000000000a1", "sku": "BK-001", "name": "Notebook", "description": "A5, dotted",
			"quantity": 2, "unit_price": 2000, "tax_rate_bp": 1900, "total": 4760, "metadata": {}}],
		"version": 3, "created_at": "2026-03-01T09:30:00Z", "updated_at": "2026-03-01T10:02:11Z"}`,
	"OrderCreateRequest": `{"customer_name": "Ada Lovelace", "customer_email": "ada@example.com", "currency": "EUR", "discount": 500,
		"external_ref": "ERP-1001", "shipping_address": {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"},
		"items": [{"sku": "BK-001", "name": "Notebook", "quantity": 2, "unit_price": 2000, "tax_rate_bp": 1900}]}`,
	"OrderUpdateRequest": `{"notes": "Leave at the door", "discount": 0}`,
	"TransitionRequest":  `{"to": "shipped"}`,
	"Problem": `{"type": "https://ordo.dev/problems/validation", "title": "Validation failed", "status": 422,
		"detail": "The request is not valid.", "errors": [{"field": "customer_email", "message": "must be an e-mail address"}],
		"request_id": "01JNZ3Q8W4TB6Y1F2XK9M3HV7C"}`,
	"Export": `{"id": "0192f5c4-9a00-7c3b-9d2e-4f5a6b7c8d9e", "format": "csv", "status": "completed", "progress": {"done": 42, "total": 42},
		"order_count": 42, "row_count": 97, "size": 18234, "error": "", "download_url": "https://ordo.example.com/files/exports/0192f5c4.csv?sig=…",
		"created_at": "2026-03-01T09:30:00Z", "completed_at": "2026-03-01T09:30:04Z", "expires_at": "2026-03-08T09:30:04Z"}`,
	"CreateExportRequest": `{"format": "xlsx", "status": "shipped", "created_after": "2026-01-01T00:00:00Z"}`,
	"Attachment": `{"id": "0192f5c4-9b00-7c3b-9d2e-4f5a6b7c8d9e", "order_id": "0192f5c4-8e1a-7c3b-9d2e-4f5a6b7c8d9e", "filename": "delivery-note.pdf",
		"content_type": "application/pdf", "size": 48213, "status": "uploaded", "download_url": "https://ordo.example.com/files/att/0192f5c4?sig=…",
		"created_at": "2026-03-01T09:31:00Z"}`,
	"PresignUploadRequest": `{"filename": "delivery-note.pdf", "content_type": "application/pdf", "size": 48213, "order_id": "0192f5c4-8e1a-7c3b-9d2e-4f5a6b7c8d9e"}`,
	"WebhookEndpoint": `{"id": "0192f5c4-9c00-7c3b-9d2e-4f5a6b7c8d9e", "url": "https://erp.example.com/hooks/ordo", "description": "ERP",
		"event_types": ["order.created", "order.status_changed"], "enabled": true, "failing_since": null,
		"created_at": "2026-03-01T09:00:00Z", "updated_at": "2026-03-01T09:00:00Z"}`,
	"CreateWebhookEndpointRequest": `{"url": "https://erp.example.com/hooks/ordo", "description": "ERP", "event_types": ["order.created", "order.status_changed"]}`,
	"Member": `{"user": {"id": "0192f5c4-9d00-7c3b-9d2e-4f5a6b7c8d9e", "email": "grace@example.com", "name": "Grace Hopper",
		"email_verified_at": "2026-02-01T08:00:00Z", "created_at": "2026-02-01T07:59:00Z"}, "role": "admin", "joined_at": "2026-02-01T08:00:00Z", "etag": "\"1738396800000000\""}`,
	"Invitation": `{"id": "0192f5c4-9e00-7c3b-9d2e-4f5a6b7c8d9e", "email": "grace@example.com", "role": "member", "status": "pending",
		"expires_at": "2026-03-08T09:00:00Z", "created_at": "2026-03-01T09:00:00Z"}`,
	"InviteRequest": `{"email": "grace@example.com", "role": "member"}`,
	"APIKey": `{"id": "0192f5c4-9f00-7c3b-9d2e-4f5a6b7c8d9e", "name": "ERP sync", "prefix": "ab12cd34", "role": "member",
		"last_used_at": "2026-03-01T10:00:00Z", "expires_at": null, "revoked_at": null, "created_at": "2026-02-01T08:00:00Z",
		"created_by": {"id": "0192f5c4-9d00-7c3b-9d2e-4f5a6b7c8d9e", "name": "Grace Hopper", "email": "grace@example.com", "member": true}}`,
	"APIKeyCreateRequest": `{"name": "ERP sync", "role": "member", "expires_at": "2027-01-01T00:00:00Z"}`,
	"Tenant": `{"id": "0192f5c4-a000-7c3b-9d2e-4f5a6b7c8d9e", "name": "Müller & Söhne", "slug": "mueller-soehne", "plan": "pro", "require_two_factor": false,
		"role": "owner", "default_tax_rate_bp": 1900, "status": "active", "created_at": "2026-01-15T12:00:00Z"}`,
	// The data of webhook events; each event's body example is built
	// from its data's (addExamples).
	"AttachmentUploadedEventData": `{"id": "0192f5c4-9b00-7c3b-9d2e-4f5a6b7c8d9e", "order_id": "0192f5c4-8e1a-7c3b-9d2e-4f5a6b7c8d9e",
		"filename": "delivery-note.pdf", "content_type": "application/pdf", "size": 48213}`,
	"ExportEventData": `{"id": "0192f5c4-9a00-7c3b-9d2e-4f5a6b7c8d9e", "status": "completed", "progress": {"done": 42, "total": 42},
		"order_count": 42, "row_count": 97, "size": 18234, "error": ""}`,
	"InvoiceGeneratedEventData": `{"order_id": "0192f5c4-8e1a-7c3b-9d2e-4f5a6b7c8d9e", "number": "INV-000007", "status": "ready",
		"size": 31877, "generated_at": "2026-03-01T10:02:12Z"}`,
	"MemberAddedEventData":   `{"user_id": "0192f5c4-9d00-7c3b-9d2e-4f5a6b7c8d9e", "email": "grace@example.com", "role": "member"}`,
	"MemberRemovedEventData": `{"user_id": "0192f5c4-9d00-7c3b-9d2e-4f5a6b7c8d9e", "role": "member"}`,
}

// addExamples sets the examples of schemaExamples, and gives each
// webhook event's body schema an example made of its data's. It runs
// after dedupeSchemas: an example must not keep identical shapes apart.
func addExamples(doc map[string]any, dataRefs map[string]string) error {
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	parsed := map[string]any{}
	for name, raw := range schemaExamples {
		s, ok := schemas[name].(map[string]any)
		if !ok {
			return fmt.Errorf("schemaExamples: no schema %s", name)
		}
		var v any
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return fmt.Errorf("schemaExamples: %s: %w", name, err)
		}
		s["examples"] = []any{v}
		parsed["#/components/schemas/"+name] = v
	}
	for _, t := range webhook.EventTypes {
		data, ok := parsed[dataRefs[t]]
		if !ok {
			return fmt.Errorf("schemaExamples: no example of %s, the data of %s", dataRefs[t], t)
		}
		ex := map[string]any{"type": t, "timestamp": "2026-03-01T10:02:11Z", "data": data}
		schemas[eventSchemaName(t)].(map[string]any)["examples"] = []any{ex}
		if t == webhook.EventTypes[0] {
			schemas["WebhookEvent"].(map[string]any)["examples"] = []any{ex}
		}
	}
	return nil
}
