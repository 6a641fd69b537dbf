package order

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/cache"
)

// The dashboard's aggregates (the per-currency totals and the daily
// series) are cached read-through, per tenant, for dashboardTTL; an entry
// of another UTC day than the reader's is not used. Every committed order
// change of this service drops them (forgetDashboard), so a change shows
// at once. The recent orders are
// not cached: they are one short indexed read, and caching them would
// copy whole orders into the cache. Writes that bypass this service
// (`ordo seed`, another release) show within the TTL.
const (
	dashboardTTL = 5 * time.Minute
	// RecentOrders is how many orders the dashboard lists.
	RecentOrders = 10
)

func dashboardKey(tenantID uuid.UUID) string { return "orders:dashboard:" + tenantID.String() }

// Dashboard returns the tenant's order totals per currency for today, the
// last 7 and the last 30 days, the orders per day over 30 days, and the
// newest orders. Cancelled orders are left out of every number.
func (s *Service) Dashboard(ctx context.Context, p access.Principal) (Dashboard, error) {
	if err := p.Require(access.ActOrderRead); err != nil {
		return Dashboard{}, err
	}
	stats, err := s.dashboardStats(ctx, p.TenantID, s.clock())
	if err != nil {
		return Dashboard{}, err
	}
	recent, _, err := s.List(ctx, p, ListParams{Sort: SortCreatedAt, Desc: true, Limit: RecentOrders})
	if err != nil {
		return Dashboard{}, err
	}
	return Dashboard{DashboardStats: stats, Recent: recent}, nil
}

// dashboardStats reads the aggregates through the cache. A cache error
// is logged and the aggregates are computed from the database.
func (s *Service) dashboardStats(ctx context.Context, tenantID uuid.UUID, now time.Time) (DashboardStats, error) {
	today := Today(now)
	return cache.ReadThrough(ctx, s.cache, s.log, dashboardKey(tenantID), dashboardTTL,
		func(st DashboardStats) bool {
			return len(st.Daily) == DashboardDays && st.Daily[len(st.Daily)-1].Day.Equal(today)
		},
		func() (DashboardStats, error) {
			rows, err := s.store.OrderDailyStats(ctx, tenantID, DashboardSince(now))
			if err != nil {
				return DashboardStats{}, err
			}
			return SummarizeDays(rows, now), nil
		})
}

// forgetDashboard drops the tenant's cached aggregates after an order
// change committed.
func (s *Service) forgetDashboard(ctx context.Context, tenantID uuid.UUID) {
	cache.Forget(ctx, s.cache, s.log, dashboardKey(tenantID))
}
