package web_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/cache"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/invoice"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/mail"
	"github.com/ordo/ordo/internal/operator"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/passkey"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/pubsub"
	"github.com/ordo/ordo/internal/ratelimit"
	"github.com/ordo/ordo/internal/realtime"
	"github.com/ordo/ordo/internal/sso"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/pgstore/pgtest"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/tenant"
	"github.com/ordo/ordo/internal/testkit"
	"github.com/ordo/ordo/internal/web"
	"github.com/ordo/ordo/internal/webhook"
)

// backend is one way to run the API: a database engine and where
// sessions live.
type backend struct {
	name     string
	engine   string // "sqlite" or "postgres"
	sessions string // "db" or "redis"
}

var backends = []backend{
	{"sqlite", "sqlite", "db"},
	{"postgres", "postgres", "db"},
	{"postgres+redis", "postgres", "redis"},
}

// forEachBackend runs fn against every backend, in parallel.
func forEachBackend(t *testing.T, fn func(t *testing.T, a *app)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, newApp(t, b, nil))
		})
	}
}

// forEachStorage runs fn on SQLite with local-disk blobs and on PostgreSQL
// with S3 (versitygw), in parallel: the two ends of the storage matrix.
func forEachStorage(t *testing.T, fn func(t *testing.T, a *app, s3 bool)) {
	for _, tc := range []struct {
		name string
		b    backend
		s3   bool
	}{{"sqlite+disk", backends[0], false}, {"postgres+s3", backends[1], true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fn(t, newAppOpts(t, tc.b, appOpts{s3: tc.s3}), tc.s3)
		})
	}
}

