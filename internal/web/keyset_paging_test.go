package web_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/webhook"
)

// walkBoth pages path with limit forward along next_cursor to the last
// page, then back along prev_cursor to the first, and returns the keys of
// the rows in the order served. It fails when a page is too long, when
// the first page has a prev_cursor or the last a next_cursor, and when
// the walk back does not serve the same rows as the walk forward.
func walkBoth(t *testing.T, c *client, path string, limit int, key func(map[string]any) string) []string {
	t.Helper()
	get := func(cursor string) (rows []string, next, prev string) {
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		r := c.do("GET", path+sep+q.Encode(), nil).must(t, 200)
		require.Contains(t, r.body, "next_cursor", path)
		require.Contains(t, r.body, "prev_cursor", path)
		for _, x := range r.list() {
			rows = append(rows, key(x))
		}
		require.LessOrEqual(t, len(rows), limit, path)
		next, _ = r.body["next_cursor"].(string)
		prev, _ = r.body["prev_cursor"].(string)
		return rows, next, prev
	}
	var fwd, last []string
	rows, next, prev := get("")
	require.Empty(t, prev, "%s: the first page has no prev_cursor", path)
	for pages := 1; ; pages++ {
		fwd, last = append(fwd, rows...), rows
		if next == "" {
			break
		}
		require.Less(t, pages, 100, "%s: paging does not end", path)
		rows, next, prev = get(next)
	}
	back := slices.Clone(last)
	for pages := 1; prev != ""; pages++ {
		require.Less(t, pages, 100, "%s: paging back does not end", path)
		rows, _, prev = get(prev)
		back = append(slices.Clone(rows), back...)
	}
	require.Equal(t, fwd, back, "%s: walking back serves what walking forward did", path)
	seen := map[string]bool{}
	for _, k := range fwd {
		require.False(t, seen[k], "%s: %s served twice", path, k)
		seen[k] = true
	}
	return fwd
}

func idOf(x map[string]any) string { return x["id"].(string) }

