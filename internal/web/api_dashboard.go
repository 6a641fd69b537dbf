package web

import (
	"net/http"
	"time"

	"github.com/ordo/ordo/internal/order"
)

// dashboardJSON is GET /api/v1/dashboard: order numbers per currency,
// orders per day and the newest orders. Cancelled orders count nowhere.
type dashboardJSON struct {
	Currencies   []dashboardCurrencyJSON `json:"currencies" required:"true" description:"One entry per currency with orders in the last 30 days, by code."`
	Daily        []dashboardDayJSON      `json:"daily" required:"true" description:"The last 30 UTC days, oldest first, today last: orders in every currency."`
	RecentOrders []order.View            `json:"recent_orders" required:"true" description:"The 10 newest orders, cancelled ones included."`
}

type dashboardCurrencyJSON struct {
	Currency   string             `json:"currency" required:"true"`
	Today      dashboardTotalJSON `json:"today" required:"true" description:"Since midnight UTC."`
	Last7Days  dashboardTotalJSON `json:"last_7_days" required:"true" description:"Today and the 6 days before (UTC)."`
	Last30Days dashboardTotalJSON `json:"last_30_days" required:"true" description:"Today and the 29 days before (UTC)."`
}

type dashboardTotalJSON struct {
	Orders           int64  `json:"orders" required:"true"`
	Revenue          int64  `json:"revenue" required:"true" description:"The sum of the orders' totals, in minor units."`
	RevenueFormatted string `json:"revenue_formatted" required:"true" description:"The revenue for people, e.g. 1,234.50 EUR."`
}

type dashboardDayJSON struct {
	Date   string `json:"date" required:"true" format:"date"`
	Orders int64  `json:"orders" required:"true"`
}

func toDashboardJSON(d order.Dashboard) dashboardJSON {
	out := dashboardJSON{Currencies: make([]dashboardCurrencyJSON, len(d.Currencies)), Daily: make([]dashboardDayJSON, len(d.Daily)),
		RecentOrders: make([]order.View, len(d.Recent))}
	total := func(t order.Totals, cur string) dashboardTotalJSON {
		return dashboardTotalJSON{Orders: t.Orders, Revenue: t.Revenue, RevenueFormatted: order.FormatMoney(t.Revenue, cur)}
	}
	for i, c := range d.Currencies {
		out.Currencies[i] = dashboardCurrencyJSON{Currency: c.Currency, Today: total(c.Today, c.Currency),
			Last7Days: total(c.Last7Days, c.Currency), Last30Days: total(c.Last30Days, c.Currency)}
	}
	for i, day := range d.Daily {
		out.Daily[i] = dashboardDayJSON{Date: day.Day.Format(time.DateOnly), Orders: day.Orders}
	}
	for i, o := range d.Recent {
		out.RecentOrders[i] = order.ToView(o)
	}
	return out
}

func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	d, err := s.orders.Dashboard(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toDashboardJSON(d))
	return nil
}
