package orders

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/order"
)

// The dashboard's aggregates (the per-currency totals and the daily
// series) are cached read-through, per tenant and UTC day, for
// dashboardTTL; every committed order change of this service drops them
// (forgetDashboard), so a change shows at once. The recent orders are
// not cached: they are one short indexed read, and caching them would
// copy whole orders into the cache. Writes that bypass this service
// (`ordo seed`, another release) show within the TTL.
const (
	dashboardTTL = 5 * time.Minute
	// RecentOrders is how many orders the dashboard lists.
	RecentOrders = 10
)

func dashboardKey(tenantID uuid.UUID, day time.Time) string {
	return "orders:dashboard:" + tenantID.String() + ":" + day.Format(time.DateOnly)
}

// Dashboard returns the tenant's order totals per currency for today, the
// last 7 and the last 30 days, the orders per day over 30 days, and the
// newest orders. Cancelled orders are left out of every number.
func (s *Service) Dashboard(ctx context.Context, p auth.Principal) (order.Dashboard, error) {
	if err := p.Require(account.ActOrderRead); err != nil {
		return order.Dashboard{}, err
	}
	stats, err := s.dashboardStats(ctx, p.TenantID, s.clock())
	if err != nil {
		return order.Dashboard{}, err
	}
	recent, _, err := s.List(ctx, p, order.ListParams{Sort: order.SortCreatedAt, Desc: true, Limit: RecentOrders})
	if err != nil {
		return order.Dashboard{}, err
	}
	return order.Dashboard{DashboardStats: stats, Recent: recent}, nil
}

// dashboardStats reads the aggregates through the cache. A cache error
// is logged and the aggregates are computed from the database.
func (s *Service) dashboardStats(ctx context.Context, tenantID uuid.UUID, now time.Time) (order.DashboardStats, error) {
	key := dashboardKey(tenantID, order.Today(now))
	if s.cache != nil {
		b, ok, err := s.cache.Get(ctx, key)
		switch {
		case err != nil:
			s.log.WarnContext(ctx, "cache unavailable; computing the dashboard", "err", err)
		case ok:
			var st order.DashboardStats
			if err := json.Unmarshal(b, &st); err == nil && len(st.Daily) == order.DashboardDays {
				return st, nil
			}
		}
	}
	rows, err := s.store.OrderDailyStats(ctx, tenantID, order.DashboardSince(now))
	if err != nil {
		return order.DashboardStats{}, err
	}
	st := order.SummarizeDays(rows, now)
	if s.cache != nil {
		if b, err := json.Marshal(st); err == nil {
			if err := s.cache.Set(ctx, key, b, dashboardTTL); err != nil {
				s.log.WarnContext(ctx, "cache unavailable", "err", err)
			}
		}
	}
	return st, nil
}

// forgetDashboard drops the tenant's cached aggregates after an order
// change committed. It drops yesterday's and tomorrow's too, so that
// processes whose clocks disagree around midnight see the change.
func (s *Service) forgetDashboard(ctx context.Context, tenantID uuid.UUID) {
	if s.cache == nil {
		return
	}
	today := order.Today(s.clock())
	keys := []string{dashboardKey(tenantID, today.AddDate(0, 0, -1)), dashboardKey(tenantID, today), dashboardKey(tenantID, today.AddDate(0, 0, 1))}
	if err := s.cache.Delete(context.WithoutCancel(ctx), keys...); err != nil {
		// The change is committed; the old numbers expire within the TTL.
		s.log.WarnContext(ctx, "cache invalidation failed; the dashboard may lag until its entries expire", "keys", keys, "err", err)
	}
}
