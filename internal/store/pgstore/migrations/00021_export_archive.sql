-- An export can also be the tenant's whole archive (package archive),
-- which owners download from the settings page. Keep the other engine's
-- migrations in step.

-- +goose Up
ALTER TABLE exports DROP CONSTRAINT exports_format_check;
ALTER TABLE exports ADD CONSTRAINT exports_format_check CHECK (format IN ('csv', 'xlsx', 'pdf', 'archive'));

-- +goose Down
DELETE FROM exports WHERE format = 'archive';
ALTER TABLE exports DROP CONSTRAINT exports_format_check;
ALTER TABLE exports ADD CONSTRAINT exports_format_check CHECK (format IN ('csv', 'xlsx', 'pdf'));
