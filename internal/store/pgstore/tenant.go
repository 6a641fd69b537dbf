package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/store/sqlshared"
	"github.com/ordo/ordo/internal/tenant"
)

// The engine is the tenant service's store, and its transaction the
// service's transaction.
var (
	_ tenant.Store = (*Store)(nil)
	_ tenant.Tx    = (*queries)(nil)
)

func scanTenant(row pgx.Row) (tenant.Tenant, error) {
	var t tenant.Tenant
	err := row.Scan(&t.ID, &t.Name, &t.Slug, &t.Plan, &t.Status, &t.CreatedAt, &t.UpdatedAt, &t.DefaultTaxRateBP, &t.PurgeAfter, &t.RequireTwoFactor)
	return t, err
}

func (q *queries) TenantCreate(ctx context.Context, t tenant.Tenant) error {
	_, err := q.db.Exec(ctx, sqlshared.TenantCreate,
		t.ID, t.Name, t.Slug, t.Plan, t.Status, t.CreatedAt, t.UpdatedAt, t.DefaultTaxRateBP)
	if err != nil {
		return fmt.Errorf("TenantCreate: %w", interpretError(err, "tenant"))
	}
	return nil
}

func (q *queries) TenantGetByID(ctx context.Context, id uuid.UUID) (tenant.Tenant, error) {
	t, err := scanTenant(q.db.QueryRow(ctx, sqlshared.TenantGetByID, id))
	if err != nil {
		return tenant.Tenant{}, fmt.Errorf("TenantGetByID(%s): %w", id, interpretError(err, "tenant"))
	}
	return t, nil
}

func (q *queries) TenantGetBySlug(ctx context.Context, slug string) (tenant.Tenant, error) {
	t, err := scanTenant(q.db.QueryRow(ctx, sqlshared.TenantGetBySlug, slug))
	if err != nil {
		return tenant.Tenant{}, fmt.Errorf("TenantGetBySlug(%q): %w", slug, interpretError(err, "tenant"))
	}
	return t, nil
}

func (q *queries) TenantUpdate(ctx context.Context, t tenant.Tenant) error {
	tag, err := q.db.Exec(ctx, sqlshared.TenantUpdate,
		t.ID, t.Name, t.Slug, t.Plan, t.Status, t.UpdatedAt, t.DefaultTaxRateBP, t.PurgeAfter, t.RequireTwoFactor)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("TenantUpdate(%s): %w", t.ID, interpretError(err, "tenant"))
	}
	return nil
}

// TenantSettings reads the settings document; '{}' gives zero Settings.
func (q *queries) TenantSettings(ctx context.Context, id uuid.UUID) (tenant.Settings, error) {
	var raw []byte
	var s tenant.Settings
	err := q.db.QueryRow(ctx, sqlshared.TenantSettings, id).Scan(&raw)
	if err == nil {
		err = json.Unmarshal(raw, &s)
	}
	if err != nil {
		return tenant.Settings{}, fmt.Errorf("TenantSettings(%s): %w", id, interpretError(err, "tenant"))
	}
	return s, nil
}

func (q *queries) TenantSettingsUpdate(ctx context.Context, id uuid.UUID, s tenant.Settings, now time.Time) error {
	doc, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("TenantSettingsUpdate(%s): %w", id, err)
	}
	tag, err := q.db.Exec(ctx, sqlshared.TenantSettingsUpdate, id, string(doc), now)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("TenantSettingsUpdate(%s): %w", id, interpretError(err, "tenant"))
	}
	return nil
}

