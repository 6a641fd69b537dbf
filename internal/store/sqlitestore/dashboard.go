package sqlitestore

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/order"
)

// OrderDailyStats reads the range of orders_tenant_created_idx
// (tenant_id, created_at, id) and groups by UTC day and currency.
// created_at is fixed-width UTC text (timeLayout), so its first ten
// characters are the day and text comparison is time comparison.
func (q *queries) OrderDailyStats(ctx context.Context, tenantID uuid.UUID, since time.Time) ([]order.DayStat, error) {
	rows, err := q.db.QueryContext(ctx, `
		SELECT substr(created_at, 1, 10) AS day, currency, count(*), COALESCE(sum(total), 0)
		FROM orders
		WHERE tenant_id = $1 AND created_at >= $2 AND status <> 'cancelled'
		GROUP BY day, currency
		ORDER BY day, currency`, tenantID, ts(since))
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
