package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/webhook"
)

// The failed-jobs view lets a tenant's owners and admins see what went
// wrong in the background on their behalf (an export, an invoice, a
// webhook delivery, an e-mail about their data) and run it again. Jobs
// carry their tenant in their args; jobs of no tenant (say a password
// reset mail) are for operators, through `ordo jobs`.

type jobJSON struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	Queue       string     `json:"queue"`
	State       string     `json:"state" enum:"retryable,discarded,available"`
	Attempt     int        `json:"attempt"`
	MaxAttempts int        `json:"max_attempts"`
	Error       string     `json:"error" description:"The last attempt's error."`
	CreatedAt   time.Time  `json:"created_at"`
	AttemptedAt *time.Time `json:"attempted_at"`
	FinalizedAt *time.Time `json:"finalized_at"`
	ScheduledAt time.Time  `json:"scheduled_at" description:"When a retryable job runs next."`
}

type jobList struct {
	Data       []jobJSON `json:"data"`
	NextCursor *string   `json:"next_cursor" description:"The cursor of the next page of jobs (older ones); null on the last."`
	// Webhook deliveries retry on a schedule of their own, outside the
	// job queue's retries, so they are listed apart.
	WebhookDeliveries []failedDeliveryJSON `json:"webhook_deliveries" description:"Webhook deliveries that failed: retrying on their own schedule, or given up."`
	Queues            []queueJSON          `json:"queues" description:"The tenant's background jobs waiting and running now, per queue that has any. Queues are shared fairly between tenants; with plan limits on, jobs_at_once caps how many of a queue's jobs run at once."`
}

// queueJSON is how the tenant's work stands in one job queue now.
type queueJSON struct {
	Queue             string  `json:"queue" description:"exports, invoices, email, webhooks or maintenance."`
	Waiting           int64   `json:"waiting" description:"Jobs ready to run, waiting for a worker."`
	Running           int64   `json:"running"`
	OldestWaitSeconds float64 `json:"oldest_wait_seconds" description:"How long the longest-waiting job has waited since it could run; 0 when none waits."`
}

// failedDeliveryJSON is a webhook delivery that is retrying or gave up.
type failedDeliveryJSON struct {
	ID             uuid.UUID  `json:"id"`
	EndpointID     uuid.UUID  `json:"endpoint_id"`
	EndpointURL    string     `json:"endpoint_url"`
	EventType      string     `json:"event_type"`
	EventID        uuid.UUID  `json:"event_id"`
	State          string     `json:"state" enum:"retrying,failed" description:"retrying: another attempt is due at next_attempt_at; failed: given up (replay it from the endpoint)."`
	Attempts       int        `json:"attempts"`
	LastStatusCode int        `json:"last_status_code" description:"The last attempt's HTTP status, 0 when no response came."`
	LastError      string     `json:"last_error"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	EndpointAPI    string     `json:"endpoint_api_url" description:"The endpoint, with its delivery log and replay."`
	EndpointPage   string     `json:"endpoint_page_url" description:"The endpoint's page in the app."`
}

type jobIDPath struct {
	ID int64 `path:"id" description:"The job's id."`
}

func toJobJSON(j *jobs.Row) jobJSON {
	out := jobJSON{ID: j.ID, Kind: j.Kind, Queue: j.Queue, State: string(j.State), Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
		CreatedAt: j.CreatedAt, AttemptedAt: j.AttemptedAt, FinalizedAt: j.FinalizedAt, ScheduledAt: j.ScheduledAt}
	if n := len(j.Errors); n > 0 {
		out.Error = j.Errors[n-1].Error
	}
	return out
}

// failedJobs lists the tenant's jobs that failed (retrying or discarded by
// the queue) and its webhook deliveries that failed (retrying on their own
// schedule, or given up): everything background work left undone.
// failedJobs is a page of limit failed jobs after the cursor after ("" for
// the first), and the tenant's failing webhook deliveries (at most 100:
// each endpoint's page lists all of its own).
func (s *Server) failedJobs(r *http.Request, p access.Principal, limit int, after string) (jobList, error) {
	js, next, err := s.auth.FailedJobs(r.Context(), p, limit, after)
	if err != nil {
		return jobList{}, err
	}
	var (
		ds   []webhook.Delivery
		urls map[uuid.UUID]string
	)
	if s.webhooks != nil {
		if ds, urls, err = s.webhooks.FailingDeliveries(r.Context(), p, 100); err != nil {
			return jobList{}, err
		}
	}
	backlog, err := s.auth.JobBacklog(r.Context(), p)
	if err != nil {
		return jobList{}, err
	}
	out := jobList{Data: make([]jobJSON, len(js)), WebhookDeliveries: make([]failedDeliveryJSON, len(ds)), Queues: make([]queueJSON, len(backlog))}
	for i, b := range backlog {
		out.Queues[i] = queueJSON{Queue: b.Queue, Waiting: b.Waiting, Running: b.Running, OldestWaitSeconds: b.OldestWait.Seconds()}
	}
	if next != "" {
		out.NextCursor = &next
	}
	for i, j := range js {
		out.Data[i] = toJobJSON(j)
	}
	for i, d := range ds {
		state := "retrying"
		if d.Status == webhook.DeliveryFailed {
			state = "failed"
		}
		out.WebhookDeliveries[i] = failedDeliveryJSON{ID: d.ID, EndpointID: d.EndpointID, EndpointURL: urls[d.EndpointID], EventType: d.EventType,
			EventID: d.EventID, State: state, Attempts: d.Attempts, LastStatusCode: d.LastStatusCode, LastError: d.LastError,
			NextAttemptAt: d.NextAttemptAt, UpdatedAt: d.UpdatedAt,
			EndpointAPI: "/api/v1/webhook-endpoints/" + d.EndpointID.String(), EndpointPage: "/app/webhooks/" + d.EndpointID.String()}
	}
	return out, nil
}

func (s *Server) retryJob(r *http.Request, p access.Principal, raw string) (*jobs.Row, error) {
	if err := p.Require(access.ActJobManage); err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return nil, apperr.NotFound("job")
	}
	// The retry and its audit entry commit together.
	return s.auth.RetryJob(r.Context(), p, id, s.meta(r))
}

func (s *Server) handleJobsFailed(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit := 50
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			return apperr.Invalid("limit", "must be an integer from 1 to 100")
		}
		limit = n
	}
	out, err := s.failedJobs(r, p, limit, q.Get("cursor"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleJobRetry(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	j, err := s.retryJob(r, p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toJobJSON(j))
	return nil
}
