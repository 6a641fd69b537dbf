package tenant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/version"
)

// DefaultDeletionGrace is how long a deleted tenant waits before it is
// purged, unless configured otherwise: time for an owner to change their
// mind, or for the operator to restore a mistaken deletion.
const DefaultDeletionGrace = 30 * 24 * time.Hour

// errConfirmSlug is the answer to a deletion whose confirmation is not
// the tenant's slug.
func errConfirmSlug() error {
	return apperr.Invalid("confirm", "must be the tenant's slug, exactly as shown, to confirm the deletion")
}

// ScheduleDeletion deletes the principal's tenant, which an owner
// confirms by typing its slug: from now on its members and API keys get
// 403 "tenant deleted" and its background jobs wait, and when grace has
// passed the maintenance job purges its rows and stored objects for good
// (Purger). Until then an owner can CancelDeletion. grace <= 0 means
// DefaultDeletionGrace.
func (s *Service) ScheduleDeletion(ctx context.Context, p access.Principal, confirm string, grace time.Duration, m access.Meta) (Tenant, error) {
	if err := p.Require(access.ActTenantDelete); err != nil {
		return Tenant{}, err
	}
	if grace <= 0 {
		grace = DefaultDeletionGrace
	}
	return s.setDeletion(ctx, p, p.TenantID, m, func(t Tenant) error {
		if strings.TrimSpace(confirm) != t.Slug {
			return errConfirmSlug()
		}
		return nil
	}, &grace)
}

// DeleteTenantAsOperator schedules the deletion of op's tenant for the
// operator (op from access.Operator or access.OperatorIn): purged once
// grace has passed (0: at the next purge).
func (s *Service) DeleteTenantAsOperator(ctx context.Context, op access.Principal, grace time.Duration, m access.Meta) (Tenant, error) {
	if err := requireOperator(op); err != nil {
		return Tenant{}, err
	}
	if grace < 0 {
		grace = 0
	}
	return s.setDeletion(ctx, op, op.TenantID, m, nil, &grace)
}

// CancelDeletion restores a tenant scheduled for deletion that has not
// been purged yet: an owner of it (whose principal names it as
// DeletedTenant) or the operator (access.Operator) may. Its members and
// keys work again at once and its waiting jobs run.
func (s *Service) CancelDeletion(ctx context.Context, p access.Principal, m access.Meta) (Tenant, error) {
	id := p.TenantID
	switch {
	case id != uuid.Nil:
		if err := p.Require(access.ActTenantDelete); err != nil {
			return Tenant{}, err
		}
	case p.DeletedTenant != uuid.Nil:
		if !access.Can(p.DeletedRole, access.ActTenantDelete) {
			return Tenant{}, apperr.Forbidden("only an owner may cancel the tenant's deletion")
		}
		id = p.DeletedTenant
	default:
		return Tenant{}, p.NoTenant()
	}
	return s.setDeletion(ctx, p, id, m, nil, nil)
}

// DeletedTenant returns the tenant scheduled for deletion that the
// principal names (DeletedTenant), for the page that says when it goes.
func (s *Service) DeletedTenant(ctx context.Context, p access.Principal) (Tenant, error) {
	if p.DeletedTenant == uuid.Nil {
		return Tenant{}, apperr.NotFound("tenant")
	}
	return s.db.TenantGetByID(ctx, p.DeletedTenant)
}

