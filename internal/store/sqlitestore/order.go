package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

func scanOrder(row scanner) (order.Order, error) {
	var o order.Order
	var ship, bill sql.NullString
	var meta string
	err := row.Scan(&o.ID, &o.TenantID, &o.Number, &o.Status, &o.CustomerName, &o.CustomerEmail, &o.CustomerPhone, &ship, &bill,
		&o.Currency, &o.Subtotal, &o.Tax, &o.Discount, &o.Total, &o.Notes, &o.ExternalRef, &meta, &o.CreatedBy, &o.Version, &o.IdempotencyKey,
		timeCol{&o.CreatedAt}, timeCol{&o.UpdatedAt})
	if err != nil {
		return o, err
	}
	return o, sqlshared.DecodeOrderJSON(&o, []byte(ship.String), []byte(bill.String), []byte(meta))
}

// OrderNextNumberCounted takes the number, then counts the order in the
// month's usage; SQLite's writer lock already serialises both.
func (q *queries) OrderNextNumberCounted(ctx context.Context, tenantID uuid.UUID, month time.Time) (int64, int64, error) {
	n, err := q.OrderNextNumber(ctx, tenantID)
	if err != nil {
		return 0, 0, err
	}
	used, err := q.UsageAddOrders(ctx, tenantID, month, 1)
	return n, used, err
}

func (q *queries) OrderNextNumber(ctx context.Context, tenantID uuid.UUID) (int64, error) {
	var n int64
	err := q.db.QueryRowContext(ctx, sqlshared.OrderNextNumber, tenantID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("OrderNextNumber(%s): %w", tenantID, interpretError(err, "tenant"))
	}
	return n, nil
}

func (q *queries) OrderCreate(ctx context.Context, o order.Order) error {
	ship, bill, meta := sqlshared.EncodeOrderJSON(o)
	var key any
	if o.IdempotencyKey != "" {
		key = o.IdempotencyKey
	}
	_, err := q.db.ExecContext(ctx, sqlshared.OrderCreate,
		o.ID, o.TenantID, o.Number, o.Status, o.CustomerName, o.CustomerEmail, o.CustomerPhone, ship, bill,
		o.Currency, o.Subtotal, o.Tax, o.Discount, o.Total, o.Notes, o.ExternalRef, meta, o.CreatedBy, key, ts(o.CreatedAt), ts(o.UpdatedAt))
	if err != nil {
		return fmt.Errorf("OrderCreate: %w", interpretError(err, "order"))
	}
	return q.insertItems(ctx, o)
}

// insertItems writes the items in one multi-row INSERT.
func (q *queries) insertItems(ctx context.Context, o order.Order) error {
	if len(o.Items) == 0 {
		return nil
	}
	query, args := sqlshared.InsertItems(o, 1)
	if _, err := q.db.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("insert order items: %w", interpretError(err, "order item"))
	}
	return nil
}

func (q *queries) OrderGet(ctx context.Context, tenantID, id uuid.UUID) (order.Order, error) {
	o, err := scanOrder(q.db.QueryRowContext(ctx, sqlshared.OrderGet, tenantID, id))
	if err != nil {
		return order.Order{}, fmt.Errorf("OrderGet(%s): %w", id, interpretError(err, "order"))
	}
	os := []order.Order{o}
	if err := q.loadItems(ctx, tenantID, os); err != nil {
		return order.Order{}, err
	}
	return os[0], nil
}

func (q *queries) OrderGetByIdempotencyKey(ctx context.Context, tenantID uuid.UUID, key string) (order.Order, error) {
	var id uuid.UUID
	err := q.db.QueryRowContext(ctx, sqlshared.OrderGetByIdempotencyKey, tenantID, key).Scan(&id)
	if err != nil {
		return order.Order{}, fmt.Errorf("OrderGetByIdempotencyKey: %w", interpretError(err, "order"))
	}
	return q.OrderGet(ctx, tenantID, id)
}

