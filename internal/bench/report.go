package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/jobs"
)

// Report is everything one run measured.
type Report struct {
	Date     string        `json:"date"`
	Command  string        `json:"command"`
	Machine  Machine       `json:"machine"`
	Size     Size          `json:"size"`
	Seed     []SeedResult  `json:"seed"`
	API      []APIResult   `json:"api"`
	Mixed    []MixedResult `json:"mixed_load"`
	Flatness []FlatResult  `json:"list_latency_by_tenant_size"`
	// Search is q= on the order list by tenant size (issue #24).
	Search  []SearchResult `json:"search_latency_by_tenant_size"`
	Pages   []PageResult   `json:"pages"`
	Exports []ExportResult `json:"exports"`
	// E2EExports are exports through the API, a worker and S3.
	E2EExports []E2EExportResult `json:"exports_end_to_end"`
	Jobs       []JobsResult      `json:"jobs"`
	Invoices   []InvoiceResult   `json:"invoices"`
	// Fair is nil when skipped.
	Fair        *FairResult  `json:"fair_scheduling,omitempty"`
	WebhookRate *WebhookRate `json:"webhook_rate,omitempty"`
	// Footprint is nil when skipped.
	Footprint *FootprintResult `json:"footprint,omitempty"`
}

// Size is the run's dataset and load.
type Size struct {
	Tenants      int    `json:"tenants"`
	Orders       int    `json:"orders"`
	SQLiteOrders int    `json:"sqlite_orders"`
	Concurrency  int    `json:"concurrency"`
	Duration     string `json:"duration_per_round"`
	Rounds       int    `json:"rounds"`
}

// Machine is where the run happened.
type Machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"` // GOMAXPROCS
	MemoryMiB  int    `json:"memory_mib"`
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
	Postgres   string `json:"postgres,omitempty"`
	NumCPUHost int    `json:"num_cpu"`
}

// DescribeMachine reads the CPU model and memory from /proc.
func DescribeMachine() Machine {
	m := Machine{Cores: runtime.GOMAXPROCS(0), NumCPUHost: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var kb int
			if n, _ := fmt.Sscanf(sc.Text(), "MemTotal: %d kB", &kb); n == 1 {
				m.MemoryMiB = kb / 1024
				break
			}
		}
		f.Close()
	}
	if m.CPU == "" {
		m.CPU = "unknown"
	}
	return m
}

