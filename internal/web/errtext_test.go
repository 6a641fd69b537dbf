package web_test

import (
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
)

// The domain's error messages reach the UI in the viewer's language: a
// forbidden page, a not-found page and a refused status change, each in
// German for a German browser and as the API words them in English; the
// API's problem detail stays English whatever the client's language.
func TestUIDomainErrorsTranslated(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("errde"))
	id := owner.do("POST", "/api/v1/orders", orderBody("Fehler Test")).must(t, 201).str("id")
	viewer, _ := a.joinAs(t, owner, access.RoleViewer)
	const de, en = "de-DE,de;q=0.9", "en-US,en;q=0.9"

	// Forbidden, with the role translated too.
	p := viewer.getLang(t, "/app/orders/"+id+"/edit", de)
	require.Equal(t, 403, p.status)
	require.Contains(t, p.body, "Nicht erlaubt")
	require.Contains(t, p.body, "Ihre Rolle (Betrachter) erlaubt nicht, Bestellungen zu bearbeiten")
	p = viewer.getLang(t, "/app/orders/"+id+"/edit", en)
	require.Equal(t, 403, p.status)
	require.Contains(t, p.body, "Your role (viewer) may not edit orders")

	// Not found, with the entity's name translated.
	p = owner.getLang(t, "/app/orders/"+uuid.NewString(), de)
	require.Equal(t, 404, p.status)
	require.Contains(t, p.body, "Bestellung nicht gefunden")
	require.Contains(t, owner.getLang(t, "/app/orders/"+uuid.NewString(), en).body, "Order not found")

	// A conflict from the order service, shown as a flash after the
	// redirect, with both statuses translated.
	p = owner.postLang(t, "/app/orders/"+id+"/transition", de, url.Values{"to": {"delivered"}})
	require.Equal(t, 200, p.status, p.body)
	require.Contains(t, p.body, "Nicht ausgeführt: Eine Bestellung kann nicht von „offen“ zu „zugestellt“ wechseln")
	p = owner.postLang(t, "/app/orders/"+id+"/transition", en, url.Values{"to": {"delivered"}})
	require.Contains(t, p.body, "an order cannot go from pending to delivered")

	// The API's detail is the English message, even for a German client.
	r := owner.doWith("POST", "/api/v1/orders/"+id+"/transitions", map[string]any{"to": "delivered"}, map[string]string{"Accept-Language": de})
	require.Equal(t, 409, r.status, r.raw)
	require.Equal(t, "an order cannot go from pending to delivered", r.str("detail"))
}
