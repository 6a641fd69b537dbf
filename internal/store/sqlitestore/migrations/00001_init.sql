-- Ordo's initial schema for SQLite. Keep pgstore/migrations in step.
-- Tables are STRICT, so a column holds only its declared type.
-- Timestamps are TEXT in one fixed-width UTC format (see sqlitestore/time.go)
-- so that they sort as text; JSON is TEXT; booleans are INTEGER 0/1.
-- Conventions: ids are UUIDv7 made in Go (time-sortable); money is integer
-- minor units with an ISO 4217 currency; every tenant-owned row carries
-- tenant_id and the indexes that serve lists start with it.

-- +goose Up
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    plan        TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'enterprise')),
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
    settings    TEXT NOT NULL DEFAULT '{}',
    order_seq   INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id                 TEXT PRIMARY KEY,
    email              TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    name               TEXT NOT NULL DEFAULT '',
    image              TEXT NOT NULL DEFAULT '',
    password_hash      TEXT NOT NULL DEFAULT '',
    email_verified_at  TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
) STRICT;

CREATE TABLE memberships (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
) STRICT;
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- The session store's table, in the shape alexedwards/scs sqlite3store uses;
-- user_id lets "log out everywhere" find a user's sessions.
CREATE TABLE sessions (
    token    TEXT PRIMARY KEY,
    data     BLOB NOT NULL,
    expiry   REAL NOT NULL, -- julian day, as scs sqlite3store expects
    user_id  TEXT REFERENCES users (id) ON DELETE CASCADE
) STRICT;
CREATE INDEX sessions_expiry_idx ON sessions (expiry);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_keys (
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
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, id);

CREATE TABLE orders (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number            INTEGER NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')),
    customer_name     TEXT NOT NULL,
    customer_email    TEXT NOT NULL,
    customer_phone    TEXT NOT NULL DEFAULT '',
    shipping_address  TEXT,
    billing_address   TEXT,
    currency          TEXT NOT NULL CHECK (length(currency) = 3 AND currency GLOB '[A-Z][A-Z][A-Z]'),
    subtotal          INTEGER NOT NULL,
    tax               INTEGER NOT NULL,
    discount          INTEGER NOT NULL DEFAULT 0,
    total             INTEGER NOT NULL,
    notes             TEXT NOT NULL DEFAULT '',
    external_ref      TEXT NOT NULL DEFAULT '',
    metadata          TEXT NOT NULL DEFAULT '{}',
    created_by        TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (tenant_id, number),
    UNIQUE (tenant_id, id)
) STRICT;
CREATE INDEX orders_tenant_id_idx ON orders (tenant_id, id);
CREATE INDEX orders_tenant_status_idx ON orders (tenant_id, status, created_at, id);
CREATE INDEX orders_tenant_total_idx ON orders (tenant_id, total, id);
CREATE INDEX orders_tenant_email_idx ON orders (tenant_id, lower(customer_email), created_at, id);

CREATE TABLE order_items (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    order_id     TEXT NOT NULL,
    position     INTEGER NOT NULL,
    sku          TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    unit_price   INTEGER NOT NULL CHECK (unit_price >= 0),
    tax_rate_bp  INTEGER NOT NULL DEFAULT 0 CHECK (tax_rate_bp >= 0),
    line_total   INTEGER NOT NULL,
    metadata     TEXT NOT NULL DEFAULT '{}',
    -- The item's tenant is its order's tenant: the schema itself keeps
    -- one tenant's rows from pointing at another's.
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX order_items_order_idx ON order_items (tenant_id, order_id, position);

CREATE TABLE order_status_history (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    order_id     TEXT NOT NULL,
    from_status  TEXT NOT NULL DEFAULT '',
    to_status    TEXT NOT NULL,
    actor_id     TEXT,
    created_at   TEXT NOT NULL,
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX order_status_history_order_idx ON order_status_history (tenant_id, order_id, id);

CREATE TABLE attachments (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    order_id      TEXT,
    uploaded_by   TEXT,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL CHECK (size >= 0),
    object_key    TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'uploaded', 'failed', 'deleted')),
    metadata      TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    -- SQLite's SET NULL would null tenant_id too, so the link to the order
    -- is by id alone here; the store checks the order's tenant.
    FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE SET NULL
) STRICT;
CREATE INDEX attachments_tenant_idx ON attachments (tenant_id, id);
CREATE INDEX attachments_order_idx ON attachments (tenant_id, order_id, id);

CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    actor_id     TEXT,
    actor_name   TEXT NOT NULL DEFAULT '',
    actor_email  TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT NOT NULL DEFAULT '',
    order_id     TEXT,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    metadata     TEXT NOT NULL DEFAULT '{}',
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, id);
CREATE INDEX audit_log_tenant_entity_idx ON audit_log (tenant_id, entity_type, entity_id, id);

-- The events outbox: written in the same transaction as the change it
-- describes; webhooks and realtime read from it.
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    type        TEXT NOT NULL,
    entity_id   TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (tenant_id, id)
) STRICT;
CREATE INDEX events_tenant_idx ON events (tenant_id, id);

CREATE TABLE exports (
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
    completed_at  TEXT
) STRICT;
CREATE INDEX exports_tenant_idx ON exports (tenant_id, id);

CREATE TABLE webhook_endpoints (
    id                          TEXT PRIMARY KEY,
    tenant_id                   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url                         TEXT NOT NULL,
    description                 TEXT NOT NULL DEFAULT '',
    event_types                 TEXT NOT NULL DEFAULT '[]',
    enabled                     INTEGER NOT NULL DEFAULT 1,
    secret                      TEXT NOT NULL,
    previous_secret             TEXT NOT NULL DEFAULT '',
    previous_secret_expires_at  TEXT,
    disabled_reason             TEXT NOT NULL DEFAULT '',
    failing_since               TEXT,
    created_at                  TEXT NOT NULL,
    updated_at                  TEXT NOT NULL,
    UNIQUE (tenant_id, id)
) STRICT;
CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, id);

CREATE TABLE webhook_deliveries (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    endpoint_id         TEXT NOT NULL,
    event_id            TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     TEXT,
    last_status_code    INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT NOT NULL DEFAULT '',
    last_response_body  TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    delivered_at        TEXT,
    UNIQUE (endpoint_id, event_id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX webhook_deliveries_tenant_idx ON webhook_deliveries (tenant_id, endpoint_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE exports;
DROP TABLE events;
DROP TABLE audit_log;
DROP TABLE attachments;
DROP TABLE order_status_history;
DROP TABLE order_items;
DROP TABLE orders;
DROP TABLE api_keys;
DROP TABLE sessions;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE tenants;
