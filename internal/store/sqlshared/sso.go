package sqlshared

import (
	"strings"
)

// Queries of single sign-on (package sso), the same on both engines.
const (
	SSOConfigColumns = `tenant_id, issuer, client_id, client_secret, domains, jit, default_role, required, created_at, updated_at`

	SSOConfigGet = `SELECT ` + SSOConfigColumns + ` FROM tenant_sso WHERE tenant_id = $1`

	SSOConfigSave = `INSERT INTO tenant_sso (` + SSOConfigColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (tenant_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id,
		client_secret = excluded.client_secret, domains = excluded.domains, jit = excluded.jit,
		default_role = excluded.default_role, required = excluded.required, updated_at = excluded.updated_at`

	SSOConfigDelete = `DELETE FROM tenant_sso WHERE tenant_id = $1`

	SSOIdentityColumns = `id, issuer, subject, user_id, email, created_at`

	SSOIdentityGet = `SELECT ` + SSOIdentityColumns + ` FROM sso_identities WHERE issuer = $1 AND subject = $2`

	SSOIdentityCreate = `INSERT INTO sso_identities (` + SSOIdentityColumns + `) VALUES ($1, $2, $3, $4, $5, $6)`

	// SSORequiredTenants names the tenants, not deleted, that require
	// SSO of the user, who is a member there but not an owner.
	SSORequiredTenants = `SELECT t.name FROM tenant_sso s
		JOIN tenants t ON t.id = s.tenant_id
		JOIN memberships m ON m.tenant_id = s.tenant_id
		WHERE m.user_id = $1 AND s.required = TRUE AND m.role <> 'owner' AND t.status <> 'deleted'
		ORDER BY t.name`
)

// SSODomains stores a tenant's allowed e-mail domains in one column.
func SSODomains(ds []string) string { return strings.Join(ds, ",") }

// SSODomainList reads the column SSODomains wrote.
func SSODomainList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