func (q *queries) TenantListByIDs(ctx context.Context, ids []uuid.UUID) ([]tenant.Tenant, error) {
	rows, err := q.db.Query(ctx, `SELECT `+sqlshared.TenantColumns+` FROM tenants WHERE id = ANY($1)`, uuidArray(ids))
	if err != nil {
		return nil, fmt.Errorf("TenantListByIDs: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tenant.Tenant, error) { return scanTenant(r) })
	if err != nil {
		return nil, fmt.Errorf("TenantListByIDs: %w", err)
	}
	return ts, nil
}

func (q *queries) TenantListAfter(ctx context.Context, after uuid.UUID, limit int) ([]tenant.Tenant, error) {
	rows, err := q.db.Query(ctx, sqlshared.TenantListAfter, after, limit)
	if err != nil {
		return nil, fmt.Errorf("TenantListAfter: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tenant.Tenant, error) { return scanTenant(r) })
	if err != nil {
		return nil, fmt.Errorf("TenantListAfter: %w", err)
	}
	return ts, nil
}

// TenantListPurgeDue lists up to limit deleted tenants whose grace period
// ended by now.
func (q *queries) TenantListPurgeDue(ctx context.Context, now time.Time, limit int) ([]tenant.Tenant, error) {
	rows, err := q.db.Query(ctx, sqlshared.TenantListPurgeDue, now, limit)
	if err != nil {
		return nil, fmt.Errorf("TenantListPurgeDue: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tenant.Tenant, error) { return scanTenant(r) })
	if err != nil {
		return nil, fmt.Errorf("TenantListPurgeDue: %w", err)
	}
	return ts, nil
}

// TenantPurgeRows deletes every row of a deleted tenant, batch by batch
// (see sqlshared.TenantPurgeBatches), its queued jobs, and the tenant row
// last. A tenant that is not deleted is apperr.ErrConflict: nothing is
// purged by mistake.
func (s *Store) TenantPurgeRows(ctx context.Context, id uuid.UUID) (int64, error) {
	t, err := s.TenantGetByID(ctx, id)
	if err != nil {
		return 0, err
	}
	if t.Status != tenant.StatusDeleted {
		return 0, apperr.Conflict("tenant %s is %s, not deleted", t.Slug, t.Status)
	}
	// Its jobs first, so that none runs (or retries) into rows being
	// removed; they are held back while the tenant is deleted anyway.
	tag, err := s.pool.Exec(ctx, `DELETE FROM river_job WHERE args->>'tenant_id' = $1`, id.String())
	if err != nil {
		return 0, fmt.Errorf("TenantPurgeRows(%s): jobs: %w", id, err)
	}
	total := tag.RowsAffected()
	// Sessions still naming it as their current tenant (scs keeps the
	// id as text in the encoded data) end: their users log in again.
	if tag, err = s.pool.Exec(ctx, `DELETE FROM sessions WHERE position(convert_to($1, 'UTF8') IN data) > 0`, id.String()); err != nil {
		return total, fmt.Errorf("TenantPurgeRows(%s): sessions: %w", id, err)
	}
	total += tag.RowsAffected()
	if tag, err = s.pool.Exec(ctx, sqlshared.TenantPurgeFirst, id); err != nil {
		return total, fmt.Errorf("TenantPurgeRows(%s): %w", id, err)
	}
	if _, err = s.pool.Exec(ctx, sqlshared.PlatformAuditForget, id); err != nil {
		return total, fmt.Errorf("TenantPurgeRows(%s): platform audit: %w", id, err)
	}
	total += tag.RowsAffected()
	for _, q := range sqlshared.TenantPurgeBatches {
		for {
			tag, err := s.pool.Exec(ctx, q, id, sqlshared.TenantPurgeBatchSize)
			if err != nil {
				return total, fmt.Errorf("TenantPurgeRows(%s): %w", id, err)
			}
			total += tag.RowsAffected()
			if tag.RowsAffected() < sqlshared.TenantPurgeBatchSize {
				break
			}
		}
	}
	if tag, err = s.pool.Exec(ctx, sqlshared.TenantPurgeDelete, id); err != nil {
		return total, fmt.Errorf("TenantPurgeRows(%s): %w", id, err)
	}
	return total + tag.RowsAffected(), nil
}
