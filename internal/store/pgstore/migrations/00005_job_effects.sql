-- Side effects of jobs done outside the database (e-mails sent), so that a
-- job retried after a crash does not repeat them. Keep the other engine's
-- migrations in step.

-- +goose Up
CREATE TABLE job_effects (
    key      text PRIMARY KEY,
    done_at  timestamptz NOT NULL
);
CREATE INDEX job_effects_done_idx ON job_effects (done_at);

-- +goose Down
DROP TABLE job_effects;
