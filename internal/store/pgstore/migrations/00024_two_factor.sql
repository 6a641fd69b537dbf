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
    user_id        uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed  text NOT NULL,
    confirmed_at   timestamptz,
    last_step      bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL
);

CREATE TABLE user_recovery_codes (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   bytea NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL,
    UNIQUE (user_id, code_hash)
);

ALTER TABLE user_sessions ADD COLUMN method text NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN require_two_factor boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE tenants DROP COLUMN require_two_factor;
ALTER TABLE user_sessions DROP COLUMN method;
DROP TABLE user_recovery_codes;
DROP TABLE user_totp;
