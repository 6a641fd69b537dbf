package web_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
)

// The current tenant and the user's profile have an ETag like an order's:
// If-None-Match answers 304, a stale If-Match 412 with nothing changed,
// the current one changes it and gives a new ETag, and no If-Match still
// works.
func TestTenantAndProfileETag(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		for _, path := range []string{"/api/v1/tenant", "/api/v1/me/profile"} {
			t.Run(b.name+path, func(t *testing.T) {
				t.Parallel()
				a := newApp(t, b, nil)
				owner, _, _ := a.signup(t, uniqueEmail("etag"))
				r := owner.do("GET", path, nil).must(t, 200)
				tag, name := r.header.Get("ETag"), r.str("name")
				require.NotEmpty(t, tag)
				r = owner.doWith("GET", path, nil, map[string]string{"If-None-Match": tag})
				require.Equal(t, 304, r.status)
				require.Equal(t, tag, r.header.Get("ETag"))

				for _, stale := range []string{`"1"`, `"nope"`} {
					r = owner.doWith("PATCH", path, map[string]any{"name": "Stale"}, map[string]string{"If-Match": stale})
					require.Equal(t, 412, r.status, r.raw)
					require.Contains(t, r.raw, "precondition-failed")
				}
				require.Equal(t, name, owner.do("GET", path, nil).must(t, 200).str("name"), "a stale If-Match changes nothing")

				r = owner.doWith("PATCH", path, map[string]any{"name": "Fresh"}, map[string]string{"If-Match": tag}).must(t, 200)
				next := r.header.Get("ETag")
				require.NotEmpty(t, next)
				require.NotEqual(t, tag, next, "a change gives a new ETag")
				require.Equal(t, "Fresh", r.str("name"))
				got := owner.do("GET", path, nil).must(t, 200)
				require.Equal(t, next, got.header.Get("ETag"))
				require.Equal(t, "Fresh", got.str("name"))

				// The old ETag is stale now; none at all is no precondition.
				owner.doWith("PATCH", path, map[string]any{"name": "Again"}, map[string]string{"If-Match": tag}).must(t, 412)
				r = owner.do("PATCH", path, map[string]any{"name": "Again"}).must(t, 200)
				require.NotEqual(t, next, r.header.Get("ETag"))
			})
		}
	}
}

// A member's role change takes If-Match with the etag the members list
// gives (there is no GET of one member), like the tenant's.
func TestMemberETag(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			owner, _, tid := a.signup(t, uniqueEmail("metag"))
			n := time.Now().UTC().Truncate(time.Millisecond)
			u := account.User{ID: uuid.Must(uuid.NewV7()), Email: uniqueEmail("m"), Name: "M", CreatedAt: n, UpdatedAt: n}
			require.NoError(t, a.store.UserCreate(t.Context(), u))
			require.NoError(t, a.store.MembershipCreate(t.Context(), account.Membership{TenantID: uuid.MustParse(tid), UserID: u.ID, Role: access.RoleViewer, CreatedAt: n, UpdatedAt: n}))
			member := func() map[string]any {
				for _, m := range owner.do("GET", "/api/v1/members", nil).must(t, 200).list() {
					if m["user"].(map[string]any)["id"] == u.ID.String() {
						return m
					}
				}
				t.Fatal("member not listed")
				return nil
			}
			tag := member()["etag"].(string)
			require.NotEmpty(t, tag)
			path := "/api/v1/members/" + u.ID.String()

			r := owner.doWith("PATCH", path, map[string]any{"role": "member"}, map[string]string{"If-Match": `"1"`})
			require.Equal(t, 412, r.status, r.raw)
			require.Contains(t, r.raw, "precondition-failed")
			require.Equal(t, "viewer", member()["role"], "a stale If-Match changes nothing")

			r = owner.doWith("PATCH", path, map[string]any{"role": "member"}, map[string]string{"If-Match": tag}).must(t, 200)
			next := r.header.Get("ETag")
			require.NotEmpty(t, next)
			require.NotEqual(t, tag, next)
			m := member()
			require.Equal(t, "member", m["role"])
			require.Equal(t, next, m["etag"], "the list gives the ETag the change did")

			owner.doWith("PATCH", path, map[string]any{"role": "admin"}, map[string]string{"If-Match": tag}).must(t, 412)
			owner.do("PATCH", path, map[string]any{"role": "admin"}).must(t, 200)
			require.Equal(t, "admin", member()["role"])
		})
	}
}

