-- An export can also be the tenant's whole archive (package archive),
-- which owners download from the settings page. SQLite cannot change a
-- CHECK constraint in place: the table is rebuilt with the same columns
-- (order_count last, where 00008 added it) and index. Nothing refers to
-- exports. Keep the other engine's migrations in step.

-- +goose Up
CREATE TABLE exports_new (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_by    TEXT,
    format        TEXT NOT NULL CHECK (format IN ('csv', 'xlsx', 'pdf', 'archive')),
    filters       TEXT NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'expired')),
    done          INTEGER NOT NULL DEFAULT 0,
    total         INTEGER NOT NULL DEFAULT 0,
    row_count     INTEGER NOT NULL DEFAULT 0,
    object_key    TEXT NOT NULL DEFAULT '',
    size          INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    expires_at    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    completed_at  TEXT,
    order_count   INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO exports_new SELECT id, tenant_id, created_by, format, filters, status, done, total, row_count, object_key,
    size, error, expires_at, created_at, updated_at, completed_at, order_count FROM exports;
DROP TABLE exports;
ALTER TABLE exports_new RENAME TO exports;
CREATE INDEX exports_tenant_idx ON exports (tenant_id, id);

-- +goose Down
CREATE TABLE exports_old (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_by    TEXT,
    format        TEXT NOT NULL CHECK (format IN ('csv', 'xlsx', 'pdf')),
    filters       TEXT NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'expired')),
    done          INTEGER NOT NULL DEFAULT 0,
    total         INTEGER NOT NULL DEFAULT 0,
    row_count     INTEGER NOT NULL DEFAULT 0,
    object_key    TEXT NOT NULL DEFAULT '',
    size          INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    expires_at    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    completed_at  TEXT,
    order_count   INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO exports_old SELECT id, tenant_id, created_by, format, filters, status, done, total, row_count, object_key,
    size, error, expires_at, created_at, updated_at, completed_at, order_count FROM exports WHERE format <> 'archive';
DROP TABLE exports;
ALTER TABLE exports_old RENAME TO exports;
CREATE INDEX exports_tenant_idx ON exports (tenant_id, id);
