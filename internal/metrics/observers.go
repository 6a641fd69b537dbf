package metrics

import "time"

// WebhookObserver records webhook delivery attempts; it satisfies
// webhook.Observer.
type WebhookObserver struct{ m *Metrics }

// Webhooks returns the observer to give the webhook service; nil when m
// is nil.
func (m *Metrics) Webhooks() *WebhookObserver {
	if m == nil {
		return nil
	}
	return &WebhookObserver{m}
}

// Attempt counts one attempt's outcome; latency is 0 when no request was
// sent (the endpoint was disabled before the attempt).
func (o *WebhookObserver) Attempt(outcome string, latency time.Duration) {
	if o == nil {
		return
	}
	o.m.webhookOutcomes.WithLabelValues(outcome).Inc()
	if latency > 0 {
		o.m.webhookLatency.Observe(latency.Seconds())
	}
}

// ExportObserver records completed exports; it satisfies
// exports.Observer.
type ExportObserver struct{ m *Metrics }

// Exports returns the observer to give the export service; nil when m is
// nil.
func (m *Metrics) Exports() *ExportObserver {
	if m == nil {
		return nil
	}
	return &ExportObserver{m}
}

// Completed counts the orders and time of a completed export (the metric
// keeps its name, ordo_export_rows_total: it has always been documented
// as orders, whatever the file's rows).
func (o *ExportObserver) Completed(format string, orders int64, took time.Duration) {
	if o == nil {
		return
	}
	o.m.exportRows.WithLabelValues(format).Add(float64(orders))
	o.m.exportDuration.WithLabelValues(format).Observe(took.Seconds())
}

// AuditObserver records the nightly verification of the audit log's
// chains and its retention's prunes; it satisfies audit.VerifyObserver
// and audit.PruneObserver.
type AuditObserver struct{ m *Metrics }

// Audit returns the observer to give the audit verification job; nil
// when m is nil.
func (m *Metrics) Audit() *AuditObserver {
	if m == nil {
		return nil
	}
	return &AuditObserver{m}
}

// Verified records one run: broken of the checked chains failed.
func (o *AuditObserver) Verified(checked, broken int) {
	if o == nil {
		return
	}
	o.m.auditVerifyFailures.Add(float64(broken))
	o.m.auditChainsBroken.Set(float64(broken))
}

// Pruned counts the entries one retention run deleted.
func (o *AuditObserver) Pruned(n int) {
	if o == nil {
		return
	}
	o.m.auditPruned.Add(float64(n))
}
