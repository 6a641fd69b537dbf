package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/attachment"
)

// upload sends body to a presigned upload with exactly its headers,
// overridden by extra.
func upload(t *testing.T, up map[string]any, body []byte, extra map[string]string) int {
	t.Helper()
	req, err := http.NewRequest(up["method"].(string), up["url"].(string), bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range up["headers"].(map[string]any) {
		req.Header.Set(k, v.(string))
	}
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	if cl, ok := extra["Content-Length"]; ok {
		n, _ := strconv.ParseInt(cl, 10, 64)
		req.ContentLength = n
	} else {
		req.ContentLength = int64(len(body))
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// The whole upload flow, against local disk and against a real S3 server.
func TestAttachmentFlow(t *testing.T) {
	t.Parallel()
	for _, useS3 := range []bool{false, true} {
		name := "disk"
		if useS3 {
			name = "s3"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := newAppOpts(t, backends[0], appOpts{s3: useS3})
			owner, _, tid := a.signup(t, uniqueEmail("att"))
			orderID := owner.do("POST", "/api/v1/orders", orderBody("Files F")).must(t, 201).str("id")
			content := []byte("%PDF-1.4 pretend invoice " + strings.Repeat("x", 3000))

			r := owner.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "../../Invoice 2026.pdf", "content_type": "application/pdf", "size": len(content), "order_id": orderID}).must(t, 201)
			att := r.body["attachment"].(map[string]any)
			up := r.body["upload"].(map[string]any)
			id := att["id"].(string)
			require.Equal(t, "Invoice 2026.pdf", att["filename"], "the name is sanitised")
			require.Equal(t, "pending", att["status"])
			require.Equal(t, "PUT", up["method"])

			owner.do("POST", "/api/v1/attachments/"+id+"/complete", nil).must(t, 409) // nothing uploaded yet
			require.Equal(t, 200, upload(t, up, content, nil), "the upload goes straight to storage")
			done := owner.do("POST", "/api/v1/attachments/"+id+"/complete", nil).must(t, 200)
			require.Equal(t, "uploaded", done.str("status"))

			list := owner.do("GET", "/api/v1/attachments?order_id="+orderID, nil).must(t, 200).list()
			require.Len(t, list, 1)
			got := owner.do("GET", "/api/v1/attachments/"+id, nil).must(t, 200)
			dl := got.str("download_url")
			require.NotEmpty(t, dl)
			res, err := http.Get(dl)
			require.NoError(t, err)
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			require.Equal(t, 200, res.StatusCode)
			require.Equal(t, content, body)
			require.Contains(t, res.Header.Get("Content-Disposition"), "Invoice 2026.pdf")

			// Another tenant's principal gets 404 for this attachment.
			other, _, _ := a.signup(t, uniqueEmail("other"))
			other.do("GET", "/api/v1/attachments/"+id, nil).must(t, 404)
			other.do("POST", "/api/v1/attachments/"+id+"/complete", nil).must(t, 404)
			other.do("DELETE", "/api/v1/attachments/"+id, nil).must(t, 404)
			require.Empty(t, other.do("GET", "/api/v1/attachments", nil).must(t, 200).list())

			// A viewer may read but not upload.
			viewer, _ := a.joinAs(t, owner, access.RoleViewer)
			viewer.do("GET", "/api/v1/attachments/"+id, nil).must(t, 200)
			viewer.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "x.pdf", "content_type": "application/pdf", "size": 10}).must(t, 403)

			stored, err := a.store.AttachmentGet(context.Background(), uuid.MustParse(tid), uuid.MustParse(id))
			require.NoError(t, err)
			_, err = a.blobs.Stat(context.Background(), stored.ObjectKey)
			require.NoError(t, err, "the file is in storage")
			owner.do("DELETE", "/api/v1/attachments/"+id, nil).must(t, 204)
			owner.do("GET", "/api/v1/attachments/"+id, nil).must(t, 404)
			_, err = a.blobs.Stat(context.Background(), stored.ObjectKey)
			require.ErrorIs(t, err, apperr.ErrNotFound, "deleting an attachment deletes its file")

			// Deleting an order deletes its attachments.
			r = owner.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 5, "order_id": orderID}).must(t, 201)
			id2 := r.body["attachment"].(map[string]any)["id"].(string)
			require.Equal(t, 200, upload(t, r.body["upload"].(map[string]any), []byte("hello"), nil))
			owner.do("POST", "/api/v1/attachments/"+id2+"/complete", nil).must(t, 200)
			owner.do("DELETE", "/api/v1/orders/"+orderID, nil).must(t, 204)
			owner.do("GET", "/api/v1/attachments/"+id2, nil).must(t, 404)
		})
	}
}

