package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/testkit"
)

// bin is the ordo binary built once for these tests.
var bin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// Every test here starts the binary and skips with -short; the
		// fast loop need not wait for the build.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "ordo-bin")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "ordo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build ordo: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort is a port for an ordo process; see testkit.FreePort for why it
// stays free while the test restarts the process.
func freePort(t *testing.T) int {
	t.Helper()
	return testkit.FreePort(t)
}

// process is a running ordo.
type process struct {
	cmd    *exec.Cmd
	stderr *testkit.SyncBuffer
	done   chan struct{} // closed when the process has exited
}

// start runs ordo with args in dir, with only env (plus PATH and HOME).
func start(t *testing.T, dir string, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	p := &process{cmd: cmd, stderr: &testkit.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Errorf("ordo %v did not exit after SIGKILL", args)
		}
		if t.Failed() {
			t.Logf("ordo %v stderr:\n%s", args, p.stderr)
		}
	})
	return p
}

// stop sends SIGTERM and returns the exit status and how long it took.
func (p *process) stop(t *testing.T) (int, time.Duration) {
	t.Helper()
	begin := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatal("ordo did not exit within 15s of SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(begin)
}

// waitStatus polls url until it answers want or the deadline passes.
func waitStatus(t *testing.T, url string, want int, within time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode == want {
				return body
			}
			last = fmt.Sprintf("status %d: %v", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer %d within %s; last: %s", url, want, within, last)
	return nil
}

func run(t *testing.T, dir string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// The zero-configuration promise: no variables, a fresh directory.
func TestEmbeddedServe(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	p := start(t, dir, []string{fmt.Sprintf("PORT=%d", port)})

	waitStatus(t, base+"/healthz", 200, 10*time.Second)
	body := waitStatus(t, base+"/readyz", 200, 5*time.Second)
	if body["status"] != "ok" {
		t.Errorf("readyz body %v", body)
	}
	for _, f := range []string{"data/ordo.db", "data/secret", "data/blobs"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not created: %v", f, err)
		}
	}
	if _, errOut, code := run(t, dir, []string{fmt.Sprintf("PORT=%d", port)}, "healthcheck"); code != 0 {
		t.Errorf("healthcheck of a running server: exit %d %s", code, errOut)
	}
	code, took := p.stop(t)
	if code != 0 || took > 10*time.Second {
		t.Errorf("SIGTERM: exit %d after %s, want 0 within 10s", code, took)
	}
	if _, _, code := run(t, dir, []string{fmt.Sprintf("PORT=%d", port)}, "healthcheck"); code != 1 {
		t.Errorf("healthcheck of a stopped server: exit %d, want 1", code)
	}
	if !strings.Contains(p.stderr.String(), `"msg":"stopped"`) {
		t.Errorf("no clean-stop log line:\n%s", p.stderr)
	}
}

// Production mode: an empty PostgreSQL database is not ready until
// `ordo migrate up` has run; then it is, and status lists the migrations.
func TestProductionServe(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	s3 := testkit.S3Server(t)
	dbURL := testkit.PostgresURL(t)
	env := []string{
		"DATABASE_URL=" + dbURL,
		"S3_ENDPOINT=" + s3.Endpoint,
		// Where browsers would reach the S3 server: URLs are signed for it
		// (presigning is offline), Ordo's own calls go to S3_ENDPOINT.
		"S3_PUBLIC_ENDPOINT=https://s3.ordo.test",
		"S3_BUCKET=ordo-e2e",
		"S3_ACCESS_KEY_ID=" + s3.AccessKey,
		"S3_SECRET_ACCESS_KEY=" + s3.SecretKey,
		"S3_FORCE_PATH_STYLE=true",
		"S3_CREATE_BUCKET=true",
		"ORDO_SECRET=" + strings.Repeat("k", 40),
		"REDIS_URL=" + testkit.RedisURL(t),
		fmt.Sprintf("PORT=%d", port),
	}

	p := start(t, dir, env, "serve")
	waitStatus(t, base+"/healthz", 200, 10*time.Second)
	body := waitStatus(t, base+"/readyz", 503, 5*time.Second)
	if fmt.Sprint(body["failed"]) != "[migrations]" {
		t.Errorf("readyz before migrating should name migrations: %v", body)
	}

	out, errOut, code := run(t, dir, env, "migrate", "up")
	if code != 0 {
		t.Fatalf("migrate up: exit %d\n%s", code, errOut)
	}
	body = waitStatus(t, base+"/readyz", 200, 5*time.Second)
	if checks, _ := body["checks"].(map[string]any); checks["redis"] == nil || checks["storage"] == nil {
		t.Errorf("readyz should check the configured Redis and S3: %v", body)
	}
	// Pages may upload to the S3 server's public address.
	if res, err := http.Get(base + "/healthz"); err != nil {
		t.Error(err)
	} else {
		res.Body.Close()
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' https://s3.ordo.test;") {
			t.Errorf("CSP does not let pages upload to S3_PUBLIC_ENDPOINT: %s", csp)
		}
	}

	out, errOut, code = run(t, dir, env, "migrate", "status")
	if code != 0 || !strings.Contains(out, "00001_init") {
		t.Errorf("migrate status: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		if !slices.Contains(strings.Fields(line), "applied") {
			t.Errorf("migration not applied: %q", line)
		}
	}

	// The worker works jobs: the hourly purge runs once at start.
	w := start(t, dir, env, "worker")
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int
		err := conn.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'purge_expired' AND state = 'completed'`).Scan(&n)
		if err == nil && n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not complete the purge job within 15s (err %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _ := w.stop(t); code != 0 {
		t.Errorf("worker exit %d", code)
	}
	if code, took := p.stop(t); code != 0 || took > 10*time.Second {
		t.Errorf("serve SIGTERM: exit %d after %s", code, took)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Error("production mode must not create the embedded data directory")
	}
}

func TestBadConfigurationExits2(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	tests := []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{"PORT=abc"}, nil, "PORT"},
		{[]string{"PORT=99999"}, []string{"serve"}, "PORT"},
		{[]string{"DATABASE_URL=mysql://db/x"}, nil, "DATABASE_URL"},
		{[]string{"DATABASE_URL=postgres://db:notaport/x"}, []string{"migrate", "up"}, "DATABASE_URL"},
		{nil, []string{"frobnicate"}, "unknown command"},
		{nil, []string{"migrate", "sideways"}, "unknown migrate command"},
		{nil, []string{"serve", "junk"}, "unexpected argument"},
		{[]string{"REDIS_URL=redis://r:6379/abc"}, nil, "REDIS_URL"},
	}
	for _, tt := range tests {
		out, errOut, code := run(t, t.TempDir(), tt.env, tt.args...)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != 2 || !strings.Contains(lines[0], tt.want) || strings.Contains(errOut, "goroutine") {
			t.Errorf("%v %v: exit %d, stderr %q, stdout %q", tt.env, tt.args, code, errOut, out)
		}
		if strings.HasPrefix(tt.want, strings.ToUpper(tt.want[:1])) && len(lines) != 1 {
			t.Errorf("%v: want one line, got %q", tt.env, errOut)
		}
	}
}

func TestVersionAndSeed(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	out, _, code := run(t, dir, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "ordo ") {
		t.Errorf("version: %d %q", code, out)
	}
	out, errOut, code := run(t, dir, nil, "seed", "-orders", "25")
	if code != 0 || !strings.Contains(out, "created demo tenant") || !strings.Contains(out, "with 25 orders") {
		t.Fatalf("seed: %d %q %q", code, out, errOut)
	}
	out, _, code = run(t, dir, nil, "seed")
	if code != 0 || !strings.Contains(out, "already present") {
		t.Errorf("second seed: %d %q", code, out)
	}

	// The seeded orders are there for the API.
	key, _, _ := runIn(t, dir, nil, "", "apikeys", "create", "--tenant", "acme", "--role", "viewer")
	port := freePort(t)
	p := start(t, dir, []string{fmt.Sprintf("PORT=%d", port)})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitStatus(t, base+"/readyz", 200, 10*time.Second)
	req, _ := http.NewRequest("GET", base+"/api/v1/orders?limit=200", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(key))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Data []map[string]any }
	_ = json.NewDecoder(res.Body).Decode(&list)
	res.Body.Close()
	if res.StatusCode != 200 || len(list.Data) != 25 {
		t.Errorf("seeded orders: status %d, %d orders", res.StatusCode, len(list.Data))
	}
	p.stop(t)
}

// runIn runs ordo with stdin.
func runIn(t *testing.T, dir string, env []string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	_ = cmd.Run()
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// tenantKey migrates the database env points to, creates a user and a
// tenant of theirs named name through the operator commands, and returns
// an API key of the tenant with role.
func tenantKey(t *testing.T, dir string, env []string, name, role string) string {
	t.Helper()
	if _, errOut, code := run(t, dir, env, "migrate", "up"); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	email := strings.ToLower(name) + "@example.com"
	runIn(t, dir, env, "a strong passphrase\n", "users", "create", "--email", email)
	runIn(t, dir, env, "", "tenants", "create", "--name", name, "--owner", email)
	key, errOut, _ := runIn(t, dir, env, "", "apikeys", "create", "--tenant", strings.ToLower(name), "--role", role)
	key = strings.TrimSpace(key)
	if !strings.HasPrefix(key, "ordo_") {
		t.Fatalf("no key: %s", errOut)
	}
	return key
}

// seededKey migrates the database env points to, seeds the demo tenant
// "acme" with orders orders, and returns an owner API key of it.
func seededKey(t *testing.T, dir string, env []string, orders int) string {
	t.Helper()
	if _, errOut, code := run(t, dir, env, "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: %s", errOut)
	}
	if _, errOut, code := run(t, dir, env, "seed", "-orders", strconv.Itoa(orders)); code != 0 {
		t.Fatalf("seed: %s", errOut)
	}
	out, errOut, code := run(t, dir, env, "apikeys", "create", "--tenant", "acme", "--role", "owner")
	if code != 0 {
		t.Fatalf("apikeys create: %s", errOut)
	}
	return strings.TrimSpace(out)
}

// The operator CLI sets up a user, a tenant and a key that the API takes.
func TestOperatorCLI(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	port := freePort(t)
	env := []string{fmt.Sprintf("PORT=%d", port)}
	_, errOut, code := runIn(t, dir, env, "a strong passphrase\n", "users", "create", "--email", "op@example.com")
	if code != 0 {
		t.Fatalf("users create: %d %s", code, errOut)
	}
	_, _, code = runIn(t, dir, env, "short\n", "users", "create", "--email", "weak@example.com")
	if code != 1 {
		t.Errorf("a weak password must be refused, exit %d", code)
	}
	slug, errOut, code := runIn(t, dir, env, "", "tenants", "create", "--name", "Ops Inc", "--owner", "op@example.com")
	if code != 0 || strings.TrimSpace(slug) != "ops-inc" {
		t.Fatalf("tenants create: %d %q %s", code, slug, errOut)
	}
	key, errOut, code := runIn(t, dir, env, "", "apikeys", "create", "--tenant", "ops-inc", "--role", "admin", "--expires", "30d")
	key = strings.TrimSpace(key)
	if code != 0 || !strings.HasPrefix(key, "ordo_") || strings.Contains(key, "\n") {
		t.Fatalf("apikeys create must print only the key: %d %q %s", code, key, errOut)
	}
	if _, _, code := runIn(t, dir, env, "", "apikeys", "create", "--tenant", "ops-inc", "--role", "root"); code == 0 {
		t.Error("an unknown role must be refused")
	}

	p := start(t, dir, env)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitStatus(t, base+"/readyz", 200, 10*time.Second)
	get := func() int {
		req, _ := http.NewRequest("GET", base+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := get(); got != 200 {
		t.Fatalf("the key is refused: %d", got)
	}
	if _, errOut, code := runIn(t, dir, env, "", "apikeys", "revoke", key[:17]); code != 0 {
		t.Fatalf("revoke: %d %s", code, errOut)
	}
	if got := get(); got != 401 {
		t.Errorf("a revoked key must be refused on the next request, got %d", got)
	}
	p.stop(t)
}

// Two serve processes share PostgreSQL and Redis: a write through one
// reaches an event stream held open on the other within a second.
func TestEventsAcrossProcesses(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	dir := t.TempDir()
	env := []string{
		"DATABASE_URL=" + testkit.PostgresURL(t),
		"REDIS_URL=" + testkit.RedisURL(t),
		"ORDO_SECRET=" + strings.Repeat("s", 40),
	}
	key := tenantKey(t, dir, env, "Realtime", "member")
	var bases []string
	for range 2 {
		port := freePort(t)
		start(t, dir, append(env, fmt.Sprintf("PORT=%d", port)))
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		waitStatus(t, base+"/readyz", 200, 10*time.Second)
		bases = append(bases, base)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", bases[1]+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("stream: %v %v", err, res)
	}
	defer res.Body.Close()
	got := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event: ") {
				got <- strings.TrimPrefix(sc.Text(), "event: ")
			}
		}
	}()
	// No wait for the subscription: the server subscribes before it
	// answers 200 (handleEvents), and reads from an id taken before that.

	body := `{"customer_name":"Rita","customer_email":"rita@example.com","currency":"EUR","items":[{"name":"Widget","quantity":1,"unit_price":100}]}`
	post, _ := http.NewRequest("POST", bases[0]+"/api/v1/orders", strings.NewReader(body))
	post.Header.Set("Authorization", "Bearer "+key)
	post.Header.Set("Content-Type", "application/json")
	sent := time.Now()
	pres, err := http.DefaultClient.Do(post)
	if err != nil || pres.StatusCode != 201 {
		t.Fatalf("create order: %v %v", err, pres)
	}
	pres.Body.Close()
	select {
	case ev := <-got:
		if ev != "order.created" {
			t.Errorf("got event %q", ev)
		}
		t.Logf("event reached the other process after %s", time.Since(sent))
	case <-time.After(time.Second):
		t.Fatal("the event did not reach the other process within 1s")
	}
}

// redisServer runs a redis-server of the test's own on a free port, so
// that the test may stop and start it.
type redisServer struct {
	port int
	cmd  *exec.Cmd
}

func (r *redisServer) start(t *testing.T) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		testkit.Missing(t, "redis-server not installed")
	}
	r.cmd = exec.Command(bin, "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.port))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *redisServer) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}

// Redis goes away and comes back while Ordo serves: API-key traffic keeps
// working, sessions say "sign in again" instead of failing with 500,
// /readyz tells the truth, and sessions, cache and pub/sub resume.
func TestRedisOutage(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	rs := &redisServer{port: freePort(t)}
	rs.start(t)
	t.Cleanup(rs.stop)
	dir := t.TempDir()
	env := []string{
		"DATABASE_URL=" + testkit.PostgresURL(t),
		fmt.Sprintf("REDIS_URL=redis://127.0.0.1:%d/0", rs.port),
		"ORDO_SECRET=" + strings.Repeat("r", 40),
	}
	key := tenantKey(t, dir, env, "Outage", "member")
	port := freePort(t)
	start(t, dir, append(env, fmt.Sprintf("PORT=%d", port)))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitStatus(t, base+"/readyz", 200, 10*time.Second)

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	call := func(c *http.Client, method, path, body string, withKey bool) int {
		t.Helper()
		defer func(start time.Time) { t.Logf("%s %s took %s", method, path, time.Since(start)) }(time.Now())
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if withKey {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	login := `{"email":"outage@example.com","password":"a strong passphrase"}`
	order := `{"customer_name":"Out","customer_email":"out@example.com","currency":"EUR","items":[{"name":"x","quantity":1,"unit_price":1}]}`
	if got := call(browser, "POST", "/api/v1/auth/login", login, false); got != 200 {
		t.Fatalf("login: %d", got)
	}

	rs.stop()
	body := waitStatus(t, base+"/readyz", 503, 5*time.Second)
	if fmt.Sprint(body["failed"]) != "[redis]" {
		t.Errorf("readyz during the outage: %v", body)
	}
	if got := call(http.DefaultClient, "GET", "/api/v1/me", "", true); got != 200 {
		t.Errorf("API key request during the outage: %d, want 200", got)
	}
	if got := call(http.DefaultClient, "POST", "/api/v1/orders", order, true); got != 201 {
		t.Errorf("order during the outage: %d, want 201", got)
	}
	if got := call(browser, "GET", "/api/v1/me", "", false); got != 503 {
		t.Errorf("session request during the outage: %d, want 503 (sign in again), not 500", got)
	}

	rs.start(t)
	waitStatus(t, base+"/readyz", 200, 10*time.Second)
	// Redis kept nothing: sessions start over, and work again.
	if got := call(browser, "POST", "/api/v1/auth/login", login, false); got != 200 {
		t.Errorf("login after the outage: %d", got)
	}
	if got := call(browser, "GET", "/api/v1/me", "", false); got != 200 {
		t.Errorf("session after the outage: %d", got)
	}

	// Pub/sub resumed: an event stream hears a new order within a second,
	// sooner than its 5 s poll.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("stream: %v %v", err, res)
	}
	defer res.Body.Close()
	got := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event: ") {
				got <- sc.Text()
			}
		}
	}()
	// No wait for the subscription: the stream answers its headers only
	// once pub/sub has confirmed it (pubsub.Subscribe), so an order made
	// from here on is heard.
	if code := call(http.DefaultClient, "POST", "/api/v1/orders", order, true); code != 201 {
		t.Fatalf("order after the outage: %d", code)
	}
	select {
	case <-got:
	case <-time.After(time.Second):
		t.Error("no event within 1s after Redis came back")
	}
}
