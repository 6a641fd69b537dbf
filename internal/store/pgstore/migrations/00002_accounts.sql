-- Accounts: single-use tokens (e-mail verification, password reset, e-mail
-- change), invitations, and the per-user session epoch that makes "log
-- out everywhere" immediate. Keep sqlitestore/migrations in step.

-- +goose Up
ALTER TABLE users ADD COLUMN session_epoch bigint NOT NULL DEFAULT 0;

-- Tokens are random; only their SHA-256 is stored.
CREATE TABLE user_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email')),
    token_hash  bytea NOT NULL UNIQUE,
    data        text NOT NULL DEFAULT '',
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL
);
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id, purpose);

CREATE TABLE invitations (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email        text NOT NULL CHECK (email = lower(email)),
    role         text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    token_hash   bytea NOT NULL UNIQUE,
    invited_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX invitations_tenant_idx ON invitations (tenant_id, id);
-- At most one open invitation per address and tenant.
CREATE UNIQUE INDEX invitations_open_idx ON invitations (tenant_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- +goose Down
DROP TABLE invitations;
DROP TABLE user_tokens;
ALTER TABLE users DROP COLUMN session_epoch;
