package web

import (
	"net/http"
	"strconv"

	"github.com/ordo/ordo/internal/plan"
)

// usageRow is one limit on the usage page, worded for the viewer.
type usageRow struct {
	Name      string // the limit's API name, for ids and tests
	Label     string
	Used      string // "" when not measured (the API rate)
	Limit     string // "" when unlimited
	UsedN     int64
	LimitN    int64
	Full      bool // nothing more fits
	Unlimited bool
}

// usagePage is the usage page's data.
type usagePage struct {
	Plan   string
	Month  string
	Rows   []usageRow
	Counts usageCountsJSON
}

// uiUsage shows the tenant's usage against its plan's limits.
func (s *Server) uiUsage(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	rep, err := s.tenants.Usage(r.Context(), p)
	if err != nil {
		return err
	}
	tag := s.language(r)
	out := usagePage{Plan: s.catalog.Word(tag, rep.Plan), Month: rep.Usage.Month.Format("2006-01"), Counts: toUsageJSON(rep).Counts}
	for _, l := range rep.Limits {
		row := usageRow{Name: string(l.Name), Label: upperFirst(s.catalog.Word(tag, l.Name.Label())), LimitN: l.Value, Unlimited: l.Value == plan.Unlimited}
		format := func(n int64) string {
			if l.Name == plan.StorageBytes {
				return formatBytes(n)
			}
			return strconv.FormatInt(n, 10)
		}
		if !row.Unlimited {
			row.Limit = format(l.Value)
		}
		if l.Used != nil {
			row.UsedN, row.Used = *l.Used, format(*l.Used)
			row.Full = !row.Unlimited && *l.Used >= l.Value
		}
		out.Rows = append(out.Rows, row)
	}
	s.render(w, r, http.StatusOK, "usage", view{Title: s.tr(r, "Usage"), Data: out})
	return nil
}

// formatBytes is a size for people, as the pages' bytes function words it.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}
