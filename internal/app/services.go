package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/cache"
	"github.com/ordo/ordo/internal/config"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/invoice"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/mail"
	"github.com/ordo/ordo/internal/metrics"
	"github.com/ordo/ordo/internal/passkey"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/pubsub"
	"github.com/ordo/ordo/internal/ratelimit"
	"github.com/ordo/ordo/internal/realtime"
	"github.com/ordo/ordo/internal/sso"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/telemetry"
	"github.com/ordo/ordo/internal/tenant"
	"github.com/ordo/ordo/internal/typeset"
	"github.com/ordo/ordo/internal/web"
	"github.com/ordo/ordo/internal/webhook"
)

// services are the adapters one process uses, opened for its mode.
type services struct {
	// draining is set once serve has been told to stop: /readyz fails.
	draining atomic.Bool

	cfg   config.Config
	log   *slog.Logger
	store store.Store
	// pg is the PostgreSQL store (nil in embedded mode): read replicas'
	// floors and status.
	pg    *pgstore.Store
	blobs blob.Store
	// limits are the plans' limits, shared by the services that check them.
	planLimits *plan.Checker
	// usage counts, in memory, the usage that comes too often for a
	// write each (API requests, webhook deliveries); serve and worker run
	// it and flush it once their requests and jobs have stopped.
	usage *plan.Tally
	// storageOrigins are where browsers upload to besides Ordo (S3).
	storageOrigins []string
	signer         *blob.Signer  // set when blobs are on local disk
	sealer         *jobs.Sealer  // seals e-mail bodies and webhook secrets
	redis          *redis.Client // nil unless REDIS_URL is set
	// stopNear stops the near cache's listening (nil without Redis).
	stopNear context.CancelFunc
	// metrics is nil when metrics are off.
	metrics *metrics.Metrics
	// tel traces and reports errors; nil or off does nothing.
	tel *telemetry.Telemetry

	// In Redis when REDIS_URL is set, in process otherwise. cache keeps
	// what it reads from Redis in process for up to a second too
	// (cache.Near), for what every request reads; shared is Redis itself,
	// for what must be the same in every process at once (the replicas'
	// read-your-writes floors).
	cache     cache.Cache
	shared    cache.Cache
	pubsub    pubsub.PubSub
	rateStore ratelimit.Store

	mail        mail.Sender
	auth        *auth.Service
	tenants     *tenant.Service
	accounts    *account.Service
	passkeys    *passkey.Service
	attachments *attachment.Service
	exports     *export.Service
	invoices    *invoice.Service
	sso         *sso.Service
	webhooks    *webhook.Service
}

// openOpts says what a command needs opened.
type openOpts struct {
	// migrate applies pending migrations (embedded serve and worker).
	migrate bool
	// storeOnly opens just the database: migrate and seed must not depend
	// on Redis, S3 or SMTP being up.
	storeOnly bool
	// redis also opens Redis with storeOnly: operator commands that revoke
	// access must drop what the servers cache.
	redis bool
	// metrics, when set, gets the store, Redis, webhook and export
	// metrics.
	metrics *metrics.Metrics
	// tel, when set, instruments the database, jobs and webhooks.
	tel *telemetry.Telemetry
	// direct opens the database through DATABASE_DIRECT_URL when it is
	// set (`ordo migrate`): DDL and its lock need no pooler in between.
	direct bool
}