// outbox captures e-mails. The e-mail jobs run for real through River;
// only the SMTP hop is replaced (package mail tests it against mailpit).
type outbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (o *outbox) Send(ctx context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

var tokenRE = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// wait returns the newest e-mail to addr whose subject contains subject,
// waiting up to 30 s for it.
func (o *outbox) wait(t *testing.T, addr, subject string) mail.Message {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		o.mu.Lock()
		for i := len(o.msgs) - 1; i >= 0; i-- {
			if m := o.msgs[i]; m.To[0] == addr && strings.Contains(m.Subject, subject) {
				o.mu.Unlock()
				return m
			}
		}
		o.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no e-mail to %s about %q within 30s", addr, subject)
	return mail.Message{}
}

// token returns the token in the link of that e-mail.
func (o *outbox) token(t *testing.T, addr, subject string) string {
	t.Helper()
	m := o.wait(t, addr, subject)
	match := tokenRE.FindStringSubmatch(m.Text)
	require.NotNil(t, match, "no token link in %q", m.Text)
	return match[1]
}

// app is a running Ordo API over a real store, with its job runner.
type app struct {
	t     *testing.T
	url   string
	store store.Store
	// engine is the store under the wrappers, for tests that read its
	// tables directly.
	engine store.Store
	outbox *outbox
	cache  cache.Cache // the auth cache; nil unless the backend has Redis
	auth   *auth.Service
	// limits are the plans' limits the services check.
	limits *plan.Checker
	// tenants is the tenant service, for operator actions (suspension).
	tenants *tenant.Service
	blobs   blob.Store
	// attachments is the service, for housekeeping tests.
	attachments *attachment.Service
	// idempotencyRows reads every stored idempotency record, headers and
	// body, as text, straight from the database.
	idempotencyRows func(t *testing.T) []string
	// rowsHolding lists, for each table, how many rows hold needle (an
	// id) anywhere: in a text or JSON column, or in bytes as text or as
	// the id's 16 raw bytes.
	rowsHolding func(t *testing.T, id uuid.UUID) map[string]int
	// exports is the service, to run an export's job by hand.
	exports *export.Service
	// usage counts the API requests and webhook deliveries of tenants;
	// tests flush it.
	usage *plan.Tally
	// deleteFailures is how many of the next blob deletes fail.
	deleteFailures *atomic.Int32
	// wrote counts web.Options.Wrote's calls (read replicas' floor).
	wrote *atomic.Int64
}

// flakyDeletes fails the next fail deletes: what a process that dies right
// after a commit leaves undone.
type flakyDeletes struct {
	blob.Store
	fail atomic.Int32
}

func (f *flakyDeletes) Delete(ctx context.Context, key string) error {
	if f.fail.Add(-1) >= 0 {
		return errors.New("flakyDeletes: the process died")
	}
	f.fail.Store(0)
	return f.Store.Delete(ctx, key)
}

// newApp starts the API. limits may be nil for no rate limits.
func newApp(t *testing.T, b backend, limits *web.Limits) *app {
	return newAppWith(t, b, limits, web.SessionIdleTimeout, web.SessionLifetime)
}

// newAppWith starts the API with the given session timeouts.
func newAppWith(t *testing.T, b backend, limits *web.Limits, idle, lifetime time.Duration) *app {
	return newAppOpts(t, b, appOpts{limits: limits, idle: idle, lifetime: lifetime})
}

// appOpts are the less common settings of a test app.
type appOpts struct {
	// planLimits enforces the plans' limits (ORDO_PLAN_LIMITS).
	planLimits     bool
	limits         *web.Limits
	idle, lifetime time.Duration
	s3             bool // attachments on a versitygw S3 server instead of local disk
	// strictWebhooks refuses private webhook targets, as production does.
	strictWebhooks bool
	// webhookTimeout replaces the 2 s delivery timeout.
	webhookTimeout time.Duration
	// eventRecheck and eventLifetime replace the event stream's defaults.
	eventRecheck, eventLifetime time.Duration
	// baseHost, when set, names ORDO_BASE_URL's host instead of the
	// 127.0.0.1 the tests connect to (same port), e.g. "localhost".
	baseHost string
	// log replaces the test log, for tests that read what is logged.
	log *slog.Logger
	// webhookSchedule replaces the 100, 200, 300 ms retry schedule.
	webhookSchedule []time.Duration
	// oidc is the platform's single sign-on provider (none if unset).
	oidc sso.Platform
	// now is the clock of single sign-on (nil: time.Now).
	now func() time.Time
}

// newAppOpts starts the API.
func newAppOpts(t *testing.T, b backend, o appOpts) *app {
	limits, idle, lifetime := o.limits, o.idle, o.lifetime
	if idle == 0 {
		idle, lifetime = web.SessionIdleTimeout, web.SessionLifetime
	}
	t.Helper()
	ctx := context.Background()
	log := testkit.Logger(t)
	if o.log != nil {
		log = o.log
	}
	var st store.Store
	var idemRows func(t *testing.T) []string
	var holding func(t *testing.T, id uuid.UUID) map[string]int
	switch b.engine {
	case "sqlite":
		s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "ordo.db"), log)
		require.NoError(t, err)
		st = s
		holding = func(t *testing.T, id uuid.UUID) map[string]int {
			db := s.DB()
			rows, err := db.QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
			require.NoError(t, err)
			var tables []string
			for rows.Next() {
				var n string
				require.NoError(t, rows.Scan(&n))
				tables = append(tables, n)
			}
			require.NoError(t, rows.Close())
			raw := strings.ToUpper(hex.EncodeToString(id[:]))
			txt := strings.ToUpper(hex.EncodeToString([]byte(id.String())))
			out := map[string]int{}
			for _, tb := range tables {
				crows, err := db.QueryContext(t.Context(), `SELECT name FROM pragma_table_info($1)`, tb)
				require.NoError(t, err)
				var conds []string
				for crows.Next() {
					var c string
					require.NoError(t, crows.Scan(&c))
					q := `"` + c + `"`
					conds = append(conds, `instr(CAST(`+q+` AS TEXT), $1) > 0`, `instr(hex(`+q+`), $2) > 0`, `instr(hex(`+q+`), $3) > 0`)
				}
				require.NoError(t, crows.Close())
				var n int
				require.NoError(t, db.QueryRowContext(t.Context(), `SELECT count(*) FROM "`+tb+`" WHERE `+strings.Join(conds, " OR "), id.String(), raw, txt).Scan(&n), tb)
				if n > 0 {
					out[tb] = n
				}
			}
			return out
		}
		idemRows = func(t *testing.T) []string {
			rows, err := s.DB().QueryContext(t.Context(), `SELECT response_headers || ' ' || coalesce(CAST(response_body AS TEXT), '') FROM idempotency_keys`)
			require.NoError(t, err)
			defer rows.Close()
			var out []string
			for rows.Next() {
				var v string
				require.NoError(t, rows.Scan(&v))
				out = append(out, v)
			}
			require.NoError(t, rows.Err())
			return out
		}
	case "postgres":
		s, err := pgstore.Open(ctx, pgtest.URL(t), log)
		require.NoError(t, err)
		st = s
		holding = func(t *testing.T, id uuid.UUID) map[string]int {
			rows, err := s.Pool().Query(t.Context(), `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
			require.NoError(t, err)
			tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			raw := hex.EncodeToString(id[:])
			out := map[string]int{}
			for _, tb := range tables {
				// A row as text shows bytea as \x and hex: the id's bytes,
				// raw or as text, show as their hex there.
				var n int
				require.NoError(t, s.Pool().QueryRow(t.Context(), `SELECT count(*) FROM `+pgx.Identifier{tb}.Sanitize()+` AS x
					WHERE x::text LIKE '%' || $1 || '%' OR x::text LIKE '%' || $2 || '%' OR x::text LIKE '%' || $3 || '%'`,
					id.String(), raw, hex.EncodeToString([]byte(id.String()))).Scan(&n), tb)
				if n > 0 {
					out[tb] = n
				}
			}
			return out
		}
		idemRows = func(t *testing.T) []string {
			rows, err := s.Pool().Query(t.Context(), `SELECT response_headers::text || ' ' || coalesce(convert_from(response_body, 'UTF8'), '') FROM idempotency_keys`)
			require.NoError(t, err)
			defer rows.Close()
			var out []string
			for rows.Next() {
				var v string
				require.NoError(t, rows.Scan(&v))
				out = append(out, v)
			}
			require.NoError(t, rows.Err())
			return out
		}
	}
	t.Cleanup(st.Close)
	require.NoError(t, st.MigrateUp(ctx))
	engine := st
	ps := pubsub.PubSub(pubsub.NewMemory())
	st = realtime.Notify(st, ps, log)

	var sessStore scs.Store = st.SessionStore()
	var authCache cache.Cache
	if b.sessions == "redis" {
		// With Redis, sessions live there and authentication is cached
		// there: every test on this backend runs with the cache on.
		opts, err := redis.ParseURL(testkit.RedisURL(t))
		require.NoError(t, err)
		rc := redis.NewClient(opts)
		t.Cleanup(func() { rc.Close() })
		prefix := "ordo-test:" + uuid.NewString() + ":"
		sessStore = goredisstore.NewWithPrefix(rc, prefix+"session:")
		authCache = cache.NewRedis(rc, prefix+"cache:")
	}

	sealer := testSealer(t)
	planLimits := plan.NewChecker(st, o.planLimits)
	// Listen first: ORDO_BASE_URL names the server's port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	if o.baseHost != "" {
		base = "http://" + o.baseHost + ":" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	}
	ssoSvc := sso.NewService(store.Narrow[sso.Tx]{Store: st}, sso.Options{Platform: o.oidc, BaseURL: base, Sealer: sealer, AllowPrivate: !o.strictWebhooks, Log: log, Now: o.now})
	svc, tenants, accounts := newIdentityWith(t, st, authCache, sealer, log, planLimits, ssoSvc)
	ob := &outbox{}
	cfg := jobs.Config(jobs.Deps{Log: log, Mail: ob, Store: st, Effects: st, Usage: st, Sealer: sealer}, map[string]int{jobs.QueueEmail: 2, jobs.QueueMaintenance: 1, jobs.QueueExports: 2,
		jobs.QueueInvoices: 2, jobs.QueueWebhooks: 4})
	accounts.RegisterWorkers(cfg.Workers)
	cfg.SetFetch(10*time.Millisecond, 30*time.Millisecond)
	var blobs blob.Store
	var signer *blob.Signer
	if o.s3 {
		srv := testkit.S3Server(t)
		s3, err := blob.NewS3(ctx, blob.S3Config{Endpoint: srv.Endpoint, Region: "us-east-1", Bucket: "ordo-attachments",
			AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, ForcePathStyle: true})
		require.NoError(t, err)
		require.NoError(t, s3.EnsureBucket(ctx))
		blobs = s3
	} else {
		d, err := blob.NewDisk(t.TempDir())
		require.NoError(t, err)
		signer = blob.NewSigner("test-secret-test-secret-test-secret")
		blobs = d.WithSigner(signer)
	}
	// Deletes can be made to fail, as a process dying after a commit
	// would leave them undone.
	flaky := &flakyDeletes{Store: blobs}
	blobs = flaky
	accounts.WithBlobs(blobs)
	jobs.AddBlobDeleteWorker(cfg.Workers, blobs, log)
	exp := export.NewService(store.Narrow[export.Tx]{Store: st}, blobs, log, "http://ordo.test").WithLimits(planLimits)
	exp.RegisterWorkers(cfg.Workers)
	inv := invoice.NewService(store.Narrow[invoice.Tx]{Store: st}, blobs, log)
	inv.RegisterWorkers(cfg.Workers)
	// Short retries so that tests see a whole schedule in seconds.
	hookTimeout := 2 * time.Second
	if o.webhookTimeout > 0 {
		hookTimeout = o.webhookTimeout
	}
	schedule := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	if o.webhookSchedule != nil {
		schedule = o.webhookSchedule
	}
	usage := plan.NewTally(st, log)
	hooks := webhook.NewService(store.Narrow[webhook.Tx]{Store: st}, webhook.Options{Log: log, Sealer: sealer, Limits: planLimits, Usage: usage, AllowPrivate: !o.strictWebhooks, BaseURL: "http://ordo.test",
		Schedule: schedule, Timeout: hookTimeout})
	hooks.RegisterWorkers(cfg.Workers)
	runner, err := st.JobRunner(cfg)
	require.NoError(t, err)
	require.NoError(t, runner.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(sctx)
	})

	var lim web.Limits
	if limits != nil {
		lim = *limits
	}
	if lim.APIPlan == nil && o.planLimits {
		rates, err := ratelimit.NewMemoryStore(1000)
		require.NoError(t, err)
		lim.APIPlan = web.PlanAPIRate(planLimits, rates)
	}
	wrote := &atomic.Int64{}
	atts := attachment.NewService(store.Narrow[attachment.Tx]{Store: st}, blobs, attachment.Config{MaxSize: 1 << 20, AllowedTypes: []string{"image/*", "application/pdf", "text/plain", "text/html"}}, log).WithLimits(planLimits)
	h, err := web.New(web.Options{
		Log: log, Version: "test", MaxBodyBytes: 1 << 20, APIUsage: usage, AuditPublicKey: testAuditKey.Public().(ed25519.PublicKey),
		Auth: svc, Tenants: tenants, Accounts: accounts, Passkeys: newPasskeys(t, st, base, log, ssoSvc), Operators: operator.NewService(store.Narrow[operator.Tx]{Store: st}),
		Orders: order.NewService(store.Narrow[order.Tx]{Store: st}, nil).WithBlobs(blobs).WithLimits(planLimits), Idempotency: st, PubSub: ps, Sessions: web.NewSessionManager(sessStore, false, idle, lifetime, log), Limits: lim,
		Attachments: atts, Exports: exp, Invoices: inv, Webhooks: hooks, SSO: ssoSvc, Blobs: blobs, Signer: signer, BaseURL: base,
		EventRecheck: o.eventRecheck, EventMaxLifetime: o.eventLifetime,
		Wrote: func(context.Context, uuid.UUID) { wrote.Add(1) },
		Usage: func(ctx context.Context, id uuid.UUID) (plan.Report, error) {
			return plan.Usage(ctx, st, planLimits, id, time.Now())
		},
	})
	require.NoError(t, err)
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	return &app{t: t, url: srv.URL, store: st, engine: engine, outbox: ob, cache: authCache, auth: svc, tenants: tenants, limits: planLimits, blobs: blobs, attachments: atts, idempotencyRows: idemRows, rowsHolding: holding, exports: exp, deleteFailures: &flaky.fail, usage: usage, wrote: wrote}
}

// newAppOnStore starts a second server on base's store and outbox, with
// its own limits: for tests that need a setting only one server has.
func newAppOnStore(t *testing.T, base *app, limits *web.Limits) *app {
	t.Helper()
	log := testkit.Logger(t)
	svc, tenants, accounts := newIdentity(t, base.store, nil, testSealer(t), log, nil)
	h, err := web.New(web.Options{Log: log, Version: "test", MaxBodyBytes: 1 << 20, Auth: svc, Tenants: tenants, Accounts: accounts, Orders: order.NewService(store.Narrow[order.Tx]{Store: base.store}, nil),
		Idempotency: base.store, Sessions: web.NewSessionManager(base.store.SessionStore(), false, time.Hour, time.Hour, log), Limits: *limits})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &app{t: t, url: srv.URL, store: base.store, outbox: base.outbox}
}

// newIdentity wires auth (on cache c, nil for none) and the tenant and
// account services that drop what it caches, as the app does, with a
// fast password hasher.
func newIdentity(t testing.TB, st store.Store, c cache.Cache, sealer *jobs.Sealer, log *slog.Logger, limits *plan.Checker) (*auth.Service, *tenant.Service, *account.Service) {
	t.Helper()
	return newIdentityWith(t, st, c, sealer, log, limits, nil)
}

// newIdentityWith is newIdentity with a password policy (single
// sign-on's), nil for none.
func newIdentityWith(t testing.TB, st store.Store, c cache.Cache, sealer *jobs.Sealer, log *slog.Logger, limits *plan.Checker, policy *sso.Service) (*auth.Service, *tenant.Service, *account.Service) {
	t.Helper()
	hasher, err := account.NewHasher(&argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	require.NoError(t, err)
	ao := auth.Options{Store: store.Narrow[auth.Tx]{Store: st}, Cache: c, Hasher: hasher, Sealer: sealer, Log: log}
	if policy != nil {
		ao.PasswordPolicy = policy
	}
	svc := auth.New(ao)
	if policy != nil {
		policy.WithAuthCache(svc)
	}
	tenants := tenant.NewService(store.Narrow[tenant.Tx]{Store: st}, tenant.Options{Auth: svc, Hasher: hasher, Sealer: sealer, Log: log, BaseURL: "http://ordo.test", Limits: limits})
	accounts := account.NewService(store.Narrow[account.Tx]{Store: st}, account.Options{Auth: svc, Tenants: tenants, Hasher: hasher, Sealer: sealer, Log: log, BaseURL: "http://ordo.test"})
	return svc, tenants, accounts
}

// testSealer seals e-mail bodies with the tests' one secret, so that any
// test server's jobs open what another enqueued.
// testAuditKey signs the test servers' audit checkpoints.
var testAuditKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

func testSealer(t testing.TB) *jobs.Sealer {
	s, err := jobs.NewSealer("test-secret-for-sealing-e-mails-in-job-args")
	require.NoError(t, err)
	return s
}

// newPeer starts a second server process on base's store and auth cache
// (Redis on that backend) but with its own auth service and in-process
// pub/sub: what another `ordo serve` behind the same load balancer sees.
func newPeer(t *testing.T, base *app) *app {
	t.Helper()
	log := testkit.Logger(t)
	svc, tenants, accounts := newIdentity(t, base.store, base.cache, testSealer(t), log, nil)
	h, err := web.New(web.Options{Log: log, Version: "test", MaxBodyBytes: 1 << 20, Auth: svc, Tenants: tenants, Accounts: accounts, Orders: order.NewService(store.Narrow[order.Tx]{Store: base.store}, nil),
		Idempotency: base.store, PubSub: pubsub.NewMemory(), Sessions: web.NewSessionManager(base.store.SessionStore(), false, time.Hour, time.Hour, log)})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &app{t: t, url: srv.URL, store: base.store, outbox: base.outbox, cache: base.cache, auth: svc, tenants: tenants}
}

// memLimiter returns a limiter on an in-process store.
func memLimiter(t *testing.T, rate int, per time.Duration, burst int) *ratelimit.Limiter {
	st, err := ratelimit.NewMemoryStore(1000)
	require.NoError(t, err)
	l, err := ratelimit.New(st, ratelimit.Quota{Rate: rate, Per: per, Burst: burst})
	require.NoError(t, err)
	return l
}

// client is one browser (a cookie jar) or one API key.
type client struct {
	a      *app
	http   *http.Client
	bearer string
}

func (a *app) browser() *client {
	jar, _ := cookiejar.New(nil)
	return &client{a: a, http: &http.Client{Jar: jar}}
}

// browserFrom is a browser whose connections come from ip, a loopback
// address other than 127.0.0.1 (all of 127/8 is local on Linux): the
// server sees it as another client without trusting any header.
func (a *app) browserFrom(ip string) *client {
	c := a.browser()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	a.t.Cleanup(tr.CloseIdleConnections)
	c.http.Transport = tr
	return c
}

func (a *app) withKey(key string) *client {
	return &client{a: a, http: &http.Client{}, bearer: key}
}

// rawBody is a request body sent as it is, not as JSON.
type rawBody struct {
	data        []byte
	contentType string
}

// resp is a decoded response.
type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (c *client) do(method, path string, body any) resp {
	c.a.t.Helper()
	return c.doWith(method, path, body, nil)
}

// doWith sends extra headers too.
func (c *client) doWith(method, path string, body any, headers map[string]string) resp {
	c.a.t.Helper()
	var rd io.Reader
	var sent []byte
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case rawBody: // sent as it is
		rd, ctype, sent = bytes.NewReader(b.data), b.contentType, b.data
	default:
		j, err := json.Marshal(body)
		require.NoError(c.a.t, err)
		rd, sent = bytes.NewReader(j), j
	}
	req, err := http.NewRequest(method, c.a.url+path, rd)
	require.NoError(c.a.t, err)
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for k, v := range headers {
		if k == "Host" { // the client sends req.Host, not a Host header
			req.Host = v
		}
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	require.NoError(c.a.t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	checkAgainstDoc(c.a.t, req, sent, res.StatusCode, res.Header, raw)
	out := resp{status: res.StatusCode, header: res.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// must asserts the status and returns the response.
func (r resp) must(t *testing.T, status int) resp {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.raw)
	return r
}

// str digs a string out of a decoded body: str("user", "id").
func (r resp) str(path ...string) string {
	var v any = r.body
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

// list returns the "data" array.
func (r resp) list() []map[string]any {
	var out []map[string]any
	for _, v := range r.body["data"].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

const password = "a long enough password"

// signup makes a user with their own tenant, confirms the address and
// logs in, and returns their browser, user id and tenant id.
func (a *app) signup(t *testing.T, email string) (*client, string, string) {
	t.Helper()
	a.signupUnconfirmed(t, email)
	tok := a.outbox.token(t, email, "Confirm your e-mail")
	a.browser().do("POST", "/api/v1/auth/verify-email", map[string]any{"token": tok}).must(t, 200)
	c := a.browser()
	me := c.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
	return c, me.str("principal", "id"), me.str("tenant", "id")
}

// signupUnconfirmed signs up without confirming the address (which the
// user must do before logging in).
func (a *app) signupUnconfirmed(t *testing.T, email string) {
	t.Helper()
	a.browser().do("POST", "/api/v1/auth/signup", map[string]any{"email": email, "password": password, "name": "N " + email}).must(t, 202)
}

// tenantOf returns the id of the (first) tenant of the user with email.
func (a *app) tenantOf(t *testing.T, email string) string {
	t.Helper()
	u, err := a.store.UserGetByEmail(t.Context(), email)
	require.NoError(t, err)
	ms, err := a.store.MembershipListByUser(t.Context(), u.ID)
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	return ms[0].TenantID.String()
}

// uniqueEmail returns a fresh address.
func uniqueEmail(tag string) string { return tag + "-" + uuid.NewString()[:8] + "@example.com" }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// bulkOrders stores n pending orders without items in the tenant, in one
// transaction, faster than the API would.
func (a *app) bulkOrders(t *testing.T, tenantID string, n int) {
	t.Helper()
	ctx := t.Context()
	tid := uuid.MustParse(tenantID)
	require.NoError(t, a.store.InTx(ctx, func(tx store.Tx) error {
		at := time.Now().UTC().Truncate(time.Microsecond)
		for range n {
			num, err := tx.OrderNextNumber(ctx, tid)
			if err != nil {
				return err
			}
			o := order.Order{ID: uuid.Must(uuid.NewV7()), TenantID: tid, Number: num, Status: order.StatusPending, CustomerName: "Bulk",
				CustomerEmail: "bulk@example.com", Currency: "EUR", Version: 1, CreatedAt: at, UpdatedAt: at}
			if err := tx.OrderCreate(ctx, o); err != nil {
				return err
			}
		}
		return nil
	}))
}

// apiKeySecret is the secret part of a full API key, "ordo_<12 hex>_<secret>".
// (The secret is base64url and may itself hold an underscore.)
func apiKeySecret(full string) string {
	_, rest, _ := strings.Cut(strings.TrimPrefix(full, auth.APIKeyScheme), "_")
	return rest
}

// newPasskeys is the passkey service for a server at base (its origin is
// the relying party's).
func newPasskeys(t *testing.T, st store.Store, base string, log *slog.Logger, policy *sso.Service) *passkey.Service {
	t.Helper()
	// WebAuthn has no relying party on an IP address: a server on
	// 127.0.0.1 gets localhost's (only a browser test, which opens
	// localhost, signs in with passkeys).
	if u, err := url.Parse(base); err == nil && net.ParseIP(u.Hostname()) != nil {
		base = "http://localhost:" + u.Port()
	}
	pk, err := passkey.NewService(store.Narrow[passkey.Tx]{Store: st}, passkey.Options{BaseURL: base, Log: log, Policy: policy})
	require.NoError(t, err)
	return pk
}
