package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ordo/ordo/internal/apperr"
)

// FailedJobStates are the states of jobs that need a person's attention:
// retryable (failed, waiting for the next try) and discarded (gave up).
var FailedJobStates = []rivertype.JobState{rivertype.JobStateRetryable, rivertype.JobStateDiscarded}

// ListFailedJobs lists failed jobs, newest first, those of one tenant when
// tenantID is set (jobs carry it in their args as tenant_id), of every
// tenant and none otherwise. The two engines share it: the JSON operator
// below is the same in PostgreSQL and SQLite.
func ListFailedJobs[TTx any](ctx context.Context, c *river.Client[TTx], tenantID *uuid.UUID, limit int) ([]*rivertype.JobRow, error) {
	p := river.NewJobListParams().States(FailedJobStates...).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit)
	if tenantID != nil {
		p = p.Where("args ->> 'tenant_id' = @tenant", river.NamedArgs{"tenant": tenantID.String()})
	}
	res, err := c.JobList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list failed jobs: %w", err)
	}
	return res.Jobs, nil
}

// RetryJob makes a failed job run again now, inside tx when it is set
// (the zero TTx otherwise). With tenantID set, a job of another tenant is
// not found.
func RetryJob[TTx comparable](ctx context.Context, c *river.Client[TTx], tx TTx, tenantID *uuid.UUID, id int64) (*rivertype.JobRow, error) {
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
	if tenantID != nil && JobTenant(j) != *tenantID {
		return nil, apperr.NotFound("job")
	}
	if j.State != rivertype.JobStateRetryable && j.State != rivertype.JobStateDiscarded {
		return nil, apperr.Conflict("job %d is %s; only failed jobs can be retried", id, j.State)
	}
	j, err = retry(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("retry job %d: %w", id, err)
	}
	return j, nil
}

// JobTenant is the tenant a job works for, uuid.Nil for none.
func JobTenant(j *rivertype.JobRow) uuid.UUID {
	var a struct {
		TenantID uuid.UUID `json:"tenant_id"`
	}
	_ = json.Unmarshal(j.EncodedArgs, &a)
	return a.TenantID
}
