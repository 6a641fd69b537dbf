package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/order"
)

// OrderDailyStats reads the range of orders_tenant_created_idx
// (tenant_id, created_at, id) and groups by UTC day and currency.
func (q *queries) OrderDailyStats(ctx context.Context, tenantID uuid.UUID, since time.Time) ([]order.DayStat, error) {
	rows, err := q.db.Query(ctx, `
		SELECT date_trunc('day', created_at AT TIME ZONE 'UTC') AS day, currency, count(*), COALESCE(sum(total), 0)::bigint
		FROM orders
		WHERE tenant_id = $1 AND created_at >= $2 AND status <> 'cancelled'
		GROUP BY day, currency
		ORDER BY day, currency`, tenantID, since)
	if err != nil {
		return nil, fmt.Errorf("OrderDailyStats(%s): %w", tenantID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (order.DayStat, error) {
		var d order.DayStat
		err := r.Scan(&d.Day, &d.Currency, &d.Orders, &d.Revenue)
		// A timestamp without time zone comes back as UTC wall time.
		d.Day = time.Date(d.Day.Year(), d.Day.Month(), d.Day.Day(), 0, 0, 0, 0, time.UTC)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("OrderDailyStats(%s): %w", tenantID, err)
	}
	return out, nil
}
