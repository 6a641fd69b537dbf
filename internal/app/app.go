// Package app wires Ordo together: it parses the command line, loads the
// configuration, opens the store and the other adapters for the chosen
// mode, and runs the subcommand. It holds no business logic.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/ordo/ordo/internal/bench"
	"github.com/ordo/ordo/internal/config"
	"github.com/ordo/ordo/internal/telemetry"
	"github.com/ordo/ordo/internal/web"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2 // bad command line or configuration
)

const usage = `Usage: ordo [command]

Commands:
  serve              run the web server (default; embedded mode also runs the worker)
  worker [-port N]   run only the background job workers; with -port, serve
                     /healthz, /readyz and /metrics on port N
  migrate up         apply pending database migrations
  migrate down       roll back the most recent migration
  migrate status     list migrations and whether they are applied
  seed [-orders N]    create demo data: tenant "acme", owner demo@example.com, N orders
  users create --email E [--name N]
                     create a user; the password is read from stdin or prompted
  users disable|enable EMAIL
                     disable a user (no log-in, sessions and their API keys
                     end) or enable them again
  users logout EMAIL end every session of the user
  users reset-password EMAIL
                     make the user's password stop working and e-mail them a
                     link to choose a new one
  operators add|remove EMAIL
                     make a user an operator (the console at /admin) or not
  operators list     the operators
  tenants create --name N --owner E
                     create a tenant owned by an existing user; prints its slug
  tenants list       every tenant: slug, name, plan, status, created
  tenants suspend SLUG
                     suspend a tenant: its members and API keys get 403
                     tenant-suspended, its jobs wait, its event streams close
  tenants resume SLUG
                     give a suspended tenant back to its members
  tenants delete SLUG [--now]
                     delete a tenant: like suspended at once, its rows and
                     files purged after ORDO_TENANT_DELETION_GRACE (30 days),
                     or at once with --now
  tenants restore SLUG
                     cancel a deletion that has not been purged yet
  tenants set-plan SLUG PLAN
                     move a tenant to free, pro or enterprise
  tenants limit SLUG NAME VALUE
                     override one limit of one tenant (a number, unlimited,
                     or default: back to its plan's)
  plans limit PLAN NAME VALUE
                     override a limit of every tenant on a plan
  tenants export SLUG FILE
                     write the tenant's rows and files to one archive (zip)
  tenants import FILE
                     load such an archive, from either engine, into this Ordo
  apikeys create --tenant SLUG --role ROLE [--name N] [--expires 30d]
                     create an API key; prints only the key
  apikeys revoke PREFIX
                     revoke an API key at once
  jobs failed [--tenant SLUG]
                     list background jobs that failed, with their last error;
                     with --tenant, also its failing webhook deliveries
  jobs retry ID      run a failed job again now
  audit verify --tenant SLUG [--pubkey KEY]
                     check the tenant's audit log: its hash chain and signed
                     checkpoints; exits 1 naming the first entry edited,
                     deleted, inserted or reordered
  audit verify --file PATH [--pubkey KEY]
                     the same offline, on an export of the audit log with its
                     proofs (GET /api/v1/audit-log/export)
  audit checkpoint   sign a checkpoint of every audit chain that moved (the
                     worker does it every 10 minutes)
  audit prune        prune every tenant's audit log past its plan's
                     audit_retention_days now, behind signed retention cuts
                     (the worker does it every night; nothing with plan
                     limits off)
  audit pubkey       print the public key that verifies the checkpoints
  backup             back up the database to object storage, then apply retention
  backup list        list the complete backups
  restore ID         restore a backup into an empty database (serve and worker stopped)
  config             print the configuration, secrets masked
  version            print the version
  openapi            print the API's OpenAPI 3.1 document (for client generators)
  healthcheck        exit 0 if the local server's /healthz answers (for containers)
  bench [-orders N] [-engine postgres|sqlite|all] [-c 64] [-d 5s] [-json F] [-md BENCH.md]
                     seed a benchmark database and measure Ordo against bare
                     baselines (ordo bench -h lists every flag)

Configuration comes from environment variables; see README.md.
`

