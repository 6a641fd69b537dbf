package web

import (
	"github.com/ordo/ordo/internal/webhook"
)

// addWebhooks adds the OpenAPI 3.1 top-level webhooks section: one POST per
// deliverable event type (webhook.EventTypes), whose body is the envelope
// webhook.Payload marshals and whose headers are the ones webhook.Headers
// sets. The event data is described as an object; per-type data schemas
// are not yet in the document.
func addWebhooks(doc map[string]any) {
	comps := doc["components"].(map[string]any)
	schemas := comps["schemas"].(map[string]any)
	types := make([]any, len(webhook.EventTypes))
	for i, t := range webhook.EventTypes {
		types[i] = t
	}
	schemas["WebhookEventType"] = map[string]any{
		"type": "string", "enum": types,
		"description": "A deliverable event type.",
	}
	schemas["WebhookEvent"] = map[string]any{
		"type":        "object",
		"description": "The body of every webhook request, signed as Standard Webhooks.",
		"required":    []any{"type", "timestamp", "data"},
		"properties": map[string]any{
			"type":      map[string]any{"$ref": "#/components/schemas/WebhookEventType"},
			"timestamp": map[string]any{"type": "string", "format": "date-time", "description": "When the event happened (UTC, RFC 3339), not when it is delivered."},
			"data":      map[string]any{"type": "object", "description": "The event-specific object."},
		},
	}
	header := func(name, desc string) map[string]any {
		return map[string]any{"name": name, "in": "header", "required": true, "description": desc, "schema": map[string]any{"type": "string"}}
	}
	params := []any{
		header(webhook.HeaderID, "The message id: the same on every attempt of one delivery, so receivers can deduplicate."),
		header(webhook.HeaderTimestamp, "Unix seconds of this attempt; signed."),
		header(webhook.HeaderSignature, "Space-separated `v1,<base64 HMAC-SHA256>` signatures of `id.timestamp.body`, one per active secret."),
	}
	hooks := map[string]any{}
	for _, t := range webhook.EventTypes {
		body := map[string]any{
			"allOf": []any{
				map[string]any{"$ref": "#/components/schemas/WebhookEvent"},
				map[string]any{"properties": map[string]any{"type": map[string]any{"const": t}}},
			},
		}
		hooks[t] = map[string]any{
			"post": map[string]any{
				"operationId": "webhook_" + opSafe(t),
				"summary":     "The " + t + " event",
				"description": "Ordo POSTs this to every enabled endpoint subscribed to `" + t + "`. A non-2xx answer, or none, is retried with backoff.",
				"tags":        []any{"webhooks"},
				"parameters":  params,
				"requestBody": map[string]any{
					"required": true,
					"content":  map[string]any{"application/json": map[string]any{"schema": body}},
				},
				"responses": map[string]any{
					"2XX":     map[string]any{"description": "Accepted: the delivery is done."},
					"default": map[string]any{"description": "Any other status, or no answer in time: the delivery is retried."},
				},
			},
		}
	}
	doc["webhooks"] = hooks
}

func opSafe(t string) string {
	out := []byte(t)
	for i, c := range out {
		if c == '.' {
			out[i] = '_'
		}
	}
	return string(out)
}
