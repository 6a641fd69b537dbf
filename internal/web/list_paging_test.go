package web_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/export"
)

// pageAll follows next_cursor from path's first page with limit, and
// returns the ids in the order served and the number of pages.
func pageAll(t *testing.T, c *client, path string, limit int) ([]string, int) {
	t.Helper()
	var ids []string
	cursor, pages := "", 0
	for {
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		r := c.do("GET", path+sep+q.Encode(), nil).must(t, 200)
		pages++
		page := r.list()
		require.LessOrEqual(t, len(page), limit)
		for _, x := range page {
			ids = append(ids, x["id"].(string))
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			require.Nil(t, r.body["next_cursor"], "next_cursor is null on the last page")
			return ids, pages
		}
		require.Less(t, pages, 100, "paging does not end")
		cursor = next
	}
}

// The exports and attachments lists page newest first by id with
// limit/cursor like the orders list: every row once, in order, a null
// next_cursor on the last page, 422s naming the parameter, and nothing of
// another tenant's through its ids as cursors.
func TestPagingExportsAndAttachments(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, b, nil)
			ctx := context.Background()
			owner, uid, tid := a.signup(t, uniqueEmail("page"))
			other, _, otherTID := a.signup(t, uniqueEmail("page2"))
			tenant, user := uuid.MustParse(tid), uuid.MustParse(uid)
			oid := uuid.MustParse(owner.do("POST", "/api/v1/orders", orderBody("Pager")).must(t, 201).str("id"))
			n := time.Now().UTC().Truncate(time.Millisecond)
			const count = 7
			var exports, atts []string
			for i := range count {
				e := export.Export{ID: uuid.Must(uuid.NewV7()), TenantID: tenant, CreatedBy: &user, Format: export.FormatCSV, Status: export.StatusFailed, CreatedAt: n, UpdatedAt: n}
				require.NoError(t, a.store.ExportCreate(ctx, e))
				exports = append([]string{e.ID.String()}, exports...)
				id := uuid.Must(uuid.NewV7())
				at := attachment.Attachment{ID: id, TenantID: tenant, UploadedBy: &user, Filename: "f.pdf", ContentType: "application/pdf", Size: 1,
					ObjectKey: "tenants/" + tid + "/attachments/" + id.String(), Status: attachment.StatusUploaded, CreatedAt: n, UpdatedAt: n}
				if i%2 == 0 {
					at.OrderID = &oid
				}
				require.NoError(t, a.store.AttachmentCreate(ctx, at))
				atts = append([]string{id.String()}, atts...)
			}
			var ofOrder []string
			for i, id := range atts {
				if (count-1-i)%2 == 0 {
					ofOrder = append(ofOrder, id)
				}
			}

			for _, tc := range []struct {
				path string
				want []string
			}{
				{"/api/v1/exports", exports},
				{"/api/v1/attachments", atts},
				{"/api/v1/attachments?order_id=" + oid.String(), ofOrder},
			} {
				got, pages := pageAll(t, owner, tc.path, 3)
				require.Equal(t, tc.want, got, "%s: every row once, newest first", tc.path)
				require.Equal(t, (len(tc.want)+2)/3, pages, tc.path)
				got, pages = pageAll(t, owner, tc.path, 100)
				require.Equal(t, tc.want, got, tc.path)
				require.Equal(t, 1, pages, tc.path)

				// Without parameters: the first page (all of these fit).
				r := owner.do("GET", tc.path, nil).must(t, 200)
				require.Len(t, r.list(), len(tc.want), tc.path)
				require.Nil(t, r.body["next_cursor"])

				sep := "?"
				if strings.Contains(tc.path, "?") {
					sep = "&"
				}
				for _, bad := range []struct{ q, field string }{
					{"cursor=nope", "cursor"},
					{"limit=0", "limit"},
					{"limit=101", "limit"},
					{"limit=x", "limit"},
					{"page=2", "page"},
				} {
					r := owner.do("GET", tc.path+sep+bad.q, nil)
					require.Equal(t, 422, r.status, "%s %s: %s", tc.path, bad.q, r.raw)
					require.Contains(t, r.raw, `"`+bad.field+`"`, "%s %s", tc.path, bad.q)
				}
				if !strings.Contains(tc.path, "order_id") {
					// Another tenant, with our newest id as its cursor
					// (or its own tenant's id), sees nothing of ours.
					for _, c := range []string{tc.want[0], otherTID, uuid.Max.String()} {
						r := other.do("GET", tc.path+"?cursor="+c, nil).must(t, 200)
						require.Empty(t, r.list(), "%s cursor %s", tc.path, c)
					}
				}
			}
			other.do("GET", "/api/v1/attachments?order_id="+oid.String(), nil).must(t, 404)
		})
	}
}
