package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

// backend is what a bare baseline handler does with the database: the
// same SQL as Ordo's store, with no auth, audit, events or idempotency.
type backend interface {
	get(ctx context.Context, tenantID, id uuid.UUID) (order.Order, error)
	// list returns limit+1 orders, newest first, after the cursor.
	list(ctx context.Context, tenantID uuid.UUID, after *order.Cursor, limit int) ([]order.Order, error)
	// create allocates the number and inserts the order and its items in
	// one transaction.
	create(ctx context.Context, o *order.Order) error
	close()
}

// pgBaseline is the bare PostgreSQL side: pgx on its own pool, with the
// pool's defaults, as Ordo's.
type pgBaseline struct{ pool *pgxpool.Pool }

func newPGBaseline(ctx context.Context, url string) (*pgBaseline, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, err
	}
	return &pgBaseline{pool: pool}, nil
}

func (b *pgBaseline) close() { b.pool.Close() }

// The SQL of pgstore's OrderGet and OrderList, repeated here on purpose:
// the baseline must not go through the store.
const baseOrderColumns = `id, tenant_id, number, status, customer_name, customer_email, customer_phone, shipping_address, billing_address,
	currency, subtotal, tax, discount, total, notes, external_ref, metadata, created_by, version, COALESCE(idempotency_key, ''), created_at, updated_at`

func pgScanOrder(row pgx.Row) (order.Order, error) {
	var o order.Order
	var ship, bill, meta []byte
	err := row.Scan(&o.ID, &o.TenantID, &o.Number, &o.Status, &o.CustomerName, &o.CustomerEmail, &o.CustomerPhone, &ship, &bill,
		&o.Currency, &o.Subtotal, &o.Tax, &o.Discount, &o.Total, &o.Notes, &o.ExternalRef, &meta, &o.CreatedBy, &o.Version, &o.IdempotencyKey, &o.CreatedAt, &o.UpdatedAt)
	if err != nil {
		return o, err
	}
	return o, sqlshared.DecodeOrderJSON(&o, ship, bill, meta)
}

func (b *pgBaseline) items(ctx context.Context, tenantID uuid.UUID, os []order.Order) error {
	ids := make([]pgtype.UUID, len(os)) // pgx's own type: no reflection
	idx := make(map[uuid.UUID]int, len(os))
	for i, o := range os {
		ids[i], idx[o.ID] = pgtype.UUID{Bytes: o.ID, Valid: true}, i
		os[i].Items = []order.Item{}
	}
	rows, err := b.pool.Query(ctx, `
		SELECT order_id, id, position, sku, name, description, quantity, unit_price, tax_rate_bp, line_total, metadata
		FROM order_items WHERE tenant_id = $1 AND order_id = ANY($2) ORDER BY order_id, position`, tenantID, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var oid uuid.UUID
		var it order.Item
		var meta []byte
		if err := rows.Scan(&oid, &it.ID, &it.Position, &it.SKU, &it.Name, &it.Description, &it.Quantity, &it.UnitPrice, &it.TaxRateBP, &it.LineTotal, &meta); err != nil {
			return err
		}
		it.Metadata = meta
		os[idx[oid]].Items = append(os[idx[oid]].Items, it)
	}
	return rows.Err()
}

