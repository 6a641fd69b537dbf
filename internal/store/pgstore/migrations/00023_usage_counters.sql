-- Usage counted per tenant and month besides orders (package plan):
-- API requests (written in batches by plan.RequestCounter, never once per
-- request), rows of completed exports, successful webhook deliveries and
-- e-mails sent about the tenant. Storage is not counted here: it is what
-- the tenant's files take now, summed when asked. Keep the other engine's
-- migrations in step.

-- +goose Up
ALTER TABLE tenant_usage ADD COLUMN api_requests bigint NOT NULL DEFAULT 0;
ALTER TABLE tenant_usage ADD COLUMN export_rows bigint NOT NULL DEFAULT 0;
ALTER TABLE tenant_usage ADD COLUMN webhook_deliveries bigint NOT NULL DEFAULT 0;
ALTER TABLE tenant_usage ADD COLUMN emails_sent bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE tenant_usage DROP COLUMN emails_sent;
ALTER TABLE tenant_usage DROP COLUMN webhook_deliveries;
ALTER TABLE tenant_usage DROP COLUMN export_rows;
ALTER TABLE tenant_usage DROP COLUMN api_requests;
