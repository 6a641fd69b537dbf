package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/tenant"
)

// The engine is the tenant service's store, and its transaction the
// service's transaction.
var (
	_ tenant.Store = (*Store)(nil)
	_ tenant.Tx    = (*queries)(nil)
)

const tenantColumns = `id, name, slug, plan, status, created_at, updated_at`

func scanTenant(row pgx.Row) (tenant.Tenant, error) {
	var t tenant.Tenant
	err := row.Scan(&t.ID, &t.Name, &t.Slug, &t.Plan, &t.Status, &t.CreatedAt, &t.UpdatedAt)
	return t, err
}

func (q *queries) TenantCreate(ctx context.Context, t tenant.Tenant) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO tenants (id, name, slug, plan, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Name, t.Slug, t.Plan, t.Status, t.CreatedAt, t.UpdatedAt)
	if err != nil {
		return fmt.Errorf("TenantCreate: %w", interpretError(err, "tenant"))
	}
	return nil
}

func (q *queries) TenantGetByID(ctx context.Context, id uuid.UUID) (tenant.Tenant, error) {
	t, err := scanTenant(q.db.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, id))
	if err != nil {
		return tenant.Tenant{}, fmt.Errorf("TenantGetByID(%s): %w", id, interpretError(err, "tenant"))
	}
	return t, nil
}

func (q *queries) TenantGetBySlug(ctx context.Context, slug string) (tenant.Tenant, error) {
	t, err := scanTenant(q.db.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE slug = $1`, slug))
	if err != nil {
		return tenant.Tenant{}, fmt.Errorf("TenantGetBySlug(%q): %w", slug, interpretError(err, "tenant"))
	}
	return t, nil
}

func (q *queries) TenantUpdate(ctx context.Context, t tenant.Tenant) error {
	tag, err := q.db.Exec(ctx, `
		UPDATE tenants SET name = $2, slug = $3, plan = $4, status = $5, updated_at = $6
		WHERE id = $1`,
		t.ID, t.Name, t.Slug, t.Plan, t.Status, t.UpdatedAt)
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
	err := q.db.QueryRow(ctx, `SELECT settings FROM tenants WHERE id = $1`, id).Scan(&raw)
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
	tag, err := q.db.Exec(ctx, `UPDATE tenants SET settings = $2, updated_at = $3 WHERE id = $1`, id, string(doc), now)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("TenantSettingsUpdate(%s): %w", id, interpretError(err, "tenant"))
	}
	return nil
}
