package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/order"
)

// dashboardPage is the content of /app for a member of a tenant.
type dashboardPage struct {
	Cards  []statCard
	Chart  barChart
	Recent []order.Order
}

// statCard is one currency's numbers, formatted.
type statCard struct {
	Currency string
	Periods  []statPeriod
}

type statPeriod struct {
	Label   string // "Today"
	Revenue string // "1,234.50 EUR"
	Orders  string // "3 orders"
	Count   int64  // the orders, for the page to say in its language
}

func newStatCards(cs []order.CurrencyStats, l order.Locale) []statCard {
	out := make([]statCard, len(cs))
	for i, c := range cs {
		p := func(label string, t order.Totals) statPeriod {
			return statPeriod{Label: label, Revenue: order.FormatMoneyIn(t.Revenue, c.Currency, l), Orders: plural(t.Orders, "order"), Count: t.Orders}
		}
		out[i] = statCard{Currency: c.Currency, Periods: []statPeriod{p("Today", c.Today), p("Last 7 days", c.Last7Days), p("Last 30 days", c.Last30Days)}}
	}
	return out
}

func (s *Server) uiDashboard(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	v := view{Title: s.tr(r, "Dashboard"), Locale: s.locale(r)}
	if p.RemovedFrom != uuid.Nil || p.SuspendedTenant != uuid.Nil || p.DeletedTenant != uuid.Nil || p.TwoFactorTenant != uuid.Nil {
		return p.NoTenant()
	}
	if p.InTenant() {
		d, err := s.orders.Dashboard(r.Context(), p)
		if err != nil {
			return err
		}
		c := newBarChart(d.Daily)
		s.wordChart(r, &c)
		v.Data = dashboardPage{Cards: newStatCards(d.Currencies, v.Locale), Chart: c, Recent: d.Recent}
	}
	s.render(w, r, http.StatusOK, "dashboard", v)
	return nil
}

// barChart is the geometry of the orders-per-day chart, drawn as inline
// SVG by the template: user units of a viewBox, scaled to the page width
// by CSS; colours come from classes in app.css.
type barChart struct {
	Width, Height float64 // the viewBox
	// The plot area: bars stand on Bottom and reach at most Top.
	Left, Right, Top, Bottom float64
	Bars                     []chartBar
	Title, Desc              string
	// Axis labels: the first and last day under the bars, and the
	// largest value beside the top.
	FirstLabel, LastLabel, MaxLabel string
	LabelY                          float64 // baseline of the day labels
	// Sum, Max and Busiest let a page word Title and Desc in its language.
	Sum, Max int64
	Busiest  string
}

// chartBar is one day's bar.
type chartBar struct {
	X, Y, W, H float64
	Label      string // its tooltip, e.g. "26 Nov 2026: 3 orders"
	Zero       bool
	Day        string // "26 Nov 2026"
	Orders     int64
}

// The chart's layout in viewBox units: room on the left for the largest
// value's label and below for the day labels.
const (
	chartWidth, chartHeight = 600, 200
	chartLeft, chartRight   = 32, 596
	chartTop, chartBottom   = 10, 176
	chartGap                = 0.25 // of each day's slot, between bars
	chartMinBar             = 1    // a zero day still shows, with its tooltip
	chartDayFormat          = "2 Jan 2006"
)

// newBarChart lays out one bar per day, oldest on the left, heights
// proportional to the day's orders over the largest day.
func newBarChart(days []order.DayCount) barChart {
	c := barChart{Width: chartWidth, Height: chartHeight, Left: chartLeft, Right: chartRight, Top: chartTop, Bottom: chartBottom,
		LabelY: chartBottom + 18, Bars: make([]chartBar, len(days))}
	if len(days) == 0 {
		c.Title, c.Desc, c.MaxLabel = "Orders per day", "No days to show.", "0"
		return c
	}
	var max, sum int64
	busiest := days[0]
	for _, d := range days {
		sum += d.Orders
		if d.Orders > max {
			max, busiest = d.Orders, d
		}
	}
	slot := (c.Right - c.Left) / float64(len(days))
	plot := c.Bottom - c.Top
	for i, d := range days {
		h := 0.0
		if max > 0 {
			h = plot * float64(d.Orders) / float64(max)
		}
		b := chartBar{X: round1(c.Left + float64(i)*slot + slot*chartGap/2), W: round1(slot * (1 - chartGap)),
			Label: d.Day.Format(chartDayFormat) + ": " + plural(d.Orders, "order"), Zero: d.Orders == 0,
			Day: d.Day.Format(chartDayFormat), Orders: d.Orders}
		if h < chartMinBar {
			h = chartMinBar
		}
		b.H = round1(h)
		b.Y = round1(c.Bottom - b.H)
		c.Bars[i] = b
	}
	first, last := days[0].Day, days[len(days)-1].Day
	c.FirstLabel, c.LastLabel = first.Format(chartDayFormat), last.Format(chartDayFormat)
	c.MaxLabel = strconv.FormatInt(max, 10)
	c.Sum, c.Max, c.Busiest = sum, max, busiest.Day.Format(chartDayFormat)
	c.Title = fmt.Sprintf("Orders per day, %s to %s", c.FirstLabel, c.LastLabel)
	c.Desc = fmt.Sprintf("%s in %d days.", plural(sum, "order"), len(days))
	if max > 0 {
		c.Desc += fmt.Sprintf(" The busiest day was %s with %s.", busiest.Day.Format(chartDayFormat), plural(max, "order"))
	}
	return c
}

// wordChart puts the chart's title and description into r's language.
func (s *Server) wordChart(r *http.Request, c *barChart) {
	if len(c.Bars) == 0 {
		c.Title, c.Desc = s.tr(r, "Orders per day"), s.tr(r, "No days to show.")
		return
	}
	c.Title = s.tr(r, "Orders per day, %s to %s", c.FirstLabel, c.LastLabel)
	c.Desc = s.tr(r, "%d orders in %d days.", c.Sum, len(c.Bars))
	if c.Sum == 1 {
		c.Desc = s.tr(r, "1 order in %d days.", len(c.Bars))
	}
	switch {
	case c.Max == 1:
		c.Desc += " " + s.tr(r, "The busiest day was %s with 1 order.", c.Busiest)
	case c.Max > 1:
		c.Desc += " " + s.tr(r, "The busiest day was %s with %d orders.", c.Busiest, c.Max)
	}
}

// MaxLabelY is the baseline of the largest value's label.
func (c barChart) MaxLabelY() float64 { return c.Top + 4 }

// ViewBox is the SVG viewBox attribute.
func (c barChart) ViewBox() string {
	return "0 0 " + strconv.FormatFloat(c.Width, 'f', -1, 64) + " " + strconv.FormatFloat(c.Height, 'f', -1, 64)
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatInt(n, 10) + " " + noun + "s"
}
