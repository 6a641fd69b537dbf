-- The audit log as a hash chain per tenant (package audit, chain.go):
-- each new entry gets the tenant's next seq, the hash of the entry before
-- it (prev_hash) and its own hash. Here AuditInsert computes them under
-- the one writer lock; PostgreSQL's migration does it in a trigger.
--
-- Entries written before this migration keep seq NULL: the chain starts
-- at the tenant's first entry after it, from the genesis hash (32 zero
-- bytes). Keep the other engine's migrations in step.

-- +goose Up
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN prev_hash BLOB;
ALTER TABLE audit_log ADD COLUMN hash BLOB;
CREATE INDEX audit_log_chain_idx ON audit_log (tenant_id, seq);

CREATE TABLE audit_chain_heads (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    hash       BLOB NOT NULL
) STRICT;

CREATE TABLE audit_checkpoints (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    hash       BLOB NOT NULL,
    signed_at  TEXT NOT NULL,
    signature  BLOB NOT NULL,
    PRIMARY KEY (tenant_id, seq)
) STRICT;

-- +goose Down
DROP TABLE audit_checkpoints;
DROP TABLE audit_chain_heads;
DROP INDEX audit_log_chain_idx;
ALTER TABLE audit_log DROP COLUMN hash;
ALTER TABLE audit_log DROP COLUMN prev_hash;
ALTER TABLE audit_log DROP COLUMN seq;
