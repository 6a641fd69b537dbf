package bench

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

// SeedResult is how long seeding took.
type SeedResult struct {
	Engine       string  `json:"engine"`
	Tenants      int     `json:"tenants"`
	Orders       int     `json:"orders"`
	Items        int     `json:"items"`
	History      int     `json:"status_history"`
	Seconds      float64 `json:"seconds"`
	OrdersPerSec float64 `json:"orders_per_sec"`
}

// dataset is what the measurements need to know about the seeded data.
// The first tenant is the one the API and one-tenant exports use.
type dataset struct {
	tenants   []uuid.UUID
	perTenant []int
	// ids are orders of the first tenant, for GET by id.
	ids []uuid.UUID
	// mid is the cursor of the middle of the first tenant's orders,
	// newest first: a page deep in the list.
	mid order.Cursor
	// flat are the tenants whose list latency is compared, smallest
	// first, with the middle cursor of each (see plan).
	flat     []int
	flatMids []order.Cursor
}

// Seeding's vocabulary: realistic values without per-row formatting.
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
	// emails and names are precomputed: one string per pair.
	customerNames, customerEmails []string
)

func init() {
	for _, f := range firstNames {
		for _, l := range lastNames {
			customerNames = append(customerNames, f+" "+l)
			customerEmails = append(customerEmails, strings.ToLower(f+"."+strings.ReplaceAll(l, "-", ""))+"@example.com")
		}
	}
}

// uuidAt is a version 7 UUID for time t, as Ordo makes them, with random
// bits from rng (fast, and unique enough: 74 random bits).
func uuidAt(t time.Time, rng *rand.Rand) uuid.UUID {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	binary.BigEndian.PutUint64(u[0:8], ms<<16|uint64(rng.Uint32()&0xffff))
	binary.BigEndian.PutUint64(u[8:16], rng.Uint64())
	u[6] = u[6]&0x0f | 0x70
	u[8] = u[8]&0x3f | 0x80
	return u
}

// genOrder makes the tenant's order number n of total, created at a time
// spread over the 30 days before now (older numbers earlier), moved along
// its status path, with its history; totals come from order.Compute.
func genOrder(rng *rand.Rand, tenantID uuid.UUID, n, total int, now time.Time) (order.Order, []order.StatusChange) {
	span := 30 * 24 * time.Hour
	at := now.Add(-span + time.Duration(float64(span)*float64(n-1)/float64(max(total, 1)))).Add(-time.Duration(rng.IntN(3600)) * time.Second).UTC().Truncate(time.Microsecond)
	c := rng.IntN(len(customerNames))
	city := cities[rng.IntN(len(cities))]
	o := order.Order{
		ID: uuidAt(at, rng), TenantID: tenantID, Number: int64(n), Status: order.StatusPending,
		CustomerName: customerNames[c], CustomerEmail: customerEmails[c], Currency: currencies[rng.IntN(len(currencies))],
		ShippingAddress: &order.Address{Name: customerNames[c], Line1: "12 Market Street", City: city.city, Country: city.country},
		ExternalRef:     "PO-" + fmt.Sprint(10000+rng.IntN(90000)), Version: 1, CreatedAt: at, UpdatedAt: at,
		Items: make([]order.Item, 3),
	}
	for i := range o.Items {
		p := products[rng.IntN(len(products))]
		o.Items[i] = order.Item{ID: uuidAt(at, rng), SKU: p.sku, Name: p.name, Quantity: int64(rng.IntN(3) + 1), UnitPrice: p.price, TaxRateBP: 2000}
	}
	if rng.IntN(5) == 0 {
		o.Discount = 500
	}
	order.Compute(&o)
	hist := []order.StatusChange{{ID: uuidAt(at, rng), TenantID: tenantID, OrderID: o.ID, To: order.StatusPending, CreatedAt: at}}
	age := now.Sub(at)
	var path []order.Status
	switch r := rng.IntN(10); {
	case r == 0:
		path = []order.Status{order.StatusCancelled}
	case age > 7*24*time.Hour:
		path = []order.Status{order.StatusProcessing, order.StatusShipped, order.StatusDelivered}
	case age > 2*24*time.Hour:
		path = []order.Status{order.StatusProcessing, order.StatusShipped}
	case r < 5:
		path = []order.Status{order.StatusProcessing}
	}
	for _, to := range path {
		next := o.UpdatedAt.Add(time.Duration(rng.IntN(12)+1) * time.Hour)
		if next.After(now) {
			break
		}
		hist = append(hist, order.StatusChange{ID: uuidAt(next, rng), TenantID: tenantID, OrderID: o.ID, From: o.Status, To: to, CreatedAt: next})
		o.Status, o.Version, o.UpdatedAt = to, o.Version+1, next
	}
	return o, hist
}

