package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/tenant"
)

// testOrderSearch: q= on the order list (issue #24) finds order numbers,
// customer names, e-mails and external references, prefix and infix, in
// any case; in the list's order with the same cursors; never another
// tenant's orders; and the search index follows updates, deletes and
// tenant purges (SQLite's FTS5 table is kept by triggers).
func testOrderSearch(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, _ := seedTenantUser(t, s)
	b, _ := seedTenantUser(t, s)
	base := now().Add(-time.Hour)
	create := func(tenantID uuid.UUID, i int, name, email, ref string) order.Order {
		t.Helper()
		var o order.Order
		require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
			n, err := tx.OrderNextNumber(ctx, tenantID)
			if err != nil {
				return err
			}
			o = newOrder(tenantID, n, base.Add(time.Duration(i)*time.Minute))
			o.CustomerName, o.CustomerEmail, o.ExternalRef = name, email, ref
			return tx.OrderCreate(ctx, o)
		}))
		return o
	}
	ada := create(a, 0, "Ada Lovelace", "ada@analytical.example", "PO-7781")
	grace := create(a, 1, "Grace Hopper", "grace.hopper@navy.example", "INV-2024-A")
	alan := create(a, 2, "Alan Turing", "alan@bletchley.example", "")
	byron := create(a, 3, "Ada Byron", "byron@poets.example", "ref-ada-3")
	edsger := create(a, 4, "Edsger Dijkstra", "ewd@tue.example", "EWD-1036")
	other := create(b, 0, "Ada Lovelace", "ada@analytical.example", "PO-7781")

	search := func(tenantID uuid.UUID, q string, lp order.ListParams) []uuid.UUID {
		t.Helper()
		lp.TenantID, lp.Query = tenantID, q
		if lp.Limit == 0 {
			lp.Limit = 100
		}
		if lp.Sort == "" {
			lp.Sort, lp.Desc = order.SortCreatedAt, true
		}
		os, err := s.OrderList(ctx, lp)
		require.NoError(t, err)
		out := []uuid.UUID{}
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
	ids := func(os ...order.Order) []uuid.UUID {
		out := []uuid.UUID{}
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
	for _, c := range []struct {
		q    string
		want []uuid.UUID
	}{
		{"velac", ids(ada)},          // name infix
		{"LOVELACE", ids(ada)},       // any case
		{"Gra", ids(grace)},          // name prefix
		{"hopper@navy", ids(grace)},  // e-mail fragment
		{"@BLETCHLEY.ex", ids(alan)}, // e-mail domain, any case
		{"7781", ids(ada)},           // external reference infix
		{"inv-2024-a", ids(grace)},   // reference, any case
		{"ada", ids(byron, ada)},     // name, e-mail and reference, newest first
		{"Ada B", ids(byron)},        // across a space
		{order.FormatNumber(edsger.Number), ids(edsger)},
		{"#" + order.FormatNumber(alan.Number)[4:], ids(alan)},
		{"Ad", ids(byron, ada)}, // 1–2 characters: the LIKE fallback
		{"W", ids(edsger)},      // one character (EWD)
		{"nobody-at-all", []uuid.UUID{}},
		{"%", []uuid.UUID{}}, // wildcards are literal
	} {
		require.Equal(t, c.want, search(a, c.q, order.ListParams{}), "q=%q", c.q)
	}
	require.Equal(t, ids(other), search(b, "lovelace", order.ListParams{}), "each tenant finds only its own orders")
	require.Equal(t, ids(other), search(b, "Ad", order.ListParams{}), "also with a short query")

	// Paging with q: the same sort and cursors as without it.
	all := ids(edsger, byron, alan, grace, ada) // ".example" is in every e-mail
	require.Equal(t, all, search(a, ".example", order.ListParams{}))
	var got []uuid.UUID
	var after *order.Cursor
	for range 5 {
		lp := order.ListParams{TenantID: a, Query: ".example", Sort: order.SortCreatedAt, Desc: true, Limit: 2, After: after}
		os, err := s.OrderList(ctx, lp)
		require.NoError(t, err)
		for _, o := range os {
			got = append(got, o.ID)
		}
		if len(os) < 2 {
			break
		}
		last := os[len(os)-1]
		after = &order.Cursor{CreatedAt: last.CreatedAt, Total: last.Total, ID: last.ID}
	}
	require.Equal(t, all, got, "keyset pages with q cover the matches once, in order")
	before := &order.Cursor{CreatedAt: alan.CreatedAt, Total: alan.Total, ID: alan.ID}
	require.Equal(t, ids(edsger, byron), search(a, ".example", order.ListParams{Before: before, Limit: 2}), "the page before a cursor")
	asc := search(a, ".example", order.ListParams{Sort: order.SortCreatedAt, Desc: false})
	require.Equal(t, ids(ada, grace, alan, byron, edsger), asc)
	n, err := s.OrderCountUpTo(ctx, order.ListParams{TenantID: a, Query: "ada"}, 100)
	require.NoError(t, err)
	require.Equal(t, int64(2), n, "counts match the search")

	// The index follows changes.
	grace.CustomerName, grace.CustomerEmail, grace.Version = "Grace Brewster Murray", "gbm@navy.example", 2
	require.NoError(t, s.OrderUpdate(ctx, grace))
	require.Empty(t, search(a, "hopper", order.ListParams{}), "the old name and e-mail are gone")
	require.Equal(t, ids(grace), search(a, "brewster", order.ListParams{}), "the new name is found")
	require.NoError(t, s.OrderDelete(ctx, a, alan.ID))
	require.Empty(t, search(a, "turing", order.ListParams{}), "a deleted order is not found")
	require.Equal(t, ids(edsger, byron, grace, ada), search(a, ".example", order.ListParams{}), "the others still are")

	// A purged tenant's orders leave the index; the other tenant's stay.
	tn, err := s.TenantGetByID(ctx, b)
	require.NoError(t, err)
	at := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	tn.Status, tn.PurgeAfter, tn.UpdatedAt = tenant.StatusDeleted, &at, now()
	require.NoError(t, s.TenantUpdate(ctx, tn))
	_, err = s.TenantPurgeRows(ctx, b)
	require.NoError(t, err)
	require.Empty(t, search(b, "lovelace", order.ListParams{}))
	require.Equal(t, ids(ada), search(a, "lovelace", order.ListParams{}))
}
