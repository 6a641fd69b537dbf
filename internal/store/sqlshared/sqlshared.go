// Package sqlshared holds what both store engines share: every query
// whose text is the same on PostgreSQL and SQLite (both take $1
// placeholders), as a constant named after the store method that runs it
// (ExportGet), with the column lists they select (ExportColumns) and the
// heads of queries an engine completes with conditions (OrderListWhere);
// and the helpers both use: JSON encoding of order columns, LIKE escaping,
// and sort, search and filter building. A query that differs between the
// dialects (RETURNING or not, ON CONFLICT, arrays, time handling, COPY,
// pipelines) stays in its engine; TestSharedSQL in internal/store fails
// when both engines write the same query text instead of using one here.
package sqlshared

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/order"
)

// InsertItems is one multi-row INSERT of an order's items (at least one):
// one round trip, where COPY takes three. Its placeholders start at
// $first, so that it can follow other statements' in one query.
func InsertItems(o order.Order, first int) (query string, args []any) {
	var b strings.Builder
	b.WriteString(`INSERT INTO order_items (id, tenant_id, order_id, position, sku, name, description, quantity, unit_price, tax_rate_bp, line_total, metadata) VALUES `)
	args = make([]any, 0, len(o.Items)*12)
	for i, it := range o.Items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		for j := range 12 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$" + strconv.Itoa(first+i*12+j))
		}
		b.WriteString(")")
		args = append(args, it.ID, o.TenantID, o.ID, it.Position, it.SKU, it.Name, it.Description, it.Quantity, it.UnitPrice, it.TaxRateBP,
			it.LineTotal, string(NonEmptyObject(it.Metadata)))
	}
	return b.String(), args
}

// EncodeOrderJSON encodes the JSON columns of an order; absent addresses
// are NULL and absent metadata is {}.
func EncodeOrderJSON(o order.Order) (ship, bill, meta any) {
	enc := func(a *order.Address) any {
		if a == nil {
			return nil
		}
		b, _ := json.Marshal(a)
		return string(b)
	}
	m := string(o.Metadata)
	if m == "" {
		m = "{}"
	}
	return enc(o.ShippingAddress), enc(o.BillingAddress), m
}

// DecodeOrderJSON fills the JSON fields of o from their columns.
func DecodeOrderJSON(o *order.Order, ship, bill, meta []byte) error {
	for _, f := range []struct {
		src []byte
		dst **order.Address
	}{{ship, &o.ShippingAddress}, {bill, &o.BillingAddress}} {
		if len(f.src) == 0 {
			continue
		}
		var a order.Address
		if err := json.Unmarshal(f.src, &a); err != nil {
			return err
		}
		*f.dst = &a
	}
	o.Metadata = NonEmptyObject(meta)
	return nil
}

// NonEmptyObject returns b, or {} when empty.
func NonEmptyObject(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("{}")
	}
	return json.RawMessage(b)
}

// EscapeLike escapes LIKE wildcards; queries use the default escape "\".
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// OrderNumberQuery reads "ORD-000123", "123" or "#123" as an order number.
func OrderNumberQuery(q string) (int64, bool) {
	s := strings.TrimPrefix(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(q)), "ORD-"), "#")
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// orderNumberOnly reports whether q is written as an order number,
// "ORD-000123" or "#123", which is looked up by number alone: searching
// the text too would ask the trigram indexes for "000" and the like, which
// most orders of every tenant hold. Bare digits ("7781") are searched in
// the text as well, as they may be part of a reference.
func orderNumberOnly(q string) bool {
	q = strings.ToUpper(strings.TrimSpace(q))
	return strings.HasPrefix(q, "ORD-") || strings.HasPrefix(q, "#")
}

// OrderSort returns the sort column, direction, and the keyset comparison
// that continues after a cursor. With p.Before the direction and the
// comparison are the opposite ones: the page before a cursor is read
// backwards from it, and OrderList reverses the rows.
func OrderSort(p order.ListParams) (col, dir, cmp string) {
	switch p.Sort {
	case order.SortTotal:
		col = "total" // orders_tenant_total_idx (tenant_id, total, id)
	case order.SortNumber:
		col = "number" // the unique (tenant_id, number)
	default:
		col = "created_at" // orders_tenant_created_idx (tenant_id, created_at, id)
	}
	if p.Desc != (p.Before != nil) {
		return col, "DESC", "<"
	}
	return col, "ASC", ">"
}

// Dialect is what differs between the engines in the shared WHERE
// builders: how a time is passed, and case-insensitive matching.
type Dialect interface {
	// Time converts a timestamp to the engine's column representation.
	Time(t time.Time) any
	// ILike matches col against a LIKE pattern (with \ as escape),
	// ignoring case.
	ILike(col, placeholder string) string
	// Search is the condition (with ? placeholders) and its values that
	// match q, a non-empty search of the order list, inside the customer
	// name, e-mail or external reference, ignoring case: the engine's
	// search index (pg_trgm, FTS5 trigram) for 3+ characters.
	Search(q string) (cond string, vs []any)
}