// seedBatch is a run of consecutive order numbers of one tenant.
type seedBatch struct {
	tenant   int
	from, to int // numbers from..to-1
}

// plan spreads orders evenly over tenants and cuts them into batches.
// plan spreads the orders over the tenants and cuts them into batches.
// The first tenant gets the average share (the API and one-tenant exports
// use it). When the dataset is large enough, the rest are skewed so that
// list latency can be compared across tenant sizes: the second tenant
// holds half of all orders, the last smallTenant, and the others share
// what is left; otherwise all get the same.
func plan(tenants, orders, batch int) (perTenant []int, batches []seedBatch) {
	perTenant = make([]int, tenants)
	avg := orders / tenants
	if tenants >= 3 && avg >= 2*smallTenant {
		perTenant[0], perTenant[1], perTenant[tenants-1] = avg, orders/2, smallTenant
		rest := orders - avg - orders/2 - smallTenant
		if others := tenants - 3; others == 0 {
			perTenant[1] += rest
		} else {
			for i := range others {
				perTenant[2+i] = rest / others
				if i < rest%others {
					perTenant[2+i]++
				}
			}
		}
	} else {
		for i := range perTenant {
			perTenant[i] = avg
			if i < orders%tenants {
				perTenant[i]++
			}
		}
	}
	for t, n := range perTenant {
		for from := 1; from <= n; from += batch {
			batches = append(batches, seedBatch{tenant: t, from: from, to: min(from+batch, n+1)})
		}
	}
	return perTenant, batches
}

// smallTenant is the size of the smallest tenant of a skewed dataset.
const smallTenant = 1000

// flatTenants are the tenants whose list latency is compared: the
// smallest, the first and the largest, smallest first, each once.
func flatTenants(perTenant []int) []int {
	small, big := 0, 0
	for i, n := range perTenant {
		if n < perTenant[small] {
			small = i
		}
		if n > perTenant[big] {
			big = i
		}
	}
	out := []int{small}
	for _, i := range []int{0, big} {
		if !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	slices.SortFunc(out, func(a, b int) int { return perTenant[a] - perTenant[b] })
	return out
}

func newTenants(n int, now time.Time) []uuid.UUID {
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuidAt(now.Add(-31*24*time.Hour).Add(time.Duration(i)*time.Millisecond), rng)
	}
	return ids
}

// bar draws a progress bar on w while work is counted.
type bar struct {
	w     io.Writer
	what  string
	n     int64
	done  atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newBar(w io.Writer, what string, n int) *bar {
	b := &bar{w: w, what: what, n: int64(n), start: time.Now(), stop: make(chan struct{})}
	b.wg.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				b.draw()
				fmt.Fprintln(b.w)
				return
			case <-t.C:
				b.draw()
			}
		}
	})
	return b
}

func (b *bar) add(n int) { b.done.Add(int64(n)) }

func (b *bar) draw() {
	d := b.done.Load()
	pct := int(100 * d / max(b.n, 1))
	el := time.Since(b.start).Seconds()
	fmt.Fprintf(b.w, "\r%s [%s%s] %3d%% %d/%d %.0f/s %.1fs ", b.what, strings.Repeat("#", pct/4), strings.Repeat(".", 25-pct/4), pct, d, b.n, float64(d)/max(el, 1e-9), el)
}

func (b *bar) finish() {
	close(b.stop)
	b.wg.Wait()
}

var orderCopyColumns = []string{"id", "tenant_id", "number", "status", "customer_name", "customer_email", "customer_phone", "shipping_address",
	"billing_address", "currency", "subtotal", "tax", "discount", "total", "notes", "external_ref", "metadata", "version", "created_at", "updated_at"}

var itemCopyColumns = []string{"id", "tenant_id", "order_id", "position", "sku", "name", "description", "quantity", "unit_price", "tax_rate_bp", "line_total", "metadata"}

var historyCopyColumns = []string{"id", "tenant_id", "order_id", "from_status", "to_status", "created_at"}

