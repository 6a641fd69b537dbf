package pgstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

func scanOrder(row pgx.Row) (order.Order, error) {
	var o order.Order
	var ship, bill, meta []byte
	err := row.Scan(&o.ID, &o.TenantID, &o.Number, &o.Status, &o.CustomerName, &o.CustomerEmail, &o.CustomerPhone, &ship, &bill,
		&o.Currency, &o.Subtotal, &o.Tax, &o.Discount, &o.Total, &o.Notes, &o.ExternalRef, &meta, &o.CreatedBy, &o.Version, &o.IdempotencyKey, &o.CreatedAt, &o.UpdatedAt)
	if err != nil {
		return o, err
	}
	return o, sqlshared.DecodeOrderJSON(&o, ship, bill, meta)
}

func (q *queries) OrderNextNumber(ctx context.Context, tenantID uuid.UUID) (int64, error) {
	var n int64
	err := q.db.QueryRow(ctx, sqlshared.OrderNextNumber, tenantID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("OrderNextNumber(%s): %w", tenantID, interpretError(err, "tenant"))
	}
	return n, nil
}

func (q *queries) OrderNextNumberCounted(ctx context.Context, tenantID uuid.UUID, month time.Time) (int64, int64, error) {
	var n, used *int64
	err := q.db.QueryRow(ctx, `SELECT number, month_orders FROM order_number_next($1, $2)`, tenantID, month).Scan(&n, &used)
	if err == nil && n == nil {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return 0, 0, fmt.Errorf("OrderNextNumberCounted(%s): %w", tenantID, interpretError(err, "tenant"))
	}
	return *n, *used, nil
}

// OrderCreate inserts the order and its items with one statement: the
// items' foreign key is checked at its end, when the order is there.
func (q *queries) OrderCreate(ctx context.Context, o order.Order) error {
	ship, bill, meta := sqlshared.EncodeOrderJSON(o)
	var key any
	if o.IdempotencyKey != "" {
		key = o.IdempotencyKey
	}
	query := sqlshared.OrderCreate
	args := []any{o.ID, o.TenantID, o.Number, o.Status, o.CustomerName, o.CustomerEmail, o.CustomerPhone, ship, bill,
		o.Currency, o.Subtotal, o.Tax, o.Discount, o.Total, o.Notes, o.ExternalRef, meta, o.CreatedBy, key, o.CreatedAt, o.UpdatedAt}
	if len(o.Items) > 0 {
		items, itemArgs := sqlshared.InsertItems(o, len(args)+1)
		query, args = "WITH o AS ("+query+") "+items, append(args, itemArgs...)
	}
	return q.execLater(ctx, wrapErr("OrderCreate", "order"), query, args...)
}

// insertItems writes the items in one multi-row INSERT.
func (q *queries) insertItems(ctx context.Context, o order.Order) error {
	if len(o.Items) == 0 {
		return nil
	}
	query, args := sqlshared.InsertItems(o, 1)
	if _, err := q.db.Exec(ctx, query, args...); err != nil {
		return fmt.Errorf("insert order items: %w", interpretError(err, "order item"))
	}
	return nil
}

// OrderGet reads the order and its items in one round trip: both
// queries are sent in one batch, since the items' needs only the ids.
func (q *queries) OrderGet(ctx context.Context, tenantID, id uuid.UUID) (order.Order, error) {
	b := &pgx.Batch{}
	b.Queue(sqlshared.OrderGet, tenantID, id)
	b.Queue(itemsOfOrders, tenantID, uuidArray([]uuid.UUID{id}))
	br := q.db.SendBatch(ctx, b)
	defer br.Close()
	o, err := scanOrder(br.QueryRow())
	if err != nil {
		return order.Order{}, fmt.Errorf("OrderGet(%s): %w", id, interpretError(err, "order"))
	}
	os := []order.Order{o}
	rows, err := br.Query()
	if err != nil {
		return order.Order{}, fmt.Errorf("load order items: %w", err)
	}
	if err := scanItems(rows, os); err != nil {
		return order.Order{}, err
	}
	return os[0], br.Close()
}

