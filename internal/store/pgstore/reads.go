package pgstore

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/order"
)

// The reads that read replicas may serve (see replica.go): lists and
// search, the dashboard, exports' counts and scans. Inside a transaction
// the queries' own methods run instead, on the primary.

func (s *Store) OrderList(ctx context.Context, p order.ListParams) (out []order.Order, err error) {
	err = s.read(ctx, p.TenantID, nil, func(q *queries) error {
		out, err = q.OrderList(ctx, p)
		return err
	})
	return out, err
}

func (s *Store) OrderCount(ctx context.Context, p order.ListParams) (n int64, err error) {
	err = s.read(ctx, p.TenantID, nil, func(q *queries) error {
		n, err = q.OrderCount(ctx, p)
		return err
	})
	return n, err
}

func (s *Store) OrderCountUpTo(ctx context.Context, p order.ListParams, limit int) (n int64, err error) {
	err = s.read(ctx, p.TenantID, nil, func(q *queries) error {
		n, err = q.OrderCountUpTo(ctx, p, limit)
		return err
	})
	return n, err
}

func (s *Store) OrderDailyStats(ctx context.Context, tenantID uuid.UUID, since time.Time) (out []order.DayStat, err error) {
	err = s.read(ctx, tenantID, nil, func(q *queries) error {
		out, err = q.OrderDailyStats(ctx, tenantID, since)
		return err
	})
	return out, err
}

// OrderScan is retried on the primary only if the replica failed before
// handing over an order: fn must not see an order twice.
func (s *Store) OrderScan(ctx context.Context, p order.ListParams, fn func(order.Order) error) error {
	handed := false
	return s.read(ctx, p.TenantID, func() bool { return !handed }, func(q *queries) error {
		return q.OrderScan(ctx, p, func(o order.Order) error {
			handed = true
			return fn(o)
		})
	})
}
