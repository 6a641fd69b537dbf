package sqlshared

// Queries of tenants and their settings, the same on both engines.
const (
	TenantColumns = `id, name, slug, plan, status, created_at, updated_at, default_tax_rate_bp, purge_after, require_two_factor`

	TenantCreate = `INSERT INTO tenants (id, name, slug, plan, status, created_at, updated_at, default_tax_rate_bp)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

	TenantGetByID = `SELECT ` + TenantColumns + ` FROM tenants WHERE id = $1`

	TenantGetBySlug = `SELECT ` + TenantColumns + ` FROM tenants WHERE slug = $1`

	// TenantListAfter pages through every tenant by id, for operators.
	TenantListAfter = `SELECT ` + TenantColumns + ` FROM tenants WHERE id > $1 ORDER BY id LIMIT $2`

	TenantUpdate = `UPDATE tenants SET name = $2, slug = $3, plan = $4, status = $5, updated_at = $6,
		default_tax_rate_bp = $7, purge_after = $8, require_two_factor = $9 WHERE id = $1`

	// TenantListPurgeDue lists the deleted tenants whose grace period
	// has ended, soonest first.
	TenantListPurgeDue = `SELECT ` + TenantColumns + ` FROM tenants
		WHERE status = 'deleted' AND purge_after IS NOT NULL AND purge_after <= $1
		ORDER BY purge_after LIMIT $2`

	TenantSettings = `SELECT settings FROM tenants WHERE id = $1`

	TenantSettingsUpdate = `UPDATE tenants SET settings = $2, updated_at = $3 WHERE id = $1`
)
