package web_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
)

var (
	secretRE    = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`)
	endpointRE  = regexp.MustCompile(`/app/webhooks/([0-9a-f-]{36})`)
	replayRE    = regexp.MustCompile(`/app/webhooks/[0-9a-f-]{36}/deliveries/([0-9a-f-]{36})/replay`)
	succeededRE = regexp.MustCompile(`badge delivery-succeeded`)
)

// The webhook pages, as a browser without JavaScript uses them: create an
// endpoint and see its secret once, send a test event and see its
// attempts, replay it, edit, rotate and delete; members and other
// tenants are kept out.
func TestUIWebhooks(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			rcv := newReceiver(t, 500) // the first attempt fails, the retry succeeds
			owner, _, _ := a.signup(t, uniqueEmail("uiwh"))

			p := owner.get(t, "/app/webhooks")
			require.Equal(t, 200, p.status)
			require.Contains(t, p.body, "No endpoints yet")
			require.Contains(t, p.body, `<a href="/app/webhooks" aria-current="page">`, "owners get the nav link, marked as the current page")

			// A bad URL is an inline error; what was typed stays.
			p = owner.post(t, "/app/webhooks", url.Values{"url": {"ftp://example.com/x"}, "description": {"kept"}})
			require.Equal(t, 422, p.status)
			require.Contains(t, p.body, `id="e-url"`)
			require.Contains(t, p.body, `value="kept"`)

			// Created: the secret is shown once, the description escaped.
			hook := rcv.srv.URL + "/hook"
			p = owner.post(t, "/app/webhooks", url.Values{"url": {hook}, "description": {`<script>alert("x")</script>`},
				"event_types": {"order.created", "invoice.generated"}})
			require.Equal(t, 201, p.status, p.body)
			secret := secretRE.FindString(html.UnescapeString(p.body))
			require.NotEmpty(t, secret)
			require.Contains(t, p.body, "Copy it now, it will not be shown again")
			require.Contains(t, p.body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
			require.NotContains(t, p.body, `<script>alert`)
			id := endpointRE.FindStringSubmatch(p.body)[1]

			list := owner.get(t, "/app/webhooks")
			require.Contains(t, list.body, hook)
			require.Contains(t, list.body, "<code>order.created</code>, <code>invoice.generated</code>")
			require.NotContains(t, html.UnescapeString(list.body), secret, "the list never shows the secret")
			require.NotContains(t, list.body, "whsec_")
			require.NotContains(t, owner.get(t, "/app/webhooks/"+id).body, "whsec_", "nor does the endpoint's page")

			// Send a test event: it fails once, is retried, and succeeds;
			// the log shows both attempts.
			p = owner.post(t, "/app/webhooks/"+id+"/test", nil)
			require.Equal(t, "/app/webhooks/"+id, p.url)
			require.Contains(t, p.body, "Test event queued")
			require.Eventually(t, func() bool {
				return succeededRE.MatchString(owner.get(t, "/app/webhooks/"+id).body)
			}, 20*time.Second, 50*time.Millisecond)
			p = owner.get(t, "/app/webhooks/"+id)
			require.Contains(t, p.body, "<code>webhook.test</code>")
			require.Contains(t, p.body, "2 attempts")
			require.Contains(t, p.body, "HTTP 500")
			require.Contains(t, p.body, `{&#34;ok&#34;:true}`, "the response snippet")
			hits := rcv.got()
			require.Len(t, hits, 2)
			require.True(t, verify(secret, hits[1], time.Now()))
			require.Contains(t, p.body, hits[0].header.Get("webhook-id"), "the log shows the webhook-id")

			// Filters.
			require.Contains(t, owner.get(t, "/app/webhooks/"+id+"?status=failed").body, "No deliveries match")
			require.Contains(t, owner.get(t, "/app/webhooks/"+id+"?event_type=webhook.test&status=succeeded").body, "<code>webhook.test</code>")

			// Replay sends the same event again.
			m := replayRE.FindStringSubmatch(p.body)
			require.NotNil(t, m, "a replay button")
			p = owner.post(t, m[0], nil)
			require.Contains(t, p.body, "Delivery queued to be sent again")
			require.Eventually(t, func() bool { return len(rcv.got()) == 3 }, 20*time.Second, 20*time.Millisecond)
			require.Equal(t, hits[0].header.Get("webhook-id"), rcv.got()[2].header.Get("webhook-id"))

			// Replay failed since: a bad time is an inline error.
			p = owner.post(t, "/app/webhooks/"+id+"/replay-failed", url.Values{"since": {"yesterday"}})
			require.Equal(t, 422, p.status)
			require.Contains(t, p.body, `id="e-since"`)
			require.Contains(t, p.body, `value="`+hook+`"`, "the edit form still shows the endpoint")
			p = owner.post(t, "/app/webhooks/"+id+"/replay-failed", url.Values{"since": {time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")}})
			require.Contains(t, p.body, "0 failed deliveries queued")

			// Edit: a bad URL is inline; unticking enabled disables.
			p = owner.post(t, "/app/webhooks/"+id, url.Values{"url": {"not a url"}, "description": {"edited"}, "enabled": {"true"}})
			require.Equal(t, 422, p.status)
			require.Contains(t, p.body, `id="e-url"`)
			require.Contains(t, p.body, `value="edited"`)
			p = owner.post(t, "/app/webhooks/"+id, url.Values{"url": {hook}, "description": {"edited"}, "event_types": {"order.updated"}})
			require.Equal(t, 200, p.status, p.body)
			require.Contains(t, p.body, "Endpoint saved")
			require.Contains(t, p.body, "badge disabled")
			require.Contains(t, p.body, "<code>order.updated</code>")

			// Rotate: a new secret, once, and the old one's grace period.
			p = owner.post(t, "/app/webhooks/"+id+"/rotate", nil)
			require.Equal(t, 200, p.status)
			rotated := secretRE.FindString(html.UnescapeString(p.body))
			require.NotEmpty(t, rotated)
			require.NotEqual(t, secret, rotated)
			require.Contains(t, p.body, "24 hours")
			require.NotContains(t, owner.get(t, "/app/webhooks/"+id).body, "whsec_")

			// Members may not see webhooks, nor the link.
			member, _ := a.joinAs(t, owner, access.RoleMember)
			require.Equal(t, 403, member.get(t, "/app/webhooks").status)
			require.Equal(t, 403, member.get(t, "/app/webhooks/"+id).status)
			require.Equal(t, 403, member.post(t, "/app/webhooks/"+id+"/test", nil).status)
			require.NotContains(t, member.get(t, "/app/orders").body, `href="/app/webhooks"`)

			// Another tenant's endpoint is not found, read or written.
			other, _, _ := a.signup(t, uniqueEmail("uiwh-other"))
			require.Equal(t, 404, other.get(t, "/app/webhooks/"+id).status)
			for _, path := range []string{"", "/test", "/rotate", "/delete", "/replay-failed", "/deliveries/" + m[1] + "/replay"} {
				p := other.post(t, "/app/webhooks/"+id+path, url.Values{"url": {hook}, "since": {"2020-01-01T00:00"}})
				require.Equal(t, 404, p.status, "POST %s", path)
			}
			require.Equal(t, 404, other.get(t, "/app/webhooks/not-an-id").status)

			// Delete, after which the list is empty again.
			p = owner.post(t, "/app/webhooks/"+id+"/delete", nil)
			require.Equal(t, "/app/webhooks", p.url)
			require.Contains(t, p.body, "Endpoint deleted")
			require.Contains(t, p.body, "No endpoints yet")
			require.Equal(t, 404, owner.get(t, "/app/webhooks/"+id).status)
			require.False(t, strings.Contains(p.body, hook))
		})
	}
}
