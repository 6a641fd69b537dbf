package web_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/webhook"
)

// TestOpenAPIWebhooks checks the webhooks section lists exactly the
// deliverable event types, each a POST with the signature headers.
func TestOpenAPIWebhooks(t *testing.T) {
	raw, doc := loadDoc(t)
	t.Logf("document size: %d bytes", len(raw))
	_ = doc
	var spec struct {
		Webhooks map[string]struct {
			Post struct {
				Parameters []struct{ Name string } `json:"parameters"`
			} `json:"post"`
		} `json:"webhooks"`
	}
	require.NoError(t, json.Unmarshal(raw, &spec))
	require.Len(t, spec.Webhooks, len(webhook.EventTypes))
	for _, typ := range webhook.EventTypes {
		h, ok := spec.Webhooks[typ]
		require.True(t, ok, typ)
		var names []string
		for _, p := range h.Post.Parameters {
			names = append(names, p.Name)
		}
		require.ElementsMatch(t, []string{webhook.HeaderID, webhook.HeaderTimestamp, webhook.HeaderSignature}, names, typ)
	}
}