// The row builders give UUIDs as [16]byte, which pgx encodes in binary
// without going through uuid.UUID's text form; sqliteRow turns them into
// the text SQLite keeps.

func orderRow(o *order.Order) []any {
	ship, bill, meta := sqlshared.EncodeOrderJSON(*o)
	return []any{[16]byte(o.ID), [16]byte(o.TenantID), o.Number, string(o.Status), o.CustomerName, o.CustomerEmail, o.CustomerPhone, ship, bill, o.Currency,
		o.Subtotal, o.Tax, o.Discount, o.Total, o.Notes, o.ExternalRef, meta, o.Version, o.CreatedAt, o.UpdatedAt}
}

func itemRow(o *order.Order, it *order.Item) []any {
	return []any{[16]byte(it.ID), [16]byte(o.TenantID), [16]byte(o.ID), it.Position, it.SKU, it.Name, it.Description, it.Quantity, it.UnitPrice, it.TaxRateBP, it.LineTotal, "{}"}
}

func historyRow(c *order.StatusChange) []any {
	return []any{[16]byte(c.ID), [16]byte(c.TenantID), [16]byte(c.OrderID), string(c.From), string(c.To), c.CreatedAt}
}

// genBatch makes a batch's orders, deterministic for the batch.
func genBatch(b seedBatch, tenantID uuid.UUID, total int, now time.Time) ([]order.Order, []order.StatusChange) {
	rng := rand.New(rand.NewPCG(uint64(b.tenant), uint64(b.from)))
	os := make([]order.Order, 0, b.to-b.from)
	var hist []order.StatusChange
	for n := b.from; n < b.to; n++ {
		o, h := genOrder(rng, tenantID, n, total, now)
		os = append(os, o)
		hist = append(hist, h...)
	}
	return os, hist
}

