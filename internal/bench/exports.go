package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/store"
)

// ExportResult is one export through Ordo's writer path, beside the COPY
// baseline for the same orders.
type ExportResult struct {
	Engine string `json:"engine"`
	Scope  string `json:"scope"` // "one tenant" or "all orders"
	Format string `json:"format"`
	Orders int    `json:"orders"`
	// Rows are the data rows of the file: one per item in CSV; one per
	// order (Orders sheet) plus one per item (Items sheet) in XLSX.
	Rows         int64   `json:"rows"`
	OrdersPerSec float64 `json:"orders_per_sec"`
	Bytes        int64   `json:"bytes"`
	Seconds      float64 `json:"seconds"`
	RowsPerSec   float64 `json:"rows_per_sec"`
	// PeakRSSMiB is the process's peak resident memory during the export
	// (the peak is reset before it); RSSDeltaMiB is that peak less the
	// resident memory just before.
	PeakRSSMiB  float64 `json:"peak_rss_mib"`
	RSSDeltaMiB float64 `json:"rss_delta_mib"`
	// CopyRowsPerSec is PostgreSQL's COPY (the same join) TO STDOUT read
	// by the harness; Ratio is RowsPerSec ÷ CopyRowsPerSec.
	CopyRowsPerSec float64 `json:"copy_rows_per_sec"`
	Ratio          float64 `json:"ratio"`
}

// countWriter counts bytes and drops them: the export's destination is
// not what is measured.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// lineCounter counts lines of COPY's CSV output.
type lineCounter struct{ lines, bytes int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines += int64(bytes.Count(p, []byte{'\n'}))
	c.bytes += int64(len(p))
	return len(p), nil
}

// procStatus reads a "Vm…: N kB" line of /proc/self/status, in MiB.
func procStatus(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// resetPeakRSS frees what it can and resets VmHWM to the current RSS
// (Linux: "5" to clear_refs); it reports whether the reset worked.
func resetPeakRSS() bool {
	runtime.GC()
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// ordoExport writes the orders of tenants with export.NewWriter, reading
// them in keyset batches through export.WriteOrders, as the export job does.
func ordoExport(ctx context.Context, st store.Store, tenants []uuid.UUID, f export.Format) (orders, rows, size int64, err error) {
	cw := &countWriter{}
	w, err := export.NewWriter(f, cw)
	if err != nil {
		return 0, 0, 0, err
	}
	var items int64
	count := orderCounter{Writer: w, orders: &orders, items: &items}
	for _, t := range tenants {
		lp := order.ListParams{TenantID: t, Sort: order.SortCreatedAt, Limit: export.BatchSize}
		err := export.WriteOrders(ctx, st, lp, count, nil)
		if errors.Is(err, export.ErrTooManyRows) {
			// The Orders sheet is full (XLSX of more than 1,048,575
			// orders): the file holds the orders before it, which are
			// what is measured.
			break
		}
		if err != nil {
			return 0, 0, 0, err
		}
	}
	if err := w.Close(); err != nil {
		return 0, 0, 0, err
	}
	rows = w.Rows() // XLSX: the Orders and Items sheets' rows
	return orders, rows, cw.n, nil
}

// orderCounter counts the orders and items written through it.
type orderCounter struct {
	export.Writer
	orders, items *int64
}

func (c orderCounter) WriteOrder(o order.Order) error {
	if err := c.Writer.WriteOrder(o); err != nil {
		return err
	}
	*c.orders++
	*c.items += int64(len(o.Items))
	return nil
}

// copyExport reads COPY of the orders-with-items join as CSV.
func copyExport(ctx context.Context, pool *pgxpool.Pool, tenant *uuid.UUID) (int64, error) {
	where, orderBy := "", "o.tenant_id, o.created_at, o.id, i.position"
	if tenant != nil {
		where, orderBy = "WHERE o.tenant_id = '"+tenant.String()+"'", "o.created_at, o.id, i.position"
	}
	q := `COPY (SELECT o.number, o.status, o.created_at, o.customer_name, o.customer_email, o.customer_phone, o.currency,
		o.subtotal, o.tax, o.discount, o.total, o.external_ref, i.sku, i.name, i.quantity, i.unit_price, i.tax_rate_bp, i.line_total
		FROM orders o JOIN order_items i ON i.tenant_id = o.tenant_id AND i.order_id = o.id ` + where + ` ORDER BY ` + orderBy +
		`) TO STDOUT WITH (FORMAT csv, HEADER)`
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	lc := &lineCounter{}
	if _, err := conn.Conn().PgConn().CopyTo(ctx, lc, q); err != nil {
		return 0, fmt.Errorf("COPY: %w", err)
	}
	return lc.lines - 1, nil
}

func benchExports(ctx context.Context, o Options, st store.Store, pool *pgxpool.Pool, ds *dataset) ([]ExportResult, error) {
	var out []ExportResult
	scopes := []struct {
		name    string
		tenants []uuid.UUID
		one     *uuid.UUID
	}{
		{"one tenant", ds.tenants[:1], &ds.tenants[0]},
		{"all orders", ds.tenants, nil},
	}
	for _, sc := range scopes {
		t0 := time.Now()
		crows, err := copyExport(ctx, pool, sc.one)
		if err != nil {
			return out, err
		}
		copyRate := float64(crows) / time.Since(t0).Seconds()
		fmt.Fprintf(o.Progress, "export %-10s COPY baseline        %9.0f rows/s\n", sc.name, copyRate)
		for _, f := range []export.Format{export.FormatCSV, export.FormatXLSX} {
			resetPeakRSS()
			before := procStatus("VmRSS")
			t0 := time.Now()
			orders, rows, size, err := ordoExport(ctx, st, sc.tenants, f)
			if err != nil {
				return out, fmt.Errorf("%s %s: %w", sc.name, f, err)
			}
			el := time.Since(t0).Seconds()
			peak := procStatus("VmHWM")
			r := ExportResult{Engine: "postgres", Scope: sc.name, Format: string(f), Orders: int(orders), Rows: rows, Bytes: size, Seconds: el,
				RowsPerSec: float64(rows) / el, OrdersPerSec: float64(orders) / el, PeakRSSMiB: peak, RSSDeltaMiB: max(0, peak-before), CopyRowsPerSec: copyRate}
			if copyRate > 0 {
				r.Ratio = r.RowsPerSec / copyRate
			}
			fmt.Fprintf(o.Progress, "export %-10s %-4s %9d rows %9.0f rows/s  peak RSS %.0f MiB (+%.0f)\n", sc.name, f, rows, r.RowsPerSec, peak, r.RSSDeltaMiB)
			out = append(out, r)
		}
	}
	return out, nil
}
