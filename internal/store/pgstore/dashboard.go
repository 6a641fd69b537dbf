package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/order"
)

// OrderDailyStats sums the shards of order_day_stats, which triggers
// keep as orders are written (migration 00017): a few rows per day and
// currency, whatever the tenant's size.
func (q *queries) OrderDailyStats(ctx context.Context, tenantID uuid.UUID, since time.Time) ([]order.DayStat, error) {
	rows, err := q.db.Query(ctx, `
		SELECT day, currency, sum(orders)::bigint, sum(revenue)::bigint
		FROM order_day_stats
		WHERE tenant_id = $1 AND day >= $2::date
		GROUP BY day, currency
		HAVING sum(orders) <> 0
		ORDER BY day, currency`, tenantID, since.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("OrderDailyStats(%s): %w", tenantID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (order.DayStat, error) {
		var d order.DayStat
		err := r.Scan(&d.Day, &d.Currency, &d.Orders, &d.Revenue)
		// A date comes back as midnight UTC; keep it so explicitly.
		d.Day = time.Date(d.Day.Year(), d.Day.Month(), d.Day.Day(), 0, 0, 0, 0, time.UTC)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("OrderDailyStats(%s): %w", tenantID, err)
	}
	return out, nil
}