func TestAttachmentRefusals(t *testing.T) {
	t.Parallel()
	for _, useS3 := range []bool{false, true} {
		name := "disk"
		if useS3 {
			name = "s3"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := newAppOpts(t, backends[0], appOpts{s3: useS3})
			owner, _, _ := a.signup(t, uniqueEmail("ref"))
			presign := func(ct string, size int) resp {
				return owner.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "f", "content_type": ct, "size": size})
			}
			presign("application/pdf", 2<<20).must(t, 422)       // over the 1 MiB limit: nothing is signed
			presign("application/x-msdownload", 10).must(t, 422) // not an allowed type
			presign("application/pdf", 0).must(t, 422)           // empty
			owner.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "f", "content_type": "application/pdf", "size": 5, "order_id": "01234567-0000-7000-8000-000000000000"}).must(t, 422)

			r := presign("application/pdf", 10).must(t, 201)
			up := r.body["upload"].(map[string]any)
			id := r.body["attachment"].(map[string]any)["id"].(string)
			// Lying about the size or the type at upload is refused by storage.
			require.NotEqual(t, 200, upload(t, up, bytes.Repeat([]byte("x"), 20), map[string]string{"Content-Length": "20"}))
			require.NotEqual(t, 200, upload(t, up, bytes.Repeat([]byte("x"), 10), map[string]string{"Content-Type": "text/html"}))
			if !useS3 {
				// A tampered signature on a local-disk URL.
				bad := map[string]any{"method": "PUT", "url": strings.Replace(up["url"].(string), "sig=", "sig=x", 1), "headers": up["headers"]}
				require.Equal(t, 403, upload(t, bad, bytes.Repeat([]byte("x"), 10), nil))
				// A signed download URL whose key was changed.
				require.Equal(t, 403, upload(t, map[string]any{"method": "GET", "url": strings.Replace(up["url"].(string), "op=put", "op=get", 1), "headers": map[string]any{}}, nil, nil))
			}
			owner.do("POST", "/api/v1/attachments/"+id+"/complete", nil).must(t, 409) // nothing valid arrived

			// HTML is always served as an attachment, never inline; a PNG
			// may show inline.
			for _, c := range []struct{ ct, want string }{{"text/html", "attachment"}, {"image/png", "inline"}} {
				r = presign(c.ct, 4).must(t, 201)
				aid := r.body["attachment"].(map[string]any)["id"].(string)
				require.Equal(t, 200, upload(t, r.body["upload"].(map[string]any), []byte("<b>x"), nil))
				owner.do("POST", "/api/v1/attachments/"+aid+"/complete", nil).must(t, 200)
				res, err := http.Get(owner.do("GET", "/api/v1/attachments/"+aid, nil).must(t, 200).str("download_url"))
				require.NoError(t, err)
				res.Body.Close()
				require.True(t, strings.HasPrefix(res.Header.Get("Content-Disposition"), c.want), "%s: %s", c.ct, res.Header.Get("Content-Disposition"))
			}
		})
	}
}

