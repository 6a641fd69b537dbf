package auth

import (
	"context"
	"crypto/ed25519"
	"io"
	"strconv"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/jobs"
)

// AuditLog lists the entries of the principal's tenant that f selects,
// newest first. Both the API and the page read the log through it.
func (s *Service) AuditLog(ctx context.Context, p access.Principal, f audit.Filter) ([]audit.Entry, error) {
	if err := p.Require(access.ActAuditRead); err != nil {
		return nil, err
	}
	return s.store.AuditList(ctx, p.TenantID, f)
}

// AuditExport checks that the principal may read the audit log and
// returns a function that writes the principal's tenant's log with its
// proofs to w (audit.WriteExport), and the tenant's slug for the file's
// name. The check comes first, so that a refusal is a problem, not a
// broken download.
func (s *Service) AuditExport(ctx context.Context, p access.Principal, pub ed25519.PublicKey) (string, func(w io.Writer) error, error) {
	if err := p.Require(access.ActAuditRead); err != nil {
		return "", nil, err
	}
	t, err := s.store.TenantGetByID(ctx, p.TenantID)
	if err != nil {
		return "", nil, err
	}
	return t.Slug, func(w io.Writer) error {
		return audit.WriteExport(ctx, w, s.store, t.ID, t.Slug, pub, s.now())
	}, nil
}

// EventsAfter lists the events of the principal's tenant after the given
// id (all if uuid.Nil), oldest first. Which of them the principal may see
// is the caller's to decide, event by event, with the principal's current
// role.
func (s *Service) EventsAfter(ctx context.Context, p access.Principal, after uuid.UUID, limit int) ([]event.Event, error) {
	if !p.InTenant() {
		return nil, p.NoTenant()
	}
	return s.store.EventListAfter(ctx, p.TenantID, after, limit)
}

// FailedJobs lists the tenant's background jobs that failed (retrying or
// discarded by the queue), newest first.
func (s *Service) FailedJobs(ctx context.Context, p access.Principal, limit int, after string) ([]*jobs.Row, string, error) {
	if err := p.Require(access.ActJobManage); err != nil {
		return nil, "", err
	}
	return s.store.JobListFailed(ctx, &p.TenantID, limit, after)
}

// JobBacklog is the tenant's jobs waiting and running now, per queue: how
// its work stands in the shared queues (fair scheduling).
func (s *Service) JobBacklog(ctx context.Context, p access.Principal) ([]jobs.Backlog, error) {
	if err := p.Require(access.ActJobManage); err != nil {
		return nil, err
	}
	return s.store.JobTenantBacklog(ctx, &p.TenantID, 100)
}

// RetryJob runs one of the tenant's failed jobs again now and records
// that in the audit log, in one transaction: the retry is never left
// unaudited, and an audit entry never names a retry that did not happen.
func (s *Service) RetryJob(ctx context.Context, p access.Principal, id int64, m access.Meta) (*jobs.Row, error) {
	if err := p.Require(access.ActJobManage); err != nil {
		return nil, err
	}
	var j *jobs.Row
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		if j, err = tx.JobRetry(ctx, &p.TenantID, id); err != nil {
			return err
		}
		return p.Audit(ctx, tx, m, s.clock(), p.TenantID, "job.retried", "job", strconv.FormatInt(id, 10), map[string]any{"kind": j.Kind})
	})
	if err != nil {
		return nil, err
	}
	return j, nil
}
