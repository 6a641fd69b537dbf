package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/config"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
)

// Demo data made by `ordo seed`.
const (
	seedTenantSlug = "acme"
	seedUserEmail  = "demo@example.com"
	seedPassword   = "ordo-demo-password"
)

// seed creates a demo tenant with an owner who can log in, and realistic
// orders spread over the last 30 days. It is idempotent: a second run
// finds the tenant and changes nothing.
func seed(ctx context.Context, cfg config.Config, log *slog.Logger, n *int, stdout, stderr io.Writer) error {
	if *n < 0 || *n > 1_000_000 {
		return usageError{"-orders must be from 0 to 1000000"}
	}
	svc, err := openServices(ctx, cfg, log, openOpts{migrate: cfg.Mode() == config.ModeEmbedded, storeOnly: true})
	if err != nil {
		return err
	}
	defer svc.close()
	ok, err := svc.store.SchemaCurrent(ctx)
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	if !ok {
		return errors.New("migrations are pending: run `ordo migrate up` first")
	}
	if _, err := svc.store.TenantGetBySlug(ctx, seedTenantSlug); err == nil {
		fmt.Fprintf(stdout, "demo data already present (tenant %q)\n", seedTenantSlug)
		return nil
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return err
	}

	if err := svc.openIdentity(log); err != nil {
		return err
	}
	u, err := svc.store.UserGetByEmail(ctx, seedUserEmail)
	if errors.Is(err, apperr.ErrNotFound) {
		u, err = svc.accounts.CreateUser(ctx, seedUserEmail, seedPassword, "Demo Owner")
	}
	if err != nil {
		return fmt.Errorf("seed user: %w", err)
	}
	t, err := svc.tenants.CreateTenant(ctx, access.Principal{UserID: u.ID, Email: u.Email, Name: u.Name}, "Acme Inc.", access.Meta{UserAgent: "ordo seed"})
	if err != nil {
		return fmt.Errorf("seed tenant: %w", err)
	}
	if t.Slug != seedTenantSlug {
		t.Slug = seedTenantSlug
		if err := svc.store.TenantUpdate(ctx, t); err != nil {
			return err
		}
	}

	// Orders go straight to the store, 500 to a transaction, with their
	// status history, at times spread over the last 30 days. They are
	// history, not actions: no audit entries, events, webhooks or invoice
	// jobs are made for them, which keeps a large seed fast.
	rng := rand.New(rand.NewPCG(42, 7))
	start := time.Now().Add(-30 * 24 * time.Hour)
	bar := newProgress(stderr, "orders", *n)
	const batch = 500
	for done := 0; done < *n; done += batch {
		err := svc.store.InTx(ctx, func(tx store.Tx) error {
			for i := done; i < min(done+batch, *n); i++ {
				at := start.Add(time.Duration(float64(30*24*time.Hour) * float64(i) / float64(max(*n, 1)))).UTC().Truncate(time.Microsecond)
				o, history, err := demoOrderAt(rng, t.ID, u.ID, at)
				if err != nil {
					return err
				}
				if o.Number, err = tx.OrderNextNumber(ctx, t.ID); err != nil {
					return err
				}
				if err := tx.OrderCreate(ctx, o); err != nil {
					return err
				}
				for _, c := range history {
					if err := tx.OrderStatusChangeInsert(ctx, c); err != nil {
						return err
					}
				}
				bar.step()
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed orders: %w", err)
		}
	}
	bar.done()
	fmt.Fprintf(stdout, "created demo tenant %q with %d orders; log in as %s / %s\n", seedTenantSlug, *n, seedUserEmail, seedPassword)
	return nil
}

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Radia", "Linus", "Frances", "John", "Hedy", "Tim", "Katherine", "Dennis"}
	lastNames  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Perlman", "Torvalds", "Allen", "McCarthy", "Lamarr", "Berners-Lee", "Johnson", "Ritchie"}
	cities     = []struct{ city, country string }{{"Lyon", "FR"}, {"Berlin", "DE"}, {"Porto", "PT"}, {"Austin", "US"}, {"Leeds", "GB"}, {"Utrecht", "NL"}}
	products   = []struct {
		sku, name string
		price     int64
	}{{"MUG-01", "Ceramic mug", 1290}, {"TEE-M", "T-shirt, medium", 2490}, {"BAG-CN", "Canvas tote bag", 1850}, {"NB-A5", "A5 notebook", 990},
		{"PEN-GEL", "Gel pen, pack of 3", 650}, {"LAMP-D", "Desk lamp", 4990}, {"KB-75", "Mechanical keyboard", 12900}, {"CBL-C", "USB-C cable", 1490}}
	currencies = []string{"EUR", "EUR", "EUR", "USD", "GBP"}
)

func demoOrder(rng *rand.Rand) order.Order {
	first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
	c := cities[rng.IntN(len(cities))]
	o := order.Order{
		CustomerName:    first + " " + last,
		CustomerEmail:   strings.ToLower(first+"."+strings.ReplaceAll(last, " ", "")) + "@example.com",
		Currency:        currencies[rng.IntN(len(currencies))],
		ShippingAddress: &order.Address{Name: first + " " + last, Line1: fmt.Sprintf("%d Market Street", rng.IntN(200)+1), City: c.city, Country: c.country},
		ExternalRef:     fmt.Sprintf("PO-%05d", rng.IntN(100000)),
	}
	for range rng.IntN(4) + 1 {
		pr := products[rng.IntN(len(products))]
		o.Items = append(o.Items, order.Item{SKU: pr.sku, Name: pr.name, Quantity: int64(rng.IntN(3) + 1), UnitPrice: pr.price, TaxRateBP: 2000})
	}
	if rng.IntN(5) == 0 {
		o.Discount = 500
	}
	return o
}

// demoPath picks how far an order has gone, older orders further.
// demoOrderAt makes one demo order created at, already moved along its
// status path, and that path's history.
func demoOrderAt(rng *rand.Rand, tenantID, userID uuid.UUID, at time.Time) (order.Order, []order.StatusChange, error) {
	o := demoOrder(rng)
	if err := order.Validate(&o); err != nil {
		return o, nil, err
	}
	id := func() uuid.UUID { return uuid.Must(uuid.NewV7()) }
	o.ID, o.TenantID, o.Status, o.Version, o.CreatedBy, o.CreatedAt, o.UpdatedAt = id(), tenantID, order.StatusPending, 1, &userID, at, at
	for i := range o.Items {
		o.Items[i].ID = id()
	}
	history := []order.StatusChange{{ID: id(), TenantID: tenantID, OrderID: o.ID, To: order.StatusPending, ActorID: &userID, CreatedAt: at}}
	for _, to := range demoPath(rng, at) {
		next := o.UpdatedAt.Add(time.Duration(rng.IntN(48)+1) * time.Hour)
		if next.After(time.Now()) {
			break
		}
		history = append(history, order.StatusChange{ID: id(), TenantID: tenantID, OrderID: o.ID, From: o.Status, To: to, ActorID: &userID, CreatedAt: next})
		o.Status, o.Version, o.UpdatedAt = to, o.Version+1, next
	}
	return o, history, nil
}

func demoPath(rng *rand.Rand, created time.Time) []order.Status {
	age := time.Since(created)
	switch r := rng.IntN(10); {
	case r == 0:
		return []order.Status{order.StatusCancelled}
	case age > 7*24*time.Hour:
		return []order.Status{order.StatusProcessing, order.StatusShipped, order.StatusDelivered}
	case age > 2*24*time.Hour:
		return []order.Status{order.StatusProcessing, order.StatusShipped}
	case r < 5:
		return []order.Status{order.StatusProcessing}
	}
	return nil
}

// progress draws a progress bar on a terminal, or a line per tenth.
type progress struct {
	w        io.Writer
	what     string
	n, i     int
	terminal bool
	last     int
}

func newProgress(w io.Writer, what string, n int) *progress {
	p := &progress{w: w, what: what, n: n}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *progress) step() {
	p.i++
	pct := 100 * p.i / max(p.n, 1)
	if p.terminal {
		done := pct * 30 / 100
		fmt.Fprintf(p.w, "\r%s %s%s %3d%% (%d/%d)", p.what, strings.Repeat("█", done), strings.Repeat("░", 30-done), pct, p.i, p.n)
		return
	}
	if pct/10 > p.last/10 {
		fmt.Fprintf(p.w, "%s: %d%% (%d/%d)\n", p.what, pct, p.i, p.n)
		p.last = pct
	}
}

func (p *progress) done() {
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}
