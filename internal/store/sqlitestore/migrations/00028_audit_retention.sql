-- Audit log retention (package audit, retention.go): each tenant's
-- retention cut, the signed statement that its chain's entries up to seq
-- were pruned on purpose and the chain now starts at seq + 1, linking to
-- hash. One row a tenant: each prune replaces it in the transaction that
-- deletes the entries. The signature is over audit.CheckpointMessage with
-- the tag "ordo-audit-cut-1", so that a checkpoint cannot stand in for it.
-- Keep the other engine's migrations in step.

-- +goose Up
CREATE TABLE audit_chain_cuts (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    hash       BLOB NOT NULL,
    signed_at  TEXT NOT NULL,
    signature  BLOB NOT NULL
) STRICT;

-- +goose Down
DROP TABLE audit_chain_cuts;
