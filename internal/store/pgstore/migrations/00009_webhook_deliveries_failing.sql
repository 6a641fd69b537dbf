-- The failed-jobs page lists a tenant's failing webhook deliveries
-- (retrying or given up) across its endpoints, most recently changed
-- first; most deliveries succeed, so the index holds only the failing
-- ones. Keep the other engine's migrations in step.

-- +goose Up
CREATE INDEX webhook_deliveries_failing_idx ON webhook_deliveries (tenant_id, updated_at)
    WHERE status = 'failed' OR (status = 'pending' AND attempts > 0);

-- +goose Down
DROP INDEX webhook_deliveries_failing_idx;
