-- The profile page: each user's chosen UI language (locale, '' for "follow
-- the browser"), and a record of each logged-in session (user_sessions) so
-- that a user can list their sessions and end one. The session store
-- (scs, in the sessions table or Redis) keeps the session itself under the
-- SHA-256 of its token; token_hash is that same key, so ending a session
-- deletes it there. last_seen_at is written at most once a minute per
-- session. Keep the other engine's migrations in step.

-- +goose Up
ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT '';

CREATE TABLE user_sessions (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    text NOT NULL UNIQUE,
    user_agent    text NOT NULL DEFAULT '',
    ip            text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id, last_seen_at);
CREATE INDEX user_sessions_seen_idx ON user_sessions (last_seen_at);

-- +goose Down
DROP TABLE user_sessions;
ALTER TABLE users DROP COLUMN locale;
