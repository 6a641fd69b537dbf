package web_test

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/order"
	listpage "github.com/ordo/ordo/internal/page"
)

// referencedKeys is every object key a row of the tenant refers to:
// attachments, exports, invoices and the branding logo.
func referencedKeys(t *testing.T, a *app, tenantID uuid.UUID) map[string]bool {
	t.Helper()
	ctx := context.Background()
	refs := map[string]bool{}
	atts, err := a.store.AttachmentList(ctx, tenantID, nil, listpage.Request{Limit: 10_000})
	require.NoError(t, err)
	for _, x := range atts {
		refs[x.ObjectKey] = true
	}
	exps, err := a.store.ExportList(ctx, tenantID, listpage.Request{Limit: 10_000})
	require.NoError(t, err)
	for _, x := range exps {
		refs[x.ObjectKey] = true
	}
	os, err := a.store.OrderList(ctx, order.ListParams{TenantID: tenantID, Sort: order.SortCreatedAt, Limit: 10_000})
	require.NoError(t, err)
	for _, o := range os {
		if inv, err := a.store.InvoiceGet(ctx, tenantID, o.ID); err == nil {
			refs[inv.ObjectKey] = true
		}
	}
	st, err := a.store.TenantSettings(ctx, tenantID)
	require.NoError(t, err)
	refs[st.Branding.LogoKey] = true
	return refs
}

// dieAfterCommit makes the next n blob deletes fail, as they would in a
// process that dies right after the commit: the deletion enqueued with the
// commit must still happen.
func dieAfterCommit(a *app, n int32) { a.deleteFailures.Store(n) }

// requireNoOrphans waits until every object under the tenant's prefix is
// referenced by a row (deletions may finish in a job after the request).
func requireNoOrphans(t *testing.T, a *app, tenantID string, after string) {
	t.Helper()
	tid := uuid.MustParse(tenantID)
	deadline := time.Now().Add(20 * time.Second)
	for {
		objs, err := a.blobs.List(context.Background(), "tenants/"+tenantID+"/")
		require.NoError(t, err)
		refs := referencedKeys(t, a, tid)
		var orphans []string
		for _, o := range objs {
			if !refs[o.Key] {
				orphans = append(orphans, o.Key)
			}
		}
		if len(orphans) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, objects without a row after 20s: %v", after, orphans)
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.LessOrEqual(t, a.deleteFailures.Load(), int32(0), "after %s: the deletes meant to fail were not made", after)
}

// attach uploads a small file to the order and returns the attachment id.
func attach(t *testing.T, c *client, orderID string) string {
	t.Helper()
	content := []byte("%PDF-1.4 " + strings.Repeat("y", 500))
	r := c.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "f.pdf", "content_type": "application/pdf", "size": len(content), "order_id": orderID}).must(t, 201)
	id := r.body["attachment"].(map[string]any)["id"].(string)
	require.Equal(t, 200, upload(t, r.body["upload"].(map[string]any), content, nil))
	c.do("POST", "/api/v1/attachments/"+id+"/complete", nil).must(t, 200)
	return id
}

