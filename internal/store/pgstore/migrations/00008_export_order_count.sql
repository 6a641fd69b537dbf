-- An export's order_count is the orders it holds; row_count stays the data
-- rows of its file (a CSV has one per item). They were one number, which
-- meant items for CSV and orders for XLSX and PDF. A completed export's
-- done is the orders it wrote. Keep the other engine's migrations in step.

-- +goose Up
ALTER TABLE exports ADD COLUMN order_count bigint NOT NULL DEFAULT 0;
UPDATE exports SET order_count = done WHERE status IN ('completed', 'expired');

-- +goose Down
ALTER TABLE exports DROP COLUMN order_count;
