package web_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/testkit"
)

// waitExport polls an export until it leaves queued/running.
func waitExport(t *testing.T, c *client, id string) resp {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := c.do("GET", "/api/v1/exports/"+id, nil).must(t, 200)
		if st := r.str("status"); st != "queued" && st != "running" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("export %s still %s after 15s", id, r.str("status"))
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func download(t *testing.T, url string) ([]byte, http.Header) {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return b, res.Header
}

// Exports run as jobs, stream to storage (local disk and S3), and are
// downloaded through presigned URLs.
func TestExports(t *testing.T) {
	t.Parallel()
	forEachStorage(t, func(t *testing.T, a *app, s3 bool) {
		owner, _, _ := a.signup(t, uniqueEmail("exp"))
		for _, n := range []string{"Alice A", "Bob B", "Zoë Ž"} {
			owner.do("POST", "/api/v1/orders", orderBody(n)).must(t, 201)
		}
		r := owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "csv"})
		require.Equal(t, 202, r.status, r.raw)
		require.Equal(t, "/api/v1/exports/"+r.str("id"), r.header.Get("Location"))
		done := waitExport(t, owner, r.str("id"))
		require.Equal(t, "completed", done.str("status"), done.raw)
		require.Equal(t, map[string]any{"done": float64(3), "total": float64(3)}, done.body["progress"])
		body, hdr := download(t, done.str("download_url"))
		require.Contains(t, hdr.Get("Content-Disposition"), ".csv")
		records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		require.NoError(t, err)
		require.Len(t, records, 1+3*2, "a header and one row per item")
		require.Equal(t, "order_number", records[0][0])
		require.Equal(t, float64(6), done.body["row_count"])

		// XLSX with a filter.
		r = owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "xlsx", "q": "zoë"}).must(t, 202)
		done = waitExport(t, owner, r.str("id"))
		require.Equal(t, "completed", done.str("status"), done.raw)
		body, _ = download(t, done.str("download_url"))
		f, err := excelize.OpenReader(bytes.NewReader(body))
		require.NoError(t, err)
		rows, err := f.GetRows("Orders")
		require.NoError(t, err)
		require.Len(t, rows, 2)
		require.Equal(t, "Zoë Ž", rows[1][3])

		list := owner.do("GET", "/api/v1/exports", nil).must(t, 200).list()
		require.Len(t, list, 2)
		owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "docx"}).must(t, 422)
		viewer, _ := a.joinAs(t, owner, access.RoleViewer)
		viewer.do("POST", "/api/v1/orders/export", map[string]any{"format": "csv"}).must(t, 403)
		other, _, _ := a.signup(t, uniqueEmail("other"))
		other.do("GET", "/api/v1/exports/"+r.str("id"), nil).must(t, 404)
		other.do("DELETE", "/api/v1/exports/"+r.str("id"), nil).must(t, 404)

		owner.do("DELETE", "/api/v1/exports/"+r.str("id"), nil).must(t, 204)
		owner.do("GET", "/api/v1/exports/"+r.str("id"), nil).must(t, 404)

		// An empty export still has its header.
		r = owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "csv", "status": "delivered"}).must(t, 202)
		done = waitExport(t, owner, r.str("id"))
		body, _ = download(t, done.str("download_url"))
		records, err = csv.NewReader(bytes.NewReader(body)).ReadAll()
		require.NoError(t, err)
		require.Len(t, records, 1)
	})
}

func TestUIExports(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("uiexp"))
	owner.do("POST", "/api/v1/orders", orderBody("Page P")).must(t, 201)
	require.Contains(t, owner.get(t, "/app/orders").body, `action="/app/exports"`)
	p := owner.post(t, "/app/exports", url.Values{"format": {"xlsx"}, "q": {"page"}})
	require.Equal(t, "/app/exports", p.url)
	require.Contains(t, p.body, "Export started")
	require.Eventually(t, func() bool { return strings.Contains(owner.get(t, "/app/exports").body, "/download") }, 10*time.Second, 50*time.Millisecond)
	viewer, _ := a.joinAs(t, owner, access.RoleViewer)
	require.NotContains(t, viewer.get(t, "/app/orders").body, `action="/app/exports"`)
}

