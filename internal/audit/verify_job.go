package audit

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/jobs"
)

// VerifyHour is the hour (UTC) at which every tenant's chain is verified
// whole each night, as `ordo audit verify --tenant` does: before the
// nightly backup (03:00).
const VerifyHour = 2

// verifyBatch is how many tenants one query lists.
const verifyBatch = 500

// VerifyStore is what the nightly verification reads.
type VerifyStore interface {
	AuditChainTenants(ctx context.Context, after uuid.UUID, limit int) ([]uuid.UUID, error)
	AuditChain(ctx context.Context, tenantID uuid.UUID) ([]Entry, Head, error)
	AuditCheckpoints(ctx context.Context, tenantID uuid.UUID) ([]Checkpoint, error)
}

// VerifyObserver counts the verifications (metrics.AuditObserver); nil
// counts nothing.
type VerifyObserver interface {
	// Verified reports one run: how many tenants' chains were checked
	// and how many of them are broken.
	Verified(checked, broken int)
}

// AlertFunc tells a tenant's owners that its chain is broken.
type AlertFunc func(ctx context.Context, tenantID uuid.UUID, p *Problem) error

// VerifyAll verifies every tenant's chain and checkpoints with pub and
// calls broken for each one that fails. It goes on past a broken chain
// and past an alert that fails, and returns the first such error.
func VerifyAll(ctx context.Context, s VerifyStore, pub ed25519.PublicKey, broken func(tenantID uuid.UUID, p *Problem)) (int, error) {
	checked := 0
	err := forEachChainTenant(ctx, s, func(id uuid.UUID) error {
		entries, head, err := s.AuditChain(ctx, id)
		if err != nil {
			return err
		}
		cps, err := s.AuditCheckpoints(ctx, id)
		if err != nil {
			return err
		}
		checked++
		if r := Verify(entries, head, cps, pub); r.Problem != nil {
			broken(id, r.Problem)
		}
		return nil
	})
	return checked, err
}

// chainTenantLister lists the tenants that have an audit chain, in pages.
type chainTenantLister interface {
	AuditChainTenants(ctx context.Context, after uuid.UUID, limit int) ([]uuid.UUID, error)
}

// forEachChainTenant calls fn for every tenant that has an audit chain,
// listing them verifyBatch at a time, and stops at the first error.
func forEachChainTenant(ctx context.Context, s chainTenantLister, fn func(tenantID uuid.UUID) error) error {
	after := uuid.Nil
	for {
		ids, err := s.AuditChainTenants(ctx, after, verifyBatch)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := fn(id); err != nil {
				return err
			}
		}
		if len(ids) < verifyBatch {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

// VerifyArgs verifies every tenant's chain. River's leader enqueues it
// daily, so one process does it however many run.
type VerifyArgs struct{}

func (VerifyArgs) Kind() string { return jobs.KindAuditVerify }

func (VerifyArgs) InsertOpts() jobs.Opts {
	return jobs.Opts{Queue: jobs.QueueMaintenance, UniquePeriod: time.Hour}
}

// VerifyWorker works VerifyArgs: a broken chain is logged as an error
// with its tenant and first broken seq, counted by Observer, and its
// owners are told by Alert.
type VerifyWorker struct {
	Store    VerifyStore
	Pub      ed25519.PublicKey
	Log      *slog.Logger
	Observer VerifyObserver
	Alert    AlertFunc
}

func (w *VerifyWorker) Work(ctx context.Context, _ *jobs.Job[VerifyArgs]) error {
	var broken int
	var alertErr error
	checked, err := VerifyAll(ctx, w.Store, w.Pub, func(tenantID uuid.UUID, p *Problem) {
		broken++
		w.Log.ErrorContext(ctx, "audit log chain broken", "tenant_id", tenantID, "seq", p.Seq, "kind", p.Kind, "entry_id", p.EntryID, "err", p.Error())
		if w.Alert == nil {
			return
		}
		if err := w.Alert(ctx, tenantID, p); err != nil && alertErr == nil {
			alertErr = fmt.Errorf("alert the owners of %s: %w", tenantID, err)
		}
	})
	if w.Observer != nil && err == nil {
		w.Observer.Verified(checked, broken)
	}
	w.Log.InfoContext(ctx, "verified audit log chains", "checked", checked, "broken", broken)
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	if alertErr != nil {
		// Retried: the check runs again and e-mails again, which a
		// broken chain deserves.
		return alertErr
	}
	return nil
}

// AddVerifyJob registers the worker and schedules it nightly.
func AddVerifyJob(cfg *jobs.RunConfig, w *VerifyWorker) {
	jobs.Register[VerifyArgs](cfg.Workers, w)
	cfg.AddPeriodic(jobs.Periodic{ID: "audit_verify", Schedule: jobs.DailyAt(VerifyHour),
		Args: func() jobs.Args { return VerifyArgs{} }})
}
