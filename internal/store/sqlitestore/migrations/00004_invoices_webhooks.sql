-- Invoices, webhook attempts, and what deliveries need to be filtered.
-- Keep pgstore/migrations in step.

-- +goose Up
ALTER TABLE tenants ADD COLUMN invoice_seq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE invoices (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    order_id      TEXT NOT NULL,
    number        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'failed')),
    generation    INTEGER NOT NULL DEFAULT 1,
    object_key    TEXT NOT NULL DEFAULT '',
    size          INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    generated_at  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (tenant_id, order_id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE
) STRICT;

ALTER TABLE webhook_deliveries ADD COLUMN event_type TEXT NOT NULL DEFAULT '';
CREATE INDEX webhook_deliveries_status_idx ON webhook_deliveries (tenant_id, endpoint_id, status, created_at);
-- The target of webhook_attempts' composite foreign key.
CREATE UNIQUE INDEX webhook_deliveries_tenant_id_idx ON webhook_deliveries (tenant_id, id);

CREATE TABLE webhook_attempts (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    delivery_id  TEXT NOT NULL,
    number       INTEGER NOT NULL,
    status_code  INTEGER NOT NULL DEFAULT 0,
    latency_ms   INTEGER NOT NULL DEFAULT 0,
    response     TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    -- An attempt's tenant is its delivery's tenant: the schema itself keeps
    -- one tenant's attempts from pointing at another's deliveries.
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES webhook_deliveries (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (tenant_id, delivery_id, number);

-- +goose Down
DROP TABLE webhook_attempts;
DROP INDEX webhook_deliveries_tenant_id_idx;
DROP INDEX webhook_deliveries_status_idx;
ALTER TABLE webhook_deliveries DROP COLUMN event_type;
DROP TABLE invoices;
ALTER TABLE tenants DROP COLUMN invoice_seq;