func (q *queries) loadItems(ctx context.Context, tenantID uuid.UUID, os []order.Order) error {
	if len(os) == 0 {
		return nil
	}
	idx := make(map[uuid.UUID]int, len(os))
	args := []any{tenantID}
	ph := make([]string, len(os))
	for i, o := range os {
		idx[o.ID] = i
		os[i].Items = []order.Item{}
		args = append(args, o.ID)
		ph[i] = "$" + strconv.Itoa(i+2)
	}
	rows, err := q.db.QueryContext(ctx, `
		SELECT order_id, id, position, sku, name, description, quantity, unit_price, tax_rate_bp, line_total, metadata
		FROM order_items WHERE tenant_id = $1 AND order_id IN (`+strings.Join(ph, ", ")+`) ORDER BY order_id, position`, args...)
	if err != nil {
		return fmt.Errorf("load order items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var oid uuid.UUID
		var it order.Item
		var meta string
		if err := rows.Scan(&oid, &it.ID, &it.Position, &it.SKU, &it.Name, &it.Description, &it.Quantity, &it.UnitPrice, &it.TaxRateBP, &it.LineTotal, &meta); err != nil {
			return fmt.Errorf("load order items: %w", err)
		}
		it.Metadata = sqlshared.NonEmptyObject([]byte(meta))
		os[idx[oid]].Items = append(os[idx[oid]].Items, it)
	}
	return rows.Err()
}

func (q *queries) OrderUpdate(ctx context.Context, o order.Order) error {
	ship, bill, meta := sqlshared.EncodeOrderJSON(o)
	res, err := q.db.ExecContext(ctx, sqlshared.OrderUpdate,
		o.TenantID, o.ID, o.Status, o.CustomerName, o.CustomerEmail, o.CustomerPhone, ship, bill, o.Currency,
		o.Subtotal, o.Tax, o.Discount, o.Total, o.Notes, o.ExternalRef, meta, o.Version, ts(o.UpdatedAt))
	if err != nil {
		return fmt.Errorf("OrderUpdate(%s): %w", o.ID, interpretError(err, "order"))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("OrderUpdate(%s): %w", o.ID, q.missingOrStale(ctx, o.TenantID, o.ID))
	}
	if o.Items == nil {
		return nil
	}
	if _, err := q.db.ExecContext(ctx, sqlshared.OrderItemsDelete, o.TenantID, o.ID); err != nil {
		return fmt.Errorf("OrderUpdate(%s) items: %w", o.ID, err)
	}
	return q.insertItems(ctx, o)
}

func (q *queries) missingOrStale(ctx context.Context, tenantID, id uuid.UUID) error {
	var one int
	err := q.db.QueryRowContext(ctx, sqlshared.OrderExists, tenantID, id).Scan(&one)
	if err != nil {
		return interpretError(err, "order")
	}
	return order.ErrStale
}

func (q *queries) OrderDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	// One statement, and SQLite has one writer at a time: no invoice can
	// be created between the check and the delete. (The trigger
	// orders_keep_invoiced refuses any other delete of an invoiced order.)
	res, err := q.db.ExecContext(ctx, sqlshared.OrderDelete, tenantID, id)
	if err == nil {
		err = oneRow(res)
	}
	if errors.Is(err, sql.ErrNoRows) {
		var invoiced bool
		if qerr := q.db.QueryRowContext(ctx, sqlshared.OrderInvoiced, tenantID, id).Scan(&invoiced); qerr != nil {
			err = qerr
		} else if invoiced {
			err = order.ErrInvoiced
		}
	}
	if err != nil {
		return fmt.Errorf("OrderDelete(%s): %w", id, interpretError(err, "order"))
	}
	return nil
}

// dialect is SQLite's side of the shared WHERE builders. rareMatch
// (see Search) is set by OrderList when the search matches few orders.
type dialect struct{ rareMatch bool }

func (dialect) Time(t time.Time) any { return ts(t) }

// ILike: SQLite's LIKE ignores ASCII case, as ILIKE does.
func (dialect) ILike(col, ph string) string { return col + " LIKE " + ph + ` ESCAPE '\'` }

// Search: the orders_fts trigram index (migration 00029) for 3+ characters,
// q as one FTS5 phrase (a substring, any case); 1–2 characters, which
// trigrams cannot answer, fall back to LIKE over the tenant's orders in the
// list's order, stopped by LIMIT (such short strings are in most orders).
//
// The index is over every tenant's orders, and SQLite has no statistics
// for it: by default (+rowid) the tenant's orders are read in the list's
// order and checked against the matches, which stops after a page however
// many orders match; with rareMatch the matches are read first and sorted,
// which is faster when they are few (OrderList counts them first).
func (d dialect) Search(q string) (string, []any) {
	if utf8.RuneCountInString(q) < 3 {
		return sqlshared.OrderSearchLike(d, q)
	}
	cond := "+rowid IN (SELECT rowid FROM orders_fts WHERE orders_fts MATCH ?)"
	if d.rareMatch {
		cond = "rowid IN (SELECT rowid FROM orders_fts WHERE orders_fts MATCH ?)"
	}
	return cond, []any{ftsPhrase(q)}
}

// ftsPhrase quotes q as one FTS5 phrase.
func ftsPhrase(q string) string { return `"` + strings.ReplaceAll(q, `"`, `""`) + `"` }

// rareMatchLimit is the most matches (over all tenants) for which
// OrderList reads a search's matches first.
const rareMatchLimit = 2000

