package web_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/testkit"
)

// waitInvoice polls an order's invoice until it is no longer pending.
func waitInvoice(t *testing.T, c *client, orderID string) resp {
	t.Helper()
	var r resp
	require.Eventually(t, func() bool {
		r = c.do("GET", "/api/v1/orders/"+orderID+"/invoice", nil)
		return r.status == 200 && r.str("status") != "pending"
	}, 20*time.Second, 20*time.Millisecond, "invoice of %s still pending", orderID)
	return r
}

// Invoices are generated on request and on shipping, keep their number
// when regenerated, are real text, and download through presigned URLs
// from local disk and S3.
func TestInvoices(t *testing.T) {
	t.Parallel()
	forEachStorage(t, func(t *testing.T, a *app, s3 bool) {
		owner, _, tenantID := a.signup(t, uniqueEmail("inv"))
		owner.do("PATCH", "/api/v1/tenant", map[string]any{"name": "Müller & Söhne"}).must(t, 200)
		body := orderBody("Ærøskøbing Ψυχή Дмитрий")
		o := owner.do("POST", "/api/v1/orders", body).must(t, 201)
		id := o.str("id")

		owner.do("GET", "/api/v1/orders/"+id+"/invoice", nil).must(t, 404)
		r := owner.do("POST", "/api/v1/orders/"+id+"/invoice", nil).must(t, 202)
		require.Equal(t, "INV-000001", r.str("number"))
		inv := waitInvoice(t, owner, id)
		require.Equal(t, "ready", inv.str("status"), inv.raw)
		pdf, hdr := download(t, inv.str("download_url"))
		require.Contains(t, hdr.Get("Content-Disposition"), "INV-000001.pdf")
		text := strings.Join(strings.Fields(testkit.PDFText(t, pdf)), " ")
		for _, want := range []string{"INV-000001", "Ærøskøbing Ψυχή Дмитрий", "Müller & Söhne"} {
			require.Contains(t, text, want)
		}
		for _, it := range o.body["items"].([]any) {
			require.Contains(t, text, it.(map[string]any)["name"].(string))
		}
		total := order.FormatMoney(num(o, "total"), o.str("currency"))
		require.Contains(t, text, strings.Fields(total)[0], "the total, formatted")

		// Shipping regenerates it, keeping the number.
		for _, to := range []string{"processing", "shipped"} {
			owner.do("POST", "/api/v1/orders/"+id+"/transitions", map[string]any{"to": to}).must(t, 200)
		}
		require.Eventually(t, func() bool {
			r := owner.do("GET", "/api/v1/orders/"+id+"/invoice", nil).must(t, 200)
			return r.str("status") == "ready" && r.str("generated_at") != inv.str("generated_at")
		}, 20*time.Second, 20*time.Millisecond)
		require.Equal(t, "INV-000001", owner.do("GET", "/api/v1/orders/"+id+"/invoice", nil).must(t, 200).str("number"))

		// Another order ships without a request and gets the next number.
		id2 := owner.do("POST", "/api/v1/orders", orderBody("Second S")).must(t, 201).str("id")
		for _, to := range []string{"processing", "shipped"} {
			owner.do("POST", "/api/v1/orders/"+id2+"/transitions", map[string]any{"to": to}).must(t, 200)
		}
		require.Equal(t, "INV-000002", waitInvoice(t, owner, id2).str("number"))

		// The invoice is announced on the events stream's outbox.
		evs, err := a.store.EventListAfter(t.Context(), uuid.MustParse(tenantID), uuid.Nil, 1000)
		require.NoError(t, err)
		n := 0
		for _, e := range evs {
			if e.Type == "invoice.generated" {
				n++
			}
		}
		require.GreaterOrEqual(t, n, 3)
	})
}

// pngLogo is a small PNG image.
func pngLogo(t *testing.T) rawBody {
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := 0; x < 40; x++ {
		for y := 0; y < 20; y++ {
			img.Set(x, y, color.RGBA{R: 31, G: 111, B: 235, A: 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return rawBody{buf.Bytes(), "image/png"}
}

// Branding is validated field by field, and the logo must be a real
// image; an invoice uses them.
func TestBranding(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("brand"))
	r := owner.do("PUT", "/api/v1/tenant/branding", map[string]any{"accent_color": "blue"})
	require.Equal(t, 422, r.status, r.raw)
	require.Contains(t, r.raw, "accent_color")
	b := owner.do("PUT", "/api/v1/tenant/branding", map[string]any{"address": "1 Main St\nSpringfield", "tax_id": "DE123456789",
		"accent_color": "#1F6FEB", "footer": "Thank you for your business", "rtl": true}).must(t, 200)
	require.Equal(t, "#1f6feb", b.str("accent_color"))
	require.Equal(t, false, b.body["has_logo"])
	require.Equal(t, true, b.body["rtl"], "a right-to-left (mirrored) layout")

	r = owner.do("PUT", "/api/v1/tenant/logo", rawBody{[]byte("GIF89a not really"), "image/gif"})
	require.Equal(t, 422, r.status, r.raw)
	require.Contains(t, r.raw, "logo")
	b = owner.do("PUT", "/api/v1/tenant/logo", pngLogo(t)).must(t, 200)
	require.Equal(t, true, b.body["has_logo"])
	require.Equal(t, "DE123456789", owner.do("GET", "/api/v1/tenant/branding", nil).must(t, 200).str("tax_id"))

	id := owner.do("POST", "/api/v1/orders", orderBody("Brand B")).must(t, 201).str("id")
	owner.do("POST", "/api/v1/orders/"+id+"/invoice", nil).must(t, 202)
	inv := waitInvoice(t, owner, id)
	require.Equal(t, "ready", inv.str("status"))
	pdf, _ := download(t, inv.str("download_url"))
	text := testkit.PDFText(t, pdf)
	require.Contains(t, text, "DE123456789")
	require.Contains(t, text, "Thank you for your business")
	require.Contains(t, string(pdf), "/Subtype /Image", "the logo is embedded")
	require.Equal(t, true, owner.do("GET", "/api/v1/tenant/branding", nil).must(t, 200).body["rtl"])

	owner.do("DELETE", "/api/v1/tenant/logo", nil).must(t, 204)
	require.Equal(t, false, owner.do("GET", "/api/v1/tenant/branding", nil).must(t, 200).body["has_logo"])
}
