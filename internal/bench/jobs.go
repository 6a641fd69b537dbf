package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordo/ordo/internal/invoice"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/pgstore"
)

// JobsResult is no-op jobs worked through Ordo's worker.
type JobsResult struct {
	Engine        string  `json:"engine"`
	Jobs          int     `json:"jobs"`
	Workers       int     `json:"workers"` // the maintenance queue's MaxWorkers
	InsertSeconds float64 `json:"insert_seconds"`
	Seconds       float64 `json:"seconds"` // from the worker's start to the last completion
	JobsPerSec    float64 `json:"jobs_per_sec"`
}

// benchJobs enqueues o.Jobs no-op jobs, then starts Ordo's River client
// (every queue, as `ordo worker`) and times until all are completed.
func benchJobs(ctx context.Context, o Options, ordo *Ordo, pool *pgxpool.Pool) (JobsResult, error) {
	res := JobsResult{Engine: "postgres", Jobs: o.Jobs, Workers: o.JobWorkers}
	t0 := time.Now()
	for done := 0; done < o.Jobs; done += 5000 {
		n := min(5000, o.Jobs-done)
		as := make([]jobs.Args, n)
		for i := range as {
			as[i] = jobs.NoopArgs{}
		}
		if err := pgstore.InsertJobs(ctx, pool, as); err != nil {
			return res, fmt.Errorf("enqueue no-op jobs: %w", err)
		}
	}
	res.InsertSeconds = time.Since(t0).Seconds()

	runner, err := ordo.JobRunner()
	if err != nil {
		return res, err
	}
	t0 = time.Now()
	if err := runner.Start(ctx); err != nil {
		return res, fmt.Errorf("start worker: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(sctx)
	}()
	var last time.Time
	for {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'noop' AND state = 'completed'`).Scan(&n); err != nil {
			return res, err
		}
		if n >= o.Jobs {
			last = time.Now()
			break
		}
		if time.Since(t0) > 10*time.Minute {
			return res, fmt.Errorf("only %d of %d no-op jobs completed in 10 minutes", n, o.Jobs)
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	res.Seconds = last.Sub(t0).Seconds()
	res.JobsPerSec = float64(o.Jobs) / res.Seconds
	fmt.Fprintf(o.Progress, "jobs     %d no-op jobs in %.2fs: %.0f jobs/s (%d workers)\n", o.Jobs, res.Seconds, res.JobsPerSec, o.JobWorkers)
	return res, nil
}

// InvoiceResult is one-page invoice PDFs rendered per second.
type InvoiceResult struct {
	// Scripts is "latin" (the seeded orders as they are) or "mixed"
	// (customer and item names in Arabic, Hebrew, Devanagari and Thai
	// too: several shaped fonts per document).
	Scripts    string  `json:"scripts,omitempty"`
	PDFs       int64   `json:"pdfs"`
	Goroutines int     `json:"goroutines"`
	Seconds    float64 `json:"seconds"`
	PDFsPerSec float64 `json:"pdfs_per_sec"`
	AvgBytes   int64   `json:"avg_bytes"`
}

// mixedNames are the customer and item names of the mixed-script run,
// one per order in turn.
var mixedNames = [][3]string{
	{"محمد بن سلمان", "Widget مصباح", "राजेश क्षत्रिय"},
	{"שרה כהן", "สมชาย gadget", "Доставка"},
	{"राजेश Ψυχή", "שרה lamp", "ค่าจัดส่ง شحن"},
}

// benchInvoices renders invoices of seeded orders with invoice.Render
// on GOMAXPROCS goroutines for o.Duration; with mixed, names are
// replaced by mixedNames.
func benchInvoices(ctx context.Context, o Options, st store.Store, ds *dataset, mixed bool) (InvoiceResult, error) {
	var os []order.Order
	for _, id := range ds.ids[:min(20, len(ds.ids))] {
		ord, err := st.OrderGet(ctx, ds.tenants[0], id)
		if err != nil {
			return InvoiceResult{}, err
		}
		if mixed {
			n := mixedNames[len(os)%len(mixedNames)]
			ord.CustomerName = n[0]
			for i := range ord.Items {
				ord.Items[i].Name = n[1+i%2]
			}
		}
		os = append(os, ord)
	}
	brand := invoice.Branding{Name: "Bench Trading GmbH", Address: "Hauptstraße 1\n10115 Berlin\nGermany", TaxID: "DE123456789",
		Footer: "IBAN DE89 3704 0044 0532 0130 00 · Payment due within 14 days.", AccentColor: "#7a1f5c"}
	g := runtime.GOMAXPROCS(0)
	var n, size atomic.Int64
	var firstErr error
	var once sync.Once
	deadline := time.Now().Add(o.Duration)
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := range g {
		wg.Go(func() {
			var cw countWriter
			for i := w; time.Now().Before(deadline) && ctx.Err() == nil; i += g {
				ord := os[i%len(os)]
				inv := invoice.Invoice{Number: fmt.Sprintf("INV-%06d", ord.Number), IssuedAt: ord.CreatedAt, Order: ord, Branding: brand}
				if err := invoice.Render(&cw, inv); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				n.Add(1)
			}
			size.Add(cw.n)
		})
	}
	wg.Wait()
	if firstErr != nil {
		return InvoiceResult{}, fmt.Errorf("render invoice: %w", firstErr)
	}
	el := time.Since(t0).Seconds()
	scripts := "latin"
	if mixed {
		scripts = "mixed"
	}
	res := InvoiceResult{Scripts: scripts, PDFs: n.Load(), Goroutines: g, Seconds: el, PDFsPerSec: float64(n.Load()) / el, AvgBytes: size.Load() / max(n.Load(), 1)}
	fmt.Fprintf(o.Progress, "invoices %d %s-script PDFs in %.2fs: %.0f PDFs/s (%d goroutines)\n", res.PDFs, scripts, el, res.PDFsPerSec, g)
	return res, nil
}