// searchDialect is the dialect for p: rareMatch when p's search matches
// fewer than rareMatchLimit orders of any tenant.
func (q *queries) searchDialect(ctx context.Context, p order.ListParams) (dialect, error) {
	if utf8.RuneCountInString(p.Query) < 3 {
		return dialect{}, nil
	}
	var n int
	err := q.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM orders_fts WHERE orders_fts MATCH ? LIMIT `+strconv.Itoa(rareMatchLimit)+`)`, ftsPhrase(p.Query)).Scan(&n)
	if err != nil {
		return dialect{}, fmt.Errorf("count matches: %w", err)
	}
	return dialect{rareMatch: n < rareMatchLimit}, nil
}

func (q *queries) OrderList(ctx context.Context, p order.ListParams) ([]order.Order, error) {
	d, err := q.searchDialect(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("OrderList: %w", err)
	}
	w, orderBy := sqlshared.OrderWhere(p, d)
	rows, err := q.db.QueryContext(ctx, sqlshared.OrderListWhere+w.String()+
		` ORDER BY `+orderBy+` LIMIT `+strconv.Itoa(p.Limit), w.Args...)
	if err != nil {
		return nil, fmt.Errorf("OrderList: %w", err)
	}
	os, err := collect(rows, scanOrder)
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
	_, err := q.db.ExecContext(ctx, sqlshared.OrderStatusChangeInsert, c.ID, c.TenantID, c.OrderID, c.From, c.To, c.ActorID, ts(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("OrderStatusChangeInsert: %w", interpretError(err, "status change"))
	}
	return nil
}

func (q *queries) OrderStatusHistory(ctx context.Context, tenantID, orderID uuid.UUID, r page.Request) ([]order.StatusChange, error) {
	sql, args := sqlshared.PageQuery(sqlshared.OrderStatusHistory, []any{tenantID, orderID}, "id", false, r)
	rows, err := q.db.QueryContext(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("OrderStatusHistory: %w", err)
	}
	out, err := collect(rows, func(r scanner) (order.StatusChange, error) {
		var c order.StatusChange
		err := r.Scan(&c.ID, &c.TenantID, &c.OrderID, &c.From, &c.To, &c.ActorID, timeCol{&c.CreatedAt})
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("OrderStatusHistory: %w", err)
	}
	return page.InOrder(out, r), nil
}

// OrderScan reads the orders and their items with one joined query and
// hands them to fn one at a time, as the PostgreSQL store does.
func (q *queries) OrderScan(ctx context.Context, p order.ListParams, fn func(order.Order) error) error {
	w, orderBy := sqlshared.OrderWhere(p, dialect{})
	col, dir, _ := sqlshared.OrderSort(p)
	rows, err := q.db.QueryContext(ctx, `SELECT o.*, i.id, COALESCE(i.position, 0), COALESCE(i.sku, ''), COALESCE(i.name, ''),
		COALESCE(i.description, ''), COALESCE(i.quantity, 0), COALESCE(i.unit_price, 0), COALESCE(i.tax_rate_bp, 0), COALESCE(i.line_total, 0),
		COALESCE(i.metadata, '{}')
		FROM (SELECT `+sqlshared.OrderScanColumns+` FROM orders WHERE `+w.String()+` ORDER BY `+orderBy+` LIMIT `+strconv.Itoa(p.Limit)+`) o
		LEFT JOIN order_items i ON i.tenant_id = o.tenant_id AND i.order_id = o.id
		ORDER BY o.`+col+` `+dir+`, o.id `+dir+`, i.position`, w.Args...)
	if err != nil {
		return fmt.Errorf("OrderScan: %w", err)
	}
	defer rows.Close()
	var (
		cur, o   order.Order
		have     bool
		itemID   uuid.NullUUID // invalid for an order without items
		item     order.Item
		itemMeta string
	)
	dest := []any{&o.ID, &o.TenantID, &o.Number, &o.Status, &o.CustomerName, &o.CustomerEmail, &o.CustomerPhone,
		&o.Currency, &o.Subtotal, &o.Tax, &o.Discount, &o.Total, &o.Notes, &o.ExternalRef, &o.CreatedBy, &o.Version, &o.IdempotencyKey,
		timeCol{&o.CreatedAt}, timeCol{&o.UpdatedAt},
		&itemID, &item.Position, &item.SKU, &item.Name, &item.Description, &item.Quantity, &item.UnitPrice, &item.TaxRateBP, &item.LineTotal, &itemMeta}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("OrderScan: %w", err)
		}
		if !have || o.ID != cur.ID {
			if have {
				if err := fn(cur); err != nil {
					return err
				}
			}
			cur, have = o, true
			cur.Items = []order.Item{}
		}
		if itemID.Valid {
			item.ID, item.Metadata = itemID.UUID, sqlshared.NonEmptyObject([]byte(itemMeta))
			cur.Items = append(cur.Items, item)
		}
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
