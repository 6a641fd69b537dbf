package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/export"
)

// End-to-end exports: the tenant with the most orders exports them
// through the real API; a separate `ordo worker` writes the file to an S3
// server (versitygw, what the tests and the compose file use), and the
// harness downloads it from the URL the API hands out. The time from the
// request to the completed export is compared with the in-process export
// of the same orders (ordoExport, measured just before), and the
// worker's peak RSS is read from /proc.

// E2EExportResult is one export through the API, a worker and S3.
type E2EExportResult struct {
	Format string `json:"format"`
	Orders int64  `json:"orders"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	// Seconds is from POST /api/v1/orders/export to the export's status
	// completed, polled every 50 ms; DownloadSeconds is the GET of its
	// download URL from S3.
	Seconds         float64 `json:"seconds"`
	DownloadSeconds float64 `json:"download_seconds"`
	// InProcessSeconds is ordoExport of the same orders and format in the
	// harness's process, to a byte counter; Ratio is Seconds ÷ it.
	InProcessSeconds float64 `json:"in_process_seconds"`
	Ratio            float64 `json:"ratio"`
	// WorkerPeakRSSMiB is the worker process's VmHWM during the export.
	WorkerPeakRSSMiB float64 `json:"worker_peak_rss_mib"`
}

// findVersitygw is the S3 server binary: path when set, else .bin/ in
// the working directory (make tools installs it there), else PATH.
func findVersitygw(path string) string {
	if path != "" {
		return path
	}
	if _, err := os.Stat(filepath.Join(".bin", "versitygw")); err == nil {
		p, _ := filepath.Abs(filepath.Join(".bin", "versitygw"))
		return p
	}
	p, _ := exec.LookPath("versitygw")
	return p
}

// benchE2EExports runs the end-to-end exports of the largest tenant on
// the PostgreSQL database at dbURL, with env as serve's configuration.
func benchE2EExports(ctx context.Context, o Options, ordo *Ordo, ds *dataset, env envMap) ([]E2EExportResult, error) {
	gw := findVersitygw(o.Versitygw)
	if gw == "" {
		fmt.Fprintln(o.Progress, "exports end to end: skipped, no versitygw (make tools, or -versitygw PATH)")
		return nil, nil
	}
	dir, err := os.MkdirTemp("", "ordo-bench-e2e-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	s3Port, err := freePort()
	if err != nil {
		return nil, err
	}
	s3URL := fmt.Sprintf("http://127.0.0.1:%d", s3Port)
	if err := os.MkdirAll(filepath.Join(dir, "s3"), 0o755); err != nil {
		return nil, err
	}
	s3, _, err := startProc(ctx, "versitygw", gw, []string{"--access", "benchkey", "--secret", "benchsecret123", "--port", fmt.Sprintf("127.0.0.1:%d", s3Port), "posix", filepath.Join(dir, "s3")},
		[]string{"HOME=" + dir}, s3URL+"/", true)
	if err != nil {
		return nil, err
	}
	defer s3.stop()

	// serve and a worker, as in production: the database, and S3.
	vars := []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "ORDO_DATA_DIR=" + filepath.Join(dir, "data"),
		"S3_ENDPOINT=" + s3URL, "S3_BUCKET=ordo-bench", "S3_ACCESS_KEY_ID=benchkey", "S3_SECRET_ACCESS_KEY=benchsecret123", "S3_FORCE_PATH_STYLE=true", "S3_CREATE_BUCKET=true"}
	for k, v := range env {
		if v != "" && k != "ORDO_DATA_DIR" {
			vars = append(vars, k+"="+v)
		}
	}
	servePort, workerPort, err := freePort2()
	if err != nil {
		return nil, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", servePort)
	serve, _, err := startProc(ctx, "ordo serve", o.binary, []string{"serve"}, append(vars, "PORT="+strconv.Itoa(servePort)), base+"/readyz", false)
	if err != nil {
		return nil, err
	}
	defer serve.stop()
	worker, _, err := startProc(ctx, "ordo worker", o.binary, []string{"worker", "-port", strconv.Itoa(workerPort)}, vars, fmt.Sprintf("http://127.0.0.1:%d/readyz", workerPort), false)
	if err != nil {
		return nil, err
	}
	defer worker.stop()

	big := 0
	for i, n := range ds.perTenant {
		if n > ds.perTenant[big] {
			big = i
		}
	}
	tenantID := ds.tenants[big]
	_, key, err := ordo.Auth.CreateAPIKey(ctx, access.Operator(tenantID), "ordo bench exports", access.RoleAdmin, nil, access.Meta{UserAgent: "ordo bench"})
	if err != nil {
		return nil, fmt.Errorf("create API key: %w", err)
	}
	var out []E2EExportResult
	for _, f := range []export.Format{export.FormatCSV, export.FormatXLSX} {
		t0 := time.Now()
		orders, rows, _, err := ordoExport(ctx, ordo.Store, []uuid.UUID{tenantID}, f)
		if err != nil {
			return out, fmt.Errorf("in-process %s export: %w", f, err)
		}
		r := E2EExportResult{Format: string(f), InProcessSeconds: time.Since(t0).Seconds()}
		if err := e2eExport(ctx, base, key, f, worker, &r); err != nil {
			return out, fmt.Errorf("%s export through the API: %w\nworker's output:\n%s", f, err, worker.out.String())
		}
		if r.Orders != orders || r.Rows != rows {
			return out, fmt.Errorf("%s export through the API holds %d orders in %d rows, in process %d in %d", f, r.Orders, r.Rows, orders, rows)
		}
		r.Ratio = r.Seconds / r.InProcessSeconds
		fmt.Fprintf(o.Progress, "export end to end %-4s %8d orders: %.2fs (in process %.2fs, %.2f×), download %.2fs, worker peak RSS %.0f MiB\n",
			f, r.Orders, r.Seconds, r.InProcessSeconds, r.Ratio, r.DownloadSeconds, r.WorkerPeakRSSMiB)
		out = append(out, r)
	}
	return out, nil
}

// e2eExport requests an export of every order of the key's tenant, waits
// for it, downloads it and fills r.
func e2eExport(ctx context.Context, base, key string, f export.Format, worker *proc, r *E2EExportResult) error {
	call := func(method, url, body string, v any) error {
		req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 300 {
			return fmt.Errorf("%s %s: %s %s", method, url, res.Status, b)
		}
		return json.Unmarshal(b, v)
	}
	// The peak is the worker's during this export (see resetPeakRSS).
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", worker.cmd.Process.Pid), []byte("5"), 0)
	var e struct {
		ID          string `json:"id"`
		Status      string `json:"status"`
		Error       string `json:"error"`
		OrderCount  int64  `json:"order_count"`
		RowCount    int64  `json:"row_count"`
		Size        int64  `json:"size"`
		DownloadURL string `json:"download_url"`
	}
	t0 := time.Now()
	if err := call(http.MethodPost, base+"/api/v1/orders/export", `{"format":"`+string(f)+`"}`, &e); err != nil {
		return err
	}
	for e.Status != string(export.StatusCompleted) {
		if e.Status == string(export.StatusFailed) {
			return errors.New("export failed: " + e.Error)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if err := call(http.MethodGet, base+"/api/v1/exports/"+e.ID, "", &e); err != nil {
			return err
		}
	}
	r.Seconds = time.Since(t0).Seconds()
	if rss, err := memStatusFields(worker.cmd.Process.Pid, "VmHWM"); err == nil {
		r.WorkerPeakRSSMiB = rss["VmHWM"]
	}
	r.Orders, r.Rows = e.OrderCount, e.RowCount
	t1 := time.Now()
	res, err := http.Get(e.DownloadURL)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		return fmt.Errorf("download: %s, %v", res.Status, err)
	}
	if n != e.Size {
		return fmt.Errorf("downloaded %d bytes, the export says %d", n, e.Size)
	}
	r.Bytes, r.DownloadSeconds = n, time.Since(t1).Seconds()
	return nil
}

// freePort2 is two distinct free ports.
func freePort2() (int, int, error) {
	a, err := freePort()
	if err != nil {
		return 0, 0, err
	}
	for {
		b, err := freePort()
		if err != nil || b != a {
			return a, b, err
		}
	}
}
