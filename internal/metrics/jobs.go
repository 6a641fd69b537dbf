package metrics

import (
	"github.com/ordo/ordo/internal/jobs"
)

// WatchJobs counts the jobs runner works, by kind, queue and outcome, and
// times their runs, until stop is called or runner stops. Subscribe before
// starting the runner so that no event is missed.
func (m *Metrics) WatchJobs(runner jobs.Subscriber) (stop func()) {
	if m == nil {
		return func() {}
	}
	return jobs.WatchOutcomes(runner, m.jobOutcome)
}

func (m *Metrics) jobOutcome(o jobs.Outcome) {
	m.jobs.WithLabelValues(o.Kind, o.Queue, o.Outcome).Inc()
	if o.HasRun {
		m.jobDuration.WithLabelValues(o.Kind).Observe(o.Ran.Seconds())
	}
}
