package web_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUIShell: the sidebar marks the page the user is on (and only it),
// and phones get a menu button with an accessible name that opens it.
func TestUIShell(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("shell"))
	current := regexp.MustCompile(`<a href="([^"]*)" aria-current="page">`)
	for _, tc := range []struct{ path, marked string }{
		{"/app", "/app"},
		{"/app/orders", "/app/orders"},
		{"/app/exports", "/app/exports"},
		{"/app/members", "/app/members"},
		{"/app/api-keys", "/app/api-keys"},
		{"/app/webhooks", "/app/webhooks"},
		{"/app/audit", "/app/audit"},
		{"/app/jobs", "/app/jobs"},
		{"/app/settings", "/app/settings"},
	} {
		p := owner.get(t, tc.path)
		require.Equal(t, 200, p.status, tc.path)
		got := current.FindAllStringSubmatch(p.body, -1)
		require.Len(t, got, 1, "%s marks exactly one entry", tc.path)
		require.Equal(t, tc.marked, got[0][1], tc.path)
	}
	p := owner.get(t, "/app/members")
	// The phone menu: a <details> whose summary is a control named "Menu";
	// the skip link comes first; the switcher names the tenant.
	require.Regexp(t, `<details class="drawer"[^>]*>\s*<summary class="menu-btn">(<svg[^>]*aria-hidden="true".*?</svg>)?<span>Menu</span></summary>`, p.body)
	require.Regexp(t, `^(?s).*<body[^>]*>\s*<a class="skip" href="#main">`, p.body)
	require.Contains(t, p.body, `<main id="main"`)
	require.Contains(t, p.body, `<span class="visually-hidden">Switch tenant: </span>`)
	require.Contains(t, p.body, `action="/logout"`)
	require.NotContains(t, p.body, "style=", "the CSP forbids inline styles")
}
