// Package config loads Ordo's configuration from environment variables.
//
// Load is pure: it reads only through the getenv function it is given, so it
// can be tested without touching the process environment. Every variable is
// an entry in fields (fields.go), from which the README's configuration
// table and .env.example's comments are generated.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ordo/ordo/internal/jobs"
)

// OIDC configures the platform-wide single sign-on provider.
type OIDC struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// Name labels the sign-in button.
	Name string
}

// Mode says which storage backends Ordo runs on.
type Mode string

const (
	// ModeEmbedded is the zero-configuration default: SQLite, local disk,
	// in-process cache and pub/sub, web and worker in one process.
	ModeEmbedded Mode = "embedded"
	// ModeProduction is selected by DATABASE_URL: PostgreSQL, and Redis and
	// S3 when their variables are set.
	ModeProduction Mode = "production"
)

// Config is everything Ordo reads from its environment.
type Config struct {
	Port    int
	DataDir string
	// FontDir holds fonts too large to embed in the binary (Noto Sans
	// CJK) for invoices and PDF exports; see internal/typeset.
	FontDir string
	BaseURL string
	Secret  string
	// AuditSigningKey is the base64 Ed25519 seed that signs the audit
	// log's checkpoints; empty derives one from Secret (audit.SigningKey).
	AuditSigningKey string

	DatabaseURL string
	// DatabasePooler is PoolerTransaction when DatabaseURL goes through a
	// transaction-mode pooler, where session state does not outlive a
	// transaction; "" otherwise.
	DatabasePooler string
	// DatabaseDirectURL reaches the same database without the pooler,
	// for what needs a session of its own (migrations, pg_dump); see
	// DirectDatabaseURL.
	DatabaseDirectURL string
	// ReplicaURLs are read replicas of DatabaseURL's database; reads
	// that tolerate lag use one within ReplicaMaxLag.
	ReplicaURLs   []string
	ReplicaMaxLag time.Duration
	RedisURL      string

	S3 S3

	SMTPURL string

	// OIDC is the platform-wide OpenID Connect provider (OIDC_*); its
	// Issuer is "" when there is none.
	OIDC OIDC
	// MailFrom is the sender of Ordo's e-mail.
	MailFrom string
	// SupportEmail is whom people are told to write to when only the
	// operator can help (their tenant is suspended); empty to say only
	// "the operator".
	SupportEmail string
	// TrustProxy takes client addresses from X-Forwarded-For, for rate
	// limits and the audit log; set it only behind a proxy that sets it.
	TrustProxy bool

	// LogLevel is debug, info, warn or error.
	LogLevel string
	// ShutdownTimeout bounds graceful shutdown: in-flight requests and
	// running jobs get this long to finish.
	ShutdownTimeout time.Duration
	// ShutdownDrain is how long a serve process keeps answering after
	// SIGTERM, unready and closing connections after each response, so
	// that a load balancer moves traffic away before it stops listening.
	ShutdownDrain time.Duration
	// MaxBodyBytes caps request bodies (uploads go straight to object
	// storage, not through Ordo).
	MaxBodyBytes int64
	// Concurrency is the number of workers per job queue.
	Concurrency map[string]int
	// APIRatePerMinute and APIRateBurst limit API requests per client: per
	// API key, per user, or per IP when anonymous.
	APIRatePerMinute int
	APIRateBurst     int
	// UploadMaxBytes and UploadTypes limit attachments.
	UploadMaxBytes int64
	UploadTypes    []string

	// WebhookSchedule is the delays between webhook delivery attempts.
	WebhookSchedule []time.Duration
	// WebhooksAllowPrivate lets webhook endpoints use plain http and
	// private or loopback addresses: for tests and local development only.
	WebhooksAllowPrivate bool
	// JobRescueAfter is how long a job may stay running before it is
	// deemed abandoned by a crashed worker and run again; a job kind with
	// a longer timeout (exports) waits for its timeout instead.
	JobRescueAfter time.Duration
	// PlanLimits enforces the plans' limits (package plan); usage is
	// counted either way.
	PlanLimits bool
	// TenantDeletionGrace is how long a deleted tenant waits, restorable,
	// before its rows and objects are purged.
	TenantDeletionGrace time.Duration
	// ExportTimeout bounds one export job, and so how long a crashed
	// worker's export waits before it is run again.
	ExportTimeout time.Duration
	// BackupNightly runs `ordo backup` every night (at 03:00 UTC) as a
	// maintenance job.
	BackupNightly bool

	// MetricsAddr, when set, serves Prometheus metrics at /metrics on a
	// listener of its own (host:port, e.g. 127.0.0.1:9090 or :9090), for
	// serve and worker alike.
	MetricsAddr string
	// Pprof also serves Go's profiles (net/http/pprof) at /debug/pprof/
	// on the metrics listener, to find where a process spends its time.
	Pprof bool
	// MetricsToken, when set, also serves /metrics on the main port to
	// requests with "Authorization: Bearer <token>".
	MetricsToken string

	// OTLPEndpoint (OTEL_EXPORTER_OTLP_ENDPOINT), when set, sends
	// OpenTelemetry traces over OTLP/HTTP to this collector base URL.
	OTLPEndpoint string
	// SentryDSN, when set, reports unexpected errors and panics to Sentry.
	SentryDSN string
	// Env names the deployment (production, staging) in error reports.
	Env string

	// baseURLDefaulted records that BaseURL was derived from Port.
	baseURLDefaulted bool
}

