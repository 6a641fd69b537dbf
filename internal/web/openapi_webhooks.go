package web

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/swaggest/jsonschema-go"
	"github.com/swaggest/openapi-go"
	"github.com/swaggest/openapi-go/openapi31"

	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/invoice"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/tenant"
	"github.com/ordo/ordo/internal/webhook"
)

// eventData are the Go types whose JSON is the data of each deliverable
// event: the emitting code marshals exactly these, so the document's
// payload schemas are generated from the code that builds the payloads.
// TestWebhookPayloadsMatchDocument checks real deliveries against them.
var eventData = map[string]any{
	event.OrderCreated:       order.View{},
	event.OrderUpdated:       order.View{},
	event.OrderStatusChanged: order.View{},
	event.OrderDeleted:       order.View{},
	event.AttachmentUploaded: attachment.UploadedEvent{},
	event.ExportCompleted:    export.ProgressEvent{},
	event.InvoiceGenerated:   invoice.GeneratedEvent{},
	event.MemberAdded:        tenant.MemberAddedEvent{},
	event.MemberRemoved:      tenant.MemberRemovedEvent{},
}

// reflectEventData adds the component schema of each event's data type,
// reflected as a response (a payload an integrator receives: every field
// without omitempty is required), and returns the $ref of each event
// type's data.
func reflectEventData(r *openapi31.Reflector) (map[string]string, error) {
	jr := r.JSONSchemaReflector()
	comps := r.SpecEns().ComponentsEns()
	collect := func(name string, s jsonschema.Schema) {
		if _, ok := comps.Schemas[name]; ok {
			return
		}
		sm, err := s.ToSchemaOrBool().ToSimpleMap()
		if err != nil {
			panic("event data schema " + name + ": " + err.Error())
		}
		comps.WithSchemasItem(name, sm)
	}
	refs := map[string]string{}
	for _, typ := range webhook.EventTypes {
		v, ok := eventData[typ]
		if !ok {
			return nil, fmt.Errorf("webhook event %s: no data type in eventData", typ)
		}
		oc, err := r.NewOperationContext("POST", typ)
		if err != nil {
			return nil, err
		}
		s, err := jr.Reflect(v, openapi.WithOperationCtx(oc, true, openapi.InBody), jsonschema.RootRef,
			jsonschema.DefinitionsPrefix("#/components/schemas/"), jsonschema.CollectDefinitions(collect))
		if err != nil {
			return nil, fmt.Errorf("webhook event %s: %w", typ, err)
		}
		if s.Ref == nil || !strings.HasPrefix(*s.Ref, "#/components/schemas/") {
			return nil, fmt.Errorf("webhook event %s: %s is not a named schema", typ, reflect.TypeOf(v))
		}
		refs[typ] = *s.Ref
	}
	return refs, nil
}

// addWebhooks adds the OpenAPI 3.1 top-level webhooks section: one POST per
// deliverable event type (webhook.EventTypes), whose body is the envelope
// webhook.Payload marshals, with the data schema of its type (dataRefs),
// and whose headers are the ones webhook.Headers sets.
func addWebhooks(doc map[string]any, dataRefs map[string]string) {
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
		"description": "The body of every webhook request, signed as Standard Webhooks. Each event type's own schema (`<Type>Event`) says what `data` holds.",
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
		name := eventSchemaName(t)
		schemas[name] = map[string]any{
			"description": "The body of the `" + t + "` webhook request.",
			"allOf": []any{
				map[string]any{"$ref": "#/components/schemas/WebhookEvent"},
				map[string]any{
					"type": "object",
					"properties": map[string]any{
						"type": map[string]any{"const": t},
						"data": map[string]any{"$ref": dataRefs[t]},
					},
				},
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
					"content":  map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/" + name}}},
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

// eventSchemaName is the component schema of an event type's whole body:
// order.status_changed → OrderStatusChangedEvent.
func eventSchemaName(t string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(t, func(r rune) bool { return r == '.' || r == '_' }) {
		b.WriteString(upperFirst(part))
	}
	return b.String() + "Event"
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