func (q *queries) OrderGetByIdempotencyKey(ctx context.Context, tenantID uuid.UUID, key string) (order.Order, error) {
	var id uuid.UUID
	err := q.db.QueryRow(ctx, sqlshared.OrderGetByIdempotencyKey, tenantID, key).Scan(&id)
	if err != nil {
		return order.Order{}, fmt.Errorf("OrderGetByIdempotencyKey: %w", interpretError(err, "order"))
	}
	return q.OrderGet(ctx, tenantID, id)
}

// itemsOfOrders reads the items of the orders with ids $2, by order.
const itemsOfOrders = `
		SELECT order_id, id, position, sku, name, description, quantity, unit_price, tax_rate_bp, line_total, metadata
		FROM order_items WHERE tenant_id = $1 AND order_id = ANY($2) ORDER BY order_id, position`

// loadItems fills the items of orders with one query.
func (q *queries) loadItems(ctx context.Context, tenantID uuid.UUID, os []order.Order) error {
	if len(os) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(os))
	for i, o := range os {
		ids[i] = o.ID
	}
	rows, err := q.db.Query(ctx, itemsOfOrders, tenantID, uuidArray(ids))
	if err != nil {
		return fmt.Errorf("load order items: %w", err)
	}
	return scanItems(rows, os)
}

// scanItems reads itemsOfOrders's rows into os's items, and closes rows.
func scanItems(rows pgx.Rows, os []order.Order) error {
	defer rows.Close()
	idx := make(map[uuid.UUID]int, len(os))
	for i, o := range os {
		idx[o.ID] = i
		os[i].Items = []order.Item{}
	}
	for rows.Next() {
		var oid uuid.UUID
		var it order.Item
		var meta []byte
		if err := rows.Scan(&oid, &it.ID, &it.Position, &it.SKU, &it.Name, &it.Description, &it.Quantity, &it.UnitPrice, &it.TaxRateBP, &it.LineTotal, &meta); err != nil {
			return fmt.Errorf("load order items: %w", err)
		}
		it.Metadata = sqlshared.NonEmptyObject(meta)
		os[idx[oid]].Items = append(os[idx[oid]].Items, it)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load order items: %w", err)
	}
	return nil
}

func (q *queries) OrderUpdate(ctx context.Context, o order.Order) error {
	ship, bill, meta := sqlshared.EncodeOrderJSON(o)
	tag, err := q.db.Exec(ctx, sqlshared.OrderUpdate,
		o.TenantID, o.ID, o.Status, o.CustomerName, o.CustomerEmail, o.CustomerPhone, ship, bill, o.Currency,
		o.Subtotal, o.Tax, o.Discount, o.Total, o.Notes, o.ExternalRef, meta, o.Version, o.UpdatedAt)
	if err != nil {
		return fmt.Errorf("OrderUpdate(%s): %w", o.ID, interpretError(err, "order"))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("OrderUpdate(%s): %w", o.ID, q.missingOrStale(ctx, o.TenantID, o.ID))
	}
	if o.Items == nil {
		return nil
	}
	if _, err := q.db.Exec(ctx, sqlshared.OrderItemsDelete, o.TenantID, o.ID); err != nil {
		return fmt.Errorf("OrderUpdate(%s) items: %w", o.ID, err)
	}
	return q.insertItems(ctx, o)
}

// missingOrStale explains an update that touched no row.
func (q *queries) missingOrStale(ctx context.Context, tenantID, id uuid.UUID) error {
	var one int
	err := q.db.QueryRow(ctx, sqlshared.OrderExists, tenantID, id).Scan(&one)
	if err != nil {
		return interpretError(err, "order")
	}
	return order.ErrStale
}

