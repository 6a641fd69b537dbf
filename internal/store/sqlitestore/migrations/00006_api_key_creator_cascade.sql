-- An API key acts for the member who created it. Until now deleting that
-- user set created_by to NULL, which reads as an operator's key: one that
-- acts for nobody and keeps its role for ever. The key now goes with its
-- creator. SQLite cannot alter a foreign key, so the table is rebuilt
-- (nothing references it). Keep the other engine's migrations in step.

-- +goose Up
CREATE TABLE api_keys_new (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_by    TEXT REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL UNIQUE,
    secret_hash   BLOB NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    last_used_at  TEXT,
    expires_at    TEXT,
    revoked_at    TEXT,
    created_at    TEXT NOT NULL
) STRICT;
INSERT INTO api_keys_new SELECT id, tenant_id, created_by, name, prefix, secret_hash, role, last_used_at, expires_at, revoked_at, created_at FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, id);

-- +goose Down
CREATE TABLE api_keys_old (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL UNIQUE,
    secret_hash   BLOB NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    last_used_at  TEXT,
    expires_at    TEXT,
    revoked_at    TEXT,
    created_at    TEXT NOT NULL
) STRICT;
INSERT INTO api_keys_old SELECT id, tenant_id, created_by, name, prefix, secret_hash, role, last_used_at, expires_at, revoked_at, created_at FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_old RENAME TO api_keys;
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, id);
