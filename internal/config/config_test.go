package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordo/ordo/internal/webhook"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 3000 || c.DataDir != "./data" || c.Mode() != ModeEmbedded || c.BaseURL != "http://localhost:3000" {
		t.Errorf("defaults: got port %d, data dir %q, mode %s, base URL %q", c.Port, c.DataDir, c.Mode(), c.BaseURL)
	}
	if c.S3.Enabled() || c.RedisURL != "" || c.Secret != "" {
		t.Errorf("nothing optional should be on by default: %+v", c)
	}
	for _, q := range QueueNames() {
		if c.Concurrency[q] != defaultConcurrency[q] {
			t.Errorf("queue %s has concurrency %d, want %d", q, c.Concurrency[q], defaultConcurrency[q])
		}
	}
	if !slices.Equal(c.WebhookSchedule, webhook.DefaultSchedule) || c.MaxBodyBytes != 1<<20 || c.UploadMaxBytes != 25<<20 ||
		c.ShutdownTimeout != 25*time.Second || c.JobRescueAfter != 10*time.Minute || c.LogLevel != "info" || c.S3.Region != "us-east-1" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestLoadProduction(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{
		"DATABASE_URL":                   "postgres://ordo:pw@db:5432/ordo",
		"ORDO_SECRET":                    strings.Repeat("s", 40),
		"REDIS_URL":                      "redis://redis:6379/0",
		"S3_ENDPOINT":                    "http://minio:9000",
		"S3_BUCKET":                      "ordo",
		"S3_ACCESS_KEY_ID":               "key",
		"S3_SECRET_ACCESS_KEY":           "secret",
		"S3_FORCE_PATH_STYLE":            "true",
		"ORDO_BASE_URL":                  "https://ordo.example.com/",
		"ORDO_QUEUE_EXPORTS_CONCURRENCY": "7",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode() != ModeProduction || !c.S3.Enabled() || !c.S3.ForcePathStyle || c.Concurrency["exports"] != 7 || c.BaseURL != "https://ordo.example.com" {
		t.Errorf("got %+v", c)
	}
	for _, kv := range c.Masked() {
		if strings.Contains(kv[1], "pw@") || kv[1] == "secret" || kv[1] == strings.Repeat("s", 40) {
			t.Errorf("Masked shows a secret: %s=%s", kv[0], kv[1])
		}
	}
}

// S3_PUBLIC_ENDPOINT is what browsers get; without it, an S3_ENDPOINT
// that only a container network resolves is warned about by name.
func TestS3PublicEndpoint(t *testing.T) {
	t.Parallel()
	base := map[string]string{"S3_ENDPOINT": "http://versitygw:7070", "S3_BUCKET": "ordo"}
	c, err := Load(env(base))
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "S3_PUBLIC_ENDPOINT ") {
		t.Errorf("an internal S3_ENDPOINT without S3_PUBLIC_ENDPOINT: warnings %q", w)
	}
	if got := c.S3.BrowserEndpoint(); got != "http://versitygw:7070" {
		t.Errorf("browser endpoint without a public one: %q", got)
	}
	base["S3_PUBLIC_ENDPOINT"] = "https://s3.example.com/"
	c, err = Load(env(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.S3.PublicEndpoint != "https://s3.example.com" || c.S3.BrowserEndpoint() != "https://s3.example.com" || len(c.Warnings()) != 0 {
		t.Errorf("public endpoint %q, browser endpoint %q, warnings %q", c.S3.PublicEndpoint, c.S3.BrowserEndpoint(), c.Warnings())
	}
	found := false
	for _, kv := range c.Masked() {
		found = found || kv == [2]string{"S3_PUBLIC_ENDPOINT", "https://s3.example.com"}
	}
	if !found {
		t.Error("`ordo config` does not show S3_PUBLIC_ENDPOINT")
	}
	for _, ep := range []string{"http://localhost:9000", "http://127.0.0.1:9000", "https://s3.eu-west-1.amazonaws.com"} {
		c, err := Load(env(map[string]string{"S3_ENDPOINT": ep, "S3_BUCKET": "ordo"}))
		if err != nil {
			t.Fatal(err)
		}
		if w := c.Warnings(); len(w) != 0 {
			t.Errorf("%s: unexpected warnings %q", ep, w)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("x", 32)
	tests := []struct {
		name string
		env  map[string]string
		want string // the variable named in the single error line
	}{
		{"port not a number", map[string]string{"PORT": "abc"}, "PORT"},
		{"port out of range", map[string]string{"PORT": "70000"}, "PORT"},
		{"port zero", map[string]string{"PORT": "0"}, "PORT"},
		{"database scheme", map[string]string{"DATABASE_URL": "mysql://db/x"}, "DATABASE_URL"},
		{"database port", map[string]string{"DATABASE_URL": "postgres://db:99999999/x"}, "DATABASE_URL"},
		{"database no host", map[string]string{"DATABASE_URL": "postgres:///x", "ORDO_SECRET": secret}, "DATABASE_URL"},
		{"secret required in production", map[string]string{"DATABASE_URL": "postgres://db/x"}, "ORDO_SECRET"},
		{"secret too short", map[string]string{"ORDO_SECRET": "short"}, "ORDO_SECRET"},
		{"secret file unreadable in production", map[string]string{"DATABASE_URL": "postgres://db/x", "ORDO_SECRET_FILE": "/nonexistent/secret"}, "ORDO_SECRET_FILE"},
		{"redis scheme", map[string]string{"REDIS_URL": "http://r:6379"}, "REDIS_URL"},
		{"redis db", map[string]string{"REDIS_URL": "redis://r:6379/abc"}, "REDIS_URL"},
		{"s3 bucket missing", map[string]string{"S3_ENDPOINT": "http://minio:9000"}, "S3_BUCKET"},
		{"s3 endpoint", map[string]string{"S3_ENDPOINT": "minio:9000", "S3_BUCKET": "b"}, "S3_ENDPOINT"},
		{"s3 public endpoint scheme", map[string]string{"S3_PUBLIC_ENDPOINT": "s3.example.com", "S3_BUCKET": "b"}, "S3_PUBLIC_ENDPOINT"},
		{"s3 public endpoint path", map[string]string{"S3_PUBLIC_ENDPOINT": "https://example.com/s3", "S3_BUCKET": "b"}, "S3_PUBLIC_ENDPOINT"},
		{"s3 public endpoint without bucket", map[string]string{"S3_PUBLIC_ENDPOINT": "https://s3.example.com"}, "S3_BUCKET"},
		{"s3 half credentials", map[string]string{"S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "k"}, "S3_SECRET_ACCESS_KEY"},
		{"path style", map[string]string{"S3_FORCE_PATH_STYLE": "maybe"}, "S3_FORCE_PATH_STYLE"},
		{"smtp scheme", map[string]string{"SMTP_URL": "mail.example.com"}, "SMTP_URL"},
		{"base url", map[string]string{"ORDO_BASE_URL": "/relative"}, "ORDO_BASE_URL"},
		{"log level", map[string]string{"ORDO_LOG_LEVEL": "loud"}, "ORDO_LOG_LEVEL"},
		{"mail from", map[string]string{"ORDO_MAIL_FROM": "not an address"}, "ORDO_MAIL_FROM"},
		{"trust proxy", map[string]string{"ORDO_TRUST_PROXY": "sometimes"}, "ORDO_TRUST_PROXY"},
		{"shutdown timeout", map[string]string{"ORDO_SHUTDOWN_TIMEOUT": "-1s"}, "ORDO_SHUTDOWN_TIMEOUT"},
		{"concurrency", map[string]string{"ORDO_QUEUE_EMAIL_CONCURRENCY": "0"}, "ORDO_QUEUE_EMAIL_CONCURRENCY"},
		{"api rate", map[string]string{"ORDO_API_RATE_PER_MINUTE": "fast"}, "ORDO_API_RATE_PER_MINUTE"},
		{"pooler mode", map[string]string{"DATABASE_URL": "postgres://db/x", "ORDO_SECRET": secret, "DATABASE_POOLER": "session"}, "DATABASE_POOLER"},
		{"pooler without database", map[string]string{"DATABASE_POOLER": "transaction"}, "DATABASE_POOLER"},
		{"direct url without database", map[string]string{"DATABASE_DIRECT_URL": "postgres://db/x"}, "DATABASE_DIRECT_URL"},
		{"direct url scheme", map[string]string{"DATABASE_URL": "postgres://db/x", "ORDO_SECRET": secret, "DATABASE_DIRECT_URL": "mysql://db/x"}, "DATABASE_DIRECT_URL"},
		{"replica url", map[string]string{"DATABASE_URL": "postgres://db/x", "ORDO_SECRET": secret, "DATABASE_REPLICA_URL": "postgres://r1/x,mysql://r2/x"}, "DATABASE_REPLICA_URL"},
		{"replica without database", map[string]string{"DATABASE_REPLICA_URL": "postgres://r1/x"}, "DATABASE_REPLICA_URL"},
		{"replica lag", map[string]string{"DATABASE_REPLICA_MAX_LAG": "soon"}, "DATABASE_REPLICA_MAX_LAG"},
		{"pprof without the metrics listener", map[string]string{"ORDO_PPROF": "true"}, "ORDO_PPROF"},
		{"nightly backup through a pooler", map[string]string{"DATABASE_URL": "postgres://pooler/x", "ORDO_SECRET": secret,
			"DATABASE_POOLER": "transaction", "ORDO_BACKUP_NIGHTLY": "true"}, "ORDO_BACKUP_NIGHTLY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(env(tt.env))
			if err == nil {
				t.Fatal("want an error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], tt.want+": ") {
				t.Errorf("want one line about %s, got %q", tt.want, err.Error())
			}
		})
	}
}

// Behind a transaction-mode pooler, what needs a session of its own goes
// to DATABASE_DIRECT_URL when it is set, and to DATABASE_URL otherwise.
func TestPoolerSettings(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("x", 32)
	tests := []struct {
		name       string
		env        map[string]string
		pooled     bool
		wantDirect string
	}{
		{"direct", map[string]string{"DATABASE_URL": "postgres://db/x"}, false, "postgres://db/x"},
		{"pooled without direct url", map[string]string{"DATABASE_URL": "postgres://pooler/x", "DATABASE_POOLER": "transaction"}, true, "postgres://pooler/x"},
		{"pooled with direct url", map[string]string{"DATABASE_URL": "postgres://pooler/x", "DATABASE_POOLER": "transaction",
			"DATABASE_DIRECT_URL": "postgres://db/x", "ORDO_BACKUP_NIGHTLY": "true"}, true, "postgres://db/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.env["ORDO_SECRET"] = secret
			c, err := Load(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.Pooled() != tt.pooled || c.DirectDatabaseURL() != tt.wantDirect {
				t.Errorf("Pooled() = %v, DirectDatabaseURL() = %q; want %v, %q", c.Pooled(), c.DirectDatabaseURL(), tt.pooled, tt.wantDirect)
			}
		})
	}
}

// Replica URLs are split and trimmed, and shown with passwords masked.
func TestReplicaURLs(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://db/x", "ORDO_SECRET": strings.Repeat("x", 32),
		"DATABASE_REPLICA_URL": "postgres://u:pw1@r1/x, postgres://u:pw2@r2/x", "DATABASE_REPLICA_MAX_LAG": "2s"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"postgres://u:pw1@r1/x", "postgres://u:pw2@r2/x"}; !slices.Equal(c.ReplicaURLs, want) || c.ReplicaMaxLag != 2*time.Second {
		t.Errorf("ReplicaURLs = %q, ReplicaMaxLag = %s", c.ReplicaURLs, c.ReplicaMaxLag)
	}
	for _, kv := range c.Masked() {
		if kv[0] == "DATABASE_REPLICA_URL" && kv[1] != "postgres://u:xxxxx@r1/x,postgres://u:xxxxx@r2/x" {
			t.Errorf("masked: %s", kv[1])
		}
	}
}

func TestSecretFromFile(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(f, []byte(strings.Repeat("f", 40)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"ORDO_SECRET_FILE": f}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Secret != strings.Repeat("f", 40) {
		t.Errorf("got secret %q", c.Secret)
	}
	if _, err := Load(env(map[string]string{"ORDO_SECRET_FILE": f + ".missing"})); err == nil || !strings.HasPrefix(err.Error(), "ORDO_SECRET_FILE: ") {
		t.Errorf("missing file: got %v", err)
	}
}

func TestEnsureSecretIsKept(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	c := Config{DataDir: dir}
	if err := EnsureSecret(&c); err != nil {
		t.Fatal(err)
	}
	if len(c.Secret) < 32 {
		t.Fatalf("generated secret too short: %q", c.Secret)
	}
	again := Config{DataDir: dir}
	if err := EnsureSecret(&again); err != nil {
		t.Fatal(err)
	}
	if again.Secret != c.Secret {
		t.Error("a second run must reuse the kept secret")
	}
	fi, err := os.Stat(filepath.Join(dir, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestSetPortMovesDefaultBaseURL(t *testing.T) {
	t.Parallel()
	c, _ := Load(env(nil))
	c.SetPort(4555)
	if c.BaseURL != "http://localhost:4555" {
		t.Errorf("base URL %q", c.BaseURL)
	}
	c, _ = Load(env(map[string]string{"ORDO_BASE_URL": "https://ordo.example.com"}))
	c.SetPort(4555)
	if c.BaseURL != "https://ordo.example.com" {
		t.Errorf("an explicit base URL must stay: %q", c.BaseURL)
	}
}

// Every mistake gets its line, in the order `ordo config` prints the
// variables, and the rules between variables come last; ORDO_SECRET's
// absence is reported unless DATABASE_URL (or ORDO_SECRET) is itself wrong.
func TestLoadReportsEveryMistake(t *testing.T) {
	t.Parallel()
	_, err := Load(env(map[string]string{
		"ORDO_LOG_LEVEL": "loud",
		"DATABASE_URL":   "postgres://db/x",
		"PORT":           "abc",
		"S3_ENDPOINT":    "http://minio:9000",
	}))
	var vars []string
	for _, line := range strings.Split(fmt.Sprint(err), "\n") {
		name, _, _ := strings.Cut(line, ":")
		vars = append(vars, name)
	}
	if want := []string{"PORT", "ORDO_LOG_LEVEL", "S3_BUCKET", "ORDO_SECRET"}; !slices.Equal(vars, want) {
		t.Errorf("got errors about %q, want %q:\n%v", vars, want, err)
	}
}