// SetPort changes the port (a -port flag), and the base URL with it when
// the base URL was derived from the port.
func (c *Config) SetPort(port int) {
	c.Port = port
	if c.baseURLDefaulted {
		c.BaseURL = fmt.Sprintf("http://localhost:%d", port)
	}
}

// S3 is the object-storage configuration; empty Endpoint and Bucket mean
// local disk under the data directory.
type S3 struct {
	Endpoint string
	// PublicEndpoint is the address at which browsers reach the same S3
	// server (S3_PUBLIC_ENDPOINT), when it differs from Endpoint, which
	// Ordo itself uses (e.g. http://versitygw:7070 on a compose network):
	// every URL handed to a browser (uploads, downloads, exports,
	// invoices) is signed for it.
	PublicEndpoint  string
	Bucket          string
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	ForcePathStyle  bool
	// CreateBucket makes the bucket at start-up if it is missing.
	CreateBucket bool
}

// Enabled reports whether S3 storage is configured.
func (s S3) Enabled() bool { return s.Bucket != "" }

// BrowserEndpoint is the S3 address in the URLs handed to browsers:
// PublicEndpoint, or Endpoint when that is unset (empty for AWS).
func (s S3) BrowserEndpoint() string {
	if s.PublicEndpoint != "" {
		return s.PublicEndpoint
	}
	return s.Endpoint
}

// Warnings lists settings that are valid but probably wrong, for the
// start-up log: each names the variable to look at.
func (c Config) Warnings() []string {
	var out []string
	if c.S3.Enabled() && c.S3.PublicEndpoint == "" && c.S3.Endpoint != "" {
		if u, err := url.Parse(c.S3.Endpoint); err == nil && internalHost(u.Hostname()) {
			out = append(out, fmt.Sprintf("S3_PUBLIC_ENDPOINT is unset, so upload and download URLs are signed for S3_ENDPOINT (%s), a host name that browsers outside this network cannot resolve: set S3_PUBLIC_ENDPOINT to the address at which browsers reach the S3 server", c.S3.Endpoint))
		}
	}
	return out
}

// internalHost reports a single-label host name such as "minio" or
// "versitygw": a container or LAN name, not one browsers can resolve.
// localhost and IP addresses are not.
func internalHost(h string) bool {
	return h != "" && h != "localhost" && !strings.Contains(h, ".") && !strings.Contains(h, ":")
}

