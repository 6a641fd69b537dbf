-- Accounts: single-use tokens (e-mail verification, password reset, e-mail
-- change), invitations, and the per-user session epoch that makes "log
-- out everywhere" immediate. Keep pgstore/migrations in step.

-- +goose Up
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;

-- Tokens are random; only their SHA-256 is stored.
CREATE TABLE user_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email')),
    token_hash  BLOB NOT NULL UNIQUE,
    data        TEXT NOT NULL DEFAULT '',
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id, purpose);

CREATE TABLE invitations (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email        TEXT NOT NULL CHECK (email = lower(email)),
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    token_hash   BLOB NOT NULL UNIQUE,
    invited_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    expires_at   TEXT NOT NULL,
    accepted_at  TEXT,
    revoked_at   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX invitations_tenant_idx ON invitations (tenant_id, id);
-- At most one open invitation per address and tenant.
CREATE UNIQUE INDEX invitations_open_idx ON invitations (tenant_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- +goose Down
DROP TABLE invitations;
DROP TABLE user_tokens;
ALTER TABLE users DROP COLUMN session_epoch;