// Pending uploads older than a day are swept away with their objects.
func TestAttachmentSweep(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	ctx := context.Background()
	owner, _, tid := a.signup(t, uniqueEmail("sweep"))
	r := owner.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "old.txt", "content_type": "text/plain", "size": 5}).must(t, 201)
	require.Equal(t, 200, upload(t, r.body["upload"].(map[string]any), []byte("hello"), nil))
	id := uuid.MustParse(r.body["attachment"].(map[string]any)["id"].(string))
	att, err := a.store.AttachmentGet(ctx, uuid.MustParse(tid), id)
	require.NoError(t, err)

	fresh := owner.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "new.txt", "content_type": "text/plain", "size": 5}).must(t, 201)
	n, err := a.attachments.Sweep(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "young pending uploads stay")

	// Age the first one past the limit.
	old := att
	old.ID = uuid.Must(uuid.NewV7())
	old.CreatedAt = time.Now().Add(-25 * time.Hour).UTC().Truncate(time.Microsecond)
	old.ObjectKey = att.ObjectKey + "-old"
	_, err = a.blobs.Put(ctx, old.ObjectKey, strings.NewReader("stale"), "text/plain")
	require.NoError(t, err)
	require.NoError(t, a.store.AttachmentCreate(ctx, old))
	n, err = a.attachments.Sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = a.store.AttachmentGet(ctx, old.TenantID, old.ID)
	require.Error(t, err)
	_, err = a.blobs.Stat(ctx, old.ObjectKey)
	require.Error(t, err, "the object went too")
	owner.do("GET", "/api/v1/attachments/"+fresh.body["attachment"].(map[string]any)["id"].(string), nil).must(t, 200)
}

func TestStorageUsageInSettings(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("usage"))
	require.Contains(t, owner.get(t, "/app/settings").body, "0 files, 0 B")
	r := owner.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 2048}).must(t, 201)
	require.Equal(t, 200, upload(t, r.body["upload"].(map[string]any), bytes.Repeat([]byte("u"), 2048), nil))
	owner.do("POST", "/api/v1/attachments/"+r.body["attachment"].(map[string]any)["id"].(string)+"/complete", nil).must(t, 200)
	require.Contains(t, owner.get(t, "/app/settings").body, "1 files, 2.0 KiB")
}

// Opened at another address than ORDO_BASE_URL (127.0.0.1 while the base
// URL says localhost), local-disk uploads and downloads use the address
// the client came to, so a page there uploads same-origin; a client of
// ORDO_BASE_URL's host still gets ORDO_BASE_URL.
func TestAttachmentUploadFromAnotherOrigin(t *testing.T) {
	t.Parallel()
	a := newAppOpts(t, backends[0], appOpts{baseHost: "localhost"})
	here, err := url.Parse(a.url)
	require.NoError(t, err)
	owner, _, _ := a.signup(t, uniqueEmail("origin"))
	r := owner.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 5}).must(t, 201)
	up := r.body["upload"].(map[string]any)
	u, err := url.Parse(up["url"].(string))
	require.NoError(t, err)
	require.Equal(t, here.Host, u.Host, "the upload URL is on the address the request came to, not ORDO_BASE_URL's")
	require.Equal(t, 200, upload(t, up, []byte("hello"), nil))
	id := r.body["attachment"].(map[string]any)["id"].(string)
	owner.do("POST", "/api/v1/attachments/"+id+"/complete", nil).must(t, 200)
	dl := owner.do("GET", "/api/v1/attachments/"+id, nil).must(t, 200).str("download_url")
	u, err = url.Parse(dl)
	require.NoError(t, err)
	require.Equal(t, here.Host, u.Host)
	body, _ := download(t, dl)
	require.Equal(t, "hello", string(body))

	key := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "ci", "role": "member"}).must(t, 201).str("key")
	atBase := a.withKey(key).doWith("GET", "/api/v1/attachments/"+id, nil, map[string]string{"Host": "localhost:" + here.Port()}).must(t, 200).str("download_url")
	require.True(t, strings.HasPrefix(atBase, "http://localhost:"+here.Port()+"/blobs?"), atBase)
}