// PoolerTransaction is DATABASE_POOLER's value for a transaction-mode
// pooler (PgBouncer pool_mode=transaction, Neon's and Supabase's poolers).
const PoolerTransaction = "transaction"

// Pooled reports whether DATABASE_URL goes through a transaction-mode
// pooler.
func (c Config) Pooled() bool { return c.DatabasePooler == PoolerTransaction }

// DirectDatabaseURL is the URL for what needs a whole session to itself
// (migrations, pg_dump): DATABASE_DIRECT_URL, or DATABASE_URL when that is
// unset.
func (c Config) DirectDatabaseURL() string {
	if c.DatabaseDirectURL != "" {
		return c.DatabaseDirectURL
	}
	return c.DatabaseURL
}

// Mode reports the storage mode chosen by the configuration.
func (c Config) Mode() Mode {
	if c.DatabaseURL != "" {
		return ModeProduction
	}
	return ModeEmbedded
}

// defaultConcurrency lists the job queues, one per job family, with their
// default worker counts. ORDO_QUEUE_<NAME>_CONCURRENCY overrides each.
// Package jobs names them.
var defaultConcurrency = jobs.DefaultConcurrency()

// QueueNames returns the job queue names in a stable order.
func QueueNames() []string { return jobs.QueueNames() }

// defaultUploadTypes are the attachment types allowed unless
// ORDO_UPLOAD_TYPES says otherwise.
const defaultUploadTypes = "image/*,application/pdf,text/plain,text/csv,application/zip,application/json," +
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet," +
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document,application/msword,application/vnd.ms-excel"

// Error is a configuration error: one variable and what is wrong with it.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

