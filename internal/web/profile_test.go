package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
)

// getRaw GETs path and returns the status, content type and body.
func (c *client) getRaw(t *testing.T, path string) (int, string, []byte) {
	t.Helper()
	res, err := c.http.Get(c.a.url + path)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), b
}

// TestProfileName: the name changes on the profile page and over the API.
func TestProfileName(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *app) {
		email := uniqueEmail("name")
		c, _, _ := a.signup(t, email)
		p := c.post(t, "/app/account/profile", url.Values{"name": {"Ada Lovelace"}, "locale": {""}})
		require.Equal(t, 200, p.status)
		require.Equal(t, "/app/account", p.url)
		require.Contains(t, p.body, "Profile saved.")
		require.Contains(t, p.body, `value="Ada Lovelace"`)

		p = c.post(t, "/app/account/profile", url.Values{"name": {strings.Repeat("x", 201)}, "locale": {""}})
		require.Equal(t, 422, p.status)
		require.Contains(t, p.body, `id="e-name"`)

		got := c.do("PATCH", "/api/v1/me/profile", map[string]any{"name": "  Grace Hopper "}).must(t, 200)
		require.Equal(t, "Grace Hopper", got.str("name"))
		require.Equal(t, "Grace Hopper", c.do("GET", "/api/v1/me/profile", nil).must(t, 200).str("name"))
		require.Equal(t, "Grace Hopper", c.do("GET", "/api/v1/me", nil).must(t, 200).str("principal", "name"), "the principal has the new name at once")
	})
}

// TestProfileAvatar: a PNG is kept and served; anything else, or too big,
// is refused on the page and over the API.
func TestProfileAvatar(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *app) {
		c, _, _ := a.signup(t, uniqueEmail("avatar"))
		st, typ, body := c.getRaw(t, "/app/account/avatar")
		require.Equal(t, 200, st)
		require.Equal(t, "image/svg+xml", typ, "no avatar: the initials")
		require.Contains(t, string(body), "<svg")

		img := testPNG(t)
		p := c.postFile(t, "/app/account/avatar", "avatar", "me.png", img)
		require.Equal(t, 200, p.status)
		require.Contains(t, p.body, "Picture saved.")
		require.Contains(t, p.body, `src="/app/account/avatar?v=`)
		st, typ, body = c.getRaw(t, "/app/account/avatar")
		require.Equal(t, 200, st)
		require.Equal(t, "image/png", typ)
		require.Equal(t, img, body)

		p = c.postFile(t, "/app/account/avatar", "avatar", "me.png", []byte("not an image at all"))
		require.Equal(t, 422, p.status)
		require.Contains(t, p.body, "must be a PNG, JPEG or WebP image")
		big := append(append([]byte{}, img...), make([]byte, 600<<10)...)
		p = c.postFile(t, "/app/account/avatar", "avatar", "big.png", big)
		require.Equal(t, 422, p.status)
		require.Contains(t, p.body, "must be at most 512 KiB")

		c.do("PUT", "/api/v1/me/avatar", rawBody{[]byte("GIF89a nope"), "image/png"}).must(t, 422)
		c.do("PUT", "/api/v1/me/avatar", rawBody{big, "image/png"}).must(t, 422)
		require.True(t, c.do("PUT", "/api/v1/me/avatar", rawBody{img, "image/png"}).must(t, 200).body["has_avatar"].(bool))
		c.do("DELETE", "/api/v1/me/avatar", nil).must(t, 204)
		require.False(t, c.do("GET", "/api/v1/me/profile", nil).must(t, 200).body["has_avatar"].(bool))
	})
}

