-- Single sign-on with OpenID Connect (package sso): a tenant's own
-- identity provider, set by its owners (the client secret sealed with a
-- key from ORDO_SECRET), and the identities at providers linked to users
-- (an issuer never reuses a subject). A tenant's purge deletes its
-- provider by cascade; a user's deletion their identities.
-- Keep the other engine's migrations in step.

-- +goose Up
CREATE TABLE tenant_sso (
    tenant_id      uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    issuer         text NOT NULL,
    client_id      text NOT NULL,
    client_secret  text NOT NULL DEFAULT '',
    domains        text NOT NULL DEFAULT '',
    jit            boolean NOT NULL DEFAULT false,
    default_role   text NOT NULL DEFAULT 'member',
    required       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE sso_identities (
    id          uuid PRIMARY KEY,
    issuer      text NOT NULL,
    subject     text NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX sso_identities_user_idx ON sso_identities (user_id);

-- +goose Down
DROP TABLE sso_identities;
DROP TABLE tenant_sso;
