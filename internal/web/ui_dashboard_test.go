package web

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/order"
)

func TestNewBarChart(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 10, 28, 0, 0, 0, 0, time.UTC)
	days := func(counts ...int64) []order.DayCount {
		out := make([]order.DayCount, len(counts))
		for i, n := range counts {
			out[i] = order.DayCount{Day: start.AddDate(0, 0, i), Orders: n}
		}
		return out
	}
	thirty := make([]int64, 30)
	thirty[29], thirty[10] = 4, 2

	tests := []struct {
		name     string
		days     []order.DayCount
		wantBars []chartBar // checked when not nil
		wantMax  string
		wantDesc string
	}{
		{
			name: "heights proportional to the busiest day",
			days: days(0, 2, 4, 1),
			// slot = (596-32)/4 = 141; bars are 75 % of it, centred.
			wantBars: []chartBar{
				{X: 49.6, W: 105.8, Y: 175, H: 1, Label: "28 Oct 2026: 0 orders", Zero: true, Day: "28 Oct 2026", Orders: 0},
				{X: 190.6, W: 105.8, Y: 93, H: 83, Label: "29 Oct 2026: 2 orders", Day: "29 Oct 2026", Orders: 2},
				{X: 331.6, W: 105.8, Y: 10, H: 166, Label: "30 Oct 2026: 4 orders", Day: "30 Oct 2026", Orders: 4},
				{X: 472.6, W: 105.8, Y: 134.5, H: 41.5, Label: "31 Oct 2026: 1 order", Day: "31 Oct 2026", Orders: 1},
			},
			wantMax:  "4",
			wantDesc: "7 orders in 4 days. The busiest day was 30 Oct 2026 with 4 orders.",
		},
		{
			name:     "no orders: flat bars, no division by zero",
			days:     days(0, 0),
			wantBars: []chartBar{{X: 67.3, W: 211.5, Y: 175, H: 1, Label: "28 Oct 2026: 0 orders", Zero: true, Day: "28 Oct 2026", Orders: 0}, {X: 349.3, W: 211.5, Y: 175, H: 1, Label: "29 Oct 2026: 0 orders", Zero: true, Day: "29 Oct 2026", Orders: 0}},
			wantMax:  "0",
			wantDesc: "0 orders in 2 days.",
		},
		{
			name:     "thirty days",
			days:     days(thirty...),
			wantMax:  "4",
			wantDesc: "6 orders in 30 days. The busiest day was 26 Nov 2026 with 4 orders.",
		},
		{name: "nothing", days: nil, wantBars: []chartBar{}, wantMax: "0", wantDesc: "No days to show."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newBarChart(tt.days)
			require.Equal(t, "0 0 600 200", c.ViewBox())
			require.Len(t, c.Bars, len(tt.days))
			if tt.wantBars != nil {
				require.Equal(t, tt.wantBars, c.Bars)
			}
			require.Equal(t, tt.wantMax, c.MaxLabel)
			require.Equal(t, tt.wantDesc, c.Desc)
			for i, b := range c.Bars {
				require.GreaterOrEqual(t, b.X, c.Left, "bar %d starts in the plot", i)
				require.LessOrEqual(t, b.X+b.W, c.Right+0.1, "bar %d ends in the plot", i)
				require.InDelta(t, c.Bottom, b.Y+b.H, 0.11, "bar %d stands on the axis", i)
				require.GreaterOrEqual(t, b.Y, c.Top, "bar %d stays under the top", i)
				if i > 0 {
					require.Greater(t, b.X, c.Bars[i-1].X+c.Bars[i-1].W, "bar %d does not overlap the one before", i)
				}
			}
			if len(tt.days) > 0 {
				require.Equal(t, tt.days[0].Day.Format(chartDayFormat), c.FirstLabel)
				require.Equal(t, tt.days[len(tt.days)-1].Day.Format(chartDayFormat), c.LastLabel)
			}
		})
	}
	c := newBarChart(days(thirty...))
	require.Equal(t, "Orders per day, 28 Oct 2026 to 26 Nov 2026", c.Title)
	require.Equal(t, c.Top, c.Bars[29].Y, "the busiest day reaches the top")
	require.Equal(t, 83.0, c.Bars[10].H, "half the busiest day is half the height")
}
