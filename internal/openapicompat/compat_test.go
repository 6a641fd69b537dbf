package openapicompat_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/openapicompat"
)

// base is a small document in the shapes Ordo's has: a component
// schema, a nullable $ref, a request body and a parameter.
const base = `{
  "openapi": "3.1.0",
  "paths": {
    "/orders": {
      "get": {"parameters": [{"name": "status", "in": "query", "schema": {"$ref": "#/components/schemas/Status"}}],
        "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}}, "404": {"description": "x"}}},
      "post": {"requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OrderCreate"}}}},
        "responses": {"201": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}}}}
    }
  },
  "webhooks": {"order.created": {"post": {"responses": {"2XX": {"description": "ok"}}}}},
  "components": {"schemas": {
    "Status": {"type": "string", "enum": ["pending", "shipped"]},
    "Address": {"type": "object", "properties": {"city": {"type": "string"}}},
    "Order": {"type": "object", "required": ["id", "total", "status"], "properties": {
      "id": {"type": "string", "format": "uuid"},
      "total": {"type": "integer", "format": "int64"},
      "status": {"$ref": "#/components/schemas/Status"},
      "address": {"anyOf": [{"type": "null"}, {"$ref": "#/components/schemas/Address"}]},
      "items": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}}}},
    "OrderCreate": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "notes": {"type": "string"}}}
  }}
}`

// changed returns base with edit applied to its decoded form.
func changed(t *testing.T, edit func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(base), &doc))
	edit(doc)
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return b
}

func m(v any, path ...string) map[string]any {
	cur := v.(map[string]any)
	for _, p := range path {
		cur = cur[p].(map[string]any)
	}
	return cur
}

func TestBreaking(t *testing.T) {
	t.Parallel()
	schemas := func(d map[string]any) map[string]any { return m(d, "components", "schemas") }
	for _, tc := range []struct {
		name string
		edit func(d map[string]any)
		want []string // empty: not breaking
	}{
		{"unchanged", func(map[string]any) {}, nil},
		{"response property removed", func(d map[string]any) { delete(m(schemas(d), "Order", "properties"), "total") }, []string{
			"GET /orders 200 application/json: property total removed",
			"POST /orders 201 application/json: property total removed",
		}},
		{"nested response property removed", func(d map[string]any) { delete(m(schemas(d), "Address", "properties"), "city") }, []string{
			"GET /orders 200 application/json.address: property city removed",
			"POST /orders 201 application/json.address: property city removed",
		}},
		{"array item property removed", func(d map[string]any) {
			delete(m(schemas(d), "Order", "properties", "items", "items", "properties"), "sku")
		}, []string{
			"GET /orders 200 application/json.items[]: property sku removed",
			"POST /orders 201 application/json.items[]: property sku removed",
		}},
		{"response type changed", func(d map[string]any) { m(schemas(d), "Order", "properties", "total")["type"] = "string" }, []string{
			"GET /orders 200 application/json.total: type integer became string",
			"POST /orders 201 application/json.total: type integer became string",
		}},
		{"response field optional", func(d map[string]any) { m(schemas(d), "Order")["required"] = []any{"id", "status"} }, []string{
			"GET /orders 200 application/json: property total no longer always present",
			"POST /orders 201 application/json: property total no longer always present",
		}},
		{"enum value removed", func(d map[string]any) { m(schemas(d), "Status")["enum"] = []any{"pending"} }, []string{
			"GET /orders 200 application/json.status: enum value \"shipped\" removed",
			"GET /orders parameter query status: enum value \"shipped\" removed",
			"POST /orders 201 application/json.status: enum value \"shipped\" removed",
		}},
		{"required request field added", func(d map[string]any) { m(schemas(d), "OrderCreate")["required"] = []any{"name", "notes"} }, []string{
			"POST /orders request application/json: required property notes added",
		}},
		{"operation removed", func(d map[string]any) { delete(m(d, "paths", "/orders"), "post") }, []string{"POST /orders: removed"}},
		{"webhook removed", func(d map[string]any) { delete(m(d, "webhooks"), "order.created") }, []string{"POST order.created: removed"}},
		{"response status removed", func(d map[string]any) { delete(m(d, "paths", "/orders", "get", "responses"), "404") }, []string{
			"GET /orders: response 404 removed",
		}},
		{"additions", func(d map[string]any) {
			m(schemas(d), "Order", "properties")["currency"] = map[string]any{"type": "string"}
			m(schemas(d), "OrderCreate", "properties")["currency"] = map[string]any{"type": "string"}
			m(schemas(d), "Status")["enum"] = []any{"pending", "shipped", "lost"}
			m(d, "paths")["/exports"] = map[string]any{"get": map[string]any{"responses": map[string]any{}}}
			m(d, "paths", "/orders", "get", "responses")["429"] = map[string]any{"description": "slow down"}
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := openapicompat.Breaking([]byte(base), changed(t, tc.edit))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
