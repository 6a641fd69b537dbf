package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/ordo/ordo/internal/webhook"
)

// A field is one environment variable: how Load reads it into a Config,
// how `ordo config` shows it, and its row in the README's configuration
// table and entry in .env.example. The TestEveryVariableDocumented tests
// check those two files against fields; to add a variable, add its field
// and run: go test ./internal/config -run Documented -update
type field struct {
	Env string
	// Default is the value Load parses when the variable is unset, empty
	// when there is none or when it depends on other variables (see
	// Config.finish).
	Default string
	// DefaultDoc is the README's default column when it is not simply
	// Default in backquotes: a derived default, or one with a gloss.
	DefaultDoc string
	// Doc is the README's meaning column (Markdown).
	Doc string
	// Mask hides the value, or a URL's password, from `ordo config`.
	Mask mask
	val  value
}

// defaultDoc is the README's default column.
func (f field) defaultDoc() string {
	if f.DefaultDoc != "" {
		return f.DefaultDoc
	}
	return "`" + f.Default + "`"
}

// mask says how `ordo config` and the start-up log show a value.
type mask int

const (
	plain    mask = iota
	secret        // shown as ******** when set
	password      // a URL whose password is shown as xxxxx
)

func (m mask) apply(s string) string {
	switch {
	case m == secret && s != "":
		return "********"
	case m == password:
		u, err := url.Parse(s)
		if err != nil || u.User == nil {
			return s
		}
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	return s
}

// A value reads one variable into a Config and shows it from there.
type value interface {
	// set parses v, trimmed and not empty, into c. Its error says what
	// is wrong without naming the variable; a joined error is one line
	// per mistake.
	set(c *Config, v string) error
	// get formats c's value as `ordo config` shows it.
	get(c *Config) string
}

// fields is every variable Ordo reads, in the order in which `ordo config`
// prints them and Load reports their errors.
var fields = append([]field{
	{Env: "PORT", Default: "3000", Doc: "HTTP port",
		val: intVal[int]{func(c *Config) *int { return &c.Port }, 1, 65535, "a port number between 1 and 65535"}},
	{Env: "ORDO_DATA_DIR", Default: "./data", Doc: "embedded mode's directory: SQLite file, blobs, generated secret",
		val: text{func(c *Config) *string { return &c.DataDir }, nil}},
	{Env: "ORDO_FONT_DIR", DefaultDoc: "unset: the system's font directories", Doc: "directory holding `NotoSansCJK-Regular.ttc` (Debian's `fonts-noto-cjk`), with which invoices and PDF exports print Chinese, Japanese and Korean; searched before `/usr/share/fonts/opentype/noto` and other system font directories. Without it such text prints as placeholders (a warning is logged once)",
		val: text{func(c *Config) *string { return &c.FontDir }, nil}},
	{Env: "ORDO_BASE_URL", DefaultDoc: "`http://localhost:$PORT`", Doc: "public URL, for links in e-mails; `https` makes cookies Secure. Local-disk upload and download URLs do not depend on it: pages use them on whichever address they were opened at",
		val: text{func(c *Config) *string { return &c.BaseURL }, func(v string) (string, error) {
			if !httpURL(v) {
				return v, fmt.Errorf("must be an absolute http:// or https:// URL, got %q", v)
			}
			return strings.TrimRight(v, "/"), nil
		}}},
	{Env: "ORDO_SECRET", DefaultDoc: "generated into `$ORDO_DATA_DIR/secret` on first embedded run", Doc: "signing and sealing key (32+ characters); **required** when `DATABASE_URL` is set. It also seals e-mail bodies in queued jobs and webhook signing secrets in the database: after changing it, rotate every webhook endpoint's secret", Mask: secret,
		val: text{func(c *Config) *string { return &c.Secret }, minLen(32, "openssl rand -base64 48")}},
	{Env: "ORDO_AUDIT_SIGNING_KEY", DefaultDoc: "unset: derived from `ORDO_SECRET`", Doc: "base64 Ed25519 seed (32 bytes) that signs the audit log's checkpoints (try: openssl rand -base64 32); `ordo audit pubkey` prints its public key. Keep it as long as the checkpoints it signed must verify (see [Audit log](#audit-log))", Mask: secret,
		val: text{func(c *Config) *string { return &c.AuditSigningKey }, checkAuditSigningKey}},
	{Env: "DATABASE_URL", DefaultDoc: "unset: embedded SQLite", Doc: "`postgres://user:pass@host:5432/db` selects production mode", Mask: password,
		val: text{func(c *Config) *string { return &c.DatabaseURL }, checkDatabaseURL}},
	{Env: "DATABASE_POOLER", DefaultDoc: "unset: a direct connection or a session-mode pooler", Doc: "`transaction` when `DATABASE_URL` goes through a transaction-mode pooler (PgBouncer, the Neon and Supabase poolers): no named prepared statements, River jobs found by polling instead of `LISTEN/NOTIFY` (see [Scaling out](#scaling-out))",
		val: text{func(c *Config) *string { return &c.DatabasePooler }, func(v string) (string, error) {
			if v != PoolerTransaction {
				return v, fmt.Errorf("must be %q or unset, got %q", PoolerTransaction, v)
			}
			return v, nil
		}}},
	{Env: "DATABASE_DIRECT_URL", DefaultDoc: "unset: `DATABASE_URL`", Doc: "a direct connection to the same database, bypassing the pooler, for `ordo migrate` and backups (`pg_dump` cannot work through a transaction-mode pooler); **required** for backups when `DATABASE_POOLER=transaction`", Mask: password,
		val: text{func(c *Config) *string { return &c.DatabaseDirectURL }, checkDatabaseURL}},
	{Env: "DATABASE_REPLICA_URL", DefaultDoc: "unset: every read from `DATABASE_URL`", Doc: "read replicas, comma-separated `postgres://` URLs: order lists and search, the dashboard and exports read from one that is within `DATABASE_REPLICA_MAX_LAG` and has replayed the tenant's latest write; otherwise, and while a replica is down, from the primary (see [Scaling out](#scaling-out))",
		val: replicaURLs{}},
	{Env: "DATABASE_REPLICA_MAX_LAG", Default: "5s", Doc: "the most a replica may lag behind the primary and still be read from",
		val: duration{func(c *Config) *time.Duration { return &c.ReplicaMaxLag }, 0, time.Hour, "a duration from 0s to 1h such as 5s"}},
	{Env: "REDIS_URL", DefaultDoc: "unset: in-process", Doc: "`redis://` or `rediss://` URL", Mask: password,
		val: text{func(c *Config) *string { return &c.RedisURL }, checkRedisURL}},
	{Env: "S3_ENDPOINT", DefaultDoc: "unset: AWS", Doc: "S3 API endpoint as Ordo reaches it, e.g. `http://versitygw:7070` on the compose network",
		val: text{func(c *Config) *string { return &c.S3.Endpoint }, func(v string) (string, error) {
			if !httpURL(v) {
				return v, fmt.Errorf("must be an http:// or https:// URL, got %q", v)
			}
			return v, nil
		}}},
	{Env: "S3_PUBLIC_ENDPOINT", DefaultDoc: "unset: `S3_ENDPOINT`", Doc: "the S3 server's origin as browsers reach it, e.g. `https://s3.example.com` (no path); every upload, download, export and invoice URL handed to a browser is signed for it, and the page's CSP lets the browser connect to it",
		val: text{func(c *Config) *string { return &c.S3.PublicEndpoint }, func(v string) (string, error) {
			if v = strings.TrimRight(v, "/"); v == "" {
				return v, nil
			}
			// A path would be part of the signature, and a proxy that
			// strips it would make every URL's signature wrong.
			if u, err := url.Parse(v); err != nil || !httpURL(v) || u.Path != "" || u.RawQuery != "" {
				return v, fmt.Errorf("must be the http:// or https:// origin at which browsers reach the S3 server, such as https://s3.example.com (no path), got %q", v)
			}
			return v, nil
		}}},
	{Env: "S3_BUCKET", DefaultDoc: "unset: local disk", Doc: "bucket; setting it selects S3 storage",
		val: text{func(c *Config) *string { return &c.S3.Bucket }, nil}},
	{Env: "S3_REGION", Default: "us-east-1", Doc: "region",
		val: text{func(c *Config) *string { return &c.S3.Region }, nil}},
	{Env: "S3_ACCESS_KEY_ID", DefaultDoc: "unset", Doc: "access key (set with the secret, or neither for the SDK's default chain)",
		val: text{func(c *Config) *string { return &c.S3.AccessKeyID }, nil}},
	{Env: "S3_SECRET_ACCESS_KEY", DefaultDoc: "unset", Doc: "secret key", Mask: secret,
		val: text{func(c *Config) *string { return &c.S3.SecretAccessKey }, nil}},
	{Env: "S3_FORCE_PATH_STYLE", Default: "false", Doc: "path-style URLs (versitygw, MinIO)",
		val: boolVal(func(c *Config) *bool { return &c.S3.ForcePathStyle })},
	{Env: "S3_CREATE_BUCKET", Default: "false", Doc: "create the bucket at start-up if it is missing (otherwise `/readyz` reports it missing)",
		val: boolVal(func(c *Config) *bool { return &c.S3.CreateBucket })},
	{Env: "SMTP_URL", DefaultDoc: "unset: e-mails are written to the log", Doc: "`smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`; `?insecure_skip_verify=true` for self-signed test servers", Mask: password,
		val: text{func(c *Config) *string { return &c.SMTPURL }, checkSMTPURL}},
	{Env: "ORDO_MAIL_FROM", DefaultDoc: "`Ordo <no-reply@host of ORDO_BASE_URL>`", Doc: "sender of Ordo's e-mail",
		val: text{func(c *Config) *string { return &c.MailFrom }, func(v string) (string, error) {
			if _, err := mail.ParseAddress(v); err != nil {
				return v, fmt.Errorf("must be an e-mail address such as \"Ordo <no-reply@example.com>\", got %q", v)
			}
			return v, nil
		}}},
	{Env: "ORDO_SUPPORT_EMAIL", DefaultDoc: "unset", Doc: "the operator's address, shown to the members of a suspended tenant as whom to contact",
		val: text{func(c *Config) *string { return &c.SupportEmail }, func(v string) (string, error) {
			a, err := mail.ParseAddress(v)
			if err != nil {
				return v, fmt.Errorf("must be an e-mail address such as support@example.com, got %q", v)
			}
			return a.Address, nil
		}}},
	{Env: "OIDC_ISSUER", DefaultDoc: "unset: off", Doc: "issuer URL of an OpenID Connect provider everyone may sign in with (\"Sign in with `OIDC_NAME`\" on the sign-in page), such as `https://accounts.google.com`; register `ORDO_BASE_URL` + `/login/sso/callback` as its redirect URI (see [Single sign-on](#single-sign-on))",
		val: text{func(c *Config) *string { return &c.OIDC.Issuer }, func(v string) (string, error) {
			v = strings.TrimRight(v, "/")
			if u, err := url.Parse(v); err != nil || !httpURL(v) || u.RawQuery != "" {
				return v, fmt.Errorf("must be the provider's http:// or https:// issuer URL, such as https://accounts.google.com, got %q", v)
			}
			return v, nil
		}}},
	{Env: "OIDC_CLIENT_ID", DefaultDoc: "unset", Doc: "the client id Ordo has at `OIDC_ISSUER` (required with it)",
		val: text{func(c *Config) *string { return &c.OIDC.ClientID }, nil}},
	{Env: "OIDC_CLIENT_SECRET", DefaultDoc: "unset: a public client", Doc: "the client's secret at `OIDC_ISSUER`", Mask: secret,
		val: text{func(c *Config) *string { return &c.OIDC.ClientSecret }, nil}},
	{Env: "OIDC_NAME", Default: "SSO", Doc: "the provider's name on the sign-in button, such as `Google` or `Keycloak`",
		val: text{func(c *Config) *string { return &c.OIDC.Name }, nil}},
	{Env: "ORDO_TRUST_PROXY", Default: "false", Doc: "take the client address from `X-Forwarded-For` (rate limits, audit log); set it only behind a proxy such as Traefik",
		val: boolVal(func(c *Config) *bool { return &c.TrustProxy })},
	{Env: "ORDO_API_RATE_PER_MINUTE", Default: "600", Doc: "API requests per minute per API key, per user, or per IP when anonymous (GCRA; in Redis when configured)",
		val: intVal[int]{func(c *Config) *int { return &c.APIRatePerMinute }, 1, 1_000_000, "an integer between 1 and 1000000"}},
	{Env: "ORDO_API_RATE_BURST", Default: "100", Doc: "requests allowed at once before the rate applies",
		val: intVal[int]{func(c *Config) *int { return &c.APIRateBurst }, 1, 1_000_000, "an integer between 1 and 1000000"}},
	{Env: "ORDO_UPLOAD_MAX_BYTES", Default: "26214400", DefaultDoc: "`26214400` (25 MiB)", Doc: "largest attachment",
		val: intVal[int64]{func(c *Config) *int64 { return &c.UploadMaxBytes }, 1, 5 << 30, "a number of bytes from 1 to 5368709120"}},
	{Env: "ORDO_UPLOAD_TYPES", Default: defaultUploadTypes, DefaultDoc: "images, PDF, text, CSV, ZIP, JSON, Office", Doc: "allowed attachment types, comma-separated (`image/*` allows a family)",
		val: mediaTypes{}},
	{Env: "ORDO_WEBHOOK_RETRY_SCHEDULE", Default: "5s,5m,30m,2h,5h,10h,10h", Doc: "delays between webhook delivery attempts (±10% jitter); after the last one the delivery is marked failed",
		val: schedule{}},
	{Env: "ORDO_WEBHOOKS_ALLOW_PRIVATE", Default: "false", Doc: "let webhook endpoints use `http://` and private, loopback or link-local addresses: for tests and local development only",
		val: boolVal(func(c *Config) *bool { return &c.WebhooksAllowPrivate })},
	{Env: "ORDO_JOB_RESCUE_AFTER", Default: "10m", Doc: "a job still running after this long (or after its kind's timeout, if longer) is taken to be abandoned by a crashed worker and run again; in embedded mode jobs of a crashed process are released at the next start",
		val: duration{func(c *Config) *time.Duration { return &c.JobRescueAfter }, time.Second, maxDuration, "a duration of at least 1s such as 10m"}},
	{Env: "ORDO_PLAN_LIMITS", Default: "false", Doc: "enforce each tenant's plan limits (members, orders a month, storage, API requests a minute, exports a day, webhook endpoints; see [Operating a SaaS](#operating-a-saas)); off, usage is still counted and shown but nothing is refused",
		val: boolVal(func(c *Config) *bool { return &c.PlanLimits })},
	{Env: "ORDO_TENANT_DELETION_GRACE", Default: "720h", DefaultDoc: "`720h` (30 days)", Doc: "how long a deleted tenant can still be restored before its data and files are purged for good (see [Operating a SaaS](#operating-a-saas))",
		val: duration{func(c *Config) *time.Duration { return &c.TenantDeletionGrace }, time.Minute, maxDuration, "a duration of at least 1m such as 720h"}},
	{Env: "ORDO_EXPORT_TIMEOUT", Default: "15m", Doc: "the longest one export may run; an export of a crashed worker is run again after this",
		val: duration{func(c *Config) *time.Duration { return &c.ExportTimeout }, time.Second, maxDuration, "a duration of at least 1s such as 15m"}},
	{Env: "ORDO_BACKUP_NIGHTLY", Default: "false", Doc: "back up the database every night at 03:00 UTC, as `ordo backup` does (see [Backups](#backups))",
		val: boolVal(func(c *Config) *bool { return &c.BackupNightly })},
	{Env: "ORDO_METRICS_ADDR", DefaultDoc: "unset: off", Doc: "serve Prometheus metrics at `/metrics` on a listener of their own, `host:port` such as `127.0.0.1:9090` or `:9090`; for `serve` and `worker` alike (see [Metrics](#metrics))",
		val: text{func(c *Config) *string { return &c.MetricsAddr }, func(v string) (string, error) {
			_, port, err := net.SplitHostPort(v)
			if p, perr := strconv.Atoi(port); err != nil || perr != nil || p < 0 || p > 65535 {
				return v, fmt.Errorf("must be host:port or :port, such as 127.0.0.1:9090, got %q", v)
			}
			return v, nil
		}}},
	{Env: "ORDO_PPROF", Default: "false", Doc: "also serve Go's CPU, heap and goroutine profiles at `/debug/pprof/` on the `ORDO_METRICS_ADDR` listener, for `go tool pprof` (see [Metrics](#metrics))",
		val: boolVal(func(c *Config) *bool { return &c.Pprof })},
	{Env: "ORDO_METRICS_TOKEN", DefaultDoc: "unset: off", Doc: "also serve `/metrics` on the main port to `Authorization: Bearer <token>` (16+ characters); without it, or with another token, `/metrics` is a 404", Mask: secret,
		val: text{func(c *Config) *string { return &c.MetricsToken }, minLen(16, "openssl rand -hex 24")}},
	{Env: "OTEL_EXPORTER_OTLP_ENDPOINT", DefaultDoc: "unset: off", Doc: "send OpenTelemetry traces over OTLP/HTTP to this collector base URL, such as `http://otel-collector:4318` (`/v1/traces` is appended); the other `OTEL_*` variables (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`…) are read as the OpenTelemetry spec says (see [Tracing and error reports](#tracing-and-error-reports))",
		val: text{func(c *Config) *string { return &c.OTLPEndpoint }, func(v string) (string, error) {
			if !httpURL(v) {
				return v, fmt.Errorf("must be the collector's http:// or https:// base URL, such as http://otel-collector:4318, got %q", v)
			}
			return v, nil
		}}},
	{Env: "SENTRY_DSN", DefaultDoc: "unset: off", Doc: "report panics, unexpected 5xx errors and discarded jobs to Sentry (or a Sentry-compatible service such as GlitchTip)", Mask: secret,
		val: text{func(c *Config) *string { return &c.SentryDSN }, func(v string) (string, error) {
			// The message does not echo the DSN: it holds a key.
			if u, err := url.Parse(v); err != nil || !httpURL(v) || u.User == nil {
				return v, errors.New("must be a Sentry DSN such as https://KEY@o1.ingest.sentry.io/PROJECT")
			}
			return v, nil
		}}},
	{Env: "ORDO_ENV", Default: "production", Doc: "the deployment's name in Sentry reports and traces (`staging`, …)",
		val: text{func(c *Config) *string { return &c.Env }, nil}},
	{Env: "ORDO_LOG_LEVEL", Default: "info", Doc: "`debug`, `info`, `warn` or `error`; logs are JSON unless stderr is a terminal",
		val: text{func(c *Config) *string { return &c.LogLevel }, func(v string) (string, error) {
			switch l := strings.ToLower(v); l {
			case "debug", "info", "warn", "error":
				return l, nil
			}
			return v, fmt.Errorf("must be debug, info, warn or error, got %q", v)
		}}},
	{Env: "ORDO_SHUTDOWN_TIMEOUT", Default: "25s", Doc: "how long SIGTERM waits for in-flight requests and running jobs",
		val: duration{func(c *Config) *time.Duration { return &c.ShutdownTimeout }, time.Nanosecond, maxDuration, "a positive duration such as 25s"}},
	{Env: "ORDO_SHUTDOWN_DRAIN", Default: "0s", Doc: "after SIGTERM, keep serving this long with `/readyz` failing and connections closed after each response, so that a load balancer moves traffic away first (5s behind Traefik)",
		val: duration{func(c *Config) *time.Duration { return &c.ShutdownDrain }, 0, time.Minute, "a duration from 0s to 1m such as 5s"}},
}, queueFields()...)

// queueFields are ORDO_QUEUE_<NAME>_CONCURRENCY, one per job queue.
func queueFields() []field {
	var out []field
	for _, q := range QueueNames() {
		out = append(out, field{
			Env:     "ORDO_QUEUE_" + strings.ToUpper(q) + "_CONCURRENCY",
			Default: strconv.Itoa(defaultConcurrency[q]),
			Doc:     "workers on the " + q + " queue",
			val:     concurrency(q),
		})
	}
	return out
}

const maxDuration = time.Duration(1<<63 - 1)

// replicaURLs is DATABASE_REPLICA_URL: PostgreSQL URLs, comma-separated,
// shown with their passwords masked.
type replicaURLs struct{}

func (replicaURLs) set(c *Config, v string) error {
	c.ReplicaURLs = nil
	var errs []error
	for i, u := range strings.Split(v, ",") {
		u, err := checkDatabaseURL(strings.TrimSpace(u))
		if err != nil {
			errs = append(errs, fmt.Errorf("URL %d %w", i+1, err))
		}
		c.ReplicaURLs = append(c.ReplicaURLs, u)
	}
	return errors.Join(errs...)
}

func (replicaURLs) get(c *Config) string {
	out := make([]string, len(c.ReplicaURLs))
	for i, u := range c.ReplicaURLs {
		out[i] = password.apply(u)
	}
	return strings.Join(out, ",")
}

// text is a string variable; check, when set, returns what to keep of the
// value, kept even when it is wrong so that finish's rules see it set,
// and what is wrong with it.
type text struct {
	p     func(*Config) *string
	check func(v string) (string, error)
}

func (t text) set(c *Config, v string) (err error) {
	if t.check != nil {
		v, err = t.check(v)
	}
	*t.p(c) = v
	return err
}

func (t text) get(c *Config) string { return *t.p(c) }

// intVal is an integer from min to max; the error says it "must be what".
type intVal[T int | int64] struct {
	p        func(*Config) *T
	min, max T
	what     string
}

func (n intVal[T]) set(c *Config, v string) error {
	i, err := strconv.ParseInt(v, 10, 64)
	if err != nil || i < int64(n.min) || i > int64(n.max) {
		return fmt.Errorf("must be %s, got %q", n.what, v)
	}
	*n.p(c) = T(i)
	return nil
}

func (n intVal[T]) get(c *Config) string { return strconv.FormatInt(int64(*n.p(c)), 10) }

// duration is a duration from min to max; the error says it "must be what".
type duration struct {
	p        func(*Config) *time.Duration
	min, max time.Duration
	what     string
}

func (d duration) set(c *Config, v string) error {
	x, err := time.ParseDuration(v)
	if err != nil || x < d.min || x > d.max {
		return fmt.Errorf("must be %s, got %q", d.what, v)
	}
	*d.p(c) = x
	return nil
}

func (d duration) get(c *Config) string { return d.p(c).String() }

type boolVal func(*Config) *bool

func (b boolVal) set(c *Config, v string) error {
	x, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("must be true or false, got %q", v)
	}
	*b(c) = x
	return nil
}

