package sqlitestore

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/order"
)

// OrderDailyStats reads order_day_stats, which triggers keep as orders
// are written (migration 00017): a row per day and currency, whatever the
// tenant's size. Days are ISO dates, so text comparison is date order.
func (q *queries) OrderDailyStats(ctx context.Context, tenantID uuid.UUID, since time.Time) ([]order.DayStat, error) {
	rows, err := q.db.QueryContext(ctx, `
		SELECT day, currency, sum(orders), sum(revenue)
		FROM order_day_stats
		WHERE tenant_id = $1 AND day >= $2
		GROUP BY day, currency
		HAVING sum(orders) <> 0
		ORDER BY day, currency`, tenantID, since.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("OrderDailyStats(%s): %w", tenantID, err)
	}
	out, err := collect(rows, func(r scanner) (order.DayStat, error) {
		var d order.DayStat
		var day string
		if err := r.Scan(&day, &d.Currency, &d.Orders, &d.Revenue); err != nil {
			return d, err
		}
		var err error
		d.Day, err = time.Parse(time.DateOnly, day)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("OrderDailyStats(%s): %w", tenantID, err)
	}
	return out, nil
}