// OrderSearchLike is the search condition without an index: q anywhere in
// the customer name, e-mail or external reference, by d.ILike. PostgreSQL
// uses it for every search (its pg_trgm GIN indexes answer ILIKE), SQLite
// for 1–2 character ones, which its trigram index cannot answer.
func OrderSearchLike(d Dialect, q string) (cond string, vs []any) {
	like := "%" + EscapeLike(q) + "%"
	return d.ILike("customer_name", "?") + " OR " + d.ILike("customer_email", "?") + " OR " + d.ILike("external_ref", "?"),
		[]any{like, like, like}
}

// Where builds a WHERE clause with numbered placeholders ($1, $2, …),
// which both engines accept.
type Where struct {
	conds []string
	Args  []any
}

// Add appends a condition; each ? in cond takes the next value.
func (w *Where) Add(cond string, vs ...any) {
	for _, v := range vs {
		w.Args = append(w.Args, v)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.Args)), 1)
	}
	w.conds = append(w.conds, cond)
}

// String joins the conditions with AND.
func (w *Where) String() string { return strings.Join(w.conds, " AND ") }

// OrderWhere is the WHERE clause of an order list page, and the ORDER BY
// that goes with it.
func OrderWhere(p order.ListParams, d Dialect) (w *Where, orderBy string) {
	w = &Where{}
	w.Add("tenant_id = ?", p.TenantID)
	if p.Status != "" {
		w.Add("status = ?", p.Status)
	}
	if p.CreatedAfter != nil {
		w.Add("created_at >= ?", d.Time(*p.CreatedAfter))
	}
	if p.CreatedBefore != nil {
		w.Add("created_at < ?", d.Time(*p.CreatedBefore))
	}
	if p.CustomerEmail != "" {
		w.Add("lower(customer_email) = lower(?)", p.CustomerEmail)
	}
	if p.Query != "" {
		text, vs := d.Search(p.Query)
		if n, ok := OrderNumberQuery(p.Query); ok && orderNumberOnly(p.Query) {
			w.Add("number = ?", n) // the unique (tenant_id, number)
		} else if ok {
			w.Add("(number = ? OR "+text+")", append([]any{n}, vs...)...)
		} else {
			w.Add("("+text+")", vs...)
		}
	}
	col, dir, cmp := OrderSort(p)
	key := p.After
	if p.Before != nil {
		key = p.Before
	}
	if key != nil {
		switch p.Sort {
		case order.SortTotal:
			w.Add("(total, id) "+cmp+" (?, ?)", key.Total, key.ID)
		case order.SortNumber:
			w.Add("(number, id) "+cmp+" (?, ?)", key.Number, key.ID)
		default:
			w.Add("(created_at, id) "+cmp+" (?, ?)", d.Time(key.CreatedAt), key.ID)
		}
	}
	return w, col + " " + dir + ", id " + dir
}

// OrderCountUpTo is the query counting the orders p selects (without its
// cursors) up to max+1: the inner LIMIT stops the count of a large tenant
// after max+1 index entries, however many orders match.
func OrderCountUpTo(p order.ListParams, d Dialect, max int) (query string, args []any) {
	p.After, p.Before = nil, nil
	w, _ := OrderWhere(p, d)
	return `SELECT count(*) FROM (SELECT 1 FROM orders WHERE ` + w.String() + ` LIMIT ` + strconv.Itoa(max+1) + `) c`, w.Args
}

// AuditWhere is the WHERE clause of an audit log page.
func AuditWhere(tenantID uuid.UUID, f audit.Filter, d Dialect) *Where {
	w := &Where{}
	w.Add("tenant_id = ?", tenantID)
	if f.Action != "" {
		w.Add("action = ?", f.Action)
	}
	if f.EntityType != "" {
		w.Add("entity_type = ?", f.EntityType)
	}
	if f.EntityID != "" {
		w.Add("entity_id = ?", f.EntityID)
	}
	if f.ActorID != nil {
		w.Add("actor_id = ?", *f.ActorID)
	}
	if f.OrderID != nil {
		w.Add("order_id = ?", *f.OrderID)
	}
	if f.From != nil {
		w.Add("created_at >= ?", d.Time(*f.From))
	}
	if f.To != nil {
		w.Add("created_at < ?", d.Time(*f.To))
	}
	if f.Before != nil {
		w.Add("id < ?", *f.Before)
	}
	if f.After != nil {
		w.Add("id > ?", *f.After)
	}
	return w
}

// IDDirection is the ORDER BY direction of a newest-first list keyed by
// id (audit log, webhook deliveries): ascending when reading the page
// after a cursor (the newer entries), which the store then reverses.
func IDDirection(after *uuid.UUID) string {
	if after != nil {
		return "ASC"
	}
	return "DESC"
}

// AuditLimit bounds an audit page.
func AuditLimit(f audit.Filter) int {
	if f.Limit <= 0 || f.Limit > 500 {
		return 100
	}
	return f.Limit
}
