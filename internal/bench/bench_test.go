package bench_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/app"
	"github.com/ordo/ordo/internal/bench"
	"github.com/ordo/ordo/internal/testkit"
)

// TestHarness runs the whole harness at a tiny size, on PostgreSQL and
// in embedded mode, to prove that it works; it measures nothing.
func TestHarness(t *testing.T) {
	testkit.SkipShort(t, "runs the whole benchmark harness on both engines")
	t.Parallel()
	dbURL := testkit.PostgresURL(t)
	dir := t.TempDir()
	jsonPath, mdPath := filepath.Join(dir, "bench.json"), filepath.Join(dir, "BENCH.md")
	// Generous: under -race, beside the rest of the suite, the harness
	// at this size takes about a minute.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// External mode starts this binary as `ordo serve` and as the bare
	// baseline.
	bin := filepath.Join(dir, "ordo")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/ordo/ordo/cmd/ordo").CombinedOutput()
	require.NoError(t, err, "build ordo:\n%s", out)

	// The end-to-end exports need the S3 server that make tools installs.
	skip := "footprint"
	gw, _ := filepath.Abs(filepath.Join("..", "..", ".bin", "versitygw"))
	if _, err := os.Stat(gw); err != nil {
		if testkit.InCI() {
			t.Fatalf("versitygw is missing (make tools): %v", err)
		}
		t.Logf("no %s: the end-to-end exports are skipped", gw)
		skip += ",e2e-exports"
	}

	// The harness's servers may still log while an error returns.
	var stdout, stderr testkit.SyncBuffer
	err = bench.Main(ctx, []string{"-engine", "all", "-database-url", dbURL, "-tenants", "3", "-orders", "200",
		"-c", "4", "-d", "200ms", "-rounds", "1", "-latency-requests", "20", "-jobs", "200", "-job-workers", "50", "-fair-deliveries", "50", "-skip", skip, "-versitygw", gw, "-ordo-binary", bin, "-mixed-d", "1s", "-json", jsonPath, "-md", mdPath},
		func(string) string { return "" }, &stdout, &stderr, app.OpenForBench)
	require.NoError(t, err, "stderr:\n%s", stderr.String())

	raw, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	require.True(t, json.Valid(raw))
	var rep bench.Report
	require.NoError(t, json.Unmarshal(raw, &rep))

	require.Len(t, rep.Seed, 2)
	for _, s := range rep.Seed {
		require.Equal(t, 200, s.Orders, s.Engine)
		require.Equal(t, 600, s.Items, s.Engine)
	}
	require.Len(t, rep.API, 16, "4 endpoints × 2 engines × in-process and external")
	modes := map[string]int{}
	for _, a := range rep.API {
		modes[a.Engine+" "+a.Mode]++
		require.Positive(t, a.Ordo.ReqPerSec, "%s %s: %s", a.Engine, a.Name, a.Ordo.FirstError)
		require.Positive(t, a.Baseline.ReqPerSec, "%s %s baseline: %s", a.Engine, a.Name, a.Baseline.FirstError)
		require.Zero(t, a.Ordo.Errors, "%s %s: %s", a.Engine, a.Name, a.Ordo.FirstError)
		require.Zero(t, a.Baseline.Errors, "%s %s baseline: %s", a.Engine, a.Name, a.Baseline.FirstError)
		require.Positive(t, a.Ratio)
	}
	require.Equal(t, map[string]int{"postgres in-process": 4, "postgres external": 4, "sqlite in-process": 4, "sqlite external": 4}, modes)
	require.Len(t, rep.Mixed, 2, "the mixed load on both engines")
	for _, m := range rep.Mixed {
		require.Positive(t, m.MaxPerSec, m.Engine)
		require.InDelta(t, 0.7*m.MaxPerSec, m.RatePerSec, 0.01, m.Engine)
		require.Len(t, m.Endpoints, 4, m.Engine)
		for _, e := range m.Endpoints {
			require.Positive(t, e.Requests, "%s %s", m.Engine, e.Name)
			require.Zero(t, e.Errors, "%s %s: %s", m.Engine, e.Name, e.FirstError)
			require.GreaterOrEqual(t, e.P99Ms, e.P50Ms, "%s %s", m.Engine, e.Name)
		}
	}
	require.Len(t, rep.Exports, 4)
	for _, e := range rep.Exports {
		require.Positive(t, e.RowsPerSec, "%s %s", e.Scope, e.Format)
		require.Positive(t, e.CopyRowsPerSec, "%s %s", e.Scope, e.Format)
	}
	if !strings.Contains(skip, "e2e-exports") {
		require.Len(t, rep.E2EExports, 2, "CSV and XLSX through the API, a worker and S3")
		for _, e := range rep.E2EExports {
			require.GreaterOrEqual(t, e.Orders, int64(67), "%s: the largest tenant's orders, and those the API part created", e.Format)
			require.Positive(t, e.Bytes, e.Format)
			require.Positive(t, e.Ratio, e.Format)
			require.Positive(t, e.WorkerPeakRSSMiB, e.Format)
		}
	}
	require.Len(t, rep.Jobs, 1)
	require.Positive(t, rep.Jobs[0].JobsPerSec)
	require.Len(t, rep.Invoices, 2)
	for i, scripts := range []string{"latin", "mixed"} {
		require.Equal(t, scripts, rep.Invoices[i].Scripts)
		require.Positive(t, rep.Invoices[i].PDFsPerSec)
	}
	require.NotNil(t, rep.Fair)
	require.Equal(t, 20, rep.Fair.BSamples, "B's webhooks all timed")
	require.Positive(t, rep.Fair.BWebhookMax)
	require.Positive(t, rep.Fair.BExportIdle)
	require.Positive(t, rep.Fair.BExportContended)
	require.NotNil(t, rep.WebhookRate)
	require.Positive(t, rep.WebhookRate.PerSec)
	require.Len(t, rep.Flatness, 4, "the smallest and the first tenant, on both engines")
	for _, f := range rep.Flatness {
		require.Zero(t, f.Errors, "%s: %s", f.Engine, f.FirstError)
		require.Positive(t, f.FirstP50Ms)
		require.Positive(t, f.CursorP50Ms)
	}
	require.Len(t, rep.Search, 12, "3 searches × the 2 tenants of the list latency check × 2 engines")
	for _, s := range rep.Search {
		require.Zero(t, s.Errors, "%s %s: %s", s.Engine, s.Term, s.FirstError)
		require.Positive(t, s.P50Ms, "%s %s", s.Engine, s.Term)
		require.Positive(t, s.Hits, "%s %s %q: the search hits", s.Engine, s.Term, s.Query)
	}
	require.Len(t, rep.Pages, 10, "5 pages × 2 engines")
	for _, pg := range rep.Pages {
		require.Zero(t, pg.Errors, "%s %s: %s", pg.Engine, pg.Page, pg.FirstError)
		require.Equal(t, 20, pg.Requests, "%s %s", pg.Engine, pg.Page)
		require.Positive(t, pg.P50Ms, "%s %s", pg.Engine, pg.Page)
		require.GreaterOrEqual(t, pg.P99Ms, pg.P50Ms, "%s %s", pg.Engine, pg.Page)
		require.Positive(t, pg.Bytes, "%s %s", pg.Engine, pg.Page)
		require.Equal(t, 67, pg.TenantOrders, "%s %s: the largest tenant", pg.Engine, pg.Page)
	}
	require.Contains(t, rep.Pages[2].Path, "cursor=", "the second page follows the first's next link")

	md, err := os.ReadFile(mdPath)
	require.NoError(t, err)
	require.Contains(t, string(md), "# Benchmarks")
	require.Contains(t, string(md), rep.Command)
	require.Contains(t, string(md), "## Server-rendered pages, one client")
	require.Contains(t, string(md), "## Search latency by tenant size")
	require.Contains(t, string(md), "search surname infix (postgres)")
	require.True(t, strings.Contains(stdout.String(), "GET /api/v1/orders/{id}"), stdout.String())
}