// An invoiced order is an accounting record: deleting it is refused with a
// 409 that says to cancel it, and the order and its invoice (and PDF) stay.
// No delete path leaves an object in storage that no row refers to: order
// delete (API and page), attachment delete, export delete, invoice
// regeneration, logo replacement and removal; on local disk and on S3;
// even when the delete made right after the commit does not happen (the
// process died): the deletion was enqueued in the same transaction.
func TestNoOrphanedObjects(t *testing.T) {
	t.Parallel()
	forEachStorage(t, func(t *testing.T, a *app, s3 bool) {
		owner, _, tid := a.signup(t, uniqueEmail("orphans"))
		owner.do("PUT", "/api/v1/tenant/logo", pngLogo(t)).must(t, 200)

		// An invoiced order with an attachment.
		invoiced := owner.do("POST", "/api/v1/orders", orderBody("Invoiced I")).must(t, 201).str("id")
		attach(t, owner, invoiced)
		owner.do("POST", "/api/v1/orders/"+invoiced+"/invoice", nil).must(t, 202)
		first := waitInvoice(t, owner, invoiced)
		require.Equal(t, "ready", first.str("status"), first.raw)
		requireNoOrphans(t, a, tid, "setting up")

		// Regenerating writes a new PDF; the old one goes.
		dieAfterCommit(a, 1)
		owner.do("POST", "/api/v1/orders/"+invoiced+"/invoice", nil).must(t, 202)
		require.Eventually(t, func() bool {
			r := owner.do("GET", "/api/v1/orders/"+invoiced+"/invoice", nil).must(t, 200)
			return r.str("status") == "ready" && r.str("generated_at") != first.str("generated_at")
		}, 20*time.Second, 20*time.Millisecond)
		requireNoOrphans(t, a, tid, "regenerating an invoice")

		// Deleting the invoiced order: 409, nothing lost.
		r := owner.do("DELETE", "/api/v1/orders/"+invoiced, nil).must(t, 409)
		require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
		require.Contains(t, r.str("detail"), "cancel it instead")
		require.Contains(t, r.str("detail"), "INV-000001")
		owner.do("GET", "/api/v1/orders/"+invoiced, nil).must(t, 200)
		inv := owner.do("GET", "/api/v1/orders/"+invoiced+"/invoice", nil).must(t, 200)
		require.Equal(t, "INV-000001", inv.str("number"))
		pdf, _ := download(t, inv.str("download_url"))
		require.NotEmpty(t, pdf, "the PDF is still there")
		require.Len(t, owner.do("GET", "/api/v1/attachments?order_id="+invoiced, nil).must(t, 200).list(), 1, "and so is its attachment")
		// The page refuses too, back on the order with the reason.
		p := owner.post(t, "/app/orders/"+invoiced+"/delete", url.Values{})
		require.Equal(t, "/app/orders/"+invoiced, p.url)
		require.Contains(t, p.body, "cancel it instead")
		owner.do("GET", "/api/v1/orders/"+invoiced, nil).must(t, 200)
		// Cancelling is the way out, and keeps the invoice.
		owner.do("POST", "/api/v1/orders/"+invoiced+"/transitions", map[string]any{"to": "cancelled"}).must(t, 200)
		owner.do("GET", "/api/v1/orders/"+invoiced+"/invoice", nil).must(t, 200)
		requireNoOrphans(t, a, tid, "refusing to delete an invoiced order")

		// An order without an invoice goes, with its attachments' files.
		plain := owner.do("POST", "/api/v1/orders", orderBody("Plain P")).must(t, 201).str("id")
		attach(t, owner, plain)
		attach(t, owner, plain)
		dieAfterCommit(a, 2)
		owner.do("DELETE", "/api/v1/orders/"+plain, nil).must(t, 204)
		requireNoOrphans(t, a, tid, "deleting an order (API)")
		viaPage := owner.do("POST", "/api/v1/orders", orderBody("Page P")).must(t, 201).str("id")
		attach(t, owner, viaPage)
		dieAfterCommit(a, 1)
		p = owner.post(t, "/app/orders/"+viaPage+"/delete", url.Values{})
		require.Equal(t, "/app/orders", p.url)
		owner.do("GET", "/api/v1/orders/"+viaPage, nil).must(t, 404)
		requireNoOrphans(t, a, tid, "deleting an order (page)")

		// An attachment.
		other := owner.do("POST", "/api/v1/orders", orderBody("Other O")).must(t, 201).str("id")
		att := attach(t, owner, other)
		dieAfterCommit(a, 1)
		owner.do("DELETE", "/api/v1/attachments/"+att, nil).must(t, 204)
		requireNoOrphans(t, a, tid, "deleting an attachment")

		// An export.
		e := owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "csv"}).must(t, 202).str("id")
		require.Equal(t, "completed", waitExport(t, owner, e).str("status"))
		dieAfterCommit(a, 1)
		owner.do("DELETE", "/api/v1/exports/"+e, nil).must(t, 204)
		requireNoOrphans(t, a, tid, "deleting an export")

		// The logo, replaced and removed.
		dieAfterCommit(a, 1)
		owner.do("PUT", "/api/v1/tenant/logo", pngLogo(t)).must(t, 200)
		requireNoOrphans(t, a, tid, "replacing the logo")
		dieAfterCommit(a, 1)
		owner.do("DELETE", "/api/v1/tenant/logo", nil).must(t, 204)
		requireNoOrphans(t, a, tid, "removing the logo")

		// What is left is what the rows name: the invoice and the
		// invoiced order's attachment.
		objs, err := a.blobs.List(context.Background(), "tenants/"+tid+"/")
		require.NoError(t, err)
		var keys []string
		for _, o := range objs {
			keys = append(keys, o.Key)
		}
		sort.Strings(keys)
		require.Len(t, keys, 2, "%v", keys)
		require.Contains(t, keys[0], "/attachments/")
		require.Contains(t, keys[1], "/invoices/")
	})
}

// An export cancelled while running whose run died before removing its
// partial file: the job, run again, removes it instead of leaving it.
func TestCancelledExportRunRemovesItsFile(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, tid := a.signup(t, uniqueEmail("cancelled"))
	tenantID := uuid.MustParse(tid)
	ctx := context.Background()
	n := time.Now().UTC().Truncate(time.Microsecond)
	e := export.Export{ID: uuid.Must(uuid.NewV7()), TenantID: tenantID, Format: export.FormatCSV, Status: export.StatusQueued, CreatedAt: n, UpdatedAt: n}
	require.NoError(t, a.store.ExportCreate(ctx, e))
	e.Status, e.ObjectKey = export.StatusCancelled, "tenants/"+tid+"/exports/"+e.ID.String()+".csv"
	require.NoError(t, a.store.ExportUpdate(ctx, e))
	_, err := a.blobs.Put(ctx, e.ObjectKey, strings.NewReader("order_number\n"), "text/csv")
	require.NoError(t, err)

	require.NoError(t, a.exports.Run(ctx, tenantID, e.ID))
	_, err = a.blobs.Stat(ctx, e.ObjectKey)
	require.ErrorIs(t, err, apperr.ErrNotFound, "the partial file is gone")
	require.Equal(t, "cancelled", owner.do("GET", "/api/v1/exports/"+e.ID.String(), nil).must(t, 200).str("status"))
	requireNoOrphans(t, a, tid, "running a cancelled export again")
}
