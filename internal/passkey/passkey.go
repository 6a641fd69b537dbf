// Package passkey is sign-in with passkeys (WebAuthn, through
// go-webauthn): a user registers several, names them, lists and removes
// them, and signs in with one, either alone (passwordless, discoverable
// credentials: the authenticator names the user) or after the password
// as the second factor. It holds the relying party's configuration (the
// RP ID and origin come from ORDO_BASE_URL), the ceremonies, and the
// narrow Store it needs.
//
// It is its own package rather than part of account because the
// ceremonies are a subject of their own (a library, its configuration,
// the state between a ceremony's two requests), and keeping go-webauthn
// here keeps account and auth free of it; auth only counts a user's
// passkeys (PasskeyCountByUser) to know that a log-in needs a second step.
//
// It knows nothing about HTTP: the web layer keeps a ceremony's State
// in the user's server-side session between its two requests, and
// starts the session once a ceremony succeeded.
package passkey

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/audit"
)

// Sign-in methods, as sessions record them (account.StrongMethod counts
// both as two-factor: a passkey is a possession factor verified by the
// device's own PIN or biometrics).
const (
	MethodPasskey         = "passkey"
	MethodPasswordPasskey = "password+passkey"
)

// Passkey is a registered WebAuthn credential of a user.
type Passkey struct {
	ID     uuid.UUID
	UserID uuid.UUID
	// CredentialID is the authenticator's id of the credential, unique
	// among all users.
	CredentialID []byte
	// PublicKey is the COSE-encoded public key.
	PublicKey []byte
	// SignCount is the authenticator's signature counter at the last
	// use (0 for the many authenticators that keep none).
	SignCount uint32
	// Transports are the authenticator's hints (usb, internal, hybrid…).
	Transports []string
	// AAGUID names the authenticator's model (zeros when not told).
	AAGUID []byte
	// BackupEligible and BackupState are the credential's flags (a synced
	// passkey); WebAuthn requires the first never to change.
	BackupEligible bool
	BackupState    bool
	// Name is the user's label ("Laptop", "YubiKey").
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// Store is what passkeys read outside a transaction.
type Store interface {
	UserGetByID(ctx context.Context, id uuid.UUID) (account.User, error)
	// PasskeyListByUser lists the user's passkeys, oldest first.
	PasskeyListByUser(ctx context.Context, userID uuid.UUID) ([]Passkey, error)
	// PasskeyGetByCredentialID finds a passkey by the authenticator's
	// credential id, whoever's it is; none is apperr.ErrNotFound.
	PasskeyGetByCredentialID(ctx context.Context, credentialID []byte) (Passkey, error)
	// PasskeyCountByUser counts the user's passkeys.
	PasskeyCountByUser(ctx context.Context, userID uuid.UUID) (int, error)
	// MembershipListByUser names the tenants whose audit logs see the
	// user's changes.
	MembershipListByUser(ctx context.Context, userID uuid.UUID) ([]account.Membership, error)
}

// Tx is what passkeys write, in one transaction with their audit entries.
type Tx interface {
	Store
	audit.Writer
	// PasskeyCreate inserts k; a credential id registered already (by
	// anyone) is apperr.ErrConflict.
	PasskeyCreate(ctx context.Context, k Passkey) error
	// PasskeyTouch records a use: the new signature counter and backup
	// state, and when.
	PasskeyTouch(ctx context.Context, id uuid.UUID, signCount uint32, backupState bool, at time.Time) error
	// PasskeyDelete deletes one of the user's passkeys and returns it;
	// another user's or none is apperr.ErrNotFound.
	PasskeyDelete(ctx context.Context, userID, id uuid.UUID) (Passkey, error)
}

// DB is the passkey service's handle on the store:
// store.Narrow[passkey.Tx]{st} is one.
type DB interface {
	Store
	InTx(ctx context.Context, fn func(Tx) error) error
}
