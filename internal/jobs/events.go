package jobs

import (
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Subscriber is a job runner's event feed; store.JobRunner and
// *river.Client satisfy it.
type Subscriber interface {
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// Outcome is how one job attempt ended.
type Outcome struct {
	Kind  string
	Queue string
	// Outcome is "completed", "failed" (to be retried), "discarded"
	// (failed for the last time), "cancelled" or "snoozed".
	Outcome string
	// Ran is how long the attempt ran; HasRun is false when the runner
	// did not say.
	Ran    time.Duration
	HasRun bool
}

// WatchOutcomes calls fn with the outcome of each job attempt runner
// works, from one goroutine, until stop is called or runner stops.
// Subscribe before starting the runner so that no event is missed.
func WatchOutcomes(runner Subscriber, fn func(Outcome)) (stop func()) {
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
				if o, ok := outcome(e); ok {
					fn(o)
				}
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

func outcome(e *river.Event) (Outcome, bool) {
	if e == nil || e.Job == nil {
		return Outcome{}, false
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
		return Outcome{}, false
	}
	o := Outcome{Kind: e.Job.Kind, Queue: e.Job.Queue, Outcome: outcome}
	if e.JobStats != nil {
		o.Ran, o.HasRun = e.JobStats.RunDuration, true
	}
	return o, true
}
