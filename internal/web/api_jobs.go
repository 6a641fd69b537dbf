package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/auth"
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
	Data []jobJSON `json:"data"`
}

type jobIDPath struct {
	ID int64 `path:"id" description:"The job's id."`
}

func toJobJSON(j *rivertype.JobRow) jobJSON {
	out := jobJSON{ID: j.ID, Kind: j.Kind, Queue: j.Queue, State: string(j.State), Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
		CreatedAt: j.CreatedAt, AttemptedAt: j.AttemptedAt, FinalizedAt: j.FinalizedAt, ScheduledAt: j.ScheduledAt}
	if n := len(j.Errors); n > 0 {
		out.Error = j.Errors[n-1].Error
	}
	return out
}

func (s *Server) failedJobs(r *http.Request, p auth.Principal) ([]*rivertype.JobRow, error) {
	if err := p.Require(account.ActJobManage); err != nil {
		return nil, err
	}
	return s.store.JobListFailed(r.Context(), &p.TenantID, 100)
}

func (s *Server) retryJob(r *http.Request, p auth.Principal, raw string) (*rivertype.JobRow, error) {
	if err := p.Require(account.ActJobManage); err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return nil, apperr.NotFound("job")
	}
	j, err := s.store.JobRetry(r.Context(), &p.TenantID, id)
	if err != nil {
		return nil, err
	}
	ae, err := p.AuditEntry(s.meta(r), time.Now().UTC().Truncate(time.Microsecond), p.TenantID, "job.retried", "job", raw, map[string]any{"kind": j.Kind})
	if err == nil {
		err = s.store.AuditInsert(r.Context(), ae)
	}
	return j, err
}

func (s *Server) handleJobsFailed(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requirePrincipal(w, r)
	if !ok {
		return
	}
	js, err := s.failedJobs(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := jobList{Data: make([]jobJSON, len(js))}
	for i, j := range js {
		out.Data[i] = toJobJSON(j)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleJobRetry(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requirePrincipal(w, r)
	if !ok {
		return
	}
	j, err := s.retryJob(r, p, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toJobJSON(j))
}
