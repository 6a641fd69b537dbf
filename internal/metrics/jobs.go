package metrics

import (
	"sync"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// JobSubscriber is a job runner's event feed; store.JobRunner and
// *river.Client satisfy it.
type JobSubscriber interface {
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// WatchJobs counts the jobs runner works, by kind, queue and outcome, and
// times their runs, until stop is called or runner stops. Subscribe before
// starting the runner so that no event is missed.
func (m *Metrics) WatchJobs(runner JobSubscriber) (stop func()) {
	if m == nil {
		return func() {}
	}
	events, cancel := runner.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
		river.EventKindJobCancelled, river.EventKindJobSnoozed)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case e, ok := <-events:
				if !ok {
					return
				}
				m.jobEvent(e)
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			cancel()
			wg.Wait()
		})
	}
}

func (m *Metrics) jobEvent(e *river.Event) {
	if e == nil || e.Job == nil {
		return
	}
	var outcome string
	switch e.Kind {
	case river.EventKindJobCompleted:
		outcome = "completed"
	case river.EventKindJobFailed:
		// Failed jobs that will be retried stay retryable (or are
		// scheduled again at once); those out of attempts are discarded.
		outcome = "failed"
		if e.Job.State == rivertype.JobStateDiscarded {
			outcome = "discarded"
		}
	case river.EventKindJobCancelled:
		outcome = "cancelled"
	case river.EventKindJobSnoozed:
		outcome = "snoozed"
	default:
		return
	}
	m.jobs.WithLabelValues(e.Job.Kind, e.Job.Queue, outcome).Inc()
	if e.JobStats != nil {
		m.jobDuration.WithLabelValues(e.Job.Kind).Observe(e.JobStats.RunDuration.Seconds())
	}
}