// openServices opens the adapters that cfg selects. In embedded mode it
// also makes the data directory, keeps the signing secret there and
// applies migrations, so that a fresh checkout runs with no set-up.
func openServices(ctx context.Context, cfg config.Config, log *slog.Logger, o openOpts) (*services, error) {
	svc := &services{cfg: cfg, log: log, metrics: o.metrics, tel: o.tel}
	// Say at start-up whether invoices and PDF exports can print CJK. The
	// fonts themselves load on the first document (typeset.Default):
	// Noto Sans CJK takes some 45 MB, which a server that renders no PDF
	// should not hold.
	if path, ok := typeset.FindCJK(cfg.FontDir); ok {
		log.Info("PDF fonts: CJK font found", "path", path)
	} else {
		log.Warn("PDF fonts: no CJK font (NotoSansCJK-Regular.ttc) in ORDO_FONT_DIR or the system's font directories; Chinese, Japanese and Korean text in invoices and PDF exports prints as placeholders")
	}
	switch cfg.Mode() {
	case config.ModeEmbedded:
		// 0700, as EnsureSecret makes it: the database, the secret and
		// the local blobs are the owner's only.
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		if err := config.EnsureSecret(&svc.cfg); err != nil {
			return nil, err
		}
		path := filepath.Join(cfg.DataDir, "ordo.db")
		var opts []sqlitestore.Option
		if mw := jobs.InsertTelemetry(o.tel); mw != nil {
			opts = append(opts, sqlitestore.WithJobMiddleware(mw))
		}
		s, err := sqlitestore.Open(ctx, path, log, opts...)
		if err != nil {
			return nil, err
		}
		svc.store = s
		if o.migrate {
			if err := s.MigrateUp(ctx); err != nil {
				s.Close()
				return nil, err
			}
		}
		log.Info("embedded mode", "database", path)
	case config.ModeProduction:
		var opts []pgstore.Option
		if tp := o.tel.TracerProvider(); tp != nil {
			opts = append(opts, pgstore.WithTracer(telemetry.PgxTracer(tp)))
		}
		if mw := jobs.InsertTelemetry(o.tel); mw != nil {
			opts = append(opts, pgstore.WithJobMiddleware(mw))
		}
		url, pooled := cfg.DatabaseURL, cfg.Pooled()
		if o.direct && cfg.DatabaseDirectURL != "" {
			url, pooled = cfg.DatabaseDirectURL, false
		}
		if pooled {
			opts = append(opts, pgstore.TransactionPooler())
		}
		if len(cfg.ReplicaURLs) > 0 && !o.direct {
			opts = append(opts, pgstore.WithReplicas(pgstore.ReplicaOptions{URLs: cfg.ReplicaURLs, MaxLag: cfg.ReplicaMaxLag,
				Floors: cacheFloors{svc}, Pooled: cfg.Pooled()}))
		}
		s, err := pgstore.Open(ctx, url, log, opts...)
		if err != nil {
			return nil, err
		}
		svc.store, svc.pg = s, s
	}
	// The secret is known by now in either mode (EnsureSecret, or the
	// configuration's check).
	sealer, err := jobs.NewSealer(svc.cfg.Secret)
	if err != nil {
		svc.close()
		return nil, fmt.Errorf("ORDO_SECRET: %w", err)
	}
	svc.sealer = sealer
	if o.storeOnly {
		if o.redis {
			if err := svc.openRedisRoles(); err != nil {
				svc.close()
				return nil, err
			}
		}
		return svc, nil
	}
	if err := svc.metrics.ObserveStore(svc.store, config.QueueNames()); err != nil {
		svc.close()
		return nil, err
	}
	if svc.pg != nil && len(cfg.ReplicaURLs) > 0 {
		if err := svc.metrics.ObserveReplicas(svc.replicaStatus); err != nil {
			svc.close()
			return nil, err
		}
	}
	if err := svc.openBlobs(ctx); err != nil {
		svc.close()
		return nil, err
	}
	if err := svc.openRedisRoles(); err != nil {
		svc.close()
		return nil, err
	}
	// Committed events wake the event streams of every process. (Their
	// webhook fan-out is outbox.Emit, which services call in the
	// transaction that writes them.)
	svc.store = realtime.Notify(svc.store, svc.pubsub, log)
	if cfg.SMTPURL != "" {
		m, err := mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			svc.close()
			return nil, fmt.Errorf("SMTP_URL: %w", err)
		}
		svc.mail = m
	} else {
		log.Info("SMTP_URL is not set: e-mails are written to the log instead of sent")
		svc.mail = mail.NewLog(log)
	}
	if err := svc.openIdentity(log); err != nil {
		svc.close()
		return nil, err
	}
	svc.exports = export.NewService(store.Narrow[export.Tx]{Store: svc.store}, svc.blobs, log, svc.cfg.BaseURL).WithTimeout(cfg.ExportTimeout).WithLimits(svc.planLimits)
	var hookObserver webhook.Observer
	if svc.metrics != nil {
		svc.exports.WithObserver(svc.metrics.Exports())
		hookObserver = svc.metrics.Webhooks()
	}
	svc.usage = plan.NewTally(svc.store, log)
	svc.invoices = invoice.NewService(store.Narrow[invoice.Tx]{Store: svc.store}, svc.blobs, log)
	svc.webhooks = webhook.NewService(store.Narrow[webhook.Tx]{Store: svc.store}, webhook.Options{Log: log, Sealer: svc.sealer, Schedule: cfg.WebhookSchedule,
		AllowPrivate: cfg.WebhooksAllowPrivate, BaseURL: svc.cfg.BaseURL, Observer: hookObserver, Limits: svc.planLimits, Usage: svc.usage,
		WrapTransport: func(rt http.RoundTripper) http.RoundTripper {
			return telemetry.Transport(o.tel.TracerProvider(), "webhook", rt)
		}})
	svc.attachments = attachment.NewService(store.Narrow[attachment.Tx]{Store: svc.store}, svc.blobs, attachment.Config{MaxSize: cfg.UploadMaxBytes, AllowedTypes: cfg.UploadTypes}, log).WithLimits(svc.planLimits)
	return svc, nil
}

