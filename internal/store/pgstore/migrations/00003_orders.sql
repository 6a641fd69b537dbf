-- Orders: a version for optimistic concurrency (ETag / If-Match), the
-- idempotency key an order was created with, idempotency records for
-- every POST, and the request id in audit entries. Keep
-- sqlitestore/migrations in step.

-- +goose Up
ALTER TABLE orders ADD COLUMN version bigint NOT NULL DEFAULT 1;
-- The key of the request that created the order: a retry after a crash
-- finds the order instead of creating a second one.
ALTER TABLE orders ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX orders_idempotency_idx ON orders (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX orders_tenant_created_idx ON orders (tenant_id, created_at, id);

ALTER TABLE audit_log ADD COLUMN request_id text NOT NULL DEFAULT '';
-- Who acted: a user, an API key, or the operator/system.
ALTER TABLE audit_log ADD COLUMN actor_type text NOT NULL DEFAULT 'system';
CREATE INDEX audit_log_tenant_action_idx ON audit_log (tenant_id, action, id);

-- One row per Idempotency-Key and tenant, kept 24 hours.
CREATE TABLE idempotency_keys (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key              text NOT NULL,
    request_hash     bytea NOT NULL,
    state            text NOT NULL CHECK (state IN ('in_flight', 'done')),
    response_status  integer NOT NULL DEFAULT 0,
    response_headers jsonb NOT NULL DEFAULT '{}',
    response_body    bytea,
    locked_at        timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP INDEX audit_log_tenant_action_idx;
ALTER TABLE audit_log DROP COLUMN actor_type;
ALTER TABLE audit_log DROP COLUMN request_id;
DROP INDEX orders_tenant_created_idx;
DROP INDEX orders_idempotency_idx;
ALTER TABLE orders DROP COLUMN idempotency_key;
ALTER TABLE orders DROP COLUMN version;