// WriteTable prints the report as aligned text tables.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "machine: %s, %d cores, %d MiB, %s\n", r.Machine.CPU, r.Machine.Cores, r.Machine.MemoryMiB, r.Machine.GoVersion)
	fmt.Fprintf(w, "size: %d tenants, %d orders (PostgreSQL), %d (SQLite); %d clients, %s × %d rounds per side\n\n",
		r.Size.Tenants, r.Size.Orders, r.Size.SQLiteOrders, r.Size.Concurrency, r.Size.Duration, r.Size.Rounds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(r.Seed) > 0 {
		fmt.Fprintln(tw, "seed\torders\titems\tseconds\torders/s\t")
		for _, s := range r.Seed {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.0f\t\n", s.Engine, s.Orders, s.Items, s.Seconds, s.OrdersPerSec)
		}
		fmt.Fprintln(tw, "\t\t\t\t\t")
	}
	if len(r.API) > 0 {
		fmt.Fprintln(tw, "API\tengine\tmode\tOrdo req/s\tp50 ms\tp99 ms\terrors\tbase req/s\tp50 ms\tp99 ms\terrors\tratio\tp99 ratio\t")
		for _, a := range r.API {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%.2f\t%.2f\t%d\t%.0f\t%.2f\t%.2f\t%d\t%.2f\t%.2f\t\n", a.Name, a.Engine, a.mode(),
				a.Ordo.ReqPerSec, a.Ordo.P50Ms, a.Ordo.P99Ms, a.Ordo.Errors, a.Baseline.ReqPerSec, a.Baseline.P50Ms, a.Baseline.P99Ms, a.Baseline.Errors, a.Ratio, a.P99Ratio)
		}
		fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t\t\t\t\t\t")
	}
	for _, m := range r.Mixed {
		fmt.Fprintf(tw, "mixed load, %s\tmax %.0f req/s\tat %.0f req/s\tfor %.0f s\t\n", m.Engine, m.MaxPerSec, m.RatePerSec, m.Seconds)
		for _, e := range m.Endpoints {
			fmt.Fprintf(tw, "  %s\t%.0f%%\tp50 %.2f ms\tp99 %.2f ms\tmax %.2f ms\terrors %d\t\n", e.Name, 100*e.Share, e.P50Ms, e.P99Ms, e.MaxMs, e.Errors)
		}
		fmt.Fprintln(tw, "\t\t\t\t\t\t")
	}
	if len(r.Flatness) > 0 {
		fmt.Fprintln(tw, "list latency\tengine\ttenant orders\tfirst page p50 ms\tp99 ms\tcursor page p50 ms\tp99 ms\terrors\t")
		for _, f := range r.Flatness {
			fmt.Fprintf(tw, "limit=50, 1 client\t%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t\n", f.Engine, f.Orders, f.FirstP50Ms, f.FirstP99Ms, f.CursorP50Ms, f.CursorP99Ms, f.Errors)
		}
		fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t")
	}
	if len(r.Search) > 0 {
		fmt.Fprintln(tw, "search latency\tengine\ttenant orders\tq\thits\tp50 ms\tp99 ms\terrors\t")
		for _, s := range r.Search {
			fmt.Fprintf(tw, "%s, 1 client\t%s\t%d\t%s\t%d\t%.2f\t%.2f\t%d\t\n", s.Term, s.Engine, s.Orders, s.Query, s.Hits, s.P50Ms, s.P99Ms, s.Errors)
		}
		fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t")
	}
	if len(r.Pages) > 0 {
		fmt.Fprintln(tw, "page, 1 client\tengine\ttenant orders\tp50 ms\tp99 ms\terrors\tbytes\tp50 target met\t")
		for _, pg := range r.Pages {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%.2f\t%d\t%d\t%s\t\n", pg.Page, pg.Engine, pg.TenantOrders, pg.P50Ms, pg.P99Ms, pg.Errors, pg.Bytes, yesNo(pg.Met))
		}
		fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t")
	}
	if len(r.Exports) > 0 {
		fmt.Fprintln(tw, "export\tformat\torders\trows\trows/s\torders/s\tpeak RSS MiB\tRSS delta MiB\tCOPY rows/s\tratio\t")
		for _, e := range r.Exports {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.2f\t\n", e.Scope, e.Format, e.Orders, e.Rows, e.RowsPerSec, e.OrdersPerSec, e.PeakRSSMiB, e.RSSDeltaMiB, e.CopyRowsPerSec, e.Ratio)
		}
		fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t\t\t")
	}
	for _, e := range r.E2EExports {
		fmt.Fprintf(tw, "export end to end\t%s\t%d orders\t%.2f s\tin process %.2f s\t%.2f×\tworker peak RSS %.0f MiB\t\n", e.Format, e.Orders, e.Seconds, e.InProcessSeconds, e.Ratio, e.WorkerPeakRSSMiB)
	}
	for _, j := range r.Jobs {
		fmt.Fprintf(tw, "no-op jobs\t%d\tworkers %d\t%.0f jobs/s\t\n", j.Jobs, j.Workers, j.JobsPerSec)
	}
	if w := r.WebhookRate; w != nil {
		fmt.Fprintf(tw, "webhook deliveries\t%d\tworkers %d\t%.0f /s\t\n", w.Deliveries, w.Workers, w.PerSec)
	}
	for _, i := range r.Invoices {
		fmt.Fprintf(tw, "invoice PDFs (%s)\t%d\tgoroutines %d\t%.0f PDFs/s\t\n", i.scripts(), i.PDFs, i.Goroutines, i.PDFsPerSec)
	}
	if f := r.Fair; f != nil {
		fmt.Fprintf(tw, "fair: B webhook\tp50 %.3fs\tmax %.3fs\tof %d\t\n", f.BWebhookP50, f.BWebhookMax, f.BSamples)
		fmt.Fprintf(tw, "fair: B export\t%.3fs idle\t%.3fs beside A\t%.2f×\t\n", f.BExportIdle, f.BExportContended, f.BExportContended/f.BExportIdle)
		fmt.Fprintf(tw, "fair: A deliveries\t%.0f/s alone\t%.0f/s beside B\t%.0f%%\t\n", f.ASolo, f.AContended, 100*f.AContended/f.ASolo)
	}
	if f := r.Footprint; f != nil {
		fmt.Fprintf(tw, "serve ready\t%.3fs fresh\t%.3fs again\tidle RSS %.1f MiB\tstatic %v\t\n", f.ColdReady, f.WarmReady, f.IdleRSS, f.Static)
	}
	tw.Flush()
}