// seedPostgres loads the dataset with COPY, batches in parallel on
// several connections, then analyzes the tables.
func seedPostgres(ctx context.Context, pool *pgxpool.Pool, tenants, orders int, progress io.Writer) (SeedResult, *dataset, error) {
	start := time.Now()
	now := start.UTC().Truncate(time.Microsecond)
	perTenant, batches := plan(tenants, orders, 2000)
	ds := &dataset{tenants: newTenants(tenants, now), perTenant: perTenant}
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"tenants"}, []string{"id", "name", "slug", "plan", "order_seq", "created_at", "updated_at"},
		pgx.CopyFromSlice(tenants, func(i int) ([]any, error) {
			at := now.Add(-31 * 24 * time.Hour)
			return []any{ds.tenants[i], fmt.Sprintf("Bench tenant %03d", i+1), fmt.Sprintf("bench-%03d-%s", i+1, randomHex(3)), "pro", int64(perTenant[i]), at, at}, nil
		}))
	if err != nil {
		return SeedResult{}, nil, fmt.Errorf("tenants: %w", err)
	}

	// The rows are valid by construction: where the role allows it, skip
	// the per-row foreign key triggers, the largest cost of loading
	// items and history.
	noFKChecks := func() bool {
		c, err := pool.Acquire(ctx)
		if err != nil {
			return false
		}
		defer c.Release()
		ok := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`)
			return err
		}) == nil
		return ok
	}()

	b := newBar(progress, "seed postgres", orders)
	work := make(chan seedBatch)
	var items, hists atomic.Int64
	var firstErr error
	var once sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range max(2, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for sb := range work {
				if err := copyBatch(ctx, pool, sb, ds, now, noFKChecks, &items, &hists); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					continue
				}
				b.add(sb.to - sb.from)
			}
		})
	}
	for _, sb := range batches {
		if ctx.Err() != nil {
			break
		}
		work <- sb
	}
	close(work)
	wg.Wait()
	b.finish()
	if firstErr != nil {
		return SeedResult{}, nil, firstErr
	}
	if _, err := pool.Exec(ctx, `ANALYZE tenants, orders, order_items, order_status_history`); err != nil {
		return SeedResult{}, nil, fmt.Errorf("analyze: %w", err)
	}
	el := time.Since(start).Seconds()
	sr := SeedResult{Engine: "postgres", Tenants: tenants, Orders: orders, Items: int(items.Load()), History: int(hists.Load()), Seconds: el, OrdersPerSec: float64(orders) / el}
	if err := loadSample(ctx, pgQuerier{pool}, ds); err != nil {
		return sr, nil, err
	}
	return sr, ds, nil
}

func copyBatch(ctx context.Context, pool *pgxpool.Pool, sb seedBatch, ds *dataset, now time.Time, noFKChecks bool, items, hists *atomic.Int64) error {
	tid := ds.tenants[sb.tenant]
	os, hist := genBatch(sb, tid, ds.perTenant[sb.tenant], now)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if noFKChecks {
			if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
				return err
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"orders"}, orderCopyColumns, pgx.CopyFromSlice(len(os), func(i int) ([]any, error) {
			return orderRow(&os[i]), nil
		})); err != nil {
			return fmt.Errorf("copy orders: %w", err)
		}
		n := 0
		for i := range os {
			n += len(os[i].Items)
		}
		oi, ii := 0, 0
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"order_items"}, itemCopyColumns, pgx.CopyFromSlice(n, func(int) ([]any, error) {
			for ii >= len(os[oi].Items) {
				oi, ii = oi+1, 0
			}
			r := itemRow(&os[oi], &os[oi].Items[ii])
			ii++
			return r, nil
		})); err != nil {
			return fmt.Errorf("copy order items: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"order_status_history"}, historyCopyColumns, pgx.CopyFromSlice(len(hist), func(i int) ([]any, error) {
			return historyRow(&hist[i]), nil
		})); err != nil {
			return fmt.Errorf("copy status history: %w", err)
		}
		items.Add(int64(n))
		hists.Add(int64(len(hist)))
		return nil
	})
}

// querier is the little the sample needs from either engine.
type querier interface {
	queryIDs(ctx context.Context, sql string, args ...any) ([]uuid.UUID, []string, error)
}

type pgQuerier struct{ pool *pgxpool.Pool }

func (q pgQuerier) queryIDs(ctx context.Context, query string, args ...any) ([]uuid.UUID, []string, error) {
	rows, err := q.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ids []uuid.UUID
	var ts []string
	for rows.Next() {
		var id uuid.UUID
		var t time.Time
		if err := rows.Scan(&id, &t); err != nil {
			return nil, nil, err
		}
		ids, ts = append(ids, id), append(ts, t.UTC().Format(time.RFC3339Nano))
	}
	return ids, ts, rows.Err()
}

type sqliteQuerier struct{ db *sql.DB }

func (q sqliteQuerier) queryIDs(ctx context.Context, query string, args ...any) ([]uuid.UUID, []string, error) {
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ids []uuid.UUID
	var ts []string
	for rows.Next() {
		var id uuid.UUID
		var t string
		if err := rows.Scan(&id, &t); err != nil {
			return nil, nil, err
		}
		ids, ts = append(ids, id), append(ts, t)
	}
	return ids, ts, rows.Err()
}

// loadSample picks the first tenant's order ids (up to 10,000) and the
// cursor of the middle of the lists of the first tenant and of the
// tenants of the flatness check.
func loadSample(ctx context.Context, q querier, ds *dataset) error {
	ids, _, err := q.queryIDs(ctx, `SELECT id, created_at FROM orders WHERE tenant_id = $1 ORDER BY random() LIMIT 10000`, ds.tenants[0])
	if err != nil {
		return fmt.Errorf("sample orders: %w", err)
	}
	if len(ids) == 0 {
		return fmt.Errorf("sample orders: none")
	}
	ds.ids = ids
	mid := func(t int) (order.Cursor, error) {
		id, ts, err := q.queryIDs(ctx, `SELECT id, created_at FROM orders WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET $2`,
			ds.tenants[t], ds.perTenant[t]/2)
		if err != nil || len(id) == 0 {
			return order.Cursor{}, fmt.Errorf("middle order of tenant %d: %v", t, err)
		}
		at, err := time.Parse(time.RFC3339Nano, ts[0])
		if err != nil {
			return order.Cursor{}, fmt.Errorf("middle order time %q: %w", ts[0], err)
		}
		return order.Cursor{CreatedAt: at, ID: id[0]}, nil
	}
	if ds.mid, err = mid(0); err != nil {
		return err
	}
	ds.flat = flatTenants(ds.perTenant)
	for _, t := range ds.flat {
		c, err := mid(t)
		if err != nil {
			return err
		}
		ds.flatMids = append(ds.flatMids, c)
	}
	return nil
}
