package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
)

// The order page's timeline and audit trail, and the audit log, name
// people and say what they did in words: no actor UUIDs, no action codes.
func TestUIAuditHumanized(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			ownerEmail := uniqueEmail("aud")
			owner, ownerID, _ := a.signup(t, ownerEmail)
			ownerName := "N " + ownerEmail
			member, memberID := a.joinAs(t, owner, access.RoleMember)

			created := owner.do("POST", "/api/v1/orders", map[string]any{"customer_name": "Ada", "customer_email": "ada@example.com", "currency": "EUR",
				"notes": "first", "items": []map[string]any{{"name": "Widget", "quantity": 2, "unit_price": 1000}}}).must(t, 201)
			id := created.str("id")
			owner.do("PATCH", "/api/v1/orders/"+id, map[string]any{"notes": "second"}).must(t, 200)
			member.do("POST", "/api/v1/orders/"+id+"/transitions", map[string]any{"to": "processing"}).must(t, 200)
			memberName := member.do("GET", "/api/v1/me", nil).must(t, 200).str("principal", "email")

			p := owner.get(t, "/app/orders/"+id)
			require.Equal(t, 200, p.status)
			tl := p.body[strings.Index(p.body, `class="timeline"`):]
			tl = tl[:strings.Index(tl, "</ol>")]
			first, second := strings.Index(tl, ownerName+" created the order"), strings.Index(tl, memberName+" changed the status from Pending to Processing")
			require.True(t, first >= 0 && second > first, "timeline in order with names: %s", tl)
			require.Contains(t, p.body, "Changed status from Pending to Processing")
			require.Contains(t, p.body, "Audit trail")
			require.Contains(t, p.body, "<del>first</del> → <ins>second</ins>", "the update shows old → new")
			require.NotContains(t, p.body, ownerID, "no actor UUID")
			require.NotContains(t, p.body, memberID, "no actor UUID")
			require.NotContains(t, p.body, ">order.status_changed<")

			// A member may not read the audit log: the timeline still names people.
			mp := member.get(t, "/app/orders/"+id)
			require.Contains(t, mp.body, memberName+" changed the status from Pending to Processing")
			require.NotContains(t, mp.body, "Audit trail")

			log := owner.get(t, "/app/audit")
			require.Equal(t, 200, log.status)
			require.Contains(t, log.body, "Changed status from Pending to Processing")
			require.Contains(t, log.body, `<a href="/app/orders/`+id+`">Order ORD-000001</a>`)
			require.Contains(t, log.body, "Invited "+memberName)
			require.Contains(t, log.body, ">"+memberName+"</td>")
			require.Equal(t, strings.Count(log.body, memberID), strings.Count(log.body, `value="`+memberID+`"`), "the actor's UUID only as the filter's value")

			// Filters: by action and by actor, kept on the page.
			f := owner.get(t, "/app/audit?"+url.Values{"action": {"order.status_changed"}, "actor": {memberID}}.Encode())
			require.Contains(t, f.body, "Changed status from Pending to Processing")
			require.NotContains(t, f.body, "<td class=\"wrap\" data-label=\"What\">Created the order")
			require.Contains(t, f.body, `value="order.status_changed" selected`)
			require.Contains(t, owner.get(t, "/app/audit?action=order.deleted").body, "No entries match these filters.")

			// German labels.
			de := owner.getLang(t, "/app/orders/"+id, "de")
			require.Contains(t, de.body, "Hat den Status von Offen auf In Bearbeitung geändert")

			// Another tenant sees neither the order nor its entries.
			other, _, _ := a.signup(t, uniqueEmail("aud-other"))
			require.Equal(t, 404, other.get(t, "/app/orders/"+id).status)
			ol := other.get(t, "/app/audit")
			require.NotContains(t, ol.body, id)
			require.NotContains(t, ol.body, memberName)
			require.NotContains(t, ol.body, ownerName)
		})
	}
}