// A signed upload URL is spent once its attachment is completed or
// deleted: using it again cannot change the downloaded file, and leaves
// no object that no attachment tracks once the sweep has run. Local disk
// refuses the PUT outright; S3 cannot, so the upload key is never the
// served key, and the sweep removes what lands there.
func TestAttachmentUploadURLCannotBeReused(t *testing.T) {
	t.Parallel()
	for _, useS3 := range []bool{false, true} {
		name := "disk"
		if useS3 {
			name = "s3"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := newAppOpts(t, backends[0], appOpts{s3: useS3})
			owner, _, _ := a.signup(t, uniqueEmail("reuse"))
			r := owner.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 5}).must(t, 201)
			up := r.body["upload"].(map[string]any)
			id := r.body["attachment"].(map[string]any)["id"].(string)
			require.Equal(t, 200, upload(t, up, []byte("hello"), nil))
			owner.do("POST", "/api/v1/attachments/"+id+"/complete", nil).must(t, 200)

			leftovers := func() []string {
				t.Helper()
				var keys []string
				for _, prefix := range []string{"uploads/", "tenants/"} {
					infos, err := a.blobs.List(ctx, prefix)
					require.NoError(t, err)
					for _, i := range infos {
						keys = append(keys, i.Key)
					}
				}
				return keys
			}
			downloaded := func() string {
				t.Helper()
				b, _ := download(t, owner.do("GET", "/api/v1/attachments/"+id, nil).must(t, 200).str("download_url"))
				return string(b)
			}

			// The same URL, other bytes of the same size and type.
			code := upload(t, up, []byte("EVIL!"), nil)
			if !useS3 {
				require.Equal(t, 409, code, "local disk refuses an upload URL after complete")
			}
			require.Equal(t, "hello", downloaded(), "the completed file is fixed")
			_, err := a.attachments.Sweep(ctx)
			require.NoError(t, err)
			require.Equal(t, "hello", downloaded())
			require.Len(t, leftovers(), 1, "only the served object is left: %v", leftovers())

			// After a delete, the URL cannot bring an object back for good.
			owner.do("DELETE", "/api/v1/attachments/"+id, nil).must(t, 204)
			code = upload(t, up, []byte("again"), nil)
			if !useS3 {
				require.Equal(t, 409, code, "local disk refuses an upload URL after delete")
			}
			_, err = a.attachments.Sweep(ctx)
			require.NoError(t, err)
			require.Empty(t, leftovers(), "no object outlives the sweep without an attachment")
		})
	}
}

// A failed upload does not leave its pending attachment behind: the page
// deletes it at once (see app.js), and the sweep removes the pending rows
// that nobody deleted once their upload URL has expired.
func TestAttachmentFailedUploadLeavesNoPendingRow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := newApp(t, backends[0], nil)
	owner, _, tid := a.signup(t, uniqueEmail("failed"))
	presign := func() (string, map[string]any) {
		r := owner.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 5}).must(t, 201)
		return r.body["attachment"].(map[string]any)["id"].(string), r.body["upload"].(map[string]any)
	}
	// The client's cancel: DELETE on the pending attachment.
	id, up := presign()
	require.NotEqual(t, 200, upload(t, up, []byte("hello"), map[string]string{"Content-Type": "text/html"}))
	owner.do("DELETE", "/api/v1/attachments/"+id, nil).must(t, 204)
	require.Equal(t, 409, upload(t, up, []byte("hello"), nil), "a cancelled upload's URL is spent")
	require.Empty(t, owner.do("GET", "/api/v1/attachments", nil).must(t, 200).list())

	// Nobody cancelled: swept once its upload URL has expired.
	id, up = presign()
	require.Equal(t, 200, upload(t, up, []byte("hello"), nil))
	stored, err := a.store.AttachmentGet(ctx, uuid.MustParse(tid), uuid.MustParse(id))
	require.NoError(t, err)
	n, err := a.attachments.Sweep(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "a live upload stays")
	old := stored
	old.ID = uuid.Must(uuid.NewV7())
	old.ObjectKey = "tenants/" + tid + "/attachments/" + old.ID.String()
	old.CreatedAt = time.Now().Add(-attachment.StaleAfter - time.Minute).UTC().Truncate(time.Microsecond)
	require.Greater(t, attachment.StaleAfter, attachment.UploadTTL, "an upload URL expires before its row is swept")
	require.Less(t, attachment.StaleAfter, 2*time.Hour, "a pending row is not kept for long")
	require.NoError(t, a.store.AttachmentCreate(ctx, old))
	_, err = a.blobs.Put(ctx, old.UploadKey(), strings.NewReader("hello"), "text/plain")
	require.NoError(t, err)
	n, err = a.attachments.Sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = a.store.AttachmentGet(ctx, old.TenantID, old.ID)
	require.ErrorIs(t, err, apperr.ErrNotFound)
	_, err = a.blobs.Stat(ctx, old.UploadKey())
	require.ErrorIs(t, err, apperr.ErrNotFound, "its upload went too")
	owner.do("GET", "/api/v1/attachments/"+id, nil).must(t, 200)
}
