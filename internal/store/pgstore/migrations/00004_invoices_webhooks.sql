-- Invoices, webhook attempts, and what deliveries need to be filtered.

-- +goose Up
ALTER TABLE tenants ADD COLUMN invoice_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE invoices (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    order_id      uuid NOT NULL,
    number        text NOT NULL,
    status        text NOT NULL CHECK (status IN ('pending', 'ready', 'failed')),
    generation    integer NOT NULL DEFAULT 1,
    object_key    text NOT NULL DEFAULT '',
    size          bigint NOT NULL DEFAULT 0,
    error         text NOT NULL DEFAULT '',
    generated_at  timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    UNIQUE (tenant_id, order_id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE webhook_deliveries ADD COLUMN event_type text NOT NULL DEFAULT '';
CREATE INDEX webhook_deliveries_status_idx ON webhook_deliveries (tenant_id, endpoint_id, status, created_at);
-- The target of webhook_attempts' composite foreign key.
CREATE UNIQUE INDEX webhook_deliveries_tenant_id_idx ON webhook_deliveries (tenant_id, id);

CREATE TABLE webhook_attempts (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    delivery_id  uuid NOT NULL,
    number       integer NOT NULL,
    status_code  integer NOT NULL DEFAULT 0,
    latency_ms   integer NOT NULL DEFAULT 0,
    response     text NOT NULL DEFAULT '',
    error        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    -- An attempt's tenant is its delivery's tenant: the schema itself keeps
    -- one tenant's attempts from pointing at another's deliveries.
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES webhook_deliveries (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (tenant_id, delivery_id, number);

-- +goose Down
DROP TABLE webhook_attempts;
DROP INDEX webhook_deliveries_tenant_id_idx;
DROP INDEX webhook_deliveries_status_idx;
ALTER TABLE webhook_deliveries DROP COLUMN event_type;
DROP TABLE invoices;
ALTER TABLE tenants DROP COLUMN invoice_seq;
