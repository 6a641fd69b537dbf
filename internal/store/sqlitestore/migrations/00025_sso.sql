-- Single sign-on with OpenID Connect (package sso): a tenant's own
-- identity provider, set by its owners (the client secret sealed with a
-- key from ORDO_SECRET), and the identities at providers linked to users
-- (an issuer never reuses a subject). A tenant's purge deletes its
-- provider by cascade; a user's deletion their identities.
-- Keep the other engine's migrations in step.

-- +goose Up
CREATE TABLE tenant_sso (
    tenant_id      TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    issuer         TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    client_secret  TEXT NOT NULL DEFAULT '',
    domains        TEXT NOT NULL DEFAULT '',
    jit            INTEGER NOT NULL DEFAULT 0,
    default_role   TEXT NOT NULL DEFAULT 'member',
    required       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) STRICT;

CREATE TABLE sso_identities (
    id          TEXT PRIMARY KEY,
    issuer      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    UNIQUE (issuer, subject)
) STRICT;
CREATE INDEX sso_identities_user_idx ON sso_identities (user_id);

-- +goose Down
DROP TABLE sso_identities;
DROP TABLE tenant_sso;