// setDeletion deletes the tenant (grace set) or restores it (grace nil)
// in one transaction with its audit entry, after check approves the
// tenant as read under its lock.
func (s *Service) setDeletion(ctx context.Context, p access.Principal, id uuid.UUID, m access.Meta, check func(Tenant) error, grace *time.Duration) (Tenant, error) {
	var t Tenant
	err := s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.MembershipLock(ctx, id); err != nil {
			return err
		}
		var err error
		if t, err = tx.TenantGetByID(ctx, id); err != nil {
			return err
		}
		if check != nil {
			if err := check(t); err != nil {
				return err
			}
		}
		now := version.Next(s.clock(), t.Version())
		action, details := "", map[string]any{"tenant": t.Slug}
		switch {
		case grace != nil && t.Status == StatusDeleted:
			return apperr.Conflict("the tenant is already scheduled for deletion")
		case grace != nil:
			at := now.Add(*grace)
			details["old_status"], details["purge_after"] = t.Status, at
			t.Status, t.PurgeAfter, action = StatusDeleted, &at, "tenant.deletion_scheduled"
		case t.Status != StatusDeleted:
			return apperr.Conflict("the tenant is not scheduled for deletion")
		default:
			details["purge_after"] = t.PurgeAfter
			t.Status, t.PurgeAfter, action = StatusActive, nil, "tenant.deletion_cancelled"
		}
		t.UpdatedAt = now
		if err := tx.TenantUpdate(ctx, t); err != nil {
			return err
		}
		return p.Audit(ctx, tx, m, now, id, action, "tenant", id.String(), details)
	})
	if err == nil {
		s.auth.ForgetTenant(ctx, id)
	}
	return t, err
}

// PurgeStore is what purging needs of the store, outside a transaction:
// the purge deletes in batches of its own.
type PurgeStore interface {
	// TenantListPurgeDue lists up to limit deleted tenants whose
	// PurgeAfter is at or before now, soonest first.
	TenantListPurgeDue(ctx context.Context, now time.Time, limit int) ([]Tenant, error)
	// TenantPurgeRows deletes every row of a deleted tenant, its queued
	// jobs, and the tenant row last, in batches; a tenant that is not
	// deleted is apperr.ErrConflict. It returns how many rows went.
	TenantPurgeRows(ctx context.Context, id uuid.UUID) (int64, error)
}

// Objects is what purging needs of object storage; blob.Store is one.
type Objects interface {
	List(ctx context.Context, prefix string) ([]blob.Info, error)
	Delete(ctx context.Context, key string) error
}

// ObjectPrefixes are the prefixes under which a tenant's objects live:
// attachments, invoices, exports and branding under tenants/ID/, uploads
// not yet confirmed under uploads/tenants/ID/.
func ObjectPrefixes(id uuid.UUID) []string {
	return []string{"tenants/" + id.String() + "/", "uploads/tenants/" + id.String() + "/"}
}

// Purger removes deleted tenants for good once their grace has passed.
type Purger struct {
	Store   PurgeStore
	Objects Objects
	Log     *slog.Logger
}

// PurgeDue purges every tenant whose grace ended by now, and returns how
// many it purged. One tenant's failure does not stop the others.
func (p *Purger) PurgeDue(ctx context.Context, now time.Time) (int, error) {
	due, err := p.Store.TenantListPurgeDue(ctx, now, 100)
	if err != nil {
		return 0, err
	}
	var n int
	var errs []error
	for _, t := range due {
		if err := p.Purge(ctx, t); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// Purge removes a deleted tenant's stored objects and every row of it.
// Objects go first, while the tenant row still says what is left to do,
// so a purge cut short (a crash, storage down) is finished by the next
// run; once the rows are gone, objects are listed again for any that a
// job still running at the start wrote in between.
func (p *Purger) Purge(ctx context.Context, t Tenant) error {
	if t.Status != StatusDeleted {
		return apperr.Conflict("tenant %s is %s, not deleted", t.Slug, t.Status)
	}
	start := time.Now()
	objs, err := p.deleteObjects(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("purge tenant %s: %w", t.Slug, err)
	}
	rows, err := p.Store.TenantPurgeRows(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("purge tenant %s: %w", t.Slug, err)
	}
	late, err := p.deleteObjects(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("purge tenant %s: %w", t.Slug, err)
	}
	p.Log.InfoContext(ctx, "tenant purged", "tenant_id", t.ID, "slug", t.Slug, "rows", rows, "objects", objs+late, "took", time.Since(start))
	return nil
}

func (p *Purger) deleteObjects(ctx context.Context, id uuid.UUID) (int, error) {
	var n int
	for _, prefix := range ObjectPrefixes(id) {
		infos, err := p.Objects.List(ctx, prefix)
		if err != nil {
			return n, fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range infos {
			if err := p.Objects.Delete(ctx, o.Key); err != nil {
				return n, fmt.Errorf("delete %s: %w", o.Key, err)
			}
			n++
		}
	}
	return n, nil
}
