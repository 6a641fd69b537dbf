package order

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSummarizeDays(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 23, 59, 0, 0, time.FixedZone("CET", 3600)) // 22:59 UTC
	today := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	day := func(ago int) time.Time { return today.AddDate(0, 0, -ago) }
	got := SummarizeDays([]DayStat{
		{Day: day(30), Currency: "EUR", Orders: 9, Revenue: 9}, // before the window
		{Day: day(29), Currency: "EUR", Orders: 1, Revenue: 100},
		{Day: day(7), Currency: "EUR", Orders: 2, Revenue: 200},
		{Day: day(6), Currency: "EUR", Orders: 3, Revenue: 300},
		{Day: day(6), Currency: "USD", Orders: 1, Revenue: 50},
		{Day: day(0), Currency: "JPY", Orders: 4, Revenue: 4000},
		{Day: day(0), Currency: "EUR", Orders: 1, Revenue: 10},
		{Day: day(-1), Currency: "EUR", Orders: 9, Revenue: 9}, // tomorrow
	}, now)

	want := []CurrencyStats{
		{Currency: "EUR", Today: Totals{1, 10}, Last7Days: Totals{4, 310}, Last30Days: Totals{7, 610}},
		{Currency: "JPY", Today: Totals{4, 4000}, Last7Days: Totals{4, 4000}, Last30Days: Totals{4, 4000}},
		{Currency: "USD", Last7Days: Totals{1, 50}, Last30Days: Totals{1, 50}},
	}
	require.Equal(t, want, got.Currencies)
	if len(got.Daily) != DashboardDays {
		t.Fatalf("daily has %d days, want %d", len(got.Daily), DashboardDays)
	}
	if !got.Daily[0].Day.Equal(day(29)) || !got.Daily[29].Day.Equal(today) {
		t.Errorf("daily runs %v to %v, want %v to %v", got.Daily[0].Day, got.Daily[29].Day, day(29), today)
	}
	counts := map[int]int64{0: 1, 22: 2, 23: 4, 29: 5}
	for i, d := range got.Daily {
		if d.Orders != counts[i] {
			t.Errorf("daily[%d] (%s) = %d orders, want %d", i, d.Day.Format(time.DateOnly), d.Orders, counts[i])
		}
	}
	if !DashboardSince(now).Equal(day(29)) {
		t.Errorf("DashboardSince = %v, want %v", DashboardSince(now), day(29))
	}

	empty := SummarizeDays(nil, now)
	if len(empty.Currencies) != 0 || len(empty.Daily) != DashboardDays {
		t.Errorf("empty: %+v", empty)
	}
}