// Markdown renders the report as BENCH.md.
func (r *Report) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Benchmarks\n\n")
	p("Latest results of `ordo bench` (see README.md, \"Benchmarks\"). Written by the harness itself: do not edit by hand; run it again.\n\n")
	p("- Date: %s\n", r.Date)
	p("- Command: `%s`\n", r.Command)
	p("- Machine: %s; %d cores used (GOMAXPROCS) of %d; %d MiB RAM; %s; %s\n", r.Machine.CPU, r.Machine.Cores, r.Machine.NumCPUHost, r.Machine.MemoryMiB, r.Machine.GoVersion, r.Machine.OS)
	p("- Size: %d tenants, %d orders with 3 items each on PostgreSQL", r.Size.Tenants, r.Size.Orders)
	if r.hasEngine("sqlite") {
		p(", %d on SQLite", r.Size.SQLiteOrders)
	}
	p("; %d keep-alive clients over loopback; each side measured %d × %s, alternating, medians reported.\n\n", r.Size.Concurrency, r.Size.Rounds, r.Size.Duration)
	p("The harness, Ordo and PostgreSQL share the machine, and the machine is shared with other work: absolute numbers move between runs, so read the ratios, which are taken side by side in the same run.\n\n")
	if len(r.Seed) > 0 {
		p("## Seeding\n\n| engine | orders | items | status history rows | seconds | orders/s |\n|---|--:|--:|--:|--:|--:|\n")
		for _, s := range r.Seed {
			p("| %s | %d | %d | %d | %.1f | %.0f |\n", s.Engine, s.Orders, s.Items, s.History, s.Seconds, s.OrdersPerSec)
		}
		p("\n")
	}
	if len(r.API) > 0 {
		p("## API: Ordo against a bare handler\n\n")
		p("Ordo is the real handler of `ordo serve` (API key auth, tenant resolution, rate limiting, idempotency, audit entry and event on create). ")
		p("The baseline is a bare `net/http` handler doing the same SQL (pgx on PostgreSQL; the store's own queries on SQLite) and encoding/json, with no auth and no audit; for GET, the order with its items, and for lists the same page; for POST, a bare insert of the same rows in one transaction. ")
		p("**in-process**: both handlers are served by the harness's own process, beside the load generator. **external**: `ordo serve` runs as a process of its own with the same configuration, and the baseline in another (`ordo bench serve-baseline`), as users' load arrives; the harness only sends requests.\n\n")
		p("| endpoint | engine | mode | Ordo req/s | p50 ms | p99 ms | errors | baseline req/s | p50 ms | p99 ms | errors | ratio | p99 ratio |\n|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, a := range r.API {
			p("| `%s` | %s | %s | %.0f | %.2f | %.2f | %d | %.0f | %.2f | %.2f | %d | **%.2f** | %.2f |\n", a.Name, a.Engine, a.mode(),
				a.Ordo.ReqPerSec, a.Ordo.P50Ms, a.Ordo.P99Ms, a.Ordo.Errors, a.Baseline.ReqPerSec, a.Baseline.P50Ms, a.Baseline.P99Ms, a.Baseline.Errors, a.Ratio, a.P99Ratio)
		}
		if pg, sq := r.apiRate("postgres"), r.apiRate("sqlite"); pg > 0 && sq > 0 {
			p("\nEmbedded mode, GET by id: %.0f%% of PostgreSQL mode's req/s (target ≥ 40%%).\n", 100*sq/pg)
		}
		p("\n")
	}
	if len(r.Mixed) > 0 {
		p("## Tail latency under mixed load\n\n")
		p("GET by id, list pages, searches and creates together against `ordo serve` as a process of its own: the mix's maximum rate is measured with %d closed-loop clients, then requests are sent on a fixed schedule at %.0f%% of it (open loop, at most %d in flight), and each latency counts from the moment its request was due.\n\n", r.Size.Concurrency, 100*mixedLoad, mixedMaxInFlight)
		p("| engine | max req/s | rate req/s | seconds | endpoint | share | requests | errors | p50 ms | p99 ms | max ms |\n|---|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|\n")
		for _, m := range r.Mixed {
			for i, e := range m.Endpoints {
				if i == 0 {
					p("| %s | %.0f | %.0f | %.0f ", m.Engine, m.MaxPerSec, m.RatePerSec, m.Seconds)
				} else {
					p("| | | | ")
				}
				p("| `%s` | %.0f%% | %d | %d | %.2f | %.2f | %.2f |\n", e.Name, 100*e.Share, e.Requests, e.Errors, e.P50Ms, e.P99Ms, e.MaxMs)
			}
		}
		p("\n")
	}
	if len(r.Flatness) > 0 {
		p("## List latency by tenant size\n\n")
		p("`GET /api/v1/orders?limit=50` through Ordo's handler, one client, %d requests per page and tenant: the first page, and the page at the middle of the tenant's list (newest first). ", r.Flatness[0].Requests)
		p("The dataset is skewed for it: the second tenant holds half of all orders and the last %d (see `plan` in internal/bench/seed.go).\n\n", smallTenant)
		p("| engine | tenant's orders | first page p50 ms | p99 ms | middle page p50 ms | p99 ms | errors |\n|---|--:|--:|--:|--:|--:|--:|\n")
		for _, f := range r.Flatness {
			p("| %s | %d | %.2f | %.2f | %.2f | %.2f | %d |\n", f.Engine, f.Orders, f.FirstP50Ms, f.FirstP99Ms, f.CursorP50Ms, f.CursorP99Ms, f.Errors)
		}
		p("\n")
	}
	if len(r.Search) > 0 {
		p("## Search latency by tenant size\n\n")
		p("`GET /api/v1/orders?limit=50&q=…` through Ordo's handler, one client, %d requests per search and tenant after one warm-up, on the tenants of the list latency check. ", r.Search[0].Requests)
		p("The searches hit: a surname infix and an e-mail fragment (each about 1 order in 16: the seeded customers are 256 name pairs) and an order number. PostgreSQL answers from pg_trgm GIN indexes, SQLite from an FTS5 trigram table (migration 00029).\n\n")
		p("| engine | tenant's orders | search | q | hits | p50 ms | p99 ms | errors |\n|---|--:|---|---|--:|--:|--:|--:|\n")
		for _, s := range r.Search {
			p("| %s | %d | %s | `%s` | %d | %.2f | %.2f | %d |\n", s.Engine, s.Orders, s.Term, s.Query, s.Hits, s.P50Ms, s.P99Ms, s.Errors)
		}
		p("\n")
	}
	if len(r.Pages) > 0 {
		p("## Server-rendered pages, one client\n\n")
		p("The pages a user opens most, rendered by Ordo's handler for an owner of the dataset's largest tenant, logged in with a session cookie over loopback, one client, %d requests per page in a row after a warm-up; the client sends `Accept-Encoding: gzip` as a browser does and reads each body to its end. ", r.Pages[0].Requests)
		p("The second page is the first page's \"Next page\" link; the order is one from the middle of the tenant's list. Bytes are the body as sent (%s). ", r.pageEncoding())
		p("The target (issue 19) is a p50 of at most %.0f ms on a tenant of 500,000 orders, which the default size (1,000,000 orders) gives the second tenant.\n\n", PageTargetMs)
		p("| engine | page | tenant's orders | p50 ms | p99 ms | errors | bytes | p50 ≤ %.0f ms |\n|---|---|--:|--:|--:|--:|--:|---|\n", PageTargetMs)
		for _, pg := range r.Pages {
			p("| %s | `%s` | %d | %.2f | %.2f | %d | %d | %s |\n", pg.Engine, pg.Page, pg.TenantOrders, pg.P50Ms, pg.P99Ms, pg.Errors, pg.Bytes, yesNo(pg.Met))
		}
		p("\n")
	}
	if len(r.Exports) > 0 {
		p("## Exports\n\nThrough Ordo's export path (`export.WriteOrders`, as the export job runs it: the store's `OrderScan` in keyset batches of %d orders, one joined query each, into `export.NewWriter`), to a byte counter. ", export.BatchSize)
		p("Rows are file rows: one per item in CSV; one per order plus one per item in XLSX. Peak RSS is the whole harness process's VmHWM, reset before each export; the delta is over its RSS just before. ")
		p("The baseline is PostgreSQL's `COPY (orders JOIN order_items) TO STDOUT` as CSV, read by the harness. ")
		p("XLSX items go on in further sheets (Items 2, Items 3…) when one is full; more orders than the Orders sheet holds (1,048,575) would stop the XLSX export there, and its rows and rate would be those of the orders written.\n\n")
		p("| scope | format | orders | rows | rows/s | orders/s | peak RSS MiB | RSS delta MiB | COPY rows/s | ratio |\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, e := range r.Exports {
			p("| %s | %s | %d | %d | %.0f | %.0f | %.0f | %.0f | %.0f | **%.2f** |\n", e.Scope, e.Format, e.Orders, e.Rows, e.RowsPerSec, e.OrdersPerSec, e.PeakRSSMiB, e.RSSDeltaMiB, e.CopyRowsPerSec, e.Ratio)
		}
		p("\n")
	}
	if len(r.E2EExports) > 0 {
		p("## Exports end to end\n\nThe tenant with the most orders exports them through the API (`POST /api/v1/orders/export`); `ordo worker`, a process of its own, writes the file to an S3 server (versitygw on loopback) and the harness downloads it from the export's `download_url`. ")
		p("Seconds run from the request to the status `completed` (polled every 50 ms); in process is `export.WriteOrders` of the same orders to a byte counter in the harness, just before. The worker's peak RSS is its VmHWM, reset before each export.\n\n")
		p("| format | orders | rows | bytes | seconds | in process s | ratio | download s | worker peak RSS MiB |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, e := range r.E2EExports {
			p("| %s | %d | %d | %d | %.2f | %.2f | **%.2f** | %.2f | %.0f |\n", e.Format, e.Orders, e.Rows, e.Bytes, e.Seconds, e.InProcessSeconds, e.Ratio, e.DownloadSeconds, e.WorkerPeakRSSMiB)
		}
		p("\n")
	}
	if len(r.Jobs) > 0 || len(r.Invoices) > 0 || r.WebhookRate != nil {
		p("## Jobs and invoices\n\n| what | count | setting | rate |\n|---|--:|---|--:|\n")
		for _, j := range r.Jobs {
			p("| no-op jobs through Ordo's worker (River, %s) | %d | %d workers on the queue | %.0f jobs/s |\n", j.Engine, j.Jobs, j.Workers, j.JobsPerSec)
		}
		if w := r.WebhookRate; w != nil {
			p("| webhook deliveries to a loopback receiver that answers at once (signed, attempt recorded; %d endpoints) | %d | %d workers on the queue | %.0f /s |\n", w.Endpoints, w.Deliveries, w.Workers, w.PerSec)
		}
		for _, i := range r.Invoices {
			p("| invoice PDFs, %s-script, `invoice.Render` (avg %d bytes) | %d | %d goroutines | %.0f PDFs/s |\n", i.scripts(), i.AvgBytes, i.PDFs, i.Goroutines, i.PDFsPerSec)
		}
		p("\n")
		if len(r.Jobs) > 0 {
			cd := jobs.FetchCooldown
			p("No-op jobs are bounded by River's fetching: each fetch takes at most the queue's free workers, and fetches are at least `FetchCooldown` (%s in Ordo, `jobs.FetchCooldown`) apart, so W workers cap a queue near %.0f·W jobs/s. ", cd, float64(time.Second)/float64(cd))
			p("The harness runs the no-op jobs' queue (`maintenance`) with `-job-workers` workers through `ORDO_QUEUE_MAINTENANCE_CONCURRENCY`; Ordo's default for that queue is 1.\n\n")
		}
	}
	if f := r.Fair; f != nil {
		p("## Fair scheduling between tenants\n\n")
		p("Tenant A queues %d webhook deliveries (orders through the API, %d endpoints each) to a loopback receiver that takes %d ms a request, then %d XLSX exports of all its orders; tenant B then creates %d orders, one every 200 ms (one delivery each, to the same receiver without the delay), and a small CSV export. `ordo worker`'s queues at their defaults (webhooks 8 workers, exports 2), with plan limits on (both on enterprise, uncapped): the fair fetch, and a kept worker per queue. ", f.Deliveries, 10, f.ReceiverMS, f.Exports, f.BSamples)
		p("B's webhook is timed from the order's 201 to the receiver; B's export from its 202 to `completed`, on the idle system first and then beside A's load (median of 3 each); A's rate is its deliveries answered per second, alone (5 s) and while B works.\n\n")
		p("| measure | value | target |\n|---|--:|---|\n")
		p("| B's webhook, p50 | %.3f s | |\n", f.BWebhookP50)
		p("| B's webhook, slowest of %d (≥ p99) | %.3f s | ≤ 2 s |\n", f.BSamples, f.BWebhookMax)
		p("| B's export, idle | %.3f s | |\n", f.BExportIdle)
		p("| B's export, beside A | %.3f s (%.2f× idle) | ≤ 2× idle |\n", f.BExportContended, f.BExportContended/f.BExportIdle)
		p("| A's deliveries, alone | %.0f /s | |\n", f.ASolo)
		p("| A's deliveries, beside B | %.0f /s (%.0f%% of alone) | ≥ 80%% |\n\n", f.AContended, 100*f.AContended/f.ASolo)
	}
	if f := r.Footprint; f != nil {
		p("## Footprint\n\n`ordo serve` in embedded mode, started by the harness as a process of its own (binary: %s, %.1f MiB). ", f.Binary, f.SizeMiB)
		p("Ready is from exec to the first 200 from `/readyz`, polled every 5 ms; the first start creates and migrates the database in a fresh data directory, the second reuses it. ")
		p("Idle RSS is the process's VmRSS %s after its second start became ready. Static means an ELF file with no interpreter and no dynamic section (`ldd`: not a dynamic executable).\n\n", footprintIdle)
		p("| ready, fresh data dir | ready, again | idle RSS | of which anonymous | of which file-backed | static |\n|--:|--:|--:|--:|--:|---|\n")
		p("| %.3f s | %.3f s | %.1f MiB | %.1f MiB | %.1f MiB | %s |\n\n", f.ColdReady, f.WarmReady, f.IdleRSS, f.IdleAnon, f.IdleFile, yesNo(f.Static))
	}
	p("## Targets (issues 11, 24 and 25)\n\n%s\n", r.targets())
	return b.String()
}

