package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
)

// External mode measures the API the way users' load arrives: `ordo
// serve` runs as a process of its own, the bare baseline runs in another
// (`ordo bench serve-baseline`), and the harness drives both over
// loopback with the same keep-alive clients as in process. Each server
// has the machine's cores to itself while it is measured, as in
// production, and pays for its own HTTP parsing and JSON, where in
// process the harness's runtime is shared between load and server.

// serveBaselineCommand is the hidden `ordo bench` sub-command that runs
// the bare baseline handler as a process of its own.
const serveBaselineCommand = "serve-baseline"

// ServeBaseline runs the bare baseline handler for one tenant on
// 127.0.0.1:port until ctx ends or the process gets SIGTERM: `ordo bench
// serve-baseline -database-url URL | -sqlite FILE -tenant ID -port N`.
func ServeBaseline(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("ordo bench "+serveBaselineCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := fs.String("database-url", "", "PostgreSQL database (pgx, as the in-process baseline)")
	sqlitePath := fs.String("sqlite", "", "SQLite database file (the store's queries, as the in-process baseline)")
	tenant := fs.String("tenant", "", "the tenant whose orders are served")
	port := fs.Int("port", 0, "loopback port")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tenantID, err := uuid.Parse(*tenant)
	if err != nil || *port < 1 || (*dbURL == "") == (*sqlitePath == "") {
		return errors.New("bench serve-baseline: need -tenant, -port and one of -database-url, -sqlite")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	var b backend
	if *dbURL != "" {
		b, err = newPGBaseline(ctx, *dbURL)
	} else {
		b, err = newSQLiteBaseline(ctx, *sqlitePath, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	}
	if err != nil {
		return err
	}
	defer b.close()
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(*port))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: baselineHandler(b, tenantID), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// externalSetup is what benchExternal needs to start both servers on an
// engine: serve's environment, and the baseline's database flag.
type externalSetup struct {
	binary   string
	env      map[string]string // `ordo serve`'s configuration, as the in-process Ordo's
	baseArgs []string          // -database-url URL or -sqlite FILE
}

// benchExternal measures the API endpoints against `ordo serve` and the
// bare baseline, each a process of its own, and then the mixed load
// (benchMixed) on the same serve process, unless skipped.
func benchExternal(ctx context.Context, o Options, engine string, ordo *Ordo, ds *dataset, s externalSetup) ([]APIResult, *MixedResult, error) {
	tenantID := ds.tenants[0]
	_, key, err := ordo.Auth.CreateAPIKey(ctx, access.Operator(tenantID), "ordo bench external", access.RoleAdmin, nil, access.Meta{UserAgent: "ordo bench"})
	if err != nil {
		return nil, nil, fmt.Errorf("create API key: %w", err)
	}
	ordoPort, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	env := []string{"PORT=" + strconv.Itoa(ordoPort), "HOME=" + os.TempDir(), "PATH=" + os.Getenv("PATH")}
	for k, v := range s.env {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	var profile func(string) func()
	if o.ServeProfileDir != "" {
		mport, err := freePort()
		if err != nil {
			return nil, nil, err
		}
		env = append(env, fmt.Sprintf("ORDO_METRICS_ADDR=127.0.0.1:%d", mport), "ORDO_PPROF=true")
		profile = serveProfiler(ctx, o, fmt.Sprintf("http://127.0.0.1:%d", mport), engine)
	}
	ordoURL := fmt.Sprintf("http://127.0.0.1:%d", ordoPort)
	serve, _, err := startProc(ctx, "ordo serve", s.binary, []string{"serve"}, env, ordoURL+"/readyz", false)
	if err != nil {
		return nil, nil, err
	}
	defer serve.stop()

	basePort, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	baseURL := fmt.Sprintf("http://127.0.0.1:%d", basePort)
	args := append([]string{"bench", serveBaselineCommand, "-tenant", tenantID.String(), "-port", strconv.Itoa(basePort)}, s.baseArgs...)
	base, _, err := startProc(ctx, "bare baseline", s.binary, args, []string{"HOME=" + os.TempDir()}, baseURL+"/orders?limit=1", false)
	if err != nil {
		return nil, nil, err
	}
	defer base.stop()

	res, err := measureAPI(ctx, o, engine, "external", ordoURL, baseURL, key, ds, profile)
	var mixed *MixedResult
	if err == nil && !o.Skip["mixed"] {
		base.stop() // the mixed load runs on Ordo alone
		var m MixedResult
		m, err = benchMixed(ctx, o, engine, ordoURL, key, ds)
		mixed = &m
	}
	if err != nil && serve.out.String() != "" {
		err = fmt.Errorf("%w\nordo serve's output:\n%s", err, serve.out.String())
	}
	return res, mixed, err
}

// serveProfiler returns measureAPI's profile hook for `ordo serve` with
// its profiles at metricsURL: a CPU profile of the round (its duration,
// rounded up to whole seconds) is written to
// o.ServeProfileDir/serve-<engine>-<endpoint>.pprof.
func serveProfiler(ctx context.Context, o Options, metricsURL, engine string) func(string) func() {
	secs := max(1, int((o.Duration+time.Second-1)/time.Second))
	return func(endpoint string) func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			path := filepath.Join(o.ServeProfileDir, "serve-"+engine+"-"+slug(endpoint)+".pprof")
			if err := fetchTo(ctx, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", metricsURL, secs), path); err != nil {
				fmt.Fprintf(o.Progress, "\n  CPU profile of ordo serve: %v\n", err)
			}
		}()
		return func() { <-done }
	}
}

// fetchTo writes the body of a GET of u to path.
func fetchTo(ctx context.Context, u, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, res.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// slug turns an endpoint's name into a file name: "GET /api/v1/orders/{id}"
// becomes "get-api-v1-orders-id".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}