// A webhook endpoint's GET gives an ETag (304 for If-None-Match) and its
// PATCH takes If-Match, like an order's.
func TestWebhookEndpointETag(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			owner, _, _ := a.signup(t, uniqueEmail("wetag"))
			id := owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:9/hook"}).must(t, 201).str("id")
			path := "/api/v1/webhook-endpoints/" + id
			r := owner.do("GET", path, nil).must(t, 200)
			tag := r.header.Get("ETag")
			require.NotEmpty(t, tag)
			require.Equal(t, 304, owner.doWith("GET", path, nil, map[string]string{"If-None-Match": tag}).status)

			for _, stale := range []string{`"1"`, `"nope"`} {
				r = owner.doWith("PATCH", path, map[string]any{"enabled": false}, map[string]string{"If-Match": stale})
				require.Equal(t, 412, r.status, r.raw)
				require.Contains(t, r.raw, "precondition-failed")
			}
			require.Equal(t, true, owner.do("GET", path, nil).must(t, 200).body["enabled"], "a stale If-Match changes nothing")

			r = owner.doWith("PATCH", path, map[string]any{"enabled": false}, map[string]string{"If-Match": tag}).must(t, 200)
			next := r.header.Get("ETag")
			require.NotEmpty(t, next)
			require.NotEqual(t, tag, next, "a change gives a new ETag")
			require.Equal(t, false, r.body["enabled"])
			require.Equal(t, next, owner.do("GET", path, nil).must(t, 200).header.Get("ETag"))
			owner.doWith("PATCH", path, map[string]any{"enabled": true}, map[string]string{"If-Match": tag}).must(t, 412)
			owner.do("PATCH", path, map[string]any{"enabled": true}).must(t, 200)
		})
	}
}

// The invoice branding's GET gives an ETag and its PUT takes If-Match; a
// logo upload is a change too.
func TestBrandingETag(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			owner, _, _ := a.signup(t, uniqueEmail("betag"))
			const path = "/api/v1/tenant/branding"
			r := owner.do("GET", path, nil).must(t, 200)
			tag := r.header.Get("ETag")
			require.NotEmpty(t, tag)
			require.Equal(t, 304, owner.doWith("GET", path, nil, map[string]string{"If-None-Match": tag}).status)

			r = owner.doWith("PUT", path, map[string]any{"tax_id": "STALE"}, map[string]string{"If-Match": `"1"`})
			require.Equal(t, 412, r.status, r.raw)
			require.NotEqual(t, "STALE", owner.do("GET", path, nil).must(t, 200).body["tax_id"], "a stale If-Match changes nothing")

			r = owner.doWith("PUT", path, map[string]any{"tax_id": "DE123"}, map[string]string{"If-Match": tag}).must(t, 200)
			next := r.header.Get("ETag")
			require.NotEqual(t, tag, next, "a change gives a new ETag")
			require.Equal(t, "DE123", r.body["tax_id"])
			require.Equal(t, next, owner.do("GET", path, nil).must(t, 200).header.Get("ETag"))
			owner.doWith("PUT", path, map[string]any{"tax_id": "LOST"}, map[string]string{"If-Match": tag}).must(t, 412)
			owner.do("PUT", path, map[string]any{"tax_id": "FR1"}).must(t, 200)
			require.NotEqual(t, next, owner.do("GET", path, nil).must(t, 200).header.Get("ETag"))
		})
	}
}
