package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/jobs"
)

// Retention prunes each tenant's entries older than its plan keeps them
// (plan limit audit_retention_days) and keeps what remains verifiable:
// each prune deletes the chain's start up to some seq N in one
// transaction with a signed retention cut at N (SignCut), which tells the
// verifier that the chain now starts at N+1 from entry N's hash. Without
// the key nobody can make such a cut, so deleting the chain's start by
// hand still reads as a deletion.
//
// A prune never goes past the newest checkpoint (the entries after it are
// pinned by no signature yet, and a cut there would sign whatever the
// database holds), and never cuts a chain that does not verify whole
// first: a cut must not launder tampering into a signed start.

// RetentionHour is the hour (UTC) at which the log is pruned each night:
// after the nightly verification (VerifyHour) and the backup (03:00), so
// the last backup before a prune still holds what it deletes.
const RetentionHour = 4

// pruneBatch is how many entries one prune transaction deletes at most:
// a year of a busy tenant's log goes in many short transactions rather
// than one that holds its chain's head for minutes.
const pruneBatch = 1000

// RetentionStore is what the prune reads and writes.
type RetentionStore interface {
	AuditChainTenants(ctx context.Context, after uuid.UUID, limit int) ([]uuid.UUID, error)
	AuditChainPage(ctx context.Context, tenantID uuid.UUID, afterSeq int64, afterID uuid.UUID, limit int) ([]Entry, error)
	AuditChain(ctx context.Context, tenantID uuid.UUID) ([]Entry, Head, error)
	AuditCheckpoints(ctx context.Context, tenantID uuid.UUID) ([]Checkpoint, error)
	AuditPrune(ctx context.Context, cut Checkpoint) (int, error)
}

// RetentionDays returns how many days a tenant's audit log is kept; a
// negative number (plan.Unlimited) keeps it all.
type RetentionDays func(ctx context.Context, tenantID uuid.UUID) (int64, error)

// PruneObserver counts the entries pruned (metrics.AuditObserver); nil
// counts nothing.
type PruneObserver interface {
	Pruned(n int)
}

// ErrCutRefused is the error of AuditPrune refusing a cut: it does not
// sign the entry at its seq, goes past the newest checkpoint, or is not
// past the tenant's last cut. Nothing was deleted.
var ErrCutRefused = errors.New("retention cut refused")

// ErrNotVerified is the error of a prune refused because the tenant's
// chain does not verify: the nightly verification reports it.
var ErrNotVerified = errors.New("the chain does not verify, so it is not pruned")

// PruneTenant deletes the tenant's entries written before before, in
// batches of at most batch entries, each with a retention cut signed with
// key at now, and returns how many it deleted. It stops at the newest
// checkpoint and at the first entry written at or after before (entries
// are pruned from the chain's start only). A chain that does not verify
// is left whole (ErrNotVerified, wrapping the problem).
func PruneTenant(ctx context.Context, s RetentionStore, key ed25519.PrivateKey, tenantID uuid.UUID, before, now time.Time, batch int) (int, error) {
	// Most nights most tenants have nothing to prune: look at the oldest
	// entry before reading the whole chain.
	first, err := s.AuditChainPage(ctx, tenantID, 0, uuid.Nil, 1)
	if err != nil {
		return 0, fmt.Errorf("prune %s: %w", tenantID, err)
	}
	if len(first) == 0 || !first[0].CreatedAt.Before(before) {
		return 0, nil
	}
	entries, head, err := s.AuditChain(ctx, tenantID)
	if err != nil {
		return 0, fmt.Errorf("prune %s: %w", tenantID, err)
	}
	cps, err := s.AuditCheckpoints(ctx, tenantID)
	if err != nil {
		return 0, fmt.Errorf("prune %s: %w", tenantID, err)
	}
	// Verified here and now, although the nightly verification (VerifyHour)
	// checked the same chain two hours ago: it keeps no result, may have
	// run in another process, and the chain has grown since. Even a kept
	// result for the same head (seq and hash) would prove nothing about
	// the entries before it, whose rows can be edited with their stored
	// hashes left alone: only hashing them again shows it, and the cut
	// below must sign a chain that verified as it is read now.
	r := Verify(entries, head, cps, key.Public().(ed25519.PublicKey))
	if r.Problem != nil {
		return 0, fmt.Errorf("prune %s: %w: %w", tenantID, ErrNotVerified, r.Problem)
	}
	var pinned int64
	for _, c := range cps {
		if !c.Cut {
			pinned = max(pinned, c.Seq)
		}
	}
	chain := entries[r.Unchained:]
	end := 0 // chain[:end] goes
	for end < len(chain) && chain[end].Seq <= pinned && chain[end].CreatedAt.Before(before) {
		end++
	}
	n := 0
	for done := 0; done < end; {
		next := min(done+max(batch, 1), end)
		last := chain[next-1]
		k, err := s.AuditPrune(ctx, SignCut(key, Head{TenantID: tenantID, Seq: last.Seq, Hash: last.Hash}, now))
		n += k
		if err != nil {
			return n, fmt.Errorf("prune %s up to seq %d: %w", tenantID, last.Seq, err)
		}
		done = next
	}
	return n, nil
}