// usageError is a mistake on the command line; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Main runs the ordo command with args (without the program name) and
// returns the process exit status. getenv, stdout and stderr are passed in
// so that tests can run it in-process.
func Main(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "version":
		fmt.Fprintln(stdout, "ordo", Version())
		return exitOK
	case "healthcheck":
		// For container HEALTHCHECKs in images without curl.
		return healthcheck(getenv("PORT"), stderr)
	case "openapi":
		// The document is built from the route table alone, so client
		// generators (make sdk) need no configuration and no server.
		doc, err := web.OpenAPI("1")
		if err != nil {
			fmt.Fprintln(stderr, "ordo:", err)
			return exitFailure
		}
		_, _ = stdout.Write(append(doc, '\n'))
		return exitOK
	}

	cfg, err := config.Load(getenv)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(stderr, "ordo: invalid configuration:", line)
		}
		return exitUsage
	}

	switch cmd {
	case "users", "tenants", "apikeys", "jobs", "plans", "operators":
		err = adminCommand(ctx, cmd, args, cfg, newLogger(stderr, "warn"), adminIO{stdin, stdout, stderr})
	case "audit":
		err = auditCommand(ctx, args, cfg, newLogger(stderr, "warn"), stdout, stderr)
	case "backup", "restore":
		err = backupCommand(ctx, cmd, args, cfg, newLogger(stderr, "warn"), stdout, stderr)
	case "bench":
		err = bench.Main(ctx, args, getenv, stdout, stderr, OpenForBench)
	default:
		err = run(ctx, cmd, args, cfg, stdout, stderr)
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "ordo: %s\n\n%s", ue.msg, usage)
		return exitUsage
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	default:
		fmt.Fprintln(stderr, "ordo:", err)
		return exitFailure
	}
}

func run(ctx context.Context, cmd string, args []string, cfg config.Config, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ordo "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("port", cfg.Port, "HTTP port (overrides PORT)")
	dataDir := fs.String("data-dir", cfg.DataDir, "data directory (overrides ORDO_DATA_DIR)")
	var seedOrders *int
	if cmd == "seed" {
		seedOrders = fs.Int("orders", 300, "number of demo orders")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if *port < 1 || *port > 65535 {
		return usageError{fmt.Sprintf("-port must be between 1 and 65535, got %d", *port)}
	}
	cfg.SetPort(*port)
	cfg.DataDir = *dataDir
	// The worker listens only when told to on its command line: PORT is
	// usually shared with serve (one .env), and a worker on serve's port
	// of the same host would keep one of them from starting.
	workerPort := 0
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "port" {
			workerPort = *port
		}
	})
	rest := fs.Args()
	if cmd != "migrate" && len(rest) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q (flags go after the command: ordo %s -port N)", rest[0], cmd)}
	}

	log := newLogger(stderr, cfg.LogLevel)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "worker":
		return worker(ctx, cfg, log, workerPort)
	case "migrate":
		if len(rest) != 1 {
			return usageError{"migrate needs one of: up, down, status"}
		}
		return migrate(ctx, cfg, log, rest[0], stdout)
	case "seed":
		return seed(ctx, cfg, log, seedOrders, stdout, stderr)
	case "config":
		for _, kv := range cfg.Masked() {
			fmt.Fprintf(stdout, "%s=%s\n", kv[0], kv[1])
		}
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// newLogger logs JSON, for collectors such as Loki, unless w is a terminal.
func newLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return slog.New(telemetry.LogHandler(slog.NewTextHandler(w, opts)))
		}
	}
	// Lines logged in a traced request or job carry its trace_id.
	return slog.New(telemetry.LogHandler(slog.NewJSONHandler(w, opts)))
}

// version is set at build time with -ldflags "-X github.com/ordo/ordo/internal/app.version=v1.2.3".
var version = ""

// Version reports the build's version: the linker-set one, else the VCS
// revision Go recorded, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if len(rev) >= 12 {
			return "dev-" + rev[:12] + dirty
		}
	}
	return "dev"
}

// healthcheck asks the local server's /healthz: exit 0 if it answers 200.
func healthcheck(port string, stderr io.Writer) int {
	if port == "" {
		port = "3000"
	}
	c := &http.Client{Timeout: 3 * time.Second}
	res, err := c.Get("http://127.0.0.1:" + port + "/healthz")
	if err != nil {
		fmt.Fprintln(stderr, "ordo: healthcheck:", err)
		return exitFailure
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "ordo: healthcheck: status", res.StatusCode)
		return exitFailure
	}
	return exitOK
}
