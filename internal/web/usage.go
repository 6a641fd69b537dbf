package web

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/ratelimit"
)

type usageJSON struct {
	Plan     string          `json:"plan" enum:"free,pro,enterprise"`
	Month    string          `json:"month" description:"The first day (UTC) of the month whose orders are counted, such as 2026-12-01."`
	Enforced bool            `json:"enforced" description:"Whether this Ordo refuses what goes past a limit (403 plan-limit); false: usage is only counted."`
	Limits   []usageItemJSON `json:"limits"`
	Counts   usageCountsJSON `json:"counts"`
}

type usageItemJSON struct {
	Name  plan.Name `json:"name" enum:"members,orders_per_month,storage_bytes,api_requests_per_minute,exports_per_day,webhook_endpoints,jobs_at_once,audit_retention_days"`
	Limit *int64    `json:"limit" description:"What the plan allows; null for unlimited. api_requests_per_minute is enforced with 429 rather than 403."`
	Used  int64     `json:"used" description:"What is used now: members and webhook endpoints now, orders this month, bytes stored, exports since 00:00 UTC; 0 for api_requests_per_minute (the month's API requests are in counts), jobs_at_once (a per-queue cap on running jobs) and audit_retention_days (entries older than that many days are pruned nightly)."`
}

type usageCountsJSON struct {
	OrdersCreated     int64 `json:"orders_created" description:"Orders created this month."`
	APIRequests       int64 `json:"api_requests" description:"API requests of the tenant's keys and members this month; written in batches, so up to a few seconds behind."`
	ExportRows        int64 `json:"export_rows" description:"Rows of the exports completed this month."`
	WebhookDeliveries int64 `json:"webhook_deliveries" description:"Webhook deliveries that succeeded this month."`
	EmailsSent        int64 `json:"emails_sent" description:"E-mails about the tenant sent this month (invitations, export and webhook notices)."`
	StorageBytes      int64 `json:"storage_bytes" description:"What the tenant's attachments take now, pending uploads included."`
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
	c := rep.Counts
	out := usageJSON{Plan: rep.Plan, Month: rep.Month.Format(time.DateOnly), Enforced: rep.Enforced, Limits: []usageItemJSON{},
		Counts: usageCountsJSON{OrdersCreated: c.OrdersCreated, APIRequests: c.APIRequests, ExportRows: c.ExportRows,
			WebhookDeliveries: c.WebhookDeliveries, EmailsSent: c.EmailsSent, StorageBytes: rep.StorageBytes}}
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

// PlanAPIRate returns a Limits.APIPlan limiting each tenant to its plan's
// api_requests_per_minute, on limiters of st (one per distinct rate, its
// burst a minute's worth). The rate comes from c, which caches a tenant's
// limits for a few seconds: no database read per request. Nil when c
// does not enforce limits.
func PlanAPIRate(c *plan.Checker, st ratelimit.Store) func(ctx context.Context, tenantID uuid.UUID) (*ratelimit.Limiter, error) {
	if !c.Enforced() {
		return nil
	}
	perMinute := ratelimit.NewPerMinute(st)
	return func(ctx context.Context, tenantID uuid.UUID) (*ratelimit.Limiter, error) {
		l, err := c.Limits(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		v := l.Values[plan.APIRequestsPerMinute]
		if v == plan.Unlimited {
			return nil, nil
		}
		return perMinute.Get(int(min(v, 1_000_000_000)))
	}
}