func (q *queries) OrderDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	// The guard says why nothing was deleted; the foreign key from
	// invoices (no cascade) catches an invoice committed while this runs.
	tag, err := q.db.Exec(ctx, sqlshared.OrderDelete, tenantID, id)
	if err == nil && tag.RowsAffected() == 0 {
		var invoiced bool
		err = q.db.QueryRow(ctx, sqlshared.OrderInvoiced, tenantID, id).Scan(&invoiced)
		if err == nil {
			err = pgx.ErrNoRows
			if invoiced {
				err = order.ErrInvoiced
			}
		}
	}
	if isForeignKeyViolation(err) {
		err = order.ErrInvoiced
	}
	if err != nil {
		return fmt.Errorf("OrderDelete(%s): %w", id, interpretError(err, "order"))
	}
	return nil
}

// dialect is PostgreSQL's side of the shared WHERE builders.
type dialect struct{}

func (dialect) Time(t time.Time) any { return t }

func (dialect) ILike(col, ph string) string { return col + " ILIKE " + ph }

// Search: the ILIKE conditions, which the pg_trgm GIN indexes of migration
// 00029 answer for 3+ characters (shorter ones, which trigrams cannot, are
// left to the planner: the tenant's list order, stopped by LIMIT).
func (d dialect) Search(q string) (string, []any) { return sqlshared.OrderSearchLike(d, q) }

func (q *queries) OrderList(ctx context.Context, p order.ListParams) ([]order.Order, error) {
	w, orderBy := sqlshared.OrderWhere(p, dialect{})
	rows, err := q.db.Query(ctx, sqlshared.OrderListWhere+w.String()+
		` ORDER BY `+orderBy+` LIMIT `+strconv.Itoa(p.Limit), w.Args...)
	if err != nil {
		return nil, fmt.Errorf("OrderList: %w", err)
	}
	os, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (order.Order, error) { return scanOrder(r) })
	if err != nil {
		return nil, fmt.Errorf("OrderList: %w", err)
	}
	if p.Before != nil {
		slices.Reverse(os) // read backwards from the cursor
	}
	if p.WithoutItems {
		return os, nil
	}
	if err := q.loadItems(ctx, p.TenantID, os); err != nil {
		return nil, err
	}
	return os, nil
}

func (q *queries) OrderStatusChangeInsert(ctx context.Context, c order.StatusChange) error {
	return q.execLater(ctx, wrapErr("OrderStatusChangeInsert", "status change"), sqlshared.OrderStatusChangeInsert, c.ID, c.TenantID, c.OrderID, c.From, c.To, c.ActorID, c.CreatedAt)
}