// openIdentity wires the services that know who is who: auth, and the
// tenant and account services, which drop what auth caches through it.
func (s *services) openIdentity(log *slog.Logger) error {
	hasher, err := account.NewHasher(nil)
	if err != nil {
		return err
	}
	// Tenants' issuers may be private only where webhooks may: in tests
	// and local development (ORDO_WEBHOOKS_ALLOW_PRIVATE).
	s.sso = sso.NewService(store.Narrow[sso.Tx]{Store: s.store}, sso.Options{Platform: sso.Platform(s.cfg.OIDC), BaseURL: s.cfg.BaseURL,
		Sealer: s.sealer, AllowPrivate: s.cfg.WebhooksAllowPrivate, Log: log})
	ao := auth.Options{Store: store.Narrow[auth.Tx]{Store: s.store}, Hasher: hasher, Sealer: s.sealer, Log: log, PasswordPolicy: s.sso}
	if s.redis != nil {
		// Only a shared cache: every process must see invalidations (a
		// command revoking a key must reach the servers). In embedded
		// mode the database is local and fast anyway.
		ao.Cache = s.cache
	}
	s.auth = auth.New(ao)
	s.sso.WithAuthCache(s.auth)
	s.planLimits = plan.NewChecker(s.store, s.cfg.PlanLimits)
	s.tenants = tenant.NewService(store.Narrow[tenant.Tx]{Store: s.store}, tenant.Options{
		Auth: s.auth, Hasher: hasher, Sealer: s.sealer, Log: log, BaseURL: s.cfg.BaseURL, Limits: s.planLimits})
	s.accounts = account.NewService(store.Narrow[account.Tx]{Store: s.store}, account.Options{
		Auth: s.auth, Tenants: s.tenants, Hasher: hasher, Sealer: s.sealer, Log: log, BaseURL: s.cfg.BaseURL}).WithBlobs(s.blobs)
	// Passkeys belong to the origin of ORDO_BASE_URL (the relying party):
	// a base URL browsers cannot use WebAuthn on only leaves them off.
	if s.passkeys, err = passkey.NewService(store.Narrow[passkey.Tx]{Store: s.store}, passkey.Options{BaseURL: s.cfg.BaseURL, Log: log, Policy: s.sso}); err != nil {
		log.Warn("passkeys are off", "err", err)
		s.passkeys = nil
	}
	return nil
}