// PruneAll prunes every tenant's log as days says, and returns how many
// entries it deleted. A tenant whose chain does not verify is skipped
// (and given to skipped) rather than stopping the rest.
func PruneAll(ctx context.Context, s RetentionStore, key ed25519.PrivateKey, days RetentionDays, now time.Time, skipped func(tenantID uuid.UUID, err error)) (int, error) {
	n := 0
	err := forEachChainTenant(ctx, s, func(id uuid.UUID) error {
		d, err := days(ctx, id)
		if err != nil {
			return fmt.Errorf("retention of %s: %w", id, err)
		}
		if d < 0 {
			return nil
		}
		// At least a day: 0 would prune what was written a moment
		// ago, which no plan means.
		before := now.Add(-time.Duration(max(d, 1)) * 24 * time.Hour)
		k, err := PruneTenant(ctx, s, key, id, before, now, pruneBatch)
		n += k
		if errors.Is(err, ErrNotVerified) {
			skipped(id, err)
			return nil
		}
		return err
	})
	return n, err
}

// RetentionArgs prunes the audit logs. River's leader enqueues it
// nightly, so one process does it however many run.
type RetentionArgs struct{}

func (RetentionArgs) Kind() string { return jobs.KindAuditRetention }

func (RetentionArgs) InsertOpts() jobs.Opts {
	return jobs.Opts{Queue: jobs.QueueMaintenance, UniquePeriod: time.Hour}
}

// RetentionWorker works RetentionArgs. Days nil keeps every log whole:
// retention is a plan limit, and plan limits may be off.
type RetentionWorker struct {
	Store    RetentionStore
	Key      ed25519.PrivateKey
	Days     RetentionDays
	Log      *slog.Logger
	Observer PruneObserver
}

func (w *RetentionWorker) Work(ctx context.Context, _ *jobs.Job[RetentionArgs]) error {
	if w.Days == nil {
		return nil
	}
	skipped := 0
	n, err := PruneAll(ctx, w.Store, w.Key, w.Days, time.Now(), func(tenantID uuid.UUID, err error) {
		skipped++
		w.Log.WarnContext(ctx, "audit log not pruned: its chain does not verify", "tenant_id", tenantID, "err", err)
	})
	if w.Observer != nil {
		w.Observer.Pruned(n)
	}
	w.Log.InfoContext(ctx, "pruned audit log entries past retention", "pruned", n, "skipped", skipped)
	if err != nil {
		return fmt.Errorf("audit retention: %w", err)
	}
	return nil
}

// AddRetentionJob registers the worker and schedules it nightly.
func AddRetentionJob(cfg *jobs.RunConfig, w *RetentionWorker) {
	jobs.Register[RetentionArgs](cfg.Workers, w)
	cfg.AddPeriodic(jobs.Periodic{ID: "audit_retention", Schedule: jobs.DailyAt(RetentionHour),
		Args: func() jobs.Args { return RetentionArgs{} }})
}