// TestProfileSessions: two clients, two sessions; ending one logs that
// client out and not the other.
func TestProfileSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *app) {
		email := uniqueEmail("sess")
		c1, _, _ := a.signup(t, email)
		c2 := a.browser()
		ff := map[string]string{"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}
		c2.doWith("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, ff).must(t, 200)
		c2.doWith("GET", "/api/v1/me", nil, ff).must(t, 200)

		list := c1.do("GET", "/api/v1/me/sessions", nil).must(t, 200).list()
		require.Len(t, list, 2)
		var other string
		for _, s := range list {
			if s["current"] == true {
				continue
			}
			other = s["id"].(string)
			require.Contains(t, s["user_agent"], "Firefox")
		}
		require.NotEmpty(t, other, "one session is this one, the other c2's: %v", list)

		p := c1.get(t, "/app/account")
		require.Contains(t, p.body, "This session")
		require.Contains(t, p.body, "Firefox on Linux")

		// Another user cannot end it.
		c3, _, _ := a.signup(t, uniqueEmail("sess-other"))
		c3.do("DELETE", "/api/v1/me/sessions/"+other, nil).must(t, 404)

		c1.do("DELETE", "/api/v1/me/sessions/"+other, nil).must(t, 204)
		c2.do("GET", "/api/v1/me", nil).must(t, 401)
		c1.do("GET", "/api/v1/me", nil).must(t, 200)
		require.Len(t, c1.do("GET", "/api/v1/me/sessions", nil).must(t, 200).list(), 1)

		// The page's "sign out everywhere else" keeps this session only.
		c4 := a.browser()
		c4.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
		c4.do("GET", "/api/v1/me", nil).must(t, 200)
		p = c1.post(t, "/app/account/logout-others", nil)
		require.Equal(t, "/app/account", p.url)
		c4.do("GET", "/api/v1/me", nil).must(t, 401)
		list = c1.do("GET", "/api/v1/me/sessions", nil).must(t, 200).list()
		require.Len(t, list, 1)
		require.Equal(t, true, list[0]["current"])

		// A page's revoke of the other session.
		c5 := a.browser()
		c5.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
		c5.do("GET", "/api/v1/me", nil).must(t, 200)
		for _, s := range c1.do("GET", "/api/v1/me/sessions", nil).must(t, 200).list() {
			if s["current"] != true {
				p = c1.post(t, "/app/account/sessions/"+s["id"].(string)+"/revoke", nil)
				require.Contains(t, p.body, "That session has ended.")
			}
		}
		c5.do("GET", "/api/v1/me", nil).must(t, 401)
		c1.do("GET", "/api/v1/me", nil).must(t, 200)
	})
}

// TestDeleteAccount: refused while the user is a tenant's only owner,
// naming it; done otherwise, and the user can no longer log in.
func TestDeleteAccount(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *app) {
		email := uniqueEmail("del")
		c, uid, tid := a.signup(t, email)
		tn, err := a.store.TenantGetByID(t.Context(), uuid.MustParse(tid))
		require.NoError(t, err)

		c.do("DELETE", "/api/v1/me", map[string]any{"password": "wrong password!"}).must(t, 422)
		r := c.do("DELETE", "/api/v1/me", map[string]any{"password": password}).must(t, 409)
		require.Contains(t, r.raw, tn.Name)
		p := c.post(t, "/app/account/delete", url.Values{"delete_password": {password}})
		require.Equal(t, 409, p.status)
		require.Contains(t, p.body, "You are the only owner of")
		require.Contains(t, p.body, html.EscapeString(tn.Name))

		// Another owner joins: now the account can go.
		otherEmail := uniqueEmail("del-owner")
		a.signup(t, otherEmail)
		ou, err := a.store.UserGetByEmail(t.Context(), otherEmail)
		require.NoError(t, err)
		now := time.Now().UTC().Truncate(time.Microsecond)
		require.NoError(t, a.store.MembershipCreate(t.Context(), account.Membership{TenantID: tn.ID, UserID: ou.ID, Role: access.RoleOwner, CreatedAt: now, UpdatedAt: now}))
		c2 := a.browser()
		c2.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)

		p = c.post(t, "/app/account/delete", url.Values{"delete_password": {password}})
		require.Equal(t, "/login", p.url)
		require.Contains(t, p.body, "Your account has been deleted.")
		c2.do("GET", "/api/v1/me", nil).must(t, 401)
		a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 401)
		ms, err := a.store.MembershipListByUser(t.Context(), uuid.MustParse(uid))
		require.NoError(t, err)
		require.Empty(t, ms)
		_, err = a.store.MembershipGet(t.Context(), uuid.MustParse(tid), uuid.MustParse(uid))
		require.Error(t, err)
	})
}

// TestLanguageSavedOnUser: the language chosen while logged in is kept on
// the user and applies at their next login, from a fresh browser.
func TestLanguageSavedOnUser(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *app) {
		email := uniqueEmail("lang")
		c, _, _ := a.signup(t, email)
		c.post(t, "/language", url.Values{"lang": {"de"}, "next": {"/app/account"}})
		u, err := a.store.UserGetByEmail(t.Context(), email)
		require.NoError(t, err)
		require.Equal(t, "de", u.Locale)

		fresh := a.browser()
		p := fresh.post(t, "/login", url.Values{"email": {email}, "password": {password}})
		require.Equal(t, http.StatusOK, p.status)
		require.Contains(t, p.body, `<html lang="de">`)
		p = fresh.get(t, "/app/account")
		require.Contains(t, p.body, "Ihr Konto")
		require.Contains(t, p.body, "höchstens 512 KiB")
		require.Contains(t, p.body, "Diese Sitzung")
		require.Contains(t, p.body, `<option value="de" selected>`)

		// The profile's select, back to the browser's language.
		p = fresh.post(t, "/app/account/profile", url.Values{"name": {"X"}, "locale": {""}})
		require.Contains(t, p.body, `<html lang="en">`)
		u, err = a.store.UserGetByEmail(t.Context(), email)
		require.NoError(t, err)
		require.Equal(t, "", u.Locale)
		c.do("PATCH", "/api/v1/me/profile", map[string]any{"locale": "xx"}).must(t, 422)
	})
}