// Every list of the API pages by keyset with limit and cursor, forward
// and back, serving each row once; a cursor made of another tenant's ids
// serves nothing of theirs; and unknown parameters are refused.
func TestPagingEveryList(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			ctx := context.Background()
			owner, _, tid := a.signup(t, uniqueEmail("walk"))
			other, _, _ := a.signup(t, uniqueEmail("walk2"))
			tenant := uuid.MustParse(tid)
			n := time.Now().UTC().Truncate(time.Millisecond)
			const count = 5 // with the signup's own rows: three pages of two
			for i := range count {
				owner.do("POST", "/api/v1/tenants", map[string]any{"name": "T" + strconv.Itoa(i)}).must(t, 201)
				owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "k" + strconv.Itoa(i), "role": "viewer"}).must(t, 201)
				owner.do("POST", "/api/v1/invitations", map[string]any{"email": uniqueEmail("inv"), "role": "member"}).must(t, 201)
				u := account.User{ID: uuid.Must(uuid.NewV7()), Email: uniqueEmail("m"), Name: "M", CreatedAt: n, UpdatedAt: n}
				require.NoError(t, a.store.UserCreate(ctx, u))
				require.NoError(t, a.store.MembershipCreate(ctx, account.Membership{TenantID: tenant, UserID: u.ID, Role: access.RoleViewer, CreatedAt: n, UpdatedAt: n}))
				id := uuid.Must(uuid.NewV7())
				require.NoError(t, a.store.WebhookEndpointCreate(ctx, webhook.Endpoint{ID: id, TenantID: tenant, URL: "https://example.com/h/" + id.String(),
					Enabled: true, Secret: "whsec_" + id.String(), CreatedAt: n, UpdatedAt: n}))
			}
			oid := owner.do("POST", "/api/v1/orders", orderBody("Walk")).must(t, 201).str("id")
			for _, to := range []string{"processing", "shipped", "delivered"} {
				owner.do("POST", "/api/v1/orders/"+oid+"/transitions", map[string]any{"to": to}).must(t, 200)
			}

			memberID := func(x map[string]any) string { return x["user"].(map[string]any)["id"].(string) }
			for _, tc := range []struct {
				path string
				key  func(map[string]any) string
				want int
			}{
				{"/api/v1/tenants", idOf, count + 1},
				{"/api/v1/members", memberID, count + 1},
				{"/api/v1/invitations", idOf, count},
				{"/api/v1/api-keys", idOf, count},
				{"/api/v1/webhook-endpoints", idOf, count},
				{"/api/v1/orders/" + oid + "/history", func(x map[string]any) string { return x["to"].(string) }, 4},
			} {
				got := walkBoth(t, owner, tc.path, 2, tc.key)
				require.Len(t, got, tc.want, tc.path)
				// One page of all of them serves the same rows in the same order.
				require.Equal(t, got, walkBoth(t, owner, tc.path, 100, tc.key), tc.path)
				if strings.Contains(tc.path, "/history") {
					require.Equal(t, []string{"pending", "processing", "shipped", "delivered"}, got, "oldest first")
					other.do("GET", tc.path, nil).must(t, 404)
					continue
				}
				// Another tenant (or user), with our rows' ids as its
				// cursors, is served only its own rows.
				ours := map[string]bool{}
				for _, k := range got {
					ours[k] = true
				}
				for _, c := range []string{got[0], got[len(got)-1], "n." + got[0], "n." + got[len(got)-1]} {
					r := other.do("GET", tc.path+"?cursor="+url.QueryEscape(c), nil).must(t, 200)
					for _, x := range r.list() {
						require.False(t, ours[tc.key(x)], "%s cursor %s: another tenant's row", tc.path, c)
					}
				}
				for _, bad := range []struct{ q, field string }{{"cursor=nope", "cursor"}, {"limit=0", "limit"}, {"limit=101", "limit"}, {"offset=2", "offset"}, {"sort=name", "sort"}} {
					r := owner.do("GET", tc.path+"?"+bad.q, nil)
					require.Equal(t, 422, r.status, "%s?%s: %s", tc.path, bad.q, r.raw)
					require.Contains(t, r.raw, `"`+bad.field+`"`, "%s?%s", tc.path, bad.q)
				}
			}
			// The endpoints list still names the event types.
			require.NotEmpty(t, owner.do("GET", "/api/v1/webhook-endpoints?limit=1", nil).must(t, 200).body["event_types"])
		})
	}
}

// The exports and attachments lists page back too: prev_cursor.
func TestPagingExportsAndAttachmentsBack(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			owner, _, tid := a.signup(t, uniqueEmail("back"))
			seedExportsAndAttachments(t, a, tid, 5)
			for _, path := range []string{"/api/v1/exports", "/api/v1/attachments"} {
				require.Len(t, walkBoth(t, owner, path, 2, idOf), 5, path)
			}
		})
	}
}

// seedExportsAndAttachments stores count exports and count attachments
// (of no order) in the tenant.
func seedExportsAndAttachments(t *testing.T, a *app, tid string, count int) {
	t.Helper()
	ctx := context.Background()
	tenant := uuid.MustParse(tid)
	n := time.Now().UTC().Truncate(time.Millisecond)
	for range count {
		e := export.Export{ID: uuid.Must(uuid.NewV7()), TenantID: tenant, Format: export.FormatCSV, Status: export.StatusFailed, CreatedAt: n, UpdatedAt: n}
		require.NoError(t, a.store.ExportCreate(ctx, e))
		id := uuid.Must(uuid.NewV7())
		require.NoError(t, a.store.AttachmentCreate(ctx, attachment.Attachment{ID: id, TenantID: tenant, Filename: "f.pdf", ContentType: "application/pdf", Size: 1,
			ObjectKey: "tenants/" + tid + "/attachments/" + id.String(), Status: attachment.StatusUploaded, CreatedAt: n, UpdatedAt: n}))
	}
}
