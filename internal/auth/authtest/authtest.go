// Package authtest wires the identity services (auth, tenant, account)
// on a real store of each engine for their tests, as the app does, and
// reads back the e-mails they enqueue (sealed, as jobs) so that a test can
// follow a link.
package authtest

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/cache"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/mail"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/pgstore/pgtest"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/tenant"
	"github.com/ordo/ordo/internal/testkit"
)

// Engines open a migrated store of each engine for a test.
var Engines = []struct {
	Name string
	Open func(t testing.TB) store.Store
}{
	{"sqlite", func(t testing.TB) store.Store {
		s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "ordo.db"), testkit.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		if err := s.MigrateUp(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	}},
	{"postgres", func(t testing.TB) store.Store {
		s, err := pgstore.Open(context.Background(), pgtest.URL(t), testkit.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}},
}

// ErrAuditDown is what AuditInsert returns while Env.FailAudit is set.
var ErrAuditDown = errors.New("authtest: audit insert fails")

// Env is the three services on one store, with a shared in-memory auth
// cache and a clock the test moves.
type Env struct {
	Store    store.Store // the engine, unwrapped
	Auth     *auth.Service
	Tenants  *tenant.Service
	Accounts *account.Service
	Cache    cache.Cache

	sealer *jobs.Sealer
	mu     sync.Mutex
	now    time.Time
	// failAudit makes every AuditInsert inside a transaction fail.
	failAudit bool
	jobs      []jobs.Args // committed job inserts, in order
}

// New wires the services on st.
func New(t testing.TB, st store.Store) *Env {
	t.Helper()
	hasher, err := account.NewHasher(&argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := jobs.NewSealer("authtest-secret-for-sealing-e-mail-bodies")
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Store: st, Cache: cache.NewMemory(1000), sealer: sealer, now: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	log := testkit.Logger(t)
	cs := &capStore{Store: st, env: e}
	e.Auth = auth.New(auth.Options{Store: store.Narrow[auth.Tx]{Store: cs}, Cache: e.Cache, Hasher: hasher, Sealer: sealer, Log: log, Now: e.Now})
	e.Tenants = tenant.NewService(store.Narrow[tenant.Tx]{Store: cs}, tenant.Options{Auth: e.Auth, Hasher: hasher, Sealer: sealer, Log: log, BaseURL: "http://ordo.test", Now: e.Now})
	e.Accounts = account.NewService(store.Narrow[account.Tx]{Store: cs}, account.Options{Auth: e.Auth, Tenants: e.Tenants, Hasher: hasher, Sealer: sealer, Log: log, BaseURL: "http://ordo.test", Now: e.Now})
	return e
}

// Now is the services' clock.
func (e *Env) Now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// Advance moves the clock on.
func (e *Env) Advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

// FailAudit makes audit inserts fail (or work again).
func (e *Env) FailAudit(fail bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failAudit = fail
}

// Jobs returns the jobs enqueued so far by committed transactions (and
// outside any), in order.
func (e *Env) Jobs() []jobs.Args {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]jobs.Args(nil), e.jobs...)
}

// Mails opens the e-mails enqueued so far, in order.
func (e *Env) Mails(t testing.TB) []mail.Message {
	t.Helper()
	var out []mail.Message
	for i, a := range e.Jobs() {
		ea, ok := a.(jobs.EmailArgs)
		if !ok {
			continue
		}
		var got capSender
		w := &jobs.EmailWorker{Sender: &got, Sealer: e.sealer, Log: testkit.Logger(t)}
		if err := w.Work(context.Background(), &jobs.Job[jobs.EmailArgs]{ID: int64(i + 1), Args: ea, Attempt: 1, MaxAttempts: 1}); err != nil {
			t.Fatalf("open e-mail %d: %v", i, err)
		}
		out = append(out, got.msgs...)
	}
	return out
}

var tokenRE = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// LastToken returns the token of the link in the newest e-mail to to
// that carries one; it fails the test if there is none.
func (e *Env) LastToken(t testing.TB, to string) string {
	t.Helper()
	ms := e.Mails(t)
	for i := len(ms) - 1; i >= 0; i-- {
		if len(ms[i].To) == 1 && ms[i].To[0] == to {
			if m := tokenRE.FindStringSubmatch(ms[i].Text); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("no e-mail with a link to %s", to)
	return ""
}

// AuditActions lists the actions of the tenant's audit entries, oldest
// first.
func (e *Env) AuditActions(t testing.TB, tenantID uuid.UUID) []string {
	t.Helper()
	es, err := e.Store.AuditList(context.Background(), tenantID, audit.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(es))
	for i, en := range es {
		out[len(es)-1-i] = en.Action
	}
	return out
}

// EventTypes lists the types of the tenant's events, oldest first.
func (e *Env) EventTypes(t testing.TB, tenantID uuid.UUID) []string {
	t.Helper()
	evs, err := e.Store.EventListAfter(context.Background(), tenantID, uuid.Nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

// capStore records the jobs enqueued by committed transactions and can
// make audit inserts fail; everything else is the engine's.
type capStore struct {
	store.Store
	env *Env
}

func (s *capStore) JobInsert(ctx context.Context, args jobs.Args, opts *jobs.Opts) (*jobs.Inserted, error) {
	ins, err := s.Store.JobInsert(ctx, args, opts)
	if err == nil {
		s.env.mu.Lock()
		s.env.jobs = append(s.env.jobs, args)
		s.env.mu.Unlock()
	}
	return ins, err
}

func (s *capStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	var pending []jobs.Args
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		pending = nil // a retried transaction starts afresh
		return fn(&capTx{Tx: tx, env: s.env, pending: &pending})
	})
	if err == nil {
		s.env.mu.Lock()
		s.env.jobs = append(s.env.jobs, pending...)
		s.env.mu.Unlock()
	}
	return err
}

type capTx struct {
	store.Tx
	env     *Env
	pending *[]jobs.Args
}

func (tx *capTx) JobInsert(ctx context.Context, args jobs.Args, opts *jobs.Opts) (*jobs.Inserted, error) {
	ins, err := tx.Tx.JobInsert(ctx, args, opts)
	if err == nil {
		*tx.pending = append(*tx.pending, args)
	}
	return ins, err
}

func (tx *capTx) AuditInsert(ctx context.Context, en audit.Entry) error {
	tx.env.mu.Lock()
	fail := tx.env.failAudit
	tx.env.mu.Unlock()
	if fail {
		return ErrAuditDown
	}
	return tx.Tx.AuditInsert(ctx, en)
}

type capSender struct{ msgs []mail.Message }

func (c *capSender) Send(_ context.Context, m mail.Message) error {
	c.msgs = append(c.msgs, m)
	return nil
}
