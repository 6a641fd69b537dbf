package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/sso"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

var (
	_ sso.Store = (*Store)(nil)
	_ sso.Tx    = (*queries)(nil)
)

// boolInt is a boolean as SQLite keeps it.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (q *queries) SSOConfigGet(ctx context.Context, tenantID uuid.UUID) (sso.TenantConfig, error) {
	var c sso.TenantConfig
	var domains, role string
	err := q.db.QueryRowContext(ctx, sqlshared.SSOConfigGet, tenantID).Scan(&c.TenantID, &c.Issuer, &c.ClientID, &c.ClientSecret, &domains, &c.JIT, &role, &c.Required,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	if err != nil {
		return sso.TenantConfig{}, fmt.Errorf("SSOConfigGet: %w", interpretError(err, "single sign-on"))
	}
	c.Domains, c.DefaultRole = sqlshared.SSODomainList(domains), access.Role(role)
	return c, nil
}

func (q *queries) SSOConfigSave(ctx context.Context, c sso.TenantConfig) error {
	_, err := q.db.ExecContext(ctx, sqlshared.SSOConfigSave, c.TenantID, c.Issuer, c.ClientID, c.ClientSecret, sqlshared.SSODomains(c.Domains), boolInt(c.JIT),
		string(c.DefaultRole), boolInt(c.Required), ts(c.CreatedAt), ts(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("SSOConfigSave: %w", interpretError(err, "tenant"))
	}
	return nil
}

func (q *queries) SSOConfigDelete(ctx context.Context, tenantID uuid.UUID) error {
	res, err := q.db.ExecContext(ctx, sqlshared.SSOConfigDelete, tenantID)
	if err != nil {
		return fmt.Errorf("SSOConfigDelete: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("SSOConfigDelete: %w", interpretError(sql.ErrNoRows, "single sign-on"))
	}
	return nil
}

func (q *queries) SSOIdentityGet(ctx context.Context, issuer, subject string) (sso.Identity, error) {
	var i sso.Identity
	err := q.db.QueryRowContext(ctx, sqlshared.SSOIdentityGet, issuer, subject).Scan(&i.ID, &i.Issuer, &i.Subject, &i.UserID, &i.Email, timeCol{&i.CreatedAt})
	if err != nil {
		return sso.Identity{}, fmt.Errorf("SSOIdentityGet: %w", interpretError(err, "identity"))
	}
	return i, nil
}

func (q *queries) SSOIdentityCreate(ctx context.Context, i sso.Identity) error {
	_, err := q.db.ExecContext(ctx, sqlshared.SSOIdentityCreate, i.ID, i.Issuer, i.Subject, i.UserID, i.Email, ts(i.CreatedAt))
	if err != nil {
		return fmt.Errorf("SSOIdentityCreate: %w", interpretError(err, "identity"))
	}
	return nil
}

func (q *queries) SSORequiredTenants(ctx context.Context, userID uuid.UUID) ([]string, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.SSORequiredTenants, userID)
	if err != nil {
		return nil, fmt.Errorf("SSORequiredTenants: %w", err)
	}
	names, err := collect(rows, func(r scanner) (string, error) {
		var n string
		err := r.Scan(&n)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("SSORequiredTenants: %w", err)
	}
	return names, nil
}