// A PDF export is a readable report; above 5,000 orders it is refused
// with a 422 that points to CSV and XLSX.
func TestPDFExport(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, tenantID := a.signup(t, uniqueEmail("pdf"))
	owner.do("PATCH", "/api/v1/tenant", map[string]any{"name": "Report Co"}).must(t, 200)
	for _, n := range []string{"Alice A", "Zoë Ž"} {
		owner.do("POST", "/api/v1/orders", orderBody(n)).must(t, 201)
	}
	r := owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "pdf", "q": "zoë"}).must(t, 202)
	done := waitExport(t, owner, r.str("id"))
	require.Equal(t, "completed", done.str("status"), done.raw)
	body, hdr := download(t, done.str("download_url"))
	require.Contains(t, hdr.Get("Content-Disposition"), ".pdf")
	text := strings.Join(strings.Fields(testkit.PDFText(t, body)), " ")
	require.Contains(t, text, "Report Co")
	require.Contains(t, text, "Zoë Ž")
	require.NotContains(t, text, "Alice A", "the filter applies")
	require.Contains(t, text, "zoë", "the filters are in the header")

	// Past the cap.
	a.bulkOrders(t, tenantID, export.PDFMaxOrders)
	r = owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "pdf"})
	require.Equal(t, 422, r.status, r.raw)
	require.Contains(t, r.raw, "csv or xlsx")
	// Narrowed by a filter it is fine again.
	owner.do("POST", "/api/v1/orders/export", map[string]any{"format": "pdf", "q": "alice"}).must(t, 202)
}

// An export reports the orders it holds and the rows of its file as two
// numbers (a CSV has a row per item), in the API, on the page and in the
// e-mail: 5 orders of 9 items make a CSV of 9 rows, an XLSX of 5 + 9 rows
// (Orders, Items) and a PDF of 5.
func TestExportOrderAndRowCounts(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	email := uniqueEmail("counts")
	owner, _, _ := a.signup(t, email)
	for i, items := range []int{1, 2, 3, 2, 1} {
		body := orderBody("Count " + string(rune('A'+i)))
		var its []any
		for j := range items {
			its = append(its, map[string]any{"name": "Item " + string(rune('a'+j)), "quantity": 1, "unit_price": 100})
		}
		body["items"] = its
		owner.do("POST", "/api/v1/orders", body).must(t, 201)
	}
	for _, tc := range []struct {
		format string
		rows   int
	}{{"csv", 9}, {"xlsx", 5 + 9}, {"pdf", 5}} {
		r := owner.do("POST", "/api/v1/orders/export", map[string]any{"format": tc.format}).must(t, 202)
		done := waitExport(t, owner, r.str("id"))
		require.Equal(t, "completed", done.str("status"), done.raw)
		require.Equal(t, float64(5), done.body["order_count"], "%s: %s", tc.format, done.raw)
		require.Equal(t, float64(tc.rows), done.body["row_count"], "%s: %s", tc.format, done.raw)

		// row_count is what a reader of the file counts.
		body, _ := download(t, done.str("download_url"))
		switch tc.format {
		case "csv":
			records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
			require.NoError(t, err)
			require.Len(t, records, 1+tc.rows, "a header and the data rows")
		case "xlsx":
			f, err := excelize.OpenReader(bytes.NewReader(body))
			require.NoError(t, err)
			orders, err := f.GetRows("Orders")
			require.NoError(t, err)
			items, err := f.GetRows("Items")
			require.NoError(t, err)
			require.Equal(t, tc.rows, len(orders)-1+len(items)-1, "the data rows of both sheets")
		case "pdf":
			require.Contains(t, strings.Join(strings.Fields(testkit.PDFText(t, body)), " "), "5 orders")
		}

		m := a.outbox.wait(t, email, "Your "+strings.ToUpper(tc.format)+" export")
		want := "5 orders (" + strconv.Itoa(tc.rows) + " rows in the file)"
		require.Contains(t, m.Text, want)
		require.Contains(t, m.HTML, want)
	}
	page := owner.get(t, "/app/exports").body
	require.Contains(t, page, `<th scope="col" class="num" data-sort="num">Orders</th><th scope="col" class="num" data-sort="num">Rows in file</th>`)
	require.Contains(t, page, `data-label="Orders" data-value="5">5</td>`+"\n"+`<td class="num" data-label="Rows in file" data-value="9">9</td>`, "the CSV export's counts")
}
