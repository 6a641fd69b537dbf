package pgstore

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/sso"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

var (
	_ sso.Store = (*Store)(nil)
	_ sso.Tx    = (*queries)(nil)
)

func (q *queries) SSOConfigGet(ctx context.Context, tenantID uuid.UUID) (sso.TenantConfig, error) {
	var c sso.TenantConfig
	var domains, role string
	err := q.db.QueryRow(ctx, sqlshared.SSOConfigGet, tenantID).Scan(&c.TenantID, &c.Issuer, &c.ClientID, &c.ClientSecret, &domains, &c.JIT, &role, &c.Required, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return sso.TenantConfig{}, fmt.Errorf("SSOConfigGet: %w", interpretError(err, "single sign-on"))
	}
	c.Domains, c.DefaultRole = sqlshared.SSODomainList(domains), access.Role(role)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

func (q *queries) SSOConfigSave(ctx context.Context, c sso.TenantConfig) error {
	_, err := q.db.Exec(ctx, sqlshared.SSOConfigSave, c.TenantID, c.Issuer, c.ClientID, c.ClientSecret, sqlshared.SSODomains(c.Domains), c.JIT, string(c.DefaultRole), c.Required, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("SSOConfigSave: %w", interpretError(err, "tenant"))
	}
	return nil
}

func (q *queries) SSOConfigDelete(ctx context.Context, tenantID uuid.UUID) error {
	tag, err := q.db.Exec(ctx, sqlshared.SSOConfigDelete, tenantID)
	if err != nil {
		return fmt.Errorf("SSOConfigDelete: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("SSOConfigDelete: %w", interpretError(pgx.ErrNoRows, "single sign-on"))
	}
	return nil
}

func (q *queries) SSOIdentityGet(ctx context.Context, issuer, subject string) (sso.Identity, error) {
	var i sso.Identity
	err := q.db.QueryRow(ctx, sqlshared.SSOIdentityGet, issuer, subject).Scan(&i.ID, &i.Issuer, &i.Subject, &i.UserID, &i.Email, &i.CreatedAt)
	if err != nil {
		return sso.Identity{}, fmt.Errorf("SSOIdentityGet: %w", interpretError(err, "identity"))
	}
	i.CreatedAt = i.CreatedAt.UTC()
	return i, nil
}

func (q *queries) SSOIdentityCreate(ctx context.Context, i sso.Identity) error {
	_, err := q.db.Exec(ctx, sqlshared.SSOIdentityCreate, i.ID, i.Issuer, i.Subject, i.UserID, i.Email, i.CreatedAt)
	if err != nil {
		return fmt.Errorf("SSOIdentityCreate: %w", interpretError(err, "identity"))
	}
	return nil
}

func (q *queries) SSORequiredTenants(ctx context.Context, userID uuid.UUID) ([]string, error) {
	rows, err := q.db.Query(ctx, sqlshared.SSORequiredTenants, userID)
	if err != nil {
		return nil, fmt.Errorf("SSORequiredTenants: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("SSORequiredTenants: %w", err)
	}
	return names, nil
}
