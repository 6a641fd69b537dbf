// Package bench is Ordo's benchmark harness, `ordo bench`: it seeds a
// dataset (100 tenants, N orders of 3 items) in a database of its own,
// then measures Ordo against bare baselines in the same run, side by side
// and in alternating rounds, so that only same-run ratios are reported:
// the API over loopback, exports, jobs and invoice rendering. It prints a
// table, writes JSON and can rewrite BENCH.md.
//
// The harness does not import package app (app imports it): app hands it
// an OpenFunc that builds Ordo's real handler the way `ordo serve` does.
// Go micro-benchmarks of hot paths live beside their code, in the
// packages' bench_test.go files.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/config"
	"github.com/ordo/ordo/internal/store"
)

// Ordo is one running Ordo, as `ordo serve` builds it, for the harness.
type Ordo struct {
	Handler http.Handler
	Store   store.Store
	Auth    *auth.Service
	// JobRunner builds the River client that works every queue, as
	// `ordo worker` does; the caller starts and stops it.
	JobRunner func() (store.JobRunner, error)
	Close     func()
}

// OpenFunc opens Ordo's services for cfg and builds its HTTP handler.
type OpenFunc func(ctx context.Context, cfg config.Config, log *slog.Logger) (*Ordo, error)

// DefaultAdminURL is the PostgreSQL on which a fresh benchmark database
// is created unless ORDO_BENCH_DATABASE_URL names another.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Options configure a run.
type Options struct {
	Engines      []string // "postgres", "sqlite"
	Tenants      int
	Orders       int // on PostgreSQL
	SQLiteOrders int // in embedded mode
	Concurrency  int
	Duration     time.Duration // per round and side
	Rounds       int
	// DatabaseURL is used as is (migrated, seeded, never dropped) when
	// set; otherwise a fresh database is created on AdminURL.
	DatabaseURL string
	AdminURL    string
	RedisURL    string
	Keep        bool
	Skip        map[string]bool // "api", "external", "mixed", "pages", "exports", "e2e-exports", "jobs", "invoices", "fair", "webhooks", "footprint"
	// FairDeliveries are tenant A's queued webhook deliveries in the
	// fair-scheduling part (benchFair).
	FairDeliveries int
	Jobs           int
	JobWorkers     int
	// LatencyRequests is how many requests of each page each tenant gets
	// in the list-latency measurement, and of each server-rendered page
	// in the pages measurement.
	LatencyRequests int
	// OrdoBinary is the binary whose footprint is measured; empty for one
	// built from source with CGO_ENABLED=0, or the running executable.
	OrdoBinary string
	// Versitygw is the S3 server binary of the end-to-end exports; empty
	// for .bin/versitygw or PATH.
	Versitygw string
	// MixedDuration is how long the mixed load runs at a fixed rate.
	MixedDuration time.Duration
	// ServeProfileDir, when set, receives a CPU profile of `ordo serve`
	// during the first external round of each API endpoint.
	ServeProfileDir string
	Command         string // recorded in the report
	// binary is the ordo binary that ordoBinary resolved, for the
	// footprint and the external API measurement; binaryMade says how.
	binary, binaryMade string
	Log                *slog.Logger
	Progress           io.Writer // progress bars; nil for none
}

// DefaultOptions are the defaults: 1,000,000 orders, 64 clients.
func DefaultOptions() Options {
	return Options{Engines: []string{"postgres"}, Tenants: 100, Orders: 1_000_000, Concurrency: 64, Duration: 5 * time.Second,
		Rounds: 3, MixedDuration: time.Minute, Jobs: 20_000, JobWorkers: 100, LatencyRequests: 300, FairDeliveries: 100_000, Skip: map[string]bool{}}
}

