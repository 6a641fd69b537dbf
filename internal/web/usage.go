package web

import (
	"net/http"
	"time"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/plan"
)

type usageJSON struct {
	Plan     string          `json:"plan" enum:"free,pro,enterprise"`
	Month    string          `json:"month" description:"The first day (UTC) of the month whose orders are counted, such as 2026-12-01."`
	Enforced bool            `json:"enforced" description:"Whether this Ordo refuses what goes past a limit (403 plan-limit); false: usage is only counted."`
	Limits   []usageItemJSON `json:"limits"`
}

type usageItemJSON struct {
	Name  plan.Name `json:"name" enum:"members,orders_per_month,webhook_endpoints"`
	Limit *int64    `json:"limit" description:"What the plan allows; null for unlimited."`
	Used  int64     `json:"used"`
}

// usageReport is the principal's tenant's usage, for owners and admins.
func (s *Server) usageReport(r *http.Request, p access.Principal) (plan.Report, error) {
	if err := p.Require(access.ActTenantUpdate); err != nil {
		return plan.Report{}, err
	}
	if s.usage == nil {
		return plan.Report{}, apperr.NotFound("usage")
	}
	return s.usage(r.Context(), p.TenantID)
}

func (s *Server) handleUsage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	rep, err := s.usageReport(r, p)
	if err != nil {
		return err
	}
	out := usageJSON{Plan: rep.Plan, Month: rep.Month.Format(time.DateOnly), Enforced: rep.Enforced, Limits: []usageItemJSON{}}
	for _, it := range rep.Items {
		j := usageItemJSON{Name: it.Name, Used: it.Used}
		if it.Limit != plan.Unlimited {
			j.Limit = &it.Limit
		}
		out.Limits = append(out.Limits, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) uiUsage(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.usageReport(r, mustPrincipal(r))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "usage", view{Title: s.tr(r, "Usage"), Data: rep})
	return nil
}
