package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

func (q *queries) PlanOverrides(ctx context.Context, tenantID uuid.UUID) (plan.Overrides, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.PlanOverrides, tenantID)
	if err != nil {
		return plan.Overrides{}, fmt.Errorf("PlanOverrides(%s): %w", tenantID, err)
	}
	defer rows.Close()
	o := plan.Overrides{ByPlan: map[plan.Limit]int64{}, Tenant: map[plan.Limit]int64{}}
	found := false
	for rows.Next() {
		var p, kind, name string
		var v int64
		if err := rows.Scan(&p, &kind, &name, &v); err != nil {
			return plan.Overrides{}, fmt.Errorf("PlanOverrides(%s): %w", tenantID, err)
		}
		switch kind {
		case "":
			o.Plan, found = p, true
		case "p":
			o.ByPlan[plan.Limit(name)] = v
		case "t":
			o.Tenant[plan.Limit(name)] = v
		}
	}
	if err := rows.Err(); err != nil {
		return plan.Overrides{}, fmt.Errorf("PlanOverrides(%s): %w", tenantID, err)
	}
	if !found {
		return plan.Overrides{}, fmt.Errorf("PlanOverrides(%s): %w", tenantID, apperr.NotFound("tenant"))
	}
	return o, nil
}

// PlanLock only reads: write transactions begin IMMEDIATE (see dsn), so
// a transaction holds the database's write lock from its start.
func (q *queries) PlanLock(ctx context.Context, tenantID uuid.UUID) (plan.Overrides, error) {
	if err := q.MembershipLock(ctx, tenantID); err != nil {
		return plan.Overrides{}, err
	}
	return q.PlanOverrides(ctx, tenantID)
}

func (q *queries) PlanLimitSet(ctx context.Context, p string, name plan.Limit, value *int64, now time.Time) error {
	var err error
	if value == nil {
		_, err = q.db.ExecContext(ctx, sqlshared.PlanLimitDelete, p, string(name))
	} else {
		_, err = q.db.ExecContext(ctx, sqlshared.PlanLimitUpsert, p, string(name), *value, ts(now))
	}
	if err != nil {
		return fmt.Errorf("PlanLimitSet(%s, %s): %w", p, name, interpretError(err, "plan limit"))
	}
	return nil
}

func (q *queries) PlanLimitsOf(ctx context.Context, p string) (map[plan.Limit]int64, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.PlanLimitsOf, p)
	if err != nil {
		return nil, fmt.Errorf("PlanLimitsOf(%s): %w", p, err)
	}
	defer rows.Close()
	out := map[plan.Limit]int64{}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return nil, fmt.Errorf("PlanLimitsOf(%s): %w", p, err)
		}
		out[plan.Limit(name)] = v
	}
	return out, rows.Err()
}

func (q *queries) TenantLimitSet(ctx context.Context, tenantID uuid.UUID, name plan.Limit, value *int64, now time.Time) error {
	var err error
	if value == nil {
		_, err = q.db.ExecContext(ctx, sqlshared.TenantLimitDelete, tenantID, string(name))
	} else {
		_, err = q.db.ExecContext(ctx, sqlshared.TenantLimitUpsert, tenantID, string(name), *value, ts(now))
	}
	if err != nil {
		return fmt.Errorf("TenantLimitSet(%s, %s): %w", tenantID, name, interpretError(err, "tenant limit"))
	}
	return nil
}

func (q *queries) UsageTakeOrder(ctx context.Context, tenantID uuid.UUID, month time.Time) (plan.OrderTake, error) {
	var t plan.OrderTake
	var tv, pv *int64
	var p *string
	err := q.db.QueryRowContext(ctx, sqlshared.UsageTakeOrder, tenantID, monthText(month)).Scan(&t.Count, &p, &tv, &pv)
	if err != nil {
		return t, fmt.Errorf("UsageTakeOrder(%s): %w", tenantID, interpretError(err, "tenant"))
	}
	t.Overrides = takeOverrides(p, tv, pv)
	return t, nil
}

// takeOverrides makes the overrides of orders_per_month that
// UsageTakeOrder read.
func takeOverrides(p *string, tenantValue, planValue *int64) plan.Overrides {
	o := plan.Overrides{ByPlan: map[plan.Limit]int64{}, Tenant: map[plan.Limit]int64{}}
	if p != nil {
		o.Plan = *p
	}
	if tenantValue != nil {
		o.Tenant[plan.OrdersPerMonth] = *tenantValue
	}
	if planValue != nil {
		o.ByPlan[plan.OrdersPerMonth] = *planValue
	}
	return o
}

func (q *queries) UsageAdd(ctx context.Context, tenantID uuid.UUID, month time.Time, c plan.Counter, n int64) error {
	stmt, ok := sqlshared.UsageAdd(c)
	if !ok {
		return fmt.Errorf("UsageAdd: unknown counter %q", c)
	}
	if _, err := q.db.ExecContext(ctx, stmt, tenantID, monthText(month), n); err != nil {
		return fmt.Errorf("UsageAdd(%s, %s): %w", tenantID, c, interpretError(err, "tenant"))
	}
	return nil
}

func (q *queries) UsageGet(ctx context.Context, tenantID uuid.UUID, month time.Time) (plan.Usage, error) {
	u := plan.Usage{Month: plan.MonthOf(month)}
	err := q.db.QueryRowContext(ctx, sqlshared.UsageGet, tenantID, monthText(month)).Scan(&u.OrdersCreated, &u.APIRequests, &u.ExportRows, &u.WebhookDeliveries, &u.EmailsSent)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("UsageGet(%s): %w", tenantID, err)
	}
	return u, nil
}

func (q *queries) PlanCount(ctx context.Context, tenantID uuid.UUID, name plan.Limit, day time.Time) (int64, error) {
	stmt := sqlshared.PlanCount(name)
	if stmt == "" {
		return 0, nil
	}
	args := []any{tenantID}
	if name == plan.ExportsPerDay {
		args = append(args, ts(plan.DayOf(day)))
	}
	var n int64
	if err := q.db.QueryRowContext(ctx, stmt, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("PlanCount(%s, %s): %w", tenantID, name, err)
	}
	return n, nil
}

// monthText is a month as stored: its first day, ISO.
func monthText(t time.Time) string { return plan.MonthOf(t).Format(time.DateOnly) }
