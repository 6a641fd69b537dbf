package auth_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/cache"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/pgstore/pgtest"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/tenant"
	"github.com/ordo/ordo/internal/testkit"
)

// benchStores open a migrated store of each engine for a benchmark.
var benchStores = []struct {
	name string
	open func(b *testing.B) store.Store
}{
	{"sqlite", func(b *testing.B) store.Store {
		s, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "ordo.db"), testkit.Logger(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(s.Close)
		if err := s.MigrateUp(context.Background()); err != nil {
			b.Fatal(err)
		}
		return s
	}},
	{"postgres", func(b *testing.B) store.Store {
		s, err := pgstore.Open(context.Background(), pgtest.URL(b), testkit.Logger(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(s.Close)
		if err := s.MigrateUp(context.Background()); err != nil {
			b.Fatal(err)
		}
		return s
	}},
}

// authFixture is a user who owns a tenant, and an API key of the tenant.
type authFixture struct {
	svc    *auth.Service
	user   account.User
	tenant access.Principal
	key    string
}

func newAuthFixture(b *testing.B, st store.Store, c cache.Cache) authFixture {
	ctx := context.Background()
	h, err := account.NewHasher(nil)
	if err != nil {
		b.Fatal(err)
	}
	svc := auth.New(auth.Options{Store: store.Narrow[auth.Tx]{Store: st}, Hasher: h, Log: testkit.Logger(b), Cache: c})
	tenants := tenant.NewService(store.Narrow[tenant.Tx]{Store: st}, tenant.Options{Auth: svc, Hasher: h, Log: testkit.Logger(b), BaseURL: "http://localhost"})
	accounts := account.NewService(store.Narrow[account.Tx]{Store: st}, account.Options{Auth: svc, Tenants: tenants, Hasher: h, Log: testkit.Logger(b), BaseURL: "http://localhost"})
	u, err := accounts.CreateUser(ctx, "bench@example.com", "a long benchmark password", "Bench")
	if err != nil {
		b.Fatal(err)
	}
	t, err := tenants.CreateTenant(ctx, access.Principal{UserID: u.ID, Email: u.Email, Name: u.Name}, "Bench", access.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	_, key, err := svc.CreateAPIKey(ctx, access.Operator(t.ID), "bench", access.RoleAdmin, nil, access.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	return authFixture{svc: svc, user: u, tenant: access.Operator(t.ID), key: key}
}

// benchAuth runs body on a fixture of each store, with and without the
// shared cache (Redis in production, in memory here).
func benchAuth(b *testing.B, body func(b *testing.B, f authFixture)) {
	for _, st := range benchStores {
		for _, cached := range []bool{false, true} {
			name := st.name
			if cached {
				name += "+cache"
			}
			b.Run(name, func(b *testing.B) {
				var c cache.Cache
				if cached {
					c = cache.NewMemory(1000)
				}
				body(b, newAuthFixture(b, st.open(b), c))
			})
		}
	}
}

// BenchmarkAuthenticateAPIKey is the API's auth and tenant resolution:
// an API key in, a principal of its tenant out.
func BenchmarkAuthenticateAPIKey(b *testing.B) {
	benchAuth(b, func(b *testing.B, f authFixture) {
		ctx := context.Background()
		for b.Loop() {
			p, err := f.svc.AuthenticateAPIKey(ctx, f.key)
			if err != nil || p.TenantID != f.tenant.TenantID {
				b.Fatal(p, err)
			}
		}
	})
}

// BenchmarkResolve is a session's auth and tenant resolution: the user,
// checked against the session epoch, and their role in the tenant.
func BenchmarkResolve(b *testing.B) {
	benchAuth(b, func(b *testing.B, f authFixture) {
		ctx := context.Background()
		for b.Loop() {
			p, err := f.svc.Resolve(ctx, f.user.ID, f.user.SessionEpoch, f.tenant.TenantID, "password")
			if err != nil || p.Role != access.RoleOwner {
				b.Fatal(p, err)
			}
		}
	})
}
