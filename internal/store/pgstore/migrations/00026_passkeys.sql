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
    id               uuid PRIMARY KEY,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id    bytea NOT NULL UNIQUE,
    public_key       bytea NOT NULL,
    sign_count       bigint NOT NULL DEFAULT 0,
    transports       text NOT NULL DEFAULT '',
    aaguid           bytea NOT NULL,
    backup_eligible  boolean NOT NULL DEFAULT false,
    backup_state     boolean NOT NULL DEFAULT false,
    name             text NOT NULL,
    created_at       timestamptz NOT NULL,
    last_used_at     timestamptz
);
CREATE INDEX user_passkeys_user_idx ON user_passkeys (user_id, created_at);

-- +goose Down
DROP TABLE user_passkeys;