func (b boolVal) get(c *Config) string { return strconv.FormatBool(*b(c)) }

// concurrency is one job queue's number of workers.
type concurrency string

func (q concurrency) set(c *Config, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return fmt.Errorf("must be an integer between 1 and 1000, got %q", v)
	}
	c.Concurrency[string(q)] = n
	return nil
}

func (q concurrency) get(c *Config) string { return strconv.Itoa(c.Concurrency[string(q)]) }

// mediaTypes is ORDO_UPLOAD_TYPES: one error per entry that is not a
// media type.
type mediaTypes struct{}

func (mediaTypes) set(c *Config, v string) error {
	var errs []error
	c.UploadTypes = nil
	for _, t := range strings.Split(v, ",") {
		if t = strings.TrimSpace(t); t != "" {
			if !strings.Contains(t, "/") {
				errs = append(errs, fmt.Errorf("must be media types such as image/*,application/pdf, got %q", t))
			}
			c.UploadTypes = append(c.UploadTypes, t)
		}
	}
	return errors.Join(errs...)
}

func (mediaTypes) get(c *Config) string { return strings.Join(c.UploadTypes, ",") }

// schedule is ORDO_WEBHOOK_RETRY_SCHEDULE.
type schedule struct{}

func (schedule) set(c *Config, v string) error {
	s, err := webhook.ParseSchedule(v)
	if err != nil {
		return err
	}
	c.WebhookSchedule = s
	return nil
}

