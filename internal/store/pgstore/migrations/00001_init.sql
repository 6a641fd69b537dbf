-- Ordo's initial schema for PostgreSQL. Keep sqlitestore/migrations in step.
-- Conventions: ids are UUIDv7 made in Go (time-sortable); money is integer
-- minor units with an ISO 4217 currency; every tenant-owned row carries
-- tenant_id and the indexes that serve lists start with it.

-- +goose Up
CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    slug        text NOT NULL UNIQUE,
    plan        text NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'enterprise')),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
    settings    jsonb NOT NULL DEFAULT '{}',
    order_seq   bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE users (
    id                 uuid PRIMARY KEY,
    email              text NOT NULL UNIQUE CHECK (email = lower(email)),
    name               text NOT NULL DEFAULT '',
    image              text NOT NULL DEFAULT '',
    password_hash      text NOT NULL DEFAULT '',
    email_verified_at  timestamptz,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);

CREATE TABLE memberships (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- The session store's table, in the shape alexedwards/scs pgxstore uses;
-- user_id lets "log out everywhere" find a user's sessions.
CREATE TABLE sessions (
    token    text PRIMARY KEY,
    data     bytea NOT NULL,
    expiry   timestamptz NOT NULL,
    user_id  uuid REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    name          text NOT NULL,
    prefix        text NOT NULL UNIQUE,
    secret_hash   bytea NOT NULL,
    role          text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    last_used_at  timestamptz,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    created_at    timestamptz NOT NULL
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, id);

CREATE TABLE orders (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number            bigint NOT NULL,
    status            text NOT NULL CHECK (status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')),
    customer_name     text NOT NULL,
    customer_email    text NOT NULL,
    customer_phone    text NOT NULL DEFAULT '',
    shipping_address  jsonb,
    billing_address   jsonb,
    currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal          bigint NOT NULL,
    tax               bigint NOT NULL,
    discount          bigint NOT NULL DEFAULT 0,
    total             bigint NOT NULL,
    notes             text NOT NULL DEFAULT '',
    external_ref      text NOT NULL DEFAULT '',
    metadata          jsonb NOT NULL DEFAULT '{}',
    created_by        uuid,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    UNIQUE (tenant_id, number),
    UNIQUE (tenant_id, id)
);
CREATE INDEX orders_tenant_id_idx ON orders (tenant_id, id);
CREATE INDEX orders_tenant_status_idx ON orders (tenant_id, status, created_at, id);
CREATE INDEX orders_tenant_total_idx ON orders (tenant_id, total, id);
CREATE INDEX orders_tenant_email_idx ON orders (tenant_id, lower(customer_email), created_at, id);

CREATE TABLE order_items (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    order_id     uuid NOT NULL,
    position     integer NOT NULL,
    sku          text NOT NULL DEFAULT '',
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    quantity     integer NOT NULL CHECK (quantity > 0),
    unit_price   bigint NOT NULL CHECK (unit_price >= 0),
    tax_rate_bp  integer NOT NULL DEFAULT 0 CHECK (tax_rate_bp >= 0),
    line_total   bigint NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}',
    -- The item's tenant is its order's tenant: the schema itself keeps
    -- one tenant's rows from pointing at another's.
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX order_items_order_idx ON order_items (tenant_id, order_id, position);

CREATE TABLE order_status_history (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    order_id     uuid NOT NULL,
    from_status  text NOT NULL DEFAULT '',
    to_status    text NOT NULL,
    actor_id     uuid,
    created_at   timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX order_status_history_order_idx ON order_status_history (tenant_id, order_id, id);

CREATE TABLE attachments (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    order_id      uuid,
    uploaded_by   uuid,
    filename      text NOT NULL,
    content_type  text NOT NULL,
    size          bigint NOT NULL CHECK (size >= 0),
    object_key    text NOT NULL UNIQUE,
    status        text NOT NULL CHECK (status IN ('pending', 'uploaded', 'failed', 'deleted')),
    metadata      jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE SET NULL (order_id)
);
CREATE INDEX attachments_tenant_idx ON attachments (tenant_id, id);
CREATE INDEX attachments_order_idx ON attachments (tenant_id, order_id, id);

CREATE TABLE audit_log (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    actor_id     uuid,
    actor_name   text NOT NULL DEFAULT '',
    actor_email  text NOT NULL DEFAULT '',
    action       text NOT NULL,
    entity_type  text NOT NULL,
    entity_id    text NOT NULL DEFAULT '',
    order_id     uuid,
    ip           text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT '',
    metadata     jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, id);
CREATE INDEX audit_log_tenant_entity_idx ON audit_log (tenant_id, entity_type, entity_id, id);

-- The events outbox: written in the same transaction as the change it
-- describes; webhooks and realtime read from it.
CREATE TABLE events (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    type        text NOT NULL,
    entity_id   text NOT NULL DEFAULT '',
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (tenant_id, id)
);
CREATE INDEX events_tenant_idx ON events (tenant_id, id);

CREATE TABLE exports (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_by    uuid,
    format        text NOT NULL CHECK (format IN ('csv', 'xlsx', 'pdf')),
    filters       jsonb NOT NULL DEFAULT '{}',
    status        text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'expired')),
    done          bigint NOT NULL DEFAULT 0,
    total         bigint NOT NULL DEFAULT 0,
    row_count     bigint NOT NULL DEFAULT 0,
    object_key    text NOT NULL DEFAULT '',
    size          bigint NOT NULL DEFAULT 0,
    error         text NOT NULL DEFAULT '',
    expires_at    timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    completed_at  timestamptz
);
CREATE INDEX exports_tenant_idx ON exports (tenant_id, id);

CREATE TABLE webhook_endpoints (
    id                          uuid PRIMARY KEY,
    tenant_id                   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url                         text NOT NULL,
    description                 text NOT NULL DEFAULT '',
    event_types                 jsonb NOT NULL DEFAULT '[]',
    enabled                     boolean NOT NULL DEFAULT true,
    secret                      text NOT NULL,
    previous_secret             text NOT NULL DEFAULT '',
    previous_secret_expires_at  timestamptz,
    disabled_reason             text NOT NULL DEFAULT '',
    failing_since               timestamptz,
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL,
    UNIQUE (tenant_id, id)
);
CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, id);

CREATE TABLE webhook_deliveries (
    id                  uuid PRIMARY KEY,
    tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    endpoint_id         uuid NOT NULL,
    event_id            uuid NOT NULL,
    status              text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts            integer NOT NULL DEFAULT 0,
    next_attempt_at     timestamptz,
    last_status_code    integer NOT NULL DEFAULT 0,
    last_error          text NOT NULL DEFAULT '',
    last_response_body  text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    delivered_at        timestamptz,
    UNIQUE (endpoint_id, event_id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
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
