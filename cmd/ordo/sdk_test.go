package main_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordo/ordo/internal/testkit"
	"github.com/ordo/ordo/pkg/ordoclient"
)

// bearer signs the generated client's requests with an API key.
func bearer(key string) ordoclient.ClientOption {
	return ordoclient.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+key)
		return nil
	})
}

// An integrator's whole life with a real server, through the generated
// Go client only: key, order, ETag, If-Match, transition, attachment,
// export, invoice, webhook endpoint, audit log.
func TestGeneratedClient(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	port := freePort(t)
	env := []string{fmt.Sprintf("PORT=%d", port), "ORDO_WEBHOOKS_ALLOW_PRIVATE=true"}
	// `ordo openapi` prints, without configuration, the document the
	// client was generated from.
	doc, errOut, code := run(t, dir, nil, "openapi")
	committed, err := os.ReadFile("../../pkg/ordoclient/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || doc != string(committed) {
		t.Errorf("ordo openapi: exit %d, %d bytes (committed %d) %s", code, len(doc), len(committed), errOut)
	}
	// The first key comes from the operator CLI; the client makes the
	// one the rest of the test uses.
	adminKey := tenantKey(t, dir, env, "Sdk", "admin")
	start(t, dir, env)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitStatus(t, base+"/readyz", 200, 10*time.Second)

	admin, err := ordoclient.NewClientWithResponses(base, bearer(adminKey))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := admin.CreateAPIKeyWithResponse(ctx, nil, ordoclient.APIKeyCreateRequest{Name: "sdk test", Role: "member"})
	if err != nil || kr.JSON201 == nil || kr.JSON201.Key == nil || !strings.HasPrefix(*kr.JSON201.Key, "ordo_") {
		t.Fatalf("create API key: %v %s", err, body(kr))
	}
	if kr.JSON201.Role != "member" || kr.JSON201.Name != "sdk test" {
		t.Errorf("API key: %+v", kr.JSON201)
	}
	c, err := ordoclient.NewClientWithResponses(base, bearer(*kr.JSON201.Key))
	if err != nil {
		t.Fatal(err)
	}

	// An order with items; the server computes the totals.
	price, tax := int64(1250), int64(2000)
	cr, err := c.CreateOrderWithResponse(ctx, nil, ordoclient.OrderCreateRequest{
		CustomerName: "Ada Lovelace", CustomerEmail: "ada@example.com", Currency: "EUR",
		Items: &[]ordoclient.OrderItemInput{{Name: "Widget", Quantity: 2, UnitPrice: &price, TaxRateBp: &tax}},
	})
	if err != nil || cr.JSON201 == nil {
		t.Fatalf("create order: %v %s", err, body(cr))
	}
	o := cr.JSON201
	if o.Status != ordoclient.OrderStatusPending || o.Subtotal != 2500 || o.Tax != 500 || o.Total != 3000 || o.Items == nil || len(*o.Items) != 1 {
		t.Errorf("created order: %+v", o)
	}

	gr, err := c.GetOrderWithResponse(ctx, o.Id, nil)
	if err != nil || gr.JSON200 == nil {
		t.Fatalf("get order: %v %s", err, body(gr))
	}
	etag := gr.HTTPResponse.Header.Get("ETag")
	if etag == "" || gr.JSON200.Number != o.Number || gr.JSON200.Total != 3000 {
		t.Errorf("get order: etag %q %+v", etag, gr.JSON200)
	}
	// If-None-Match with the ETag: not modified.
	if nm, err := c.GetOrderWithResponse(ctx, o.Id, &ordoclient.GetOrderParams{IfNoneMatch: &etag}); err != nil || nm.StatusCode() != http.StatusNotModified {
		t.Errorf("If-None-Match: %v %s", err, body(nm))
	}

	notes := "leave at the door"
	stale := `"0"`
	if ur, err := c.UpdateOrderWithResponse(ctx, o.Id, &ordoclient.UpdateOrderParams{IfMatch: &stale}, ordoclient.OrderUpdateRequest{Notes: &notes}); err != nil || ur.StatusCode() != http.StatusPreconditionFailed {
		t.Errorf("update with a stale If-Match: %v %s", err, body(ur))
	}
	ur, err := c.UpdateOrderWithResponse(ctx, o.Id, &ordoclient.UpdateOrderParams{IfMatch: &etag}, ordoclient.OrderUpdateRequest{Notes: &notes})
	if err != nil || ur.JSON200 == nil {
		t.Fatalf("update order: %v %s", err, body(ur))
	}
	if ur.JSON200.Notes != notes || ur.JSON200.Version <= o.Version {
		t.Errorf("updated order: %+v", ur.JSON200)
	}
	etag = ur.HTTPResponse.Header.Get("ETag")

	tr, err := c.TransitionOrderWithResponse(ctx, o.Id, &ordoclient.TransitionOrderParams{IfMatch: &etag}, ordoclient.TransitionRequest{To: ordoclient.OrderStatusProcessing})
	if err != nil || tr.JSON200 == nil || tr.JSON200.Status != ordoclient.OrderStatusProcessing {
		t.Fatalf("transition: %v %s", err, body(tr))
	}

	// An attachment: presign, PUT the bytes to storage, complete.
	content := []byte("delivery note for order " + o.Number)
	pr, err := c.PresignUploadWithResponse(ctx, nil, ordoclient.PresignUploadRequest{
		Filename: "note.txt", ContentType: "text/plain", Size: int64(len(content)), OrderId: &o.Id,
	})
	if err != nil || pr.JSON201 == nil {
		t.Fatalf("presign: %v %s", err, body(pr))
	}
	up := pr.JSON201.Upload
	put, err := http.NewRequest(up.Method, absolute(base, up.Url), bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if up.Headers != nil {
		for k, v := range *up.Headers {
			put.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(put)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("upload to the presigned URL: %d", res.StatusCode)
	}
	ar, err := c.CompleteUploadWithResponse(ctx, pr.JSON201.Attachment.Id)
	if err != nil || ar.JSON200 == nil || ar.JSON200.Status != ordoclient.AttachmentStatusUploaded || ar.JSON200.Size != int64(len(content)) {
		t.Fatalf("complete upload: %v %s", err, body(ar))
	}
	if got, err := c.GetAttachmentWithResponse(ctx, ar.JSON200.Id); err != nil || got.JSON200 == nil || got.JSON200.DownloadUrl == nil {
		t.Errorf("get attachment: %v %s", err, body(got))
	} else if b := download(t, base, *got.JSON200.DownloadUrl); !bytes.Equal(b, content) {
		t.Errorf("attachment download: %q", b)
	}

	// An export, polled until completed, then downloaded.
	er, err := c.CreateExportWithResponse(ctx, nil, ordoclient.CreateExportRequest{Format: ordoclient.Csv})
	if err != nil || er.JSON202 == nil {
		t.Fatalf("create export: %v %s", err, body(er))
	}
	var exp *ordoclient.Export
	poll(t, "export", func() bool {
		r, err := c.GetExportWithResponse(ctx, er.JSON202.Id)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("get export: %v %s", err, body(r))
		}
		exp = r.JSON200
		if exp.Status == ordoclient.ExportStatusFailed {
			t.Fatalf("export failed: %s", exp.Error)
		}
		return exp.Status == ordoclient.ExportStatusCompleted
	})
	if exp.OrderCount != 1 || exp.DownloadUrl == nil {
		t.Fatalf("completed export: %+v", exp)
	}
	if csv := download(t, base, *exp.DownloadUrl); !bytes.Contains(csv, []byte(o.Number)) || !bytes.Contains(csv, []byte("ada@example.com")) {
		t.Errorf("export CSV lacks the order:\n%s", csv)
	}

	// An invoice, polled until ready.
	ir, err := c.CreateInvoiceWithResponse(ctx, o.Id)
	if err != nil || ir.JSON202 == nil {
		t.Fatalf("create invoice: %v %s", err, body(ir))
	}
	var inv *ordoclient.Invoice
	poll(t, "invoice", func() bool {
		r, err := c.GetInvoiceWithResponse(ctx, o.Id)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("get invoice: %v %s", err, body(r))
		}
		inv = r.JSON200
		if inv.Status == ordoclient.InvoiceStatusFailed {
			t.Fatalf("invoice failed: %+v", inv)
		}
		return inv.Status == ordoclient.InvoiceStatusReady
	})
	if inv.DownloadUrl == nil || inv.Number == "" {
		t.Fatalf("ready invoice: %+v", inv)
	}
	if pdf := download(t, base, *inv.DownloadUrl); !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("invoice is not a PDF: %.40q", pdf)
	}

	// A webhook endpoint, with its secret shown once (admins manage
	// them), and its test event delivered to a local receiver.
	got := make(chan []byte, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	t.Cleanup(rcv.Close)
	hook := rcv.URL
	types := []ordoclient.CreateWebhookEndpointRequestEventTypes{ordoclient.CreateWebhookEndpointRequestEventTypesOrderCreated}
	wr, err := admin.CreateWebhookEndpointWithResponse(ctx, nil, ordoclient.CreateWebhookEndpointRequest{Url: &hook, EventTypes: &types})
	if err != nil || wr.JSON201 == nil {
		t.Fatalf("create webhook endpoint: %v %s", err, body(wr))
	}
	if wr.JSON201.Url != hook || !wr.JSON201.Enabled || wr.JSON201.Secret == nil || *wr.JSON201.Secret == "" {
		t.Errorf("webhook endpoint: %+v", wr.JSON201)
	}

	if tw, err := admin.TestWebhookEndpointWithResponse(ctx, wr.JSON201.Id); err != nil || tw.JSON202 == nil {
		t.Errorf("test webhook endpoint: %v %s", err, body(tw))
	} else {
		select {
		case b := <-got:
			if !bytes.Contains(b, []byte("webhook.test")) {
				t.Errorf("test delivery: %s", b)
			}
		case <-time.After(30 * time.Second):
			t.Error("the test event was not delivered within 30s")
		}
	}

	// The event stream, resumed from before the first event, lists the
	// order's life. ClientWithResponses would read the endless body, so
	// this one call goes through the plain Client.
	sc, err := ordoclient.NewClient(base, bearer(*kr.JSON201.Key))
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	from := "00000000-0000-0000-0000-000000000000"
	sres, err := sc.StreamEvents(sctx, &ordoclient.StreamEventsParams{LastEventID: &from})
	if err != nil {
		t.Fatal(err)
	}
	if ct := sres.Header.Get("Content-Type"); sres.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("event stream: %d %s", sres.StatusCode, ct)
	}
	want := []string{"order.created", "order.updated", "order.status_changed"}
	var seen []string
	lines := bufio.NewScanner(sres.Body)
	hasAll := func() bool {
		for _, typ := range want {
			if !slices.Contains(seen, typ) {
				return false
			}
		}
		return true
	}
	for !hasAll() && lines.Scan() {
		if typ, ok := strings.CutPrefix(lines.Text(), "event: "); ok && !slices.Contains(seen, typ) {
			seen = append(seen, typ)
		}
	}
	sres.Body.Close()
	for _, typ := range want {
		if !slices.Contains(seen, typ) {
			t.Errorf("event stream lacks %s: saw %v", typ, seen)
		}
	}

	// The audit log lists what happened, newest first.
	lr, err := admin.ListAuditLogWithResponse(ctx, nil)
	if err != nil || lr.JSON200 == nil || lr.JSON200.Data == nil {
		t.Fatalf("audit log: %v %s", err, body(lr))
	}
	var actions []string
	for _, e := range *lr.JSON200.Data {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"api_key.created", "order.created", "order.updated", "order.status_changed", "attachment.uploaded", "invoice.requested", "webhook_endpoint.created", "webhook_endpoint.tested"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log lacks %s: %v", want, actions)
		}
	}
}

// body is a response's status and body, for failure messages.
func body[R any, P interface {
	*R
	StatusCode() int
	GetBody() []byte
}](r P) string {
	if r == nil {
		return "no response"
	}
	return fmt.Sprintf("status %d: %s", r.StatusCode(), r.GetBody())
}

// absolute resolves a URL the API gave relative to its base.
func absolute(base, u string) string {
	if strings.HasPrefix(u, "/") {
		return base + u
	}
	return u
}

func download(t *testing.T, base, u string) []byte {
	t.Helper()
	res, err := http.Get(absolute(base, u))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("download %s: %d %v", u, res.StatusCode, err)
	}
	return b
}

// poll calls done until it reports true, for up to 30s.
func poll(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("%s not done within 30s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
