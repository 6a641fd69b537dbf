package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

var (
	_ plan.Tx         = (*queries)(nil)
	_ plan.AdminStore = (*queries)(nil)
)

func (q *queries) UsageAddOrders(ctx context.Context, tenantID uuid.UUID, month time.Time, n int64) (int64, error) {
	var v int64
	if err := q.db.QueryRowContext(ctx, sqlshared.UsageAddOrders, tenantID, month.Format(time.DateOnly), n).Scan(&v); err != nil {
		return 0, fmt.Errorf("UsageAddOrders(%s): %w", tenantID, interpretError(err, "tenant"))
	}
	return v, nil
}

func (q *queries) PlanOf(ctx context.Context, tenantID uuid.UUID) (string, map[string]int64, map[string]int64, error) {
	var p string
	if err := q.db.QueryRowContext(ctx, sqlshared.PlanOfTenant, tenantID).Scan(&p); err != nil {
		return "", nil, nil, fmt.Errorf("PlanOf(%s): %w", tenantID, interpretError(err, "tenant"))
	}
	po, err := q.limitRows(ctx, sqlshared.PlanLimitsOfPlan, p)
	if err != nil {
		return "", nil, nil, err
	}
	to, err := q.limitRows(ctx, sqlshared.PlanLimitsOfTenant, tenantID)
	return p, po, to, err
}

func (q *queries) limitRows(ctx context.Context, query string, arg any) (map[string]int64, error) {
	rows, err := q.db.QueryContext(ctx, query, arg)
	if err != nil {
		return nil, fmt.Errorf("limits: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var n string
		var v int64
		if err := rows.Scan(&n, &v); err != nil {
			return nil, err
		}
		out[n] = v
	}
	return out, rows.Err()
}

func (q *queries) PlanLimitSet(ctx context.Context, p string, name plan.Name, value int64) error {
	_, err := q.db.ExecContext(ctx, sqlshared.PlanLimitSet, p, name, value)
	return interpretError(err, "limit")
}

func (q *queries) PlanLimitDelete(ctx context.Context, p string, name plan.Name) error {
	_, err := q.db.ExecContext(ctx, sqlshared.PlanLimitDelete, p, name)
	return err
}

func (q *queries) TenantLimitSet(ctx context.Context, tenantID uuid.UUID, name plan.Name, value int64) error {
	_, err := q.db.ExecContext(ctx, sqlshared.TenantLimitSet, tenantID, name, value)
	return interpretError(err, "limit")
}

func (q *queries) TenantLimitDelete(ctx context.Context, tenantID uuid.UUID, name plan.Name) error {
	_, err := q.db.ExecContext(ctx, sqlshared.TenantLimitDelete, tenantID, name)
	return err
}

func (q *queries) UsageCounts(ctx context.Context, tenantID uuid.UUID) (int64, int64, error) {
	var m, h int64
	err := q.db.QueryRowContext(ctx, sqlshared.UsageCounts, tenantID).Scan(&m, &h)
	return m, h, err
}

func (q *queries) UsageAdd(ctx context.Context, tenantID uuid.UUID, month time.Time, c plan.Counter, n int64) error {
	query, ok := sqlshared.UsageAdd(c)
	if !ok {
		return fmt.Errorf("UsageAdd: no counter %q", c)
	}
	month = plan.Month(month)
	if _, err := q.db.ExecContext(ctx, query, tenantID, month.Format(time.DateOnly), n); err != nil {
		return fmt.Errorf("UsageAdd(%s, %s): %w", tenantID, c, interpretError(err, "tenant"))
	}
	return nil
}

func (q *queries) UsageMonth(ctx context.Context, tenantID uuid.UUID, month time.Time) (plan.Counts, error) {
	var c plan.Counts
	err := q.db.QueryRowContext(ctx, sqlshared.UsageMonth, tenantID, month.Format(time.DateOnly)).
		Scan(&c.OrdersCreated, &c.APIRequests, &c.ExportRows, &c.WebhookDeliveries, &c.EmailsSent)
	if errors.Is(err, sql.ErrNoRows) {
		return plan.Counts{}, nil
	}
	if err != nil {
		return plan.Counts{}, fmt.Errorf("UsageMonth(%s): %w", tenantID, err)
	}
	return c, nil
}

func (q *queries) UsageStorageBytes(ctx context.Context, tenantID uuid.UUID) (int64, error) {
	var v int64
	if err := q.db.QueryRowContext(ctx, sqlshared.UsageStorageBytes, tenantID).Scan(&v); err != nil {
		return 0, fmt.Errorf("UsageStorageBytes(%s): %w", tenantID, err)
	}
	return v, nil
}

func (q *queries) UsageExportsSince(ctx context.Context, tenantID uuid.UUID, since time.Time) (int64, error) {
	var v int64
	if err := q.db.QueryRowContext(ctx, sqlshared.UsageExportsSince, tenantID, ts(since)).Scan(&v); err != nil {
		return 0, fmt.Errorf("UsageExportsSince(%s): %w", tenantID, err)
	}
	return v, nil
}
