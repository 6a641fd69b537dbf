package order

import (
	"sort"
	"time"
)

// The dashboard counts orders that are not cancelled: a cancelled order
// is neither an order nor revenue, so it leaves every count and sum (it
// still appears among the recent orders, with its status). Days are UTC
// days; revenue is the sum of the orders' totals in minor units, per
// currency, never added across currencies.

// DashboardDays is how many days the dashboard looks back, today
// included.
const DashboardDays = 30

// DayStat is one UTC day's non-cancelled orders in one currency.
type DayStat struct {
	Day      time.Time // midnight UTC
	Currency string
	Orders   int64
	Revenue  int64 // sum of totals, minor units
}

// Totals is a number of orders and the sum of their totals.
type Totals struct {
	Orders  int64 `json:"orders"`
	Revenue int64 `json:"revenue"`
}

// CurrencyStats are one currency's totals over three periods ending
// today: today, the last 7 days and the last 30 days (today included).
type CurrencyStats struct {
	Currency   string `json:"currency"`
	Today      Totals `json:"today"`
	Last7Days  Totals `json:"last_7_days"`
	Last30Days Totals `json:"last_30_days"`
}

// DayCount is one UTC day's number of orders, all currencies together.
type DayCount struct {
	Day    time.Time `json:"day"` // midnight UTC
	Orders int64     `json:"orders"`
}

// DashboardStats are the dashboard's aggregates.
type DashboardStats struct {
	// Currencies, by code.
	Currencies []CurrencyStats `json:"currencies"`
	// Daily holds DashboardDays days, oldest first, ending today; days
	// without orders are there with zero.
	Daily []DayCount `json:"daily"`
}

// Dashboard is a tenant's overview.
type Dashboard struct {
	DashboardStats
	// Recent are the newest orders, cancelled ones included.
	Recent []Order
}

// DashboardSince is the first instant the dashboard counts when today
// is the UTC day of now.
func DashboardSince(now time.Time) time.Time {
	return Today(now).AddDate(0, 0, -(DashboardDays - 1))
}

// Today is the start of now's UTC day.
func Today(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// SummarizeDays turns per-day, per-currency rows (as
// Store.OrderDailyStats returns them, since DashboardSince(now)) into the
// dashboard's aggregates. Rows outside the 30 days are ignored.
func SummarizeDays(rows []DayStat, now time.Time) DashboardStats {
	today := Today(now)
	first := DashboardSince(now)
	out := DashboardStats{Daily: make([]DayCount, DashboardDays), Currencies: []CurrencyStats{}}
	for i := range out.Daily {
		out.Daily[i].Day = first.AddDate(0, 0, i)
	}
	byCur := map[string]*CurrencyStats{}
	for _, r := range rows {
		day := Today(r.Day)
		if day.Before(first) || day.After(today) {
			continue
		}
		// Calendar days, not 24-hour spans: UTC has no DST.
		i := int(day.Sub(first) / (24 * time.Hour))
		out.Daily[i].Orders += r.Orders
		c := byCur[r.Currency]
		if c == nil {
			c = &CurrencyStats{Currency: r.Currency}
			byCur[r.Currency] = c
		}
		add := func(t *Totals) { t.Orders += r.Orders; t.Revenue += r.Revenue }
		add(&c.Last30Days)
		if age := DashboardDays - 1 - i; age < 7 {
			add(&c.Last7Days)
			if age == 0 {
				add(&c.Today)
			}
		}
	}
	for _, c := range byCur {
		out.Currencies = append(out.Currencies, *c)
	}
	sort.Slice(out.Currencies, func(i, j int) bool { return out.Currencies[i].Currency < out.Currencies[j].Currency })
	return out
}
