-- Passkeys (package passkey): each user's WebAuthn credentials, several
-- per user. credential_id is the authenticator's id of the credential,
-- unique among all users (a sign-in finds the passkey by it);
-- public_key is COSE-encoded; sign_count is the authenticator's counter
-- at the last use; transports are its hints, comma-separated; the backup
-- flags must stay as registered (WebAuthn). No tenant_id: a passkey is
-- the user's, not a tenant's, so tenant archives leave it out.
-- Keep the other engine's migrations in step.

-- +goose Up
CREATE TABLE user_passkeys (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id    BLOB NOT NULL UNIQUE,
    public_key       BLOB NOT NULL,
    sign_count       INTEGER NOT NULL DEFAULT 0,
    transports       TEXT NOT NULL DEFAULT '',
    aaguid           BLOB NOT NULL,
    backup_eligible  INTEGER NOT NULL DEFAULT 0,
    backup_state     INTEGER NOT NULL DEFAULT 0,
    name             TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    last_used_at     TEXT
) STRICT;
CREATE INDEX user_passkeys_user_idx ON user_passkeys (user_id, created_at);

-- +goose Down
DROP TABLE user_passkeys;