// openRedisRoles gives Redis its roles (cache, rate-limit counters,
// pub/sub) when REDIS_URL is set, and in-process stand-ins otherwise.
func (s *services) openRedisRoles() error {
	var err error
	if s.cfg.RedisURL == "" {
		s.cache = cache.NewMemory(100_000)
		s.shared = s.cache
		s.pubsub = pubsub.NewMemory()
		s.rateStore, err = ratelimit.NewMemoryStore(100_000)
		return err
	}
	opts, err := redis.ParseURL(s.cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	// Fail fast when Redis is away: requests then bypass the cache and
	// fail open on rate limits at once, instead of waiting on retries.
	opts.MaxRetries = 1
	opts.MinRetryBackoff, opts.MaxRetryBackoff = 8*time.Millisecond, 64*time.Millisecond
	opts.DialTimeout = time.Second
	opts.DialerRetries, opts.DialerRetryTimeout = 1, 10*time.Millisecond
	opts.ReadTimeout, opts.WriteTimeout = 500*time.Millisecond, 500*time.Millisecond
	opts.PoolTimeout = time.Second
	s.redis = redis.NewClient(opts)
	if s.metrics != nil {
		s.redis.AddHook(s.metrics.RedisHook(redisRole))
	}
	s.pubsub = pubsub.NewRedis(s.redis, redisPubSubPrefix)
	// What every request reads (API keys, sessions' users, tenants) is
	// kept in process for up to a second too, so that a busy client's
	// requests cost no Redis round trip; deletions reach every process
	// through pub/sub.
	nearCtx, stop := context.WithCancel(context.Background())
	s.stopNear = stop
	s.shared = cache.NewRedis(s.redis, redisCachePrefix)
	s.cache = cache.NewNear(nearCtx, s.shared, s.pubsub, 100_000, s.log)
	s.rateStore, err = ratelimit.NewRedisStore(s.redis, redisRatelimitPrefix)
	return err
}

// openBlobs opens S3 when S3_BUCKET is set, local disk otherwise.
func (s *services) openBlobs(ctx context.Context) error {
	if !s.cfg.S3.Enabled() {
		dir := filepath.Join(s.cfg.DataDir, "blobs")
		if s.cfg.Mode() == config.ModeProduction {
			s.log.Warn("S3 is not configured: files are kept on local disk, which other processes and machines cannot see", "dir", dir)
		}
		d, err := blob.NewDisk(dir)
		if err != nil {
			return err
		}
		// The app serves local-disk uploads and downloads itself, through
		// URLs signed with the secret, so clients use the S3 flow.
		s.signer = blob.NewSigner(s.cfg.Secret)
		s.blobs = d.WithSigner(s.signer)
		return nil
	}
	c := s.cfg.S3
	b, err := blob.NewS3(ctx, blob.S3Config{
		Endpoint: c.Endpoint, Region: c.Region, Bucket: c.Bucket,
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, ForcePathStyle: c.ForcePathStyle,
		PublicEndpoint: c.PublicEndpoint,
	})
	if err != nil {
		return err
	}
	for _, w := range s.cfg.Warnings() {
		s.log.Warn(w)
	}
	origin, err := b.BrowserOrigin(ctx)
	if err != nil {
		return fmt.Errorf("S3_PUBLIC_ENDPOINT: %w", err)
	}
	s.storageOrigins = []string{origin}
	if c.CreateBucket {
		if err := b.EnsureBucket(ctx); err != nil {
			return fmt.Errorf("S3_CREATE_BUCKET: %w", err)
		}
	}
	s.blobs = b
	return nil
}

func (s *services) close() {
	if s.stopNear != nil {
		s.stopNear()
	}
	if s.redis != nil {
		_ = s.redis.Close()
	}
	if s.store != nil {
		s.store.Close()
	}
}

// readinessChecks are what /readyz reports on: the database and its
// schema, object storage, and Redis when configured.
func (s *services) readinessChecks() []web.Check {
	var schemaCurrent atomic.Bool
	checks := []web.Check{
		{Name: "shutting-down", Func: func(context.Context) error {
			if s.draining.Load() {
				return errors.New("shutting down")
			}
			return nil
		}},
		{Name: "database", Func: s.store.Ping},
		{Name: "migrations", Func: func(ctx context.Context) error {
			// Once current, a running process's schema stays current:
			// migrations only ever move forward while it runs.
			if schemaCurrent.Load() {
				return nil
			}
			ok, err := s.store.SchemaCurrent(ctx)
			if err != nil {
				return err
			}
			if !ok {
				return errors.New("migrations pending: run `ordo migrate up`")
			}
			schemaCurrent.Store(true)
			return nil
		}},
	}
	if s.pg != nil && len(s.cfg.ReplicaURLs) > 0 {
		checks = append(checks, s.replicaCheck())
	}
	checks = append(checks, web.Check{Name: "storage", Func: s.blobs.Check})
	if s.redis != nil {
		checks = append(checks, web.Check{Name: "redis", Func: func(ctx context.Context) error {
			return s.redis.Ping(ctx).Err()
		}})
	}
	return checks
}

// tenantPurger removes deleted tenants' rows and objects.
func (s *services) tenantPurger() *tenant.Purger {
	return &tenant.Purger{Store: s.store, Objects: s.blobs, Log: s.log}
}

// jobRunner builds the River client that works every queue.
func (s *services) jobRunner() (store.JobRunner, error) {
	sweep := func(ctx context.Context) (int, error) {
		n, err := s.attachments.Sweep(ctx)
		if err != nil {
			return n, err
		}
		m, err := s.exports.Expire(ctx)
		if err != nil {
			return n + m, err
		}
		// Local-disk writes cut short by a crash leave temporary files.
		if d, ok := s.blobs.(interface {
			SweepTemp(ctx context.Context, age time.Duration) (int, error)
		}); ok {
			k, err := d.SweepTemp(ctx, 6*time.Hour)
			return n + m + k, err
		}
		return n + m, nil
	}
	cfg := jobs.Config(jobs.Deps{Log: s.log, Mail: s.mail, Store: s.store, Effects: s.store, Usage: s.store, Sealer: s.sealer, Sweep: sweep, PurgeTenants: s.tenantPurger().PurgeDue, RescueAfter: s.cfg.JobRescueAfter}, s.cfg.Concurrency)
	// With plan limits on (a shared SaaS), each tenant's running jobs are
	// capped by its plan and a worker of each queue is kept for newcomers.
	cfg.Fair = jobs.Fairness{Enforce: s.cfg.PlanLimits}
	s.accounts.RegisterWorkers(cfg.Workers)
	jobs.AddBlobDeleteWorker(cfg.Workers, s.blobs, s.log)
	s.exports.RegisterWorkers(cfg.Workers)
	s.invoices.RegisterWorkers(cfg.Workers)
	s.webhooks.RegisterWorkers(cfg.Workers)
	if err := s.addBackupJob(cfg); err != nil {
		return nil, err
	}
	key, err := audit.SigningKey(s.cfg.AuditSigningKey, s.cfg.Secret)
	if err != nil {
		return nil, err
	}
	audit.AddCheckpointJob(cfg, s.store, key, s.log)
	verify := &audit.VerifyWorker{Store: s.store, Pub: key.Public().(ed25519.PublicKey), Log: s.log,
		Alert: audit.MailOwners(store.Narrow[audit.AlertTx]{Store: s.store}, s.cfg.BaseURL)}
	if s.metrics != nil {
		verify.Observer = s.metrics.Audit()
	}
	audit.AddVerifyJob(cfg, verify)
	retention := &audit.RetentionWorker{Store: s.store, Key: key, Log: s.log}
	if s.cfg.PlanLimits {
		// Retention is a plan limit: with limits off (a company running
		// Ordo for itself) every entry is kept, as before retention was.
		retention.Days = retentionDays(s.planLimits)
	}
	if s.metrics != nil {
		retention.Observer = s.metrics.Audit()
	}
	audit.AddRetentionJob(cfg, retention)
	if mw := jobs.WorkTelemetry(s.tel); mw != nil {
		cfg.Use(mw)
	}
	cfg.Use(jobs.PauseSuspended(func(ctx context.Context, id uuid.UUID) (bool, error) {
		t, err := s.store.TenantGetByID(ctx, id)
		if errors.Is(err, apperr.ErrNotFound) {
			return false, nil // a deleted tenant's clean-up still runs
		}
		// A tenant scheduled for deletion waits too: cancelling restores
		// its jobs, purging removes them.
		return t.Status == tenant.StatusSuspended || t.Status == tenant.StatusDeleted, err
	}, jobs.SuspendedRecheck))
	return s.store.JobRunner(cfg)
}

// sessionManager keeps sessions in Redis when it is configured, in the
// database otherwise.
func (s *services) sessionManager() *scs.SessionManager {
	st := s.store.SessionStore()
	if s.redis != nil {
		st = goredisstore.NewWithPrefix(s.redis, redisSessionPrefix)
	}
	return web.NewSessionManager(st, strings.HasPrefix(s.cfg.BaseURL, "https://"), web.SessionIdleTimeout, web.SessionLifetime, s.log)
}

// limits are the rate limits of the sensitive endpoints.
func (s *services) limits() (web.Limits, error) {
	mk := func(rate int, per time.Duration, burst int) (*ratelimit.Limiter, error) {
		return ratelimit.New(s.rateStore, ratelimit.Quota{Rate: rate, Per: per, Burst: burst})
	}
	var l web.Limits
	var errs []error
	add := func(dst **ratelimit.Limiter, rate int, per time.Duration, burst int) {
		lim, err := mk(rate, per, burst)
		errs = append(errs, err)
		*dst = lim
	}
	add(&l.LoginPerIP, 20, time.Minute, 20)
	add(&l.LoginFailuresPerClientAccount, 5, 15*time.Minute, 5)
	add(&l.LoginFailuresPerClient, 50, 15*time.Minute, 50)
	add(&l.LoginFailuresPerAccount, 10, 15*time.Minute, 10)
	add(&l.ResetPerIP, 10, time.Minute, 10)
	add(&l.ResetPerAccount, 3, 15*time.Minute, 3)
	add(&l.SignupPerIP, 10, time.Hour, 10)
	add(&l.InvitationAccept, 20, time.Minute, 20)
	// Every API request checks this one: leased, so that most requests
	// cost no Redis round trip (ratelimit.Limiter.Allow).
	api, err := ratelimit.New(s.rateStore, ratelimit.Quota{Rate: s.cfg.APIRatePerMinute, Per: time.Minute,
		Burst: s.cfg.APIRateBurst, Lease: ratelimit.LeaseFor(s.cfg.APIRateBurst)})
	errs = append(errs, err)
	l.API = api
	// Nil unless ORDO_PLAN_LIMITS: a self-hosted Ordo is limited per
	// client only.
	l.APIPlan = web.PlanAPIRate(s.planLimits, s.rateStore)
	add(&l.ExportCreate, 20, time.Hour, 10)
	return l, errors.Join(errs...)
}

// waitForSchema blocks until migrations are current: a worker started
// beside a release step waits for it rather than failing on a missing
// table.
func (s *services) waitForSchema(ctx context.Context) error {
	for logged := false; ; {
		ok, err := s.store.SchemaCurrent(ctx)
		if err == nil && ok {
			return nil
		}
		if !logged {
			s.log.Warn("waiting for migrations to be applied (ordo migrate up)", "err", err)
			logged = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}
