package web_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/export"
)

// postFile submits a multipart form with one file, as a same-origin
// browser would, following the redirect.
func (c *client) postFile(t *testing.T, path, field, filename string, data []byte) page {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, filename)
	require.NoError(t, err)
	_, _ = fw.Write(data)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest("POST", c.a.url+path, &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := c.http.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, url: res.Request.URL.Path, body: string(b)}
}

// location GETs path without following a redirect and returns the status
// and Location.
func (c *client) location(t *testing.T, path string) (int, string) {
	t.Helper()
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := hc.Get(c.a.url + path)
	require.NoError(t, err)
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Location")
}

func testPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := range 40 {
		for y := range 20 {
			img.Set(x, y, color.RGBA{R: 0x1f, G: 0x6f, B: 0xeb, A: 0xff})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// An order's invoice from its page: generate, see it become ready, and
// download the PDF through a fresh presigned URL.
func TestUIInvoice(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("uiinv"))
	id := owner.do("POST", "/api/v1/orders", orderBody("Invoice I")).must(t, 201).str("id")

	p := owner.get(t, "/app/orders/"+id)
	require.Contains(t, p.body, "No invoice yet")
	require.Contains(t, p.body, `action="/app/orders/`+id+`/invoice"`)
	require.Contains(t, p.body, "Generate invoice")
	require.Contains(t, p.body, `data-live-events="invoice.generated"`)
	code, _ := owner.location(t, "/app/orders/"+id+"/invoice/download")
	require.Equal(t, 404, code, "nothing to download yet")

	p = owner.post(t, "/app/orders/"+id+"/invoice", nil)
	require.Equal(t, "/app/orders/"+id, p.url)
	require.Contains(t, p.body, "Generating invoice INV-000001")
	require.Eventually(t, func() bool {
		return strings.Contains(owner.get(t, "/app/orders/"+id).body, `id="invoice-download"`)
	}, 20*time.Second, 50*time.Millisecond)
	p = owner.get(t, "/app/orders/"+id)
	require.Contains(t, p.body, "invoice-ready")
	require.Contains(t, p.body, "Regenerate")
	require.NotContains(t, p.body, "data-live-wait")

	code, loc := owner.location(t, "/app/orders/"+id+"/invoice/download")
	require.Equal(t, 303, code)
	// A local-disk URL is a path on the page's own origin.
	require.True(t, strings.HasPrefix(loc, "/blobs?"), loc)
	pdf, hdr := download(t, a.url+loc)
	require.True(t, bytes.HasPrefix(pdf, []byte("%PDF-")))
	require.Contains(t, hdr.Get("Content-Disposition"), "INV-000001.pdf")

	// A viewer may download but not generate; another tenant gets 404.
	viewer, _ := a.joinAs(t, owner, access.RoleViewer)
	v := viewer.get(t, "/app/orders/"+id)
	require.Contains(t, v.body, `id="invoice-download"`)
	require.NotContains(t, v.body, `/invoice"`)
	require.Equal(t, 403, viewer.post(t, "/app/orders/"+id+"/invoice", nil).status)
	other, _, _ := a.signup(t, uniqueEmail("uiinv-other"))
	require.Equal(t, 404, other.post(t, "/app/orders/"+id+"/invoice", nil).status)
	code, _ = other.location(t, "/app/orders/"+id+"/invoice/download")
	require.Equal(t, 404, code)
}

// Invoice branding on the settings page: inline errors keep what was
// typed; a PNG logo is taken, other files are refused inline.
func TestUIBranding(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("uibrand"))
	p := owner.get(t, "/app/settings")
	require.Equal(t, 200, p.status)
	require.Contains(t, p.body, "Invoice branding")
	require.Contains(t, p.body, "No logo")
	require.Contains(t, p.body, `enctype="multipart/form-data"`)
	require.Contains(t, p.body, "0 files, 0 B", "the storage usage is still there")

	form := url.Values{"address": {"1 Rue de la Paix\n75002 Paris"}, "tax_id": {"FR123"}, "accent_color": {"blue"}, "footer": {"IBAN FR76 <b>"}}
	p = owner.post(t, "/app/settings/branding", form)
	require.Equal(t, 422, p.status)
	require.Contains(t, p.body, `id="e-accent_color"`)
	require.Contains(t, p.body, "must be a colour like")
	require.Contains(t, p.body, `value="blue"`)
	require.Contains(t, p.body, "75002 Paris</textarea>", "the address is kept")
	require.Contains(t, p.body, "IBAN FR76 &lt;b&gt;")

	form.Set("accent_color", "#1F6FEB")
	p = owner.post(t, "/app/settings/branding", form)
	require.Equal(t, "/app/settings", p.url)
	require.Contains(t, p.body, "Invoice branding saved")
	require.Contains(t, p.body, `value="#1f6feb"`)
	require.Contains(t, p.body, "FR123")
	b := owner.do("GET", "/api/v1/tenant/branding", nil).must(t, 200)
	require.Equal(t, "#1f6feb", b.str("accent_color"))

	// Logos: a text file and an oversized file are refused inline.
	p = owner.postFile(t, "/app/settings/logo", "logo", "logo.txt", []byte("not an image"))
	require.Equal(t, 422, p.status)
	require.Contains(t, p.body, `id="e-logo"`)
	require.Contains(t, p.body, "must be a PNG or JPEG image")
	require.Contains(t, p.body, `value="FR123"`, "the rest of the page is intact")
	p = owner.postFile(t, "/app/settings/logo", "logo", "huge.png", bytes.Repeat([]byte{1}, 600<<10))
	require.Equal(t, 422, p.status)
	require.Contains(t, p.body, "at most 512 KiB")

	p = owner.postFile(t, "/app/settings/logo", "logo", "logo.png", testPNG(t))
	require.Equal(t, "/app/settings", p.url, p.body)
	require.Contains(t, p.body, "Logo uploaded")
	require.Contains(t, p.body, "A PNG logo is set")
	require.Contains(t, p.body, `action="/app/settings/logo/delete"`)
	require.True(t, owner.do("GET", "/api/v1/tenant/branding", nil).must(t, 200).body["has_logo"].(bool))

	p = owner.post(t, "/app/settings/logo/delete", nil)
	require.Contains(t, p.body, "Logo removed")
	require.Contains(t, p.body, "No logo")

	// Members may not change branding.
	member, _ := a.joinAs(t, owner, access.RoleMember)
	require.Equal(t, 403, member.get(t, "/app/settings").status)
	require.Equal(t, 403, member.post(t, "/app/settings/branding", form).status)
	require.Equal(t, 403, member.postFile(t, "/app/settings/logo", "logo", "logo.png", testPNG(t)).status)
}

// The export forms offer PDF, and a refused export is explained on the
// exports page.
func TestUIExportPDF(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, tenantID := a.signup(t, uniqueEmail("uipdf"))
	require.Contains(t, owner.get(t, "/app/orders").body, `<option value="pdf">`)
	require.Contains(t, owner.get(t, "/app/exports").body, `<option value="pdf"`)

	p := owner.post(t, "/app/exports", url.Values{"format": {"docx"}})
	require.Equal(t, 422, p.status)
	require.Contains(t, p.body, "The export was not started: format must be csv, xlsx or pdf.")

	a.bulkOrders(t, tenantID, export.PDFMaxOrders+1)
	p = owner.post(t, "/app/exports", url.Values{"format": {"pdf"}, "status": {"pending"}})
	require.Equal(t, 422, p.status)
	require.Contains(t, p.body, "The export was not started: a PDF export holds at most 5000 orders")
	require.Contains(t, p.body, "choose csv or xlsx")
	require.Contains(t, p.body, `<option value="pdf" selected>`, "the choice is kept")
	require.Contains(t, p.body, `<option value="pending" selected>`)
}
