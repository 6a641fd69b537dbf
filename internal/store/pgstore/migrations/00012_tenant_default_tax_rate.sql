-- The tax rate, in basis points, that new item rows of the tenant's order
-- form start with. 0 rather than a guess: Ordo cannot know the tenant's
-- jurisdiction (20 % was one country's VAT), and a wrong prefilled rate
-- slips into invoices unnoticed; an owner sets it on the settings page or
-- with PATCH /api/v1/tenant. Keep the other engine's migrations in step.

-- +goose Up
ALTER TABLE tenants ADD COLUMN default_tax_rate_bp bigint NOT NULL DEFAULT 0
    CHECK (default_tax_rate_bp >= 0 AND default_tax_rate_bp <= 10000);

-- +goose Down
ALTER TABLE tenants DROP COLUMN default_tax_rate_bp;
