// Package sqlshared holds the helpers that both store engines use: JSON
// encoding of order columns, LIKE escaping, and sort and search parsing.
// Helpers only; each engine keeps its own SQL.
package sqlshared

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ordo/ordo/internal/order"
)

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

// OrderSort returns the sort column, direction, and the keyset comparison
// that continues after a cursor.
func OrderSort(p order.ListParams) (col, dir, cmp string) {
	col = "created_at"
	if p.Sort == order.SortTotal {
		col = "total"
	}
	if p.Desc {
		return col, "DESC", "<"
	}
	return col, "ASC", ">"
}
