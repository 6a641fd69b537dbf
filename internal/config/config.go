// Package config loads Ordo's configuration from environment variables.
//
// Load is pure: it reads only through the getenv function it is given, so it
// can be tested without touching the process environment. Every variable is
// documented in the README with its default; keep the two in step.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/ordo/ordo/internal/webhook"
)

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
	BaseURL string
	Secret  string

	DatabaseURL string
	RedisURL    string

	S3 S3

	SMTPURL string
	// MailFrom is the sender of Ordo's e-mail.
	MailFrom string
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

// Mode reports the storage mode chosen by the configuration.
func (c Config) Mode() Mode {
	if c.DatabaseURL != "" {
		return ModeProduction
	}
	return ModeEmbedded
}

// defaultConcurrency lists the job queues, one per job family, with their
// default worker counts. ORDO_QUEUE_<NAME>_CONCURRENCY overrides each.
var defaultConcurrency = map[string]int{
	"exports":     2,
	"invoices":    4,
	"email":       4,
	"webhooks":    8,
	"maintenance": 1,
}

// QueueNames returns the job queue names in a stable order.
func QueueNames() []string {
	return []string{"exports", "invoices", "email", "webhooks", "maintenance"}
}

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
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	get := func(name string) string {
		v := strings.TrimSpace(getenv(name))
		if v != "" {
			return v
		}
		// NAME_FILE lets secrets come from mounted files (Docker, Kubernetes).
		if f := strings.TrimSpace(getenv(name + "_FILE")); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, &Error{name + "_FILE", fmt.Sprintf("cannot read %q: %v", f, errors.Unwrap(err))})
				return ""
			}
			return strings.TrimSpace(string(b))
		}
		return ""
	}
	fail := func(name, format string, args ...any) {
		errs = append(errs, &Error{name, fmt.Sprintf(format, args...)})
	}

	c := Config{
		Port:             3000,
		DataDir:          "./data",
		LogLevel:         "info",
		ShutdownTimeout:  25 * time.Second,
		MaxBodyBytes:     1 << 20,
		Concurrency:      map[string]int{},
		APIRatePerMinute: 600,
		APIRateBurst:     100,
		UploadMaxBytes:   25 << 20,
		UploadTypes:      strings.Split(defaultUploadTypes, ","),
		WebhookSchedule:  webhook.DefaultSchedule,
		JobRescueAfter:   10 * time.Minute,
		ExportTimeout:    15 * time.Minute,
	}
	for k, v := range defaultConcurrency {
		c.Concurrency[k] = v
	}

	if v := get("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			fail("PORT", "must be a port number between 1 and 65535, got %q", v)
		}
		c.Port = p
	}
	if v := get("ORDO_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	if v := get("DATABASE_URL"); v != "" {
		u, err := url.Parse(v)
		switch {
		case err != nil:
			fail("DATABASE_URL", "is not a URL")
		case u.Scheme != "postgres" && u.Scheme != "postgresql":
			fail("DATABASE_URL", "must be a postgres:// URL (leave it unset for the embedded SQLite database), got scheme %q", u.Scheme)
		case u.Host == "" && u.Query().Get("host") == "":
			fail("DATABASE_URL", "has no host")
		default:
			if _, err := pgconn.ParseConfig(v); err != nil {
				fail("DATABASE_URL", "is not a valid PostgreSQL connection URL: %s", pgconnReason(err))
			}
		}
		c.DatabaseURL = v
	}
	if v := get("REDIS_URL"); v != "" {
		u, err := url.Parse(v)
		switch {
		case err != nil:
			fail("REDIS_URL", "is not a URL")
		case u.Scheme != "redis" && u.Scheme != "rediss":
			fail("REDIS_URL", "must be a redis:// or rediss:// URL, got scheme %q", u.Scheme)
		case u.Host == "":
			fail("REDIS_URL", "has no host")
		default:
			if _, err := redis.ParseURL(v); err != nil {
				fail("REDIS_URL", "is not a valid Redis URL: %s", strings.TrimPrefix(err.Error(), "redis: "))
			}
		}
		c.RedisURL = v
	}

	c.S3 = S3{
		Endpoint:        get("S3_ENDPOINT"),
		PublicEndpoint:  strings.TrimRight(get("S3_PUBLIC_ENDPOINT"), "/"),
		Bucket:          get("S3_BUCKET"),
		Region:          get("S3_REGION"),
		AccessKeyID:     get("S3_ACCESS_KEY_ID"),
		SecretAccessKey: get("S3_SECRET_ACCESS_KEY"),
	}
	if c.S3.Region == "" {
		c.S3.Region = "us-east-1"
	}
	if v := get("S3_FORCE_PATH_STYLE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fail("S3_FORCE_PATH_STYLE", "must be true or false, got %q", v)
		}
		c.S3.ForcePathStyle = b
	}
	if v := get("S3_CREATE_BUCKET"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fail("S3_CREATE_BUCKET", "must be true or false, got %q", v)
		}
		c.S3.CreateBucket = b
	}
	if c.S3.Endpoint != "" {
		if u, err := url.Parse(c.S3.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail("S3_ENDPOINT", "must be an http:// or https:// URL, got %q", c.S3.Endpoint)
		}
	}
	if c.S3.PublicEndpoint != "" {
		// A path would be part of the signature, and a proxy that strips
		// it would make every URL's signature wrong.
		if u, err := url.Parse(c.S3.PublicEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			fail("S3_PUBLIC_ENDPOINT", "must be the http:// or https:// origin at which browsers reach the S3 server, such as https://s3.example.com (no path), got %q", c.S3.PublicEndpoint)
		}
	}
	if c.S3.Bucket == "" && (c.S3.Endpoint != "" || c.S3.PublicEndpoint != "" || c.S3.AccessKeyID != "") {
		fail("S3_BUCKET", "is required when S3_ENDPOINT, S3_PUBLIC_ENDPOINT or S3_ACCESS_KEY_ID is set")
	}
	if c.S3.Bucket != "" && (c.S3.AccessKeyID == "") != (c.S3.SecretAccessKey == "") {
		fail("S3_SECRET_ACCESS_KEY", "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together")
	}

	if v := get("ORDO_WEBHOOK_RETRY_SCHEDULE"); v != "" {
		sched, err := webhook.ParseSchedule(v)
		if err != nil {
			fail("ORDO_WEBHOOK_RETRY_SCHEDULE", "%s", err)
		}
		c.WebhookSchedule = sched
	}
	if v := get("ORDO_WEBHOOKS_ALLOW_PRIVATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fail("ORDO_WEBHOOKS_ALLOW_PRIVATE", "must be true or false, got %q", v)
		}
		c.WebhooksAllowPrivate = b
	}
	if v := get("ORDO_JOB_RESCUE_AFTER"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			fail("ORDO_JOB_RESCUE_AFTER", "must be a duration of at least 1s such as 10m, got %q", v)
		}
		c.JobRescueAfter = d
	}
	if v := get("ORDO_EXPORT_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			fail("ORDO_EXPORT_TIMEOUT", "must be a duration of at least 1s such as 15m, got %q", v)
		}
		c.ExportTimeout = d
	}
	if v := get("ORDO_BACKUP_NIGHTLY"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fail("ORDO_BACKUP_NIGHTLY", "must be true or false, got %q", v)
		}
		c.BackupNightly = b
	}

	if v := get("ORDO_METRICS_ADDR"); v != "" {
		_, port, err := net.SplitHostPort(v)
		if p, perr := strconv.Atoi(port); err != nil || perr != nil || p < 0 || p > 65535 {
			fail("ORDO_METRICS_ADDR", "must be host:port or :port, such as 127.0.0.1:9090, got %q", v)
		}
		c.MetricsAddr = v
	}
	if v := get("ORDO_METRICS_TOKEN"); v != "" {
		if len(v) < 16 {
			fail("ORDO_METRICS_TOKEN", "must be at least 16 characters (try: openssl rand -hex 24)")
		}
		c.MetricsToken = v
	}

	if v := get("OTEL_EXPORTER_OTLP_ENDPOINT"); v != "" {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail("OTEL_EXPORTER_OTLP_ENDPOINT", "must be the collector's http:// or https:// base URL, such as http://otel-collector:4318, got %q", v)
		}
		c.OTLPEndpoint = v
	}
	if v := get("SENTRY_DSN"); v != "" {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User == nil {
			fail("SENTRY_DSN", "must be a Sentry DSN such as https://KEY@o1.ingest.sentry.io/PROJECT")
		}
		c.SentryDSN = v
	}
	c.Env = get("ORDO_ENV")
	if c.Env == "" {
		c.Env = "production"
	}

	if v := get("SMTP_URL"); v != "" {
		u, err := url.Parse(v)
		switch {
		case err != nil:
			fail("SMTP_URL", "is not a URL")
		case u.Scheme != "smtp" && u.Scheme != "smtps":
			fail("SMTP_URL", "must be an smtp:// or smtps:// URL, got scheme %q", u.Scheme)
		case u.Host == "":
			fail("SMTP_URL", "has no host")
		}
		c.SMTPURL = v
	}

	c.MailFrom = get("ORDO_MAIL_FROM")
	if v := get("ORDO_TRUST_PROXY"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fail("ORDO_TRUST_PROXY", "must be true or false, got %q", v)
		}
		c.TrustProxy = b
	}

	c.BaseURL = get("ORDO_BASE_URL")
	if c.BaseURL == "" {
		c.BaseURL = fmt.Sprintf("http://localhost:%d", c.Port)
		c.baseURLDefaulted = true
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fail("ORDO_BASE_URL", "must be an absolute http:// or https:// URL, got %q", c.BaseURL)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.MailFrom == "" {
		host := "localhost"
		if u, err := url.Parse(c.BaseURL); err == nil && u.Hostname() != "" {
			host = u.Hostname()
		}
		c.MailFrom = "Ordo <no-reply@" + host + ">"
	} else if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		fail("ORDO_MAIL_FROM", "must be an e-mail address such as \"Ordo <no-reply@example.com>\", got %q", c.MailFrom)
	}

	c.Secret = get("ORDO_SECRET")
	switch {
	case c.Secret != "" && len(c.Secret) < 32:
		fail("ORDO_SECRET", "must be at least 32 characters (try: openssl rand -base64 48)")
	case c.Secret == "" && c.Mode() == ModeProduction && len(errs) == 0:
		// Only once DATABASE_URL itself is fine, so that one mistake
		// gives one line.
		fail("ORDO_SECRET", "is required when DATABASE_URL is set (try: openssl rand -base64 48)")
	}

	if v := get("ORDO_LOG_LEVEL"); v != "" {
		switch strings.ToLower(v) {
		case "debug", "info", "warn", "error":
			c.LogLevel = strings.ToLower(v)
		default:
			fail("ORDO_LOG_LEVEL", "must be debug, info, warn or error, got %q", v)
		}
	}
	if v := get("ORDO_SHUTDOWN_DRAIN"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > time.Minute {
			fail("ORDO_SHUTDOWN_DRAIN", "must be a duration from 0s to 1m such as 5s, got %q", v)
		}
		c.ShutdownDrain = d
	}
	if v := get("ORDO_SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			fail("ORDO_SHUTDOWN_TIMEOUT", "must be a positive duration such as 25s, got %q", v)
		}
		c.ShutdownTimeout = d
	}
	for name, dst := range map[string]*int{"ORDO_API_RATE_PER_MINUTE": &c.APIRatePerMinute, "ORDO_API_RATE_BURST": &c.APIRateBurst} {
		if v := get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1_000_000 {
				fail(name, "must be an integer between 1 and 1000000, got %q", v)
			}
			*dst = n
		}
	}
	if v := get("ORDO_UPLOAD_MAX_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > 5<<30 {
			fail("ORDO_UPLOAD_MAX_BYTES", "must be a number of bytes from 1 to 5368709120, got %q", v)
		}
		c.UploadMaxBytes = n
	}
	if v := get("ORDO_UPLOAD_TYPES"); v != "" {
		c.UploadTypes = nil
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				if !strings.Contains(t, "/") {
					fail("ORDO_UPLOAD_TYPES", "must be media types such as image/*,application/pdf, got %q", t)
				}
				c.UploadTypes = append(c.UploadTypes, t)
			}
		}
	}
	for _, q := range QueueNames() {
		name := "ORDO_QUEUE_" + strings.ToUpper(q) + "_CONCURRENCY"
		if v := get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				fail(name, "must be an integer between 1 and 1000, got %q", v)
			}
			c.Concurrency[q] = n
		}
	}

	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
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
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "********"
	}
	maskURL := func(s string) string {
		u, err := url.Parse(s)
		if err != nil || u.User == nil {
			return s
		}
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	out := [][2]string{
		{"mode", string(c.Mode())},
		{"PORT", strconv.Itoa(c.Port)},
		{"ORDO_DATA_DIR", c.DataDir},
		{"ORDO_BASE_URL", c.BaseURL},
		{"ORDO_SECRET", mask(c.Secret)},
		{"DATABASE_URL", maskURL(c.DatabaseURL)},
		{"REDIS_URL", maskURL(c.RedisURL)},
		{"S3_ENDPOINT", c.S3.Endpoint},
		{"S3_PUBLIC_ENDPOINT", c.S3.PublicEndpoint},
		{"S3_BUCKET", c.S3.Bucket},
		{"S3_REGION", c.S3.Region},
		{"S3_ACCESS_KEY_ID", c.S3.AccessKeyID},
		{"S3_SECRET_ACCESS_KEY", mask(c.S3.SecretAccessKey)},
		{"S3_FORCE_PATH_STYLE", strconv.FormatBool(c.S3.ForcePathStyle)},
		{"S3_CREATE_BUCKET", strconv.FormatBool(c.S3.CreateBucket)},
		{"SMTP_URL", maskURL(c.SMTPURL)},
		{"ORDO_MAIL_FROM", c.MailFrom},
		{"ORDO_TRUST_PROXY", strconv.FormatBool(c.TrustProxy)},
		{"ORDO_API_RATE_PER_MINUTE", strconv.Itoa(c.APIRatePerMinute)},
		{"ORDO_API_RATE_BURST", strconv.Itoa(c.APIRateBurst)},
		{"ORDO_UPLOAD_MAX_BYTES", strconv.FormatInt(c.UploadMaxBytes, 10)},
		{"ORDO_UPLOAD_TYPES", strings.Join(c.UploadTypes, ",")},
		{"ORDO_WEBHOOK_RETRY_SCHEDULE", scheduleString(c.WebhookSchedule)},
		{"ORDO_WEBHOOKS_ALLOW_PRIVATE", strconv.FormatBool(c.WebhooksAllowPrivate)},
		{"ORDO_JOB_RESCUE_AFTER", c.JobRescueAfter.String()},
		{"ORDO_EXPORT_TIMEOUT", c.ExportTimeout.String()},
		{"ORDO_BACKUP_NIGHTLY", strconv.FormatBool(c.BackupNightly)},
		{"ORDO_METRICS_ADDR", c.MetricsAddr},
		{"ORDO_METRICS_TOKEN", mask(c.MetricsToken)},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", c.OTLPEndpoint},
		{"SENTRY_DSN", mask(c.SentryDSN)},
		{"ORDO_ENV", c.Env},
		{"ORDO_LOG_LEVEL", c.LogLevel},
		{"ORDO_SHUTDOWN_TIMEOUT", c.ShutdownTimeout.String()},
		{"ORDO_SHUTDOWN_DRAIN", c.ShutdownDrain.String()},
	}
	for _, q := range QueueNames() {
		out = append(out, [2]string{"ORDO_QUEUE_" + strings.ToUpper(q) + "_CONCURRENCY", strconv.Itoa(c.Concurrency[q])})
	}
	return out
}

func scheduleString(ds []time.Duration) string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return strings.Join(out, ",")
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
