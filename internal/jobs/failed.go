package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ordo/ordo/internal/apperr"
)

// State is where a job is in its life: "available", "running",
// "retryable" (failed, waiting for its next try), "discarded" (gave up),
// "completed", "cancelled"...
type State string

// The states of failed jobs, and of one retried (waiting to run again).
const (
	StateRetryable = State(rivertype.JobStateRetryable)
	StateDiscarded = State(rivertype.JobStateDiscarded)
	StateAvailable = State(rivertype.JobStateAvailable)
)

// Row is a job as listed for the people who look after failed ones.
type Row struct {
	ID          int64
	Kind        string
	Queue       string
	State       State
	Attempt     int
	MaxAttempts int
	// Errors are the failed attempts' errors, oldest first.
	Errors      []AttemptError
	CreatedAt   time.Time
	AttemptedAt *time.Time
	FinalizedAt *time.Time
	// ScheduledAt is when a retryable job runs next.
	ScheduledAt time.Time
	// EncodedArgs are the job's Args as JSON.
	EncodedArgs []byte
}

// AttemptError is one failed attempt's error.
type AttemptError struct {
	Attempt int
	At      time.Time
	Error   string
}

func rowFromRiver(j *rivertype.JobRow) *Row {
	r := &Row{ID: j.ID, Kind: j.Kind, Queue: j.Queue, State: State(j.State), Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
		CreatedAt: j.CreatedAt, AttemptedAt: j.AttemptedAt, FinalizedAt: j.FinalizedAt, ScheduledAt: j.ScheduledAt, EncodedArgs: j.EncodedArgs}
	for _, e := range j.Errors {
		r.Errors = append(r.Errors, AttemptError{Attempt: e.Attempt, At: e.At, Error: e.Error})
	}
	return r
}

// Tenant is the tenant the job works for (its args' tenant_id), uuid.Nil
// for none.
func (j *Row) Tenant() uuid.UUID { return argsTenant(j.EncodedArgs) }

// argsTenant is the tenant_id of a job's encoded args, uuid.Nil for none
// (absent, null, or args that are not an object).
func argsTenant(encoded []byte) uuid.UUID {
	var a struct {
		TenantID uuid.UUID `json:"tenant_id"`
	}
	_ = json.Unmarshal(encoded, &a)
	return a.TenantID
}

// failedStates are the states of jobs that need a person's attention:
// retryable (failed, waiting for the next try) and discarded (gave up).
var failedStates = []rivertype.JobState{rivertype.JobStateRetryable, rivertype.JobStateDiscarded}

// ListFailed lists failed jobs, newest first, those of one tenant when
// tenantID is set (jobs carry it in their args as tenant_id), of every
// tenant and none otherwise. The two store engines share it: the JSON
// operator below is the same in PostgreSQL and SQLite.
func ListFailed[TTx any](ctx context.Context, c *river.Client[TTx], tenantID *uuid.UUID, limit int, after string) ([]*Row, string, error) {
	p := river.NewJobListParams().States(failedStates...).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit)
	if tenantID != nil {
		p = p.Where("args ->> 'tenant_id' = @tenant", river.NamedArgs{"tenant": tenantID.String()})
	}
	if after != "" {
		// River's own cursor (the last job's id for this order): a cursor
		// from another tenant only names a place in the order, so the
		// tenant filter above still decides what is listed.
		var cur river.JobListCursor
		if err := cur.UnmarshalText([]byte(after)); err != nil {
			return nil, "", apperr.Invalid("cursor", "is not a cursor this list gave")
		}
		p = p.After(&cur)
	}
	res, err := c.JobList(ctx, p)
	if err != nil {
		return nil, "", fmt.Errorf("list failed jobs: %w", err)
	}
	// A full page may be the last: the page after it is then empty.
	js, next := res.Jobs, ""
	if len(js) == limit && res.LastCursor != nil {
		b, err := res.LastCursor.MarshalText()
		if err != nil {
			return nil, "", fmt.Errorf("list failed jobs: cursor: %w", err)
		}
		next = string(b)
	}
	rows := make([]*Row, len(js))
	for i, j := range js {
		rows[i] = rowFromRiver(j)
	}
	return rows, next, nil
}

// RetryFailed makes a failed job run again now, inside tx when it is set
// (the zero TTx otherwise), so that the retry commits with what the caller
// writes beside it (its audit entry). With tenantID set, a job of another
// tenant is not found.
func RetryFailed[TTx comparable](ctx context.Context, c *river.Client[TTx], tx TTx, tenantID *uuid.UUID, id int64) (*Row, error) {
	var none TTx
	get, retry := c.JobGet, c.JobRetry
	if tx != none {
		get = func(ctx context.Context, id int64) (*rivertype.JobRow, error) { return c.JobGetTx(ctx, tx, id) }
		retry = func(ctx context.Context, id int64) (*rivertype.JobRow, error) { return c.JobRetryTx(ctx, tx, id) }
	}
	j, err := get(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil, apperr.NotFound("job")
	}
	if err != nil {
		return nil, fmt.Errorf("get job %d: %w", id, err)
	}
	if tenantID != nil && rowFromRiver(j).Tenant() != *tenantID {
		return nil, apperr.NotFound("job")
	}
	if j.State != rivertype.JobStateRetryable && j.State != rivertype.JobStateDiscarded {
		return nil, apperr.Conflict("job %d is %s; only failed jobs can be retried", id, apperr.Word(j.State))
	}
	j, err = retry(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("retry job %d: %w", id, err)
	}
	return rowFromRiver(j), nil
}