func (schedule) get(c *Config) string {
	out := make([]string, len(c.WebhookSchedule))
	for i, d := range c.WebhookSchedule {
		out[i] = d.String()
	}
	return strings.Join(out, ",")
}

// httpURL reports an absolute http:// or https:// URL.
func httpURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// minLen is the check of a secret of at least n characters; the error
// suggests a command that makes one.
func minLen(n int, try string) func(string) (string, error) {
	return func(v string) (string, error) {
		if len(v) < n {
			return v, fmt.Errorf("must be at least %d characters (try: %s)", n, try)
		}
		return v, nil
	}
}

func checkDatabaseURL(v string) (string, error) {
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return v, errors.New("is not a URL")
	case u.Scheme != "postgres" && u.Scheme != "postgresql":
		return v, fmt.Errorf("must be a postgres:// URL (leave it unset for the embedded SQLite database), got scheme %q", u.Scheme)
	case u.Host == "" && u.Query().Get("host") == "":
		return v, errors.New("has no host")
	}
	if _, err := pgconn.ParseConfig(v); err != nil {
		return v, fmt.Errorf("is not a valid PostgreSQL connection URL: %s", pgconnReason(err))
	}
	return v, nil
}

func checkRedisURL(v string) (string, error) {
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return v, errors.New("is not a URL")
	case u.Scheme != "redis" && u.Scheme != "rediss":
		return v, fmt.Errorf("must be a redis:// or rediss:// URL, got scheme %q", u.Scheme)
	case u.Host == "":
		return v, errors.New("has no host")
	}
	if _, err := redis.ParseURL(v); err != nil {
		return v, fmt.Errorf("is not a valid Redis URL: %s", strings.TrimPrefix(err.Error(), "redis: "))
	}
	return v, nil
}

func checkSMTPURL(v string) (string, error) {
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return v, errors.New("is not a URL")
	case u.Scheme != "smtp" && u.Scheme != "smtps":
		return v, fmt.Errorf("must be an smtp:// or smtps:// URL, got scheme %q", u.Scheme)
	case u.Host == "":
		return v, errors.New("has no host")
	}
	return v, nil
}

// pgconnReason extracts pgconn's reason without echoing the URL, which may
// hold a password.
func pgconnReason(err error) string {
	var pe *pgconn.ParseConfigError
	if !errors.As(err, &pe) {
		return "cannot parse it"
	}
	// The message reads "cannot parse `<redacted url>`: <reason>".
	msg := pe.Error()
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		return msg[i+3:]
	}
	return "cannot parse it"
}

// checkAuditSigningKey accepts the base64 of a 32-byte Ed25519 seed.
func checkAuditSigningKey(v string) (string, error) {
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil || len(seed) != 32 {
		return v, errors.New("must be the base64 of 32 bytes (try: openssl rand -base64 32)")
	}
	return strings.TrimSpace(v), nil
}
