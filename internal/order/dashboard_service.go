package order

import (
	"context"

	"github.com/ordo/ordo/internal/access"
)

// RecentOrders is how many orders the dashboard lists.
const RecentOrders = 10

// Dashboard returns the tenant's order totals per currency for today, the
// last 7 and the last 30 days, the orders per day over 30 days, and the
// newest orders. Cancelled orders are left out of every number.
func (s *Service) Dashboard(ctx context.Context, p access.Principal) (Dashboard, error) {
	if err := p.Require(access.ActOrderRead); err != nil {
		return Dashboard{}, err
	}
	now := s.clock()
	rows, err := s.store.OrderDailyStats(ctx, p.TenantID, DashboardSince(now))
	if err != nil {
		return Dashboard{}, err
	}
	recent, _, err := s.List(ctx, p, ListParams{Sort: SortCreatedAt, Desc: true, Limit: RecentOrders})
	if err != nil {
		return Dashboard{}, err
	}
	return Dashboard{DashboardStats: SummarizeDays(rows, now), Recent: recent}, nil
}