func (q *queries) OrderStatusHistory(ctx context.Context, tenantID, orderID uuid.UUID, r page.Request) ([]order.StatusChange, error) {
	sql, args := sqlshared.PageQuery(sqlshared.OrderStatusHistory, []any{tenantID, orderID}, "id", false, r)
	rows, err := q.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("OrderStatusHistory: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (order.StatusChange, error) {
		var c order.StatusChange
		err := r.Scan(&c.ID, &c.TenantID, &c.OrderID, &c.From, &c.To, &c.ActorID, &c.CreatedAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("OrderStatusHistory: %w", err)
	}
	return page.InOrder(out, r), nil
}

// OrderScan reads the orders and their items with one joined query and
// hands them to fn one at a time as the rows arrive, so a batch of any
// size costs two round trips (describe, execute) and no more memory than
// one order.
//
// It is planned for each batch's own arguments (an unnamed statement, not
// pgx's cached one): PostgreSQL's generic plan, taken after five runs of
// a prepared statement, does not know that a tenant is large and reads
// all of its orders after the cursor to sort them, six times slower deep
// in a large tenant's list.
func (q *queries) OrderScan(ctx context.Context, p order.ListParams, fn func(order.Order) error) error {
	return q.describeExec(ctx, func(q *queries) error { return q.orderScan(ctx, p, fn) })
}

func (q *queries) orderScan(ctx context.Context, p order.ListParams, fn func(order.Order) error) error {
	w, orderBy := sqlshared.OrderWhere(p, dialect{})
	col, dir, _ := sqlshared.OrderSort(p)
	rows, err := q.db.Query(ctx, `SELECT o.*, i.id, COALESCE(i.position, 0), COALESCE(i.sku, ''), COALESCE(i.name, ''), COALESCE(i.description, ''),
		COALESCE(i.quantity, 0), COALESCE(i.unit_price, 0), COALESCE(i.tax_rate_bp, 0), COALESCE(i.line_total, 0), i.metadata
		FROM (SELECT `+sqlshared.OrderScanColumns+` FROM orders WHERE `+w.String()+` ORDER BY `+orderBy+` LIMIT `+strconv.Itoa(p.Limit)+`) o
		LEFT JOIN order_items i ON i.tenant_id = o.tenant_id AND i.order_id = o.id
		ORDER BY o.`+col+` `+dir+`, o.id `+dir+`, i.position`, append([]any{pgx.QueryExecModeDescribeExec}, w.Args...)...)
	if err != nil {
		return fmt.Errorf("OrderScan: %w", err)
	}
	defer rows.Close()
	var (
		cur      order.Order
		have     bool
		itemID   pgtype.UUID // invalid for an order without items
		item     order.Item
		itemMeta []byte
	)
	orderDest := []any{&cur.ID, &cur.TenantID, &cur.Number, &cur.Status, &cur.CustomerName, &cur.CustomerEmail, &cur.CustomerPhone,
		&cur.Currency, &cur.Subtotal, &cur.Tax, &cur.Discount, &cur.Total, &cur.Notes, &cur.ExternalRef, &cur.CreatedBy, &cur.Version,
		&cur.IdempotencyKey, &cur.CreatedAt, &cur.UpdatedAt}
	itemDest := []any{&itemID, &item.Position, &item.SKU, &item.Name, &item.Description, &item.Quantity, &item.UnitPrice, &item.TaxRateBP,
		&item.LineTotal, &itemMeta}
	full := append(append([]any{}, orderDest...), itemDest...)
	itemsOnly := append(make([]any, len(orderDest)), itemDest...)
	for rows.Next() {
		// The first column is the order's id: a new one starts a new order.
		raw := rows.RawValues()[0]
		if !have || len(raw) != 16 || uuid.UUID(raw) != cur.ID {
			if have {
				if err := fn(cur); err != nil {
					return err
				}
			}
			cur = order.Order{Items: []order.Item{}}
			if err := rows.Scan(full...); err != nil {
				return fmt.Errorf("OrderScan: %w", err)
			}
			have = true
		} else if err := rows.Scan(itemsOnly...); err != nil {
			return fmt.Errorf("OrderScan: %w", err)
		}
		if !itemID.Valid {
			continue
		}
		item.ID, item.Metadata = itemID.Bytes, sqlshared.NonEmptyObject(itemMeta)
		cur.Items = append(cur.Items, item)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("OrderScan: %w", err)
	}
	if have {
		return fn(cur)
	}
	return nil
}

var (
	_ order.Store = (*Store)(nil)
	_ order.Tx    = (*queries)(nil)
)

// OrderInvoiceRequest and OrderInvoiceNumber are the order service's view
// of its invoice (it cannot name invoice.Record): sqlshared has them once.
func (q *queries) OrderInvoiceRequest(ctx context.Context, tenantID, orderID uuid.UUID, now time.Time) (int, error) {
	return sqlshared.OrderInvoiceRequest(ctx, q, tenantID, orderID, now)
}

func (q *queries) OrderInvoiceNumber(ctx context.Context, tenantID, orderID uuid.UUID) (string, error) {
	return sqlshared.OrderInvoiceNumber(ctx, q, tenantID, orderID)
}