// Run seeds and measures every engine in o and returns the report.
func Run(ctx context.Context, o Options, open OpenFunc) (*Report, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Tenants < 1 || o.Orders < o.Tenants || o.Concurrency < 1 || o.Rounds < 1 || o.Duration <= 0 {
		return nil, errors.New("bench: need tenants ≥ 1, orders ≥ tenants, -c ≥ 1, rounds ≥ 1 and -d > 0")
	}
	if o.SQLiteOrders == 0 {
		o.SQLiteOrders = o.Orders
	}
	rep := &Report{Date: time.Now().UTC().Format(time.RFC3339), Command: o.Command, Machine: DescribeMachine(),
		Size: Size{Tenants: o.Tenants, Orders: o.Orders, SQLiteOrders: o.SQLiteOrders, Concurrency: o.Concurrency,
			Duration: o.Duration.String(), Rounds: o.Rounds}}
	if !o.Skip["footprint"] || (!o.Skip["api"] && !o.Skip["external"]) || !o.Skip["e2e-exports"] {
		dir, err := os.MkdirTemp("", "ordo-bench-bin-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if o.binary, o.binaryMade, err = ordoBinary(ctx, o, dir); err != nil {
			return nil, err
		}
	}
	for _, eng := range o.Engines {
		var err error
		switch eng {
		case "postgres":
			err = runPostgres(ctx, o, open, rep)
		case "sqlite":
			err = runSQLite(ctx, o, open, rep)
		default:
			err = fmt.Errorf("bench: unknown engine %q (postgres, sqlite or all)", eng)
		}
		if err != nil {
			return rep, err
		}
	}
	if !o.Skip["footprint"] {
		res, err := benchFootprint(ctx, o, o.binary, o.binaryMade)
		if err != nil {
			return rep, fmt.Errorf("footprint: %w", err)
		}
		rep.Footprint = &res
	}
	return rep, nil
}

// benchEnv is the configuration Ordo runs with in the harness: the
// benchmark's database, a throw-away data directory, and rate limits out
// of the way (the API limit is per client, and the harness is one).
func benchEnv(dbURL, dataDir, redisURL string, jobWorkers int) envMap {
	env := map[string]string{
		"DATABASE_URL":                       dbURL,
		"ORDO_DATA_DIR":                      dataDir,
		"ORDO_LOG_LEVEL":                     "warn",
		"ORDO_API_RATE_PER_MINUTE":           "1000000",
		"ORDO_API_RATE_BURST":                "1000000",
		"REDIS_URL":                          redisURL,
		"ORDO_QUEUE_MAINTENANCE_CONCURRENCY": strconv.Itoa(max(1, jobWorkers)),
	}
	if dbURL != "" {
		env["ORDO_SECRET"] = randomHex(24)
	}
	return env
}

// envMap is a configuration as environment variables.
type envMap map[string]string

func (e envMap) get(k string) string { return e[k] }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freshDatabase creates ordo_bench_<random> on admin and returns its URL
// and a function that drops it.
func freshDatabase(ctx context.Context, admin string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s (set ORDO_BENCH_DATABASE_URL or -database-url): %w", redact(admin), err)
	}
	defer conn.Close(context.Background())
	name := "ordo_bench_" + randomHex(5)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	return u.String(), drop, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// openOrdo loads the configuration from env and opens Ordo with it.
func openOrdo(ctx context.Context, o Options, open OpenFunc, getenv func(string) string) (*Ordo, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, fmt.Errorf("bench configuration: %w", err)
	}
	return open(ctx, cfg, o.Log)
}