func (b *pgBaseline) get(ctx context.Context, tenantID, id uuid.UUID) (order.Order, error) {
	o, err := pgScanOrder(b.pool.QueryRow(ctx, `SELECT `+baseOrderColumns+` FROM orders WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return o, err
	}
	os := []order.Order{o}
	return os[0], b.items(ctx, tenantID, os)
}

func (b *pgBaseline) list(ctx context.Context, tenantID uuid.UUID, after *order.Cursor, limit int) ([]order.Order, error) {
	q := `SELECT ` + baseOrderColumns + ` FROM orders WHERE tenant_id = $1`
	args := []any{tenantID}
	if after != nil {
		q += ` AND (created_at, id) < ($2, $3)`
		args = append(args, after.CreatedAt, after.ID)
	}
	rows, err := b.pool.Query(ctx, q+` ORDER BY created_at DESC, id DESC LIMIT `+strconv.Itoa(limit+1), args...)
	if err != nil {
		return nil, err
	}
	os, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (order.Order, error) { return pgScanOrder(r) })
	if err != nil {
		return nil, err
	}
	if len(os) == 0 {
		return os, nil
	}
	return os, b.items(ctx, tenantID, os)
}

func (b *pgBaseline) create(ctx context.Context, o *order.Order) error {
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `UPDATE tenants SET order_seq = order_seq + 1 WHERE id = $1 RETURNING order_seq`, o.TenantID).Scan(&o.Number); err != nil {
			return err
		}
		ship, bill, meta := sqlshared.EncodeOrderJSON(*o)
		if _, err := tx.Exec(ctx, `
			INSERT INTO orders (id, tenant_id, number, status, customer_name, customer_email, customer_phone, shipping_address, billing_address,
				currency, subtotal, tax, discount, total, notes, external_ref, metadata, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 1, $18, $19)`,
			o.ID, o.TenantID, o.Number, o.Status, o.CustomerName, o.CustomerEmail, o.CustomerPhone, ship, bill,
			o.Currency, o.Subtotal, o.Tax, o.Discount, o.Total, o.Notes, o.ExternalRef, meta, o.CreatedAt, o.UpdatedAt); err != nil {
			return err
		}
		var sb strings.Builder
		sb.WriteString(`INSERT INTO order_items (id, tenant_id, order_id, position, sku, name, description, quantity, unit_price, tax_rate_bp, line_total) VALUES `)
		args := make([]any, 0, 11*len(o.Items))
		for i, it := range o.Items {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(")
			for j := range 11 {
				if j > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString("$" + strconv.Itoa(i*11+j+1))
			}
			sb.WriteString(")")
			args = append(args, it.ID, o.TenantID, o.ID, it.Position, it.SKU, it.Name, it.Description, it.Quantity, it.UnitPrice, it.TaxRateBP, it.LineTotal)
		}
		_, err := tx.Exec(ctx, sb.String(), args...)
		return err
	})
}

// sqliteBaseline is the bare embedded side: a second handle on the same
// database file, calling the store's queries directly (the same SQL, on
// the same driver and pragmas) without the service, auth or audit.
type sqliteBaseline struct{ s *sqlitestore.Store }

func newSQLiteBaseline(ctx context.Context, path string, log *slog.Logger) (*sqliteBaseline, error) {
	s, err := sqlitestore.Open(ctx, path, log)
	if err != nil {
		return nil, err
	}
	return &sqliteBaseline{s: s}, nil
}

func (b *sqliteBaseline) close() { b.s.Close() }

func (b *sqliteBaseline) get(ctx context.Context, tenantID, id uuid.UUID) (order.Order, error) {
	return b.s.OrderGet(ctx, tenantID, id)
}

func (b *sqliteBaseline) list(ctx context.Context, tenantID uuid.UUID, after *order.Cursor, limit int) ([]order.Order, error) {
	return b.s.OrderList(ctx, order.ListParams{TenantID: tenantID, Sort: order.SortCreatedAt, Desc: true, After: after, Limit: limit + 1})
}

func (b *sqliteBaseline) create(ctx context.Context, o *order.Order) error {
	return b.s.InTx(ctx, func(tx store.Tx) error {
		n, err := tx.OrderNextNumber(ctx, o.TenantID)
		if err != nil {
			return err
		}
		o.Number = n
		return tx.OrderCreate(ctx, *o)
	})
}

// baseInput is the create body, as Ordo's API takes it.
type baseInput struct {
	CustomerName  string `json:"customer_name"`
	CustomerEmail string `json:"customer_email"`
	Currency      string `json:"currency"`
	ExternalRef   string `json:"external_ref"`
	Items         []struct {
		SKU       string `json:"sku"`
		Name      string `json:"name"`
		Quantity  int64  `json:"quantity"`
		UnitPrice int64  `json:"unit_price"`
		TaxRateBP int64  `json:"tax_rate_bp"`
	} `json:"items"`
}

// baseCursor is the list cursor, in the same form as Ordo's.
type baseCursor struct {
	Sort      string    `json:"s"`
	Desc      bool      `json:"d"`
	CreatedAt time.Time `json:"c"`
	Total     int64     `json:"t"`
	ID        uuid.UUID `json:"i"`
}

func encodeBaseCursor(c order.Cursor) string {
	b, _ := json.Marshal(baseCursor{Sort: string(order.SortCreatedAt), Desc: true, CreatedAt: c.CreatedAt, Total: c.Total, ID: c.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// baselineHandler serves /orders/{id}, /orders and POST /orders for one
// tenant with b, encoding with encoding/json.
func baselineHandler(b backend, tenantID uuid.UUID) http.Handler {
	mux := http.NewServeMux()
	write := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(w http.ResponseWriter, err error) {
		if errors.Is(err, pgx.ErrNoRows) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		o, err := b.get(r.Context(), tenantID, id)
		if err != nil {
			fail(w, err)
			return
		}
		write(w, http.StatusOK, order.ToView(o))
	})
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
		if err != nil || limit < 1 || limit > 200 {
			limit = 50
		}
		var after *order.Cursor
		if c := r.URL.Query().Get("cursor"); c != "" {
			var bc baseCursor
			raw, err := base64.RawURLEncoding.DecodeString(c)
			if err == nil {
				err = json.Unmarshal(raw, &bc)
			}
			if err != nil {
				http.Error(w, "bad cursor", http.StatusBadRequest)
				return
			}
			after = &order.Cursor{CreatedAt: bc.CreatedAt, ID: bc.ID}
		}
		os, err := b.list(r.Context(), tenantID, after, limit)
		if err != nil {
			fail(w, err)
			return
		}
		out := struct {
			Data       []order.View `json:"data"`
			NextCursor *string      `json:"next_cursor"`
		}{Data: make([]order.View, 0, limit)}
		if len(os) > limit {
			os = os[:limit]
			c := encodeBaseCursor(order.Cursor{CreatedAt: os[limit-1].CreatedAt, ID: os[limit-1].ID})
			out.NextCursor = &c
		}
		for _, o := range os {
			out.Data = append(out.Data, order.ToView(o))
		}
		write(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		var in baseInput
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		o := order.Order{ID: uuid.Must(uuid.NewV7()), TenantID: tenantID, Status: order.StatusPending, CustomerName: in.CustomerName,
			CustomerEmail: in.CustomerEmail, Currency: in.Currency, ExternalRef: in.ExternalRef, Version: 1, CreatedAt: now, UpdatedAt: now}
		for _, it := range in.Items {
			o.Items = append(o.Items, order.Item{ID: uuid.Must(uuid.NewV7()), SKU: it.SKU, Name: it.Name, Quantity: it.Quantity, UnitPrice: it.UnitPrice, TaxRateBP: it.TaxRateBP})
		}
		order.Compute(&o)
		if err := b.create(r.Context(), &o); err != nil {
			fail(w, err)
			return
		}
		write(w, http.StatusCreated, order.ToView(o))
	})
	return mux
}
