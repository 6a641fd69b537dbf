-- Two-factor sign-in (package account): each user's TOTP secret, sealed
-- with a key derived from ORDO_SECRET (confirmed_at is NULL until the
-- first code confirmed it; last_step is the time step of the last code
-- accepted, so that a code cannot be used twice), their single-use
-- recovery codes (SHA-256 only), how each session signed in
-- (user_sessions.method: "password", "password+totp", …), and whether a
-- tenant requires its members to sign in with a second factor.
-- Keep the other engine's migrations in step.

-- +goose Up
CREATE TABLE user_totp (
    user_id        TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed  TEXT NOT NULL,
    confirmed_at   TEXT,
    last_step      INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL
) STRICT;

CREATE TABLE user_recovery_codes (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   BLOB NOT NULL,
    used_at     TEXT,
    created_at  TEXT NOT NULL,
    UNIQUE (user_id, code_hash)
) STRICT;

ALTER TABLE user_sessions ADD COLUMN method TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN require_two_factor INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE tenants DROP COLUMN require_two_factor;
ALTER TABLE user_sessions DROP COLUMN method;
DROP TABLE user_recovery_codes;
DROP TABLE user_totp;