func (r *Report) hasEngine(e string) bool {
	for _, s := range r.Seed {
		if s.Engine == e {
			return true
		}
	}
	return false
}

// apiRate is the GET-by-id req/s of Ordo on engine.
func (r *Report) apiRate(engine string) float64 {
	for _, a := range r.API {
		if a.Engine == engine && a.mode() == "in-process" && strings.HasPrefix(a.Name, "GET /api/v1/orders/{id}") {
			return a.Ordo.ReqPerSec
		}
	}
	return 0
}

// targets checks the run against the targets.
func (r *Report) targets() string {
	var b strings.Builder
	b.WriteString("| target | measured | met |\n|---|---|---|\n")
	type miss struct{ what, got, why string }
	// A missed target's line says by how much: measured against wanted.
	var missed []miss
	// row adds a target; a missed one is explained under "Missed
	// targets" with why, the analysis of what limits it.
	row := func(what, got string, ok bool, why string) {
		m := "no"
		if ok {
			m = "yes"
		} else {
			missed = append(missed, miss{what, got, why})
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", what, got, m)
	}
	for _, a := range r.API {
		if a.Engine != "postgres" {
			continue
		}
		// In process, the targets of issue 11 and issue 24's create
		// target; external, issue 24's.
		mode, why, create := "", whyAPI, 0.65
		if a.mode() == "external" {
			mode, why, create = ", external", whyExternal, 0.5
		}
		switch {
		case strings.HasPrefix(a.Name, "GET /api/v1/orders/{id}"):
			row("GET by id ≥ 60% of baseline req/s"+mode, fmt.Sprintf("%.0f%%", 100*a.Ratio), a.Ratio >= 0.6, why)
			row("GET by id p99 ≤ 2× baseline p99"+mode, fmt.Sprintf("%.2f×", a.P99Ratio), a.P99Ratio <= 2, why)
		case strings.HasPrefix(a.Name, "GET /api/v1/orders?"):
			row(a.Name+" ≥ 60% of baseline"+mode, fmt.Sprintf("%.0f%%", 100*a.Ratio), a.Ratio >= 0.6, why)
		case strings.HasPrefix(a.Name, "POST"):
			row(fmt.Sprintf("create ≥ %.0f%% of a bare insert%s", 100*create, mode), fmt.Sprintf("%.0f%%", 100*a.Ratio), a.Ratio >= create, why)
		}
	}
	for _, engine := range []string{"postgres", "sqlite"} {
		small, big, ok := r.flatRange(engine)
		if !ok {
			continue
		}
		first, cursor := big.FirstP50Ms/small.FirstP50Ms, big.CursorP50Ms/small.CursorP50Ms
		row(fmt.Sprintf("list latency flat with tenant size (%s): p50 at %d orders ≤ 1.5× p50 at %d", engine, big.Orders, small.Orders),
			fmt.Sprintf("first page %.2f×, middle page %.2f×", first, cursor), first <= 1.5 && cursor <= 1.5 && big.Errors+small.Errors == 0, whyFlat)
	}
	for _, engine := range []string{"postgres", "sqlite"} {
		terms, small, big := r.searchRange(engine)
		for _, term := range terms {
			sm, bg := small[term], big[term]
			if sm.Orders == bg.Orders || sm.P50Ms <= 0 {
				continue
			}
			ratio := bg.P50Ms / sm.P50Ms
			row(fmt.Sprintf("search %s (%s): p50 at %d orders ≤ 20 ms and ≤ 1.5× p50 at %d", term, engine, bg.Orders, sm.Orders),
				fmt.Sprintf("%.2f ms, %.2f×", bg.P50Ms, ratio), bg.P50Ms <= 20 && ratio <= 1.5 && sm.Errors+bg.Errors == 0, whySearch)
		}
	}
	for _, e := range r.Exports {
		if e.Scope != "all orders" {
			continue
		}
		switch e.Format {
		case "csv":
			row("CSV export ≥ 60% of COPY rows/s", fmt.Sprintf("%.0f%%", 100*e.Ratio), e.Ratio >= 0.6, whyCSV)
			row("CSV export peak RSS ≤ 64 MiB", fmt.Sprintf("%.0f MiB (harness process)", e.PeakRSSMiB), e.PeakRSSMiB <= 64, whyExportRSS)
		case "xlsx":
			row("XLSX export ≥ 75,000 rows/s", fmt.Sprintf("%.0f rows/s", e.RowsPerSec), e.RowsPerSec >= 75_000, whyExport)
			row("XLSX export peak RSS ≤ 128 MiB", fmt.Sprintf("%.0f MiB (harness process)", e.PeakRSSMiB), e.PeakRSSMiB <= 128, whyExportRSS)
		}
	}
	for _, e := range r.E2EExports {
		row(fmt.Sprintf("%s export end to end ≤ 1.3× in process", e.Format), fmt.Sprintf("%.2f× (%.2f s, %d orders)", e.Ratio, e.Seconds, e.Orders), e.Ratio <= 1.3, whyE2E)
		row(fmt.Sprintf("%s export: worker peak RSS ≤ 128 MiB", e.Format), fmt.Sprintf("%.0f MiB", e.WorkerPeakRSSMiB), e.WorkerPeakRSSMiB <= 128, whyE2E)
	}
	for _, j := range r.Jobs {
		row("≥ 5,000 no-op jobs/s", fmt.Sprintf("%.0f jobs/s (%d workers)", j.JobsPerSec, j.Workers), j.JobsPerSec >= 5000, whyJobs)
	}
	for _, i := range r.Invoices {
		// Issue #25: Latin-only invoices ≥ 500/s, mixed-script ≥ 200/s.
		want := 500.0
		if i.scripts() == "mixed" {
			want = 200
		}
		row(fmt.Sprintf("≥ %.0f %s-script invoice PDFs/s", want, i.scripts()), fmt.Sprintf("%.0f PDFs/s", i.PDFsPerSec), i.PDFsPerSec >= want, whyInvoices)
	}
	if pg, sq := r.apiRate("postgres"), r.apiRate("sqlite"); pg > 0 && sq > 0 {
		row("embedded GET by id ≥ 40% of PostgreSQL mode", fmt.Sprintf("%.0f%%", 100*sq/pg), sq/pg >= 0.4, whyAPI)
	}
	for _, s := range r.Seed {
		if s.Engine == "postgres" {
			// 90 s for 1,000,000 orders on 2 cores, scaled to the run.
			limit := 90 * float64(s.Orders) / 1_000_000
			row("seed 1M orders < 90 s on 2 cores (scaled to this size)", fmt.Sprintf("%.1f s for %d (limit %.1f s)", s.Seconds, s.Orders, limit), s.Seconds < limit, whySeed)
		}
	}
	if f := r.Footprint; f != nil {
		ready := max(f.ColdReady, f.WarmReady)
		row("`ordo serve` (embedded) ready ≤ 1 s after start", fmt.Sprintf("%.3f s (fresh data dir), %.3f s (again)", f.ColdReady, f.WarmReady), ready <= 1, whyReady)
		row("idle RSS ≤ 60 MiB", fmt.Sprintf("%.1f MiB (%.1f MiB anonymous, %.1f MiB file-backed)", f.IdleRSS, f.IdleAnon, f.IdleFile), f.IdleRSS <= 60, whyRSS)
		row("static binary", fmt.Sprintf("%s (%s)", yesNo(f.Static), f.Binary), f.Static, whyStatic)
	}
	b.WriteString("\nPeak RSS here is the whole harness (the load generator and Ordo in one process), an upper bound of the worker's.\n")
	if len(missed) > 0 {
		b.WriteString("\n## Missed targets\n\nBy how much each target was missed in this run, what limits it and what would close it.\n\n")
		for _, m := range missed {
			fmt.Fprintf(&b, "- **%s**: measured %s. %s\n", m.what, m.got, m.why)
		}
	}
	return b.String()
}

// pageEncoding says how the pages' bodies came: compressed or not.
func (r *Report) pageEncoding() string {
	var encs []string
	for _, pg := range r.Pages {
		if e := pg.Encoding; e != "" && !slices.Contains(encs, e) {
			encs = append(encs, e)
		}
	}
	if len(encs) == 0 {
		return "Ordo's handler does not compress HTML: uncompressed"
	}
	return "Content-Encoding: " + strings.Join(encs, ", ")
}

// flatRange is the smallest and largest tenant of the latency check.
func (r *Report) flatRange(engine string) (small, big FlatResult, ok bool) {
	n := 0
	for _, f := range r.Flatness {
		if f.Engine != engine {
			continue
		}
		if n == 0 || f.Orders < small.Orders {
			small = f
		}
		if n == 0 || f.Orders > big.Orders {
			big = f
		}
		n++
	}
	return small, big, n >= 2 && small.FirstP50Ms > 0 && small.CursorP50Ms > 0
}

// mode is the API measurement's mode; reports from before external mode
// have none and were in process.
func (a APIResult) mode() string {
	if a.Mode == "" {
		return "in-process"
	}
	return a.Mode
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// The analyses of missed targets, from profiles taken while tuning them.
// They say what limits each measurement; the figures are the run's.
const (
	whyAPI = "CPU profile (`-cpuprofile` on the harness, which serves Ordo and the baseline in its own process): the Ordo handler's own work (API-key auth from the cache, tenant, rate limit, JSON) costs about what the baseline's does; the difference is round trips and commits in PostgreSQL. " +
		"An idempotent create is an idempotency claim (committed without waiting for its WAL flush), one transaction (the tenant's counter, then the order with its items, its first status, the audit entry and the event with the webhook endpoints, pipelined in one round trip: pgstore.pipeTx) and the stored response; the harness's creates all go to one tenant, so they queue on that tenant's counter row, held for two round trips. " +
		"The machine is shared and a ratio moves by several points between runs; fewer statements (the status row folded into the order insert) would close a small gap."
	whyExternal = "External mode: `ordo serve` and the baseline each run as a process of their own. See README.md, \"Benchmarks\", for where Ordo's time goes per request (CPU profiles of the serve process taken with `-serve-profile`)."
	whyE2E      = "End to end adds what the in-process export does not: River's pick-up, the upload to S3 (multipart, 8 MiB parts, five at a time), the export's progress writes and the API's polling; the worker shares the 2 cores with PostgreSQL, the S3 server and serve."
	whyCSV      = "CPU profile (`-cpuprofile`): the export reads each batch of 5,000 orders with one joined query streamed row by row (store.OrderScan, without the JSON columns) and formats numbers into one string per order; what is left is pgx decoding the rows and encoding/csv, on the same 2 cores as PostgreSQL. " +
		"The baseline is COPY, which formats text inside PostgreSQL and needs no decoding; reading and writing in two goroutines would overlap them."
	whySearch    = "q= is answered by each engine's search index (pg_trgm GIN indexes on PostgreSQL, the FTS5 trigram table orders_fts on SQLite, migration 00029) and then sorted and paged like the list; a term matching a large share of a big tenant costs the sort of its matches, so a larger ratio there is the size of the match set, not a scan."
	whyFlat      = "Lists are keyset pages on indexes that start with the tenant (orders_tenant_created_idx), so a page reads 51 index entries and their rows whatever the tenant's size; a larger ratio means the larger tenant's pages were not in memory (a cold cache) or the machine was busy during its turn: run again."
	whyExport    = "Export writers are measured through `export.NewWriter`; the XLSX writer is being replaced by a streaming sheet writer (internal/export/xlsx.go), whose own benchmarks (internal/export bench_test.go) and profile decide what is left."
	whyExportRSS = "Peak RSS is the whole harness process's VmHWM (load generator, Ordo and the writer together), an upper bound of the worker's; a heap profile taken during the export (`go test -bench` in internal/export with `-memprofile`) separates the writer's buffers from the rest."
	whyJobs      = "No-op jobs are bounded by River's fetch loop: each fetch takes at most the queue's free workers and fetches are `jobs.FetchCooldown` apart, so the rate tops out near workers/FetchCooldown; the rest of the time is the completer's batched UPDATEs in PostgreSQL. More workers on the queue (`-job-workers`, ORDO_QUEUE_*_CONCURRENCY) or a shorter FetchCooldown raise the cap proportionally."
	whyInvoices  = "CPU profile (`go test -bench Render -cpuprofile` in internal/invoice): shaping (go-text, internal/typeset), subsetting each font used (tdewolff/font) and zlib-compressing the subsets and pages. The machine is shared: compare with the same run's other rows."
	whySeed      = "Not profiled in the session that wrote this analysis. Seeding COPYs orders, items and history in batches of 2,000 orders on GOMAXPROCS connections and then ANALYZEs; at small sizes the fixed costs weigh more against the scaled limit. PostgreSQL's index maintenance for the three tables is the bulk of the server's work; more parallel COPY streams only help with free cores."
	whyReady     = "Start-up was not profiled; the first start includes creating and migrating the SQLite database."
	whyRSS       = "The idle process's resident memory splits into anonymous pages (Go heap, goroutine stacks, SQLite's page cache) and file-backed pages of the binary itself (a large binary: every linked package's text and data touched at init). A heap profile of idle `ordo serve` (`go tool pprof` on its /debug/pprof/heap, served with ORDO_METRICS_ADDR and ORDO_PPROF=true) shows which package's init or caches hold the heap; lazily initialising unused subsystems (S3, OTel, Sentry, templates), a smaller SQLite cache and fewer linked packages would close it."
	whyStatic    = "The binary was not built with CGO_ENABLED=0 (use `make build`, or pass `-ordo-binary`)."
)

// scripts is the invoice run's scripts; reports from before issue #25
// had Latin-only runs and no field.
func (i InvoiceResult) scripts() string {
	if i.Scripts == "" {
		return "latin"
	}
	return i.Scripts
}
