package web_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
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

// webhookBodySchema is the schema the document gives the body of the
// webhook of event type typ.
func webhookBodySchema(t *testing.T, doc *openapi3.T, typ string) *openapi3.SchemaRef {
	t.Helper()
	hook, ok := doc.Webhooks[typ]
	require.True(t, ok, "no webhook %s in the document", typ)
	require.NotNil(t, hook.Post, typ)
	mt := hook.Post.RequestBody.Value.Content.Get("application/json")
	require.NotNil(t, mt, typ)
	return mt.Schema
}

// checkPayload validates v against s, and also refuses any object member
// s does not describe: the document lets clients expect new fields, but
// Ordo's own payloads must not carry one the document does not name yet.
func checkPayload(s *openapi3.SchemaRef, v any) error {
	if err := s.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()); err != nil {
		return err
	}
	if unknown := undocumented(s, v, "$"); len(unknown) > 0 {
		return fmt.Errorf("not in the document: %s", strings.Join(unknown, ", "))
	}
	return nil
}

// undocumented lists the members of objects in v that s (with its
// allOf/anyOf/oneOf branches) has no property for.
func undocumented(s *openapi3.SchemaRef, v any, at string) []string {
	if s == nil || s.Value == nil {
		return nil
	}
	branches := []*openapi3.SchemaRef{s}
	for _, group := range []openapi3.SchemaRefs{s.Value.AllOf, s.Value.AnyOf, s.Value.OneOf} {
		branches = append(branches, group...)
	}
	var out []string
	switch v := v.(type) {
	case map[string]any:
		props := map[string][]*openapi3.SchemaRef{}
		for _, b := range branches {
			for name, p := range b.Value.Properties {
				props[name] = append(props[name], p)
			}
			if b != s && len(b.Value.Properties) == 0 {
				out = append(out, undocumented(b, v, at)...) // a nested composition
			}
		}
		if len(props) == 0 {
			return out // a free-form object (metadata)
		}
		for name, x := range v {
			ps, ok := props[name]
			if !ok {
				out = append(out, at+"."+name)
				continue
			}
			for _, p := range ps {
				out = append(out, undocumented(p, x, at+"."+name)...)
			}
		}
	case []any:
		for _, b := range branches {
			if b.Value.Items != nil {
				for i, x := range v {
					out = append(out, undocumented(b.Value.Items, x, fmt.Sprintf("%s[%d]", at, i))...)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestWebhookPayloadsMatchDocument drives every deliverable event type
// through the API to a real receiver and validates each body it gets
// against the document's schema of its webhook: a field added, renamed
// or retyped in a payload without the document following fails here.
func TestWebhookPayloadsMatchDocument(t *testing.T) {
	t.Parallel()
	_, doc := loadDoc(t)
	forEachBackend(t, func(t *testing.T, a *app) {
		rcv := newReceiver(t)
		owner, _, _ := a.signup(t, uniqueEmail("payload"))
		// No event_types: subscribed to all of them.
		owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": rcv.srv.URL}).must(t, 201)

		id := owner.do("POST", "/api/v1/orders", orderBody("Payload P")).must(t, 201).str("id")
		owner.do("PATCH", "/api/v1/orders/"+id, map[string]any{"notes": "leave at the door"}).must(t, 200)
		owner.do("POST", "/api/v1/orders/"+id+"/transitions", map[string]any{"to": "processing"}).must(t, 200)
		owner.do("POST", "/api/v1/orders/"+id+"/invoice", nil).must(t, 202)
		waitInvoice(t, owner, id)

		content := []byte("%PDF-1.4 delivery note")
		r := owner.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "note.pdf", "content_type": "application/pdf", "size": len(content), "order_id": id}).must(t, 201)
		require.Equal(t, 200, upload(t, r.body["upload"].(map[string]any), content, nil))
		owner.do("POST", "/api/v1/attachments/"+r.str("attachment", "id")+"/complete", nil).must(t, 200)

		exp := owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "csv"}).must(t, 202)
		require.Equal(t, "completed", waitExport(t, owner, exp.str("id")).str("status"))

		guest := uniqueEmail("payload-guest")
		owner.do("POST", "/api/v1/invitations", map[string]any{"email": guest, "role": "member"}).must(t, 201)
		me := a.browser().do("POST", "/api/v1/invitations/accept", map[string]any{"token": a.outbox.token(t, guest, "invited"), "password": password}).must(t, 200)
		owner.do("DELETE", "/api/v1/members/"+me.str("principal", "id"), nil).must(t, 204)

		gone := owner.do("POST", "/api/v1/orders", orderBody("Payload Q")).must(t, 201).str("id")
		owner.do("DELETE", "/api/v1/orders/"+gone, nil).must(t, 204)

		seen := map[string]int{}
		require.Eventually(t, func() bool {
			clear(seen)
			for _, h := range rcv.got() {
				var env struct{ Type string }
				if json.Unmarshal(h.body, &env) == nil {
					seen[env.Type]++
				}
			}
			for _, typ := range webhook.EventTypes {
				if seen[typ] == 0 {
					return false
				}
			}
			return true
		}, 30*time.Second, 50*time.Millisecond, "every event type delivered (seen %v)", seen)

		for _, h := range rcv.got() {
			var body map[string]any
			require.NoError(t, json.Unmarshal(h.body, &body))
			typ, _ := body["type"].(string)
			require.True(t, webhook.Deliverable(typ), "delivered a %q event", typ)
			require.NoError(t, checkPayload(webhookBodySchema(t, doc, typ), body), "%s: %s", typ, h.body)
		}
	})
}

// TestCheckPayloadFails proves the check above can fail: a payload with
// a field the document does not name, one without a required field and
// one of the wrong type for its event are refused.
func TestCheckPayloadFails(t *testing.T) {
	t.Parallel()
	_, doc := loadDoc(t)
	s := webhookBodySchema(t, doc, "member.removed")
	ok := map[string]any{"type": "member.removed", "timestamp": "2026-01-02T03:04:05Z",
		"data": map[string]any{"user_id": "0192f5c4-8e1a-7c3b-9d2e-4f5a6b7c8d9e", "role": "member"}}
	require.NoError(t, checkPayload(s, ok))
	for name, change := range map[string]func(m map[string]any){
		"an added field":    func(m map[string]any) { m["data"].(map[string]any)["nickname"] = "x" },
		"an added envelope": func(m map[string]any) { m["id"] = "x" },
		"a renamed field": func(m map[string]any) {
			d := m["data"].(map[string]any)
			d["userId"] = d["user_id"]
			delete(d, "user_id")
		},
		"another type":    func(m map[string]any) { m["type"] = "member.added" },
		"a retyped field": func(m map[string]any) { m["data"].(map[string]any)["role"] = 3 },
	} {
		var m map[string]any
		b, _ := json.Marshal(ok)
		require.NoError(t, json.Unmarshal(b, &m))
		change(m)
		require.Error(t, checkPayload(s, m), name)
	}
}
