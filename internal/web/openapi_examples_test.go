package web_test

import (
	"fmt"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"
)

// TestOpenAPIExamples validates every example in the document against
// its schema, refusing members the schema does not name, so that an
// example cannot drift from the types; and checks the main resources,
// request bodies and webhook events have one.
func TestOpenAPIExamples(t *testing.T) {
	t.Parallel()
	_, doc := loadDoc(t)
	seen := map[*openapi3.Schema]bool{}
	var visit func(s *openapi3.SchemaRef, at string)
	visit = func(s *openapi3.SchemaRef, at string) {
		if s == nil || s.Value == nil || seen[s.Value] {
			return
		}
		seen[s.Value] = true
		examples := s.Value.Examples
		if s.Value.Example != nil {
			examples = append(examples, s.Value.Example)
		}
		for i, ex := range examples {
			require.NoError(t, checkPayload(s, ex), "example %d of %s", i, at)
		}
		for name, p := range s.Value.Properties {
			visit(p, at+"."+name)
		}
		visit(s.Value.Items, at+"[]")
		if ap := s.Value.AdditionalProperties.Schema; ap != nil {
			visit(ap, at+".*")
		}
		for _, group := range []openapi3.SchemaRefs{s.Value.AllOf, s.Value.AnyOf, s.Value.OneOf} {
			for i, b := range group {
				visit(b, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	for name, s := range doc.Components.Schemas {
		visit(s, name)
	}
	for name, p := range doc.Components.Parameters {
		visit(p.Value.Schema, "parameter "+name)
	}

	for _, name := range []string{"Order", "OrderCreateRequest", "OrderUpdateRequest", "Problem", "Export", "Attachment",
		"WebhookEndpoint", "Member", "Invitation", "APIKey", "Tenant", "WebhookEvent"} {
		require.NotEmpty(t, doc.Components.Schemas[name].Value.Examples, "%s has an example", name)
	}
	for typ := range doc.Webhooks {
		require.NotEmpty(t, webhookBodySchema(t, doc, typ).Value.Examples, "the %s event has an example", typ)
	}
}