// Load reads the configuration through getenv and validates every value.
// It does not touch the file system; see EnsureSecret for the one piece of
// configuration that embedded mode keeps on disk.
//
// Each variable is read, defaulted and validated by its entry in fields;
// the defaults and rules that involve several variables are in finish.
func Load(getenv func(string) string) (Config, error) {
	// MaxBodyBytes is not configurable.
	c := Config{MaxBodyBytes: 1 << 20, Concurrency: map[string]int{}}
	var errs []error
	failed := map[string]bool{}
	for _, f := range fields {
		v, err := lookup(getenv, f.Env)
		if err != nil {
			errs = append(errs, err)
			failed[f.Env] = true
		}
		if v == "" {
			v = f.Default
		}
		if v == "" {
			continue
		}
		if err := f.val.set(&c, v); err != nil {
			failed[f.Env] = true
			for _, e := range unjoin(err) {
				errs = append(errs, &Error{f.Env, e.Error()})
			}
		}
	}
	errs = append(errs, c.finish(failed)...)
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// lookup reads the variable name, trimmed; when it is unset, NAME_FILE
// names a file to read it from, so that secrets can come from mounted
// files (Docker, Kubernetes).
func lookup(getenv func(string) string, name string) (string, error) {
	if v := strings.TrimSpace(getenv(name)); v != "" {
		return v, nil
	}
	f := strings.TrimSpace(getenv(name + "_FILE"))
	if f == "" {
		return "", nil
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return "", &Error{name + "_FILE", fmt.Sprintf("cannot read %q: %v", f, errors.Unwrap(err))}
	}
	return strings.TrimSpace(string(b)), nil
}

// unjoin splits an errors.Join error into its errors.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// finish fills the defaults that derive from other variables and checks
// the rules that involve several; failed holds the variables already
// reported, so that one mistake gives one line.
func (c *Config) finish(failed map[string]bool) []error {
	var errs []error
	fail := func(name, msg string) { errs = append(errs, &Error{name, msg}) }

	if c.BaseURL == "" {
		c.BaseURL = fmt.Sprintf("http://localhost:%d", c.Port)
		c.baseURLDefaulted = true
	}
	if c.MailFrom == "" {
		host := "localhost"
		if u, err := url.Parse(c.BaseURL); err == nil && u.Hostname() != "" {
			host = u.Hostname()
		}
		c.MailFrom = "Ordo <no-reply@" + host + ">"
	}

	// S3 is all or nothing: a bucket, and both keys or neither (the SDK's
	// default chain).
	if c.S3.Bucket == "" && (c.S3.Endpoint != "" || c.S3.PublicEndpoint != "" || c.S3.AccessKeyID != "") {
		fail("S3_BUCKET", "is required when S3_ENDPOINT, S3_PUBLIC_ENDPOINT or S3_ACCESS_KEY_ID is set")
	}
	if c.S3.Bucket != "" && (c.S3.AccessKeyID == "") != (c.S3.SecretAccessKey == "") {
		fail("S3_SECRET_ACCESS_KEY", "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together")
	}

	if (c.OIDC.Issuer == "") != (c.OIDC.ClientID == "") && !failed["OIDC_ISSUER"] {
		fail("OIDC_CLIENT_ID", "OIDC_ISSUER and OIDC_CLIENT_ID must be set together")
	}

	if c.DatabaseURL == "" {
		for _, v := range []struct{ name, val string }{{"DATABASE_POOLER", c.DatabasePooler}, {"DATABASE_DIRECT_URL", c.DatabaseDirectURL},
			{"DATABASE_REPLICA_URL", strings.Join(c.ReplicaURLs, ",")}} {
			if v.val != "" {
				fail(v.name, "is set but DATABASE_URL is not: it only applies to PostgreSQL")
			}
		}
	}
	// pg_dump sets session state before it starts its transaction, and a
	// transaction-mode pooler would run those statements on another
	// server connection: nightly backups through it would be wrong, not
	// merely slow, so they are refused at start-up.
	if c.Pprof && c.MetricsAddr == "" {
		fail("ORDO_PPROF", "profiles are served on the metrics listener: set ORDO_METRICS_ADDR too")
	}
	if c.Pooled() && c.DatabaseDirectURL == "" && c.BackupNightly {
		fail("ORDO_BACKUP_NIGHTLY", "pg_dump cannot run through a transaction-mode pooler (DATABASE_POOLER=transaction): set DATABASE_DIRECT_URL to a direct connection for backups")
	}

	// Only once DATABASE_URL itself is fine, so that a bad DATABASE_URL
	// gives one line.
	if c.Secret == "" && c.Mode() == ModeProduction && !failed["DATABASE_URL"] && !failed["ORDO_SECRET"] {
		fail("ORDO_SECRET", "is required when DATABASE_URL is set (try: openssl rand -base64 48)")
	}
	return errs
}

// EnsureSecret fills c.Secret in embedded mode: it reads the secret kept in
// the data directory, or generates one and keeps it there on first run, so
// sessions and signed URLs survive restarts without any configuration.
func EnsureSecret(c *Config) error {
	if c.Secret != "" {
		return nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(c.DataDir, "secret")
	raw := make([]byte, 48)
	if _, err := rand.Read(raw); err != nil {
		return fmt.Errorf("generate secret: %w", err)
	}
	// O_EXCL: when two processes start together, one creates the file
	// and both use what it wrote.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_, err = f.WriteString(base64.RawURLEncoding.EncodeToString(raw) + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write secret: %w", err)
		}
	} else if !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create secret: %w", err)
	}
	for range 50 { // the creator may not have written it yet
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read secret: %w", err)
		}
		if s := strings.TrimSpace(string(b)); s != "" {
			if len(s) < 32 {
				return fmt.Errorf("%s holds a secret shorter than 32 characters: fix or delete it", path)
			}
			c.Secret = s
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("%s is empty: delete it to generate a new secret", path)
}

// Masked returns the configuration as name=value lines with secrets and
// passwords hidden, for `ordo config` and the start-up log.
func (c Config) Masked() [][2]string {
	out := [][2]string{{"mode", string(c.Mode())}}
	for _, f := range fields {
		out = append(out, [2]string{f.Env, f.Mask.apply(f.val.get(&c))})
	}
	return out
}
