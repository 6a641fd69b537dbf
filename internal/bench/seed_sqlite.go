package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
)

// sqliteTime is how sqlitestore keeps timestamps.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// insertRows inserts rows with multi-row INSERT statements of at most
// per rows each.
func insertRows(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any, per int) error {
	for len(rows) > 0 {
		n := min(per, len(rows))
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		args := make([]any, 0, n*len(cols))
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(one)
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}

// sqliteRow converts times and UUIDs to sqlitestore's text forms.
func sqliteRow(r []any) []any {
	for i, v := range r {
		switch v := v.(type) {
		case time.Time:
			r[i] = v.UTC().Format(sqliteTime)
		case [16]byte:
			r[i] = uuid.UUID(v).String()
		}
	}
	return r
}

// seedSQLite loads the dataset with multi-row INSERTs, 10,000 orders to
// a transaction (SQLite has one writer: no parallelism to gain).
func seedSQLite(ctx context.Context, db *sql.DB, tenants, orders int, progress io.Writer) (SeedResult, *dataset, error) {
	start := time.Now()
	now := start.UTC().Truncate(time.Microsecond)
	perTenant, batches := plan(tenants, orders, 10_000)
	ds := &dataset{tenants: newTenants(tenants, now), perTenant: perTenant}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return SeedResult{}, nil, err
	}
	var trows [][]any
	for i, id := range ds.tenants {
		at := now.Add(-31 * 24 * time.Hour)
		trows = append(trows, sqliteRow([]any{id, fmt.Sprintf("Bench tenant %03d", i+1), fmt.Sprintf("bench-%03d-%s", i+1, randomHex(3)), "pro", int64(perTenant[i]), at, at}))
	}
	if err := insertRows(ctx, tx, "tenants", []string{"id", "name", "slug", "plan", "order_seq", "created_at", "updated_at"}, trows, 500); err != nil {
		_ = tx.Rollback()
		return SeedResult{}, nil, err
	}
	if err := tx.Commit(); err != nil {
		return SeedResult{}, nil, err
	}

	b := newBar(progress, "seed sqlite  ", orders)
	defer b.finish()
	var items, hists int
	for _, sb := range batches {
		os, hist := genBatch(sb, ds.tenants[sb.tenant], perTenant[sb.tenant], now)
		orows := make([][]any, len(os))
		var irows, hrows [][]any
		for i := range os {
			orows[i] = sqliteRow(orderRow(&os[i]))
			for j := range os[i].Items {
				irows = append(irows, sqliteRow(itemRow(&os[i], &os[i].Items[j])))
			}
		}
		for i := range hist {
			hrows = append(hrows, sqliteRow(historyRow(&hist[i])))
		}
		err := func() error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer func() { _ = tx.Rollback() }()
			if err := insertRows(ctx, tx, "orders", orderCopyColumns, orows, 1000); err != nil {
				return err
			}
			if err := insertRows(ctx, tx, "order_items", itemCopyColumns, irows, 2000); err != nil {
				return err
			}
			if err := insertRows(ctx, tx, "order_status_history", historyCopyColumns, hrows, 3000); err != nil {
				return err
			}
			return tx.Commit()
		}()
		if err != nil {
			return SeedResult{}, nil, err
		}
		items += len(irows)
		hists += len(hrows)
		b.add(len(os))
	}
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		return SeedResult{}, nil, fmt.Errorf("analyze: %w", err)
	}
	el := time.Since(start).Seconds()
	sr := SeedResult{Engine: "sqlite", Tenants: tenants, Orders: orders, Items: items, History: hists, Seconds: el, OrdersPerSec: float64(orders) / el}
	if err := loadSample(ctx, sqliteQuerier{db}, ds); err != nil {
		return sr, nil, err
	}
	return sr, ds, nil
}
