package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
)

// Main runs `ordo bench` with args (after the command name): it parses
// the flags, runs, prints the table to stdout and progress to stderr, and
// writes the JSON and BENCH.md files asked for.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, open OpenFunc) error {
	if len(args) > 0 && args[0] == serveBaselineCommand {
		return ServeBaseline(ctx, args[1:], stderr)
	}
	o := DefaultOptions()
	fs := flag.NewFlagSet("ordo bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	engine := fs.String("engine", "postgres", "database engine: postgres, sqlite or all")
	fs.IntVar(&o.Orders, "orders", o.Orders, "orders to seed on PostgreSQL (3 items each)")
	fs.IntVar(&o.SQLiteOrders, "sqlite-orders", 0, "orders to seed in embedded mode (0: as -orders)")
	fs.IntVar(&o.Tenants, "tenants", o.Tenants, "tenants the orders are spread over")
	fs.IntVar(&o.Concurrency, "c", o.Concurrency, "concurrent keep-alive API clients")
	fs.DurationVar(&o.Duration, "d", o.Duration, "duration of each round of each side")
	fs.IntVar(&o.Rounds, "rounds", o.Rounds, "alternating rounds per API endpoint (medians are reported)")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "PostgreSQL database to use as is (default: a fresh ordo_bench_<random> database, dropped at the end)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the fresh benchmark database")
	fs.StringVar(&o.RedisURL, "redis-url", "", "run Ordo with this Redis (cache, rate limits), as in production")
	fs.IntVar(&o.Jobs, "jobs", o.Jobs, "no-op jobs to work")
	fs.IntVar(&o.LatencyRequests, "latency-requests", o.LatencyRequests, "requests of each page and tenant in the list-latency measurement, and of each server-rendered page")
	fs.IntVar(&o.JobWorkers, "job-workers", o.JobWorkers, "workers on the queue of the no-op jobs")
	fs.StringVar(&o.OrdoBinary, "ordo-binary", "", "ordo binary whose start-up time, idle RSS and linking are measured, and which serves the external API measurement (default: built with CGO_ENABLED=0 from the source in the working directory, or else this executable)")
	fs.IntVar(&o.FairDeliveries, "fair-deliveries", o.FairDeliveries, "tenant A's webhook deliveries in the fair-scheduling part")
	skip := fs.String("skip", "", "comma-separated parts to skip: api, external (the API with serve and the baseline as processes of their own), mixed (the mixed load on the external serve), pages, e2e-exports (through the API, a worker and S3), exports, jobs, invoices, fair, webhooks, footprint")
	jsonPath := fs.String("json", "", "write the report as JSON to this file")
	mdPath := fs.String("md", "", "write the report as Markdown to this file (make bench: BENCH.md)")
	fs.StringVar(&o.Versitygw, "versitygw", "", "S3 server binary for the end-to-end exports (default: .bin/versitygw, else PATH; the part is skipped without one)")
	fs.DurationVar(&o.MixedDuration, "mixed-d", o.MixedDuration, "how long the mixed load (GET, list, search, create at 70% of their measured maximum) runs against the external serve")
	fs.StringVar(&o.ServeProfileDir, "serve-profile", "", "write a CPU profile of the external `ordo serve` during each API endpoint's first round to this directory (serve-<engine>-<endpoint>.pprof)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the harness process for the whole run (seeding included) to this file, for go tool pprof")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ordo bench [flags]\n\nSeeds a benchmark database and measures Ordo against bare baselines in one run.\n"+
			"A fresh database is created on ORDO_BENCH_DATABASE_URL (default %s) unless -database-url is given.\n\nFlags:\n", DefaultAdminURL)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	switch *engine {
	case "postgres", "sqlite":
		o.Engines = []string{*engine}
	case "all":
		o.Engines = []string{"postgres", "sqlite"}
	default:
		return fmt.Errorf("bench: -engine must be postgres, sqlite or all, got %q", *engine)
	}
	for _, s := range strings.Split(*skip, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.Skip[s] = true
		}
	}
	o.AdminURL = getenv("ORDO_BENCH_DATABASE_URL")
	o.Command = strings.TrimSpace("ordo bench " + strings.Join(args, " "))
	o.Progress = stderr
	o.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := Run(ctx, o, open)
	if rep != nil && (err == nil || len(rep.API)+len(rep.Pages)+len(rep.Exports) > 0) {
		fmt.Fprintln(stdout)
		rep.WriteTable(stdout)
	}
	if err != nil {
		return err
	}
	if *jsonPath != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if *mdPath != "" {
		if err := os.WriteFile(*mdPath, []byte(rep.Markdown()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
