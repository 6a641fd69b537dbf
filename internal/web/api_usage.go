package web

import (
	"net/http"

	"github.com/ordo/ordo/internal/plan"
)

// usageJSON is GET /api/v1/usage: the tenant's plan, the month counted,
// each limit against its use, and the month's counters.
type usageJSON struct {
	Plan   string          `json:"plan" enum:"free,pro,enterprise"`
	Month  string          `json:"month" format:"date" description:"The first day of the UTC month the counters are of."`
	Limits []usageLimit    `json:"limits"`
	Counts usageCountsJSON `json:"counts"`
}

type usageLimit struct {
	Name  string `json:"name" enum:"members,orders_per_month,storage_bytes,api_requests_per_minute,exports_per_day,webhook_endpoints"`
	Limit int64  `json:"limit" minimum:"-1" description:"The limit; -1 is unlimited."`
	// Usage is nil for api_requests_per_minute, which is not stored per
	// minute (counts.api_requests has the month's).
	Usage *int64 `json:"usage" description:"What the tenant uses of the limit now (members, storage bytes, webhook endpoints), this month (orders) or today (exports); null for the API rate, which the rate limiter enforces per minute."`
}

type usageCountsJSON struct {
	OrdersCreated     int64 `json:"orders_created"`
	APIRequests       int64 `json:"api_requests"`
	ExportRows        int64 `json:"export_rows"`
	WebhookDeliveries int64 `json:"webhook_deliveries"`
	EmailsSent        int64 `json:"emails_sent"`
}

func toUsageJSON(rep plan.Report) usageJSON {
	out := usageJSON{Plan: rep.Plan, Month: rep.Usage.Month.Format("2006-01-02"), Limits: make([]usageLimit, 0, len(rep.Limits)),
		Counts: usageCountsJSON{OrdersCreated: rep.Usage.OrdersCreated, APIRequests: rep.Usage.APIRequests, ExportRows: rep.Usage.ExportRows,
			WebhookDeliveries: rep.Usage.WebhookDeliveries, EmailsSent: rep.Usage.EmailsSent}}
	for _, l := range rep.Limits {
		out.Limits = append(out.Limits, usageLimit{Name: string(l.Name), Limit: l.Value, Usage: l.Used})
	}
	return out
}

// handleUsage answers the tenant's usage against its plan's limits.
func (s *Server) handleUsage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	rep, err := s.tenants.Usage(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toUsageJSON(rep))
	return nil
}