func runPostgres(ctx context.Context, o Options, open OpenFunc, rep *Report) error {
	dbURL := o.DatabaseURL
	if dbURL == "" {
		admin := o.AdminURL
		if admin == "" {
			admin = DefaultAdminURL
		}
		u, drop, err := freshDatabase(ctx, admin)
		if err != nil {
			return err
		}
		if o.Keep {
			fmt.Fprintf(o.Progress, "keeping benchmark database: %s\n", redact(u))
		} else {
			defer drop()
		}
		dbURL = u
	}
	dataDir, err := os.MkdirTemp("", "ordo-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)

	env := benchEnv(dbURL, dataDir, o.RedisURL, o.JobWorkers)
	ordo, err := openOrdo(ctx, o, open, env.get)
	if err != nil {
		return err
	}
	defer ordo.Close()
	if err := ordo.Store.MigrateUp(ctx); err != nil {
		return fmt.Errorf("migrate benchmark database: %w", err)
	}
	pg, err := newPGBaseline(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pg.close()

	sr, ds, err := seedPostgres(ctx, pg.pool, o.Tenants, o.Orders, o.Progress)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	rep.Seed = append(rep.Seed, sr)
	fmt.Fprintf(o.Progress, "seeded %d orders (%d items) on PostgreSQL in %.1fs (%.0f orders/s)\n", sr.Orders, sr.Items, sr.Seconds, sr.OrdersPerSec)

	if !o.Skip["api"] {
		res, err := benchAPI(ctx, o, "postgres", ordo, pg, ds)
		if err != nil {
			return fmt.Errorf("API: %w", err)
		}
		rep.API = append(rep.API, res...)
		if err := flatness(ctx, o, "postgres", ordo, ds, rep); err != nil {
			return err
		}
		if err := searchLatency(ctx, o, "postgres", ordo, ds, rep); err != nil {
			return err
		}
	}
	if !o.Skip["api"] && !o.Skip["external"] {
		res, mixed, err := benchExternal(ctx, o, "postgres", ordo, ds, externalSetup{binary: o.binary, env: env, baseArgs: []string{"-database-url", dbURL}})
		if err != nil {
			return fmt.Errorf("API, external: %w", err)
		}
		rep.API = append(rep.API, res...)
		if mixed != nil {
			rep.Mixed = append(rep.Mixed, *mixed)
		}
	}
	if !o.Skip["pages"] {
		if err := pages(ctx, o, "postgres", ordo, ds, rep); err != nil {
			return err
		}
	}
	if !o.Skip["exports"] {
		res, err := benchExports(ctx, o, ordo.Store, pg.pool, ds)
		if err != nil {
			return fmt.Errorf("exports: %w", err)
		}
		rep.Exports = append(rep.Exports, res...)
	}
	if !o.Skip["e2e-exports"] {
		res, err := benchE2EExports(ctx, o, ordo, ds, env)
		if err != nil {
			return fmt.Errorf("exports end to end: %w", err)
		}
		rep.E2EExports = append(rep.E2EExports, res...)
	}
	if !o.Skip["jobs"] {
		res, err := benchJobs(ctx, o, ordo, pg.pool)
		if err != nil {
			return fmt.Errorf("jobs: %w", err)
		}
		rep.Jobs = append(rep.Jobs, res)
	}
	if !o.Skip["invoices"] {
		for _, mixed := range []bool{false, true} {
			res, err := benchInvoices(ctx, o, ordo.Store, ds, mixed)
			if err != nil {
				return fmt.Errorf("invoices: %w", err)
			}
			rep.Invoices = append(rep.Invoices, res)
		}
	}
	if !o.Skip["webhooks"] {
		rate, err := benchWebhookRate(ctx, o, open, dbURL, dataDir, pg.pool)
		if err != nil {
			return fmt.Errorf("webhook delivery rate: %w", err)
		}
		fmt.Fprintf(o.Progress, "webhooks %d deliveries to a fast receiver: %.0f/s (%d workers)\n", rate.Deliveries, rate.PerSec, rate.Workers)
		rep.WebhookRate = &rate
	}
	if !o.Skip["fair"] {
		res, err := benchFair(ctx, o, open, dbURL, dataDir, pg.pool, ds)
		if err != nil {
			return fmt.Errorf("fair scheduling: %w", err)
		}
		fmt.Fprintf(o.Progress, "fair     B's webhook p50 %.3fs max %.3fs; B's export %.3fs idle, %.3fs beside A; A %.0f/s alone, %.0f/s beside B\n",
			res.BWebhookP50, res.BWebhookMax, res.BExportIdle, res.BExportContended, res.ASolo, res.AContended)
		rep.Fair = &res
	}
	return nil
}

func runSQLite(ctx context.Context, o Options, open OpenFunc, rep *Report) error {
	if o.Skip["api"] && o.Skip["pages"] {
		return nil // embedded mode is measured for the API and pages only
	}
	dataDir, err := os.MkdirTemp("", "ordo-bench-sqlite-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)
	// Embedded mode migrates on open.
	env := benchEnv("", dataDir, "", o.JobWorkers)
	ordo, err := openOrdo(ctx, o, open, env.get)
	if err != nil {
		return err
	}
	defer ordo.Close()
	base, err := newSQLiteBaseline(ctx, filepath.Join(dataDir, "ordo.db"), o.Log)
	if err != nil {
		return err
	}
	defer base.close()
	sr, ds, err := seedSQLite(ctx, base.db(), o.Tenants, o.SQLiteOrders, o.Progress)
	if err != nil {
		return fmt.Errorf("seed sqlite: %w", err)
	}
	rep.Seed = append(rep.Seed, sr)
	fmt.Fprintf(o.Progress, "seeded %d orders (%d items) on SQLite in %.1fs (%.0f orders/s)\n", sr.Orders, sr.Items, sr.Seconds, sr.OrdersPerSec)
	if !o.Skip["api"] {
		res, err := benchAPI(ctx, o, "sqlite", ordo, base, ds)
		if err != nil {
			return fmt.Errorf("API (sqlite): %w", err)
		}
		rep.API = append(rep.API, res...)
		if err := flatness(ctx, o, "sqlite", ordo, ds, rep); err != nil {
			return err
		}
		if err := searchLatency(ctx, o, "sqlite", ordo, ds, rep); err != nil {
			return err
		}
	}
	if !o.Skip["api"] && !o.Skip["external"] {
		res, mixed, err := benchExternal(ctx, o, "sqlite", ordo, ds, externalSetup{binary: o.binary, env: env, baseArgs: []string{"-sqlite", filepath.Join(dataDir, "ordo.db")}})
		if err != nil {
			return fmt.Errorf("API, external (sqlite): %w", err)
		}
		rep.API = append(rep.API, res...)
		if mixed != nil {
			rep.Mixed = append(rep.Mixed, *mixed)
		}
	}
	if !o.Skip["pages"] {
		return pages(ctx, o, "sqlite", ordo, ds, rep)
	}
	return nil
}

// flatness runs benchFlatness and reports its progress.
func flatness(ctx context.Context, o Options, engine string, ordo *Ordo, ds *dataset, rep *Report) error {
	res, err := benchFlatness(ctx, engine, ordo, ds, max(o.LatencyRequests, 1))
	if err != nil {
		return fmt.Errorf("list latency by tenant size (%s): %w", engine, err)
	}
	for _, f := range res {
		fmt.Fprintf(o.Progress, "list latency %-8s tenant of %8d orders: first page p50 %.2f ms, cursor page p50 %.2f ms\n", engine, f.Orders, f.FirstP50Ms, f.CursorP50Ms)
	}
	rep.Flatness = append(rep.Flatness, res...)
	return nil
}

// pages runs benchPages and reports its progress.
func pages(ctx context.Context, o Options, engine string, ordo *Ordo, ds *dataset, rep *Report) error {
	res, err := benchPages(ctx, engine, ordo, ds, max(o.LatencyRequests, 1))
	if err != nil {
		return fmt.Errorf("server-rendered pages (%s): %w", engine, err)
	}
	for _, p := range res {
		fmt.Fprintf(o.Progress, "page %-8s %-40s tenant of %8d orders: p50 %.2f ms, p99 %.2f ms, %d errors, %d bytes\n", engine, p.Page, p.TenantOrders, p.P50Ms, p.P99Ms, p.Errors, p.Bytes)
		if p.FirstError != "" {
			fmt.Fprintf(o.Progress, "  first error: %s\n", p.FirstError)
		}
	}
	rep.Pages = append(rep.Pages, res...)
	return nil
}
