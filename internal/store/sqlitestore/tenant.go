package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

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

func scanTenant(row scanner) (tenant.Tenant, error) {
	var t tenant.Tenant
	err := row.Scan(&t.ID, &t.Name, &t.Slug, &t.Plan, &t.Status, timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt}, &t.DefaultTaxRateBP, nullTimeCol{&t.PurgeAfter}, &t.RequireTwoFactor)
	return t, err
}

func (q *queries) TenantCreate(ctx context.Context, t tenant.Tenant) error {
	_, err := q.db.ExecContext(ctx, sqlshared.TenantCreate,
		t.ID, t.Name, t.Slug, t.Plan, t.Status, ts(t.CreatedAt), ts(t.UpdatedAt), t.DefaultTaxRateBP)
	if err != nil {
		return fmt.Errorf("TenantCreate: %w", interpretError(err, "tenant"))
	}
	return nil
}

func (q *queries) TenantGetByID(ctx context.Context, id uuid.UUID) (tenant.Tenant, error) {
	t, err := scanTenant(q.db.QueryRowContext(ctx, sqlshared.TenantGetByID, id))
	if err != nil {
		return tenant.Tenant{}, fmt.Errorf("TenantGetByID(%s): %w", id, interpretError(err, "tenant"))
	}
	return t, nil
}

func (q *queries) TenantGetBySlug(ctx context.Context, slug string) (tenant.Tenant, error) {
	t, err := scanTenant(q.db.QueryRowContext(ctx, sqlshared.TenantGetBySlug, slug))
	if err != nil {
		return tenant.Tenant{}, fmt.Errorf("TenantGetBySlug(%q): %w", slug, interpretError(err, "tenant"))
	}
	return t, nil
}

func (q *queries) TenantUpdate(ctx context.Context, t tenant.Tenant) error {
	res, err := q.db.ExecContext(ctx, sqlshared.TenantUpdate,
		t.ID, t.Name, t.Slug, t.Plan, t.Status, ts(t.UpdatedAt), t.DefaultTaxRateBP, tsPtr(t.PurgeAfter), t.RequireTwoFactor)
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("TenantUpdate(%s): %w", t.ID, interpretError(err, "tenant"))
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// oneRow turns "no row affected" into sql.ErrNoRows, so that updates and
// deletes report a missing row the same way a select does.
func oneRow(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// collect scans every row with scan.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// TenantSettings reads the settings document; '{}' gives zero Settings.
func (q *queries) TenantSettings(ctx context.Context, id uuid.UUID) (tenant.Settings, error) {
	var raw string
	var s tenant.Settings
	err := q.db.QueryRowContext(ctx, sqlshared.TenantSettings, id).Scan(&raw)
	if err == nil {
		err = json.Unmarshal([]byte(raw), &s)
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
	res, err := q.db.ExecContext(ctx, sqlshared.TenantSettingsUpdate, id, string(doc), ts(now))
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("TenantSettingsUpdate(%s): %w", id, interpretError(err, "tenant"))
	}
	return nil
}

func (q *queries) TenantListByIDs(ctx context.Context, ids []uuid.UUID) ([]tenant.Tenant, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	in, args := idList(ids)
	rows, err := q.db.QueryContext(ctx, `SELECT `+sqlshared.TenantColumns+` FROM tenants WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("TenantListByIDs: %w", err)
	}
	ts, err := collect(rows, scanTenant)
	if err != nil {
		return nil, fmt.Errorf("TenantListByIDs: %w", err)
	}
	return ts, nil
}

func (q *queries) TenantListAfter(ctx context.Context, after uuid.UUID, limit int) ([]tenant.Tenant, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.TenantListAfter, after, limit)
	if err != nil {
		return nil, fmt.Errorf("TenantListAfter: %w", err)
	}
	ts, err := collect(rows, scanTenant)
	if err != nil {
		return nil, fmt.Errorf("TenantListAfter: %w", err)
	}
	return ts, nil
}

// TenantListPurgeDue lists up to limit deleted tenants whose grace period
// ended by now.
func (q *queries) TenantListPurgeDue(ctx context.Context, now time.Time, limit int) ([]tenant.Tenant, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.TenantListPurgeDue, ts(now), limit)
	if err != nil {
		return nil, fmt.Errorf("TenantListPurgeDue: %w", err)
	}
	ts, err := collect(rows, scanTenant)
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
	exec := func(q string, args ...any) (int64, error) {
		res, err := s.rw.ExecContext(ctx, q, args...)
		if err != nil {
			return 0, fmt.Errorf("TenantPurgeRows(%s): %w", id, err)
		}
		return res.RowsAffected()
	}
	// Its jobs first, so that none runs (or retries) into rows being
	// removed; they are held back while the tenant is deleted anyway.
	// River keeps args as JSONB.
	total, err := exec(`DELETE FROM river_job WHERE json_extract(args, '$.tenant_id') = $1`, id.String())
	if err != nil {
		return 0, err
	}
	// Sessions still naming it as their current tenant (scs keeps the
	// id as text in the encoded data) end: their users log in again.
	n, err := exec(`DELETE FROM sessions WHERE instr(data, CAST($1 AS BLOB)) > 0`, id.String())
	if err != nil {
		return total, err
	}
	total += n
	if n, err = exec(sqlshared.TenantPurgeFirst, id); err != nil {
		return total, err
	}
	if _, err = exec(sqlshared.PlatformAuditForget, id); err != nil {
		return total, err
	}
	total += n
	for _, q := range sqlshared.TenantPurgeBatches {
		for {
			n, err := exec(q, id, sqlshared.TenantPurgeBatchSize)
			if err != nil {
				return total, err
			}
			total += n
			if n < sqlshared.TenantPurgeBatchSize {
				break
			}
		}
	}
	n, err = exec(sqlshared.TenantPurgeDelete, id)
	return total + n, err
}
