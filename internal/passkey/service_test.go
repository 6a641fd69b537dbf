package passkey_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/passkey"
	"github.com/ordo/ordo/internal/passkey/passkeytest"
	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/testkit"
)

const origin = "https://ordo.example"

func TestConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ base, rpID, origin string }{
		{"https://ordo.example/", "ordo.example", "https://ordo.example"},
		{"http://localhost:8080", "localhost", "http://localhost:8080"},
		{"https://app.ordo.example:8443/sub", "app.ordo.example", "https://app.ordo.example:8443"},
	} {
		cfg, err := passkey.Config(c.base)
		require.NoError(t, err, c.base)
		require.Equal(t, c.rpID, cfg.RPID, c.base)
		require.Equal(t, []string{c.origin}, cfg.RPOrigins, c.base)
	}
	for _, bad := range []string{"", "ordo.example", "ftp://ordo.example"} {
		_, err := passkey.Config(bad)
		require.Error(t, err, bad)
	}
	// Browsers have no WebAuthn on an IP address: no service there.
	_, err := passkey.NewService(nil, passkey.Options{BaseURL: "http://127.0.0.1:8080"})
	require.Error(t, err)
}

type bundle struct {
	svc  *passkey.Service
	st   store.Store
	user account.User
	p    access.Principal
	auth *passkeytest.Authenticator
}

func setup(t *testing.T) bundle {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "ordo.db"), testkit.Logger(t))
	require.NoError(t, err)
	t.Cleanup(st.Close)
	require.NoError(t, st.MigrateUp(ctx))
	svc, err := passkey.NewService(store.Narrow[passkey.Tx]{Store: st}, passkey.Options{BaseURL: origin, Log: testkit.Logger(t)})
	require.NoError(t, err)
	return bundle{svc: svc, st: st, auth: passkeytest.New(origin)}.withUser(t, "pat@example.com")
}

func (b bundle) withUser(t *testing.T, email string) bundle {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	b.user = account.User{ID: uuid.Must(uuid.NewV7()), Email: email, Name: "Pat", PasswordHash: "x", EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	require.NoError(t, b.st.UserCreate(context.Background(), b.user))
	u, err := b.st.UserGetByID(context.Background(), b.user.ID)
	require.NoError(t, err)
	b.user = u
	b.p = access.Principal{UserID: u.ID, Email: u.Email, Name: u.Name}
	return b
}

func options(t *testing.T, publicKey any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"publicKey": publicKey})
	require.NoError(t, err)
	return b
}

// register adds a passkey through both steps of the ceremony.
func (b bundle) register(t *testing.T, name string) passkey.Passkey {
	t.Helper()
	ctx := context.Background()
	creation, st, err := b.svc.BeginRegistration(ctx, b.p)
	require.NoError(t, err)
	cred, err := b.auth.Create(options(t, creation.Response))
	require.NoError(t, err)
	k, err := b.svc.FinishRegistration(ctx, b.p, st, name, cred, access.Meta{})
	require.NoError(t, err)
	return k
}

// login runs a sign-in with the authenticator: passwordless for uuid.Nil.
func (b bundle) login(t *testing.T, userID uuid.UUID, epoch int64) (account.User, string, error) {
	t.Helper()
	ctx := context.Background()
	assertion, st, err := b.svc.BeginLogin(ctx, userID, epoch)
	require.NoError(t, err)
	resp, err := b.auth.Get(options(t, assertion.Response))
	require.NoError(t, err)
	return b.svc.FinishLogin(ctx, st, resp, access.Meta{})
}

func TestRegisterAndSignIn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	k := b.register(t, "  Laptop ")
	require.Equal(t, "Laptop", k.Name)
	b.register(t, "Phone")
	keys, err := b.svc.List(ctx, b.p)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	require.Equal(t, []string{"internal"}, keys[0].Transports)
	require.Nil(t, keys[0].LastUsedAt)

	// Passwordless: the passkey names its user.
	u, method, err := b.login(t, uuid.Nil, 0)
	require.NoError(t, err)
	require.Equal(t, b.user.ID, u.ID)
	require.Equal(t, passkey.MethodPasskey, method)
	require.True(t, account.StrongMethod(method))

	// After the password: one of this user's passkeys.
	u, method, err = b.login(t, b.user.ID, b.user.SessionEpoch)
	require.NoError(t, err)
	require.Equal(t, b.user.ID, u.ID)
	require.Equal(t, passkey.MethodPasswordPasskey, method)
	require.True(t, account.StrongMethod(method))

	keys, err = b.svc.List(ctx, b.p)
	require.NoError(t, err)
	require.NotNil(t, keys[1].LastUsedAt, "the newest passkey signed in")
	require.Equal(t, uint32(2), keys[1].SignCount)

	// A stale epoch (password changed meanwhile) is no sign-in.
	_, _, err = b.login(t, b.user.ID, b.user.SessionEpoch+1)
	require.ErrorIs(t, err, apperr.ErrUnauthorized)

	// Removed, it signs in no more.
	require.NoError(t, b.svc.Remove(ctx, b.p, keys[1].ID, access.Meta{}))
	require.ErrorIs(t, b.svc.Remove(ctx, b.p, keys[1].ID, access.Meta{}), apperr.ErrNotFound)
	_, _, err = b.login(t, uuid.Nil, 0)
	require.ErrorIs(t, err, passkey.ErrInvalid)
}

func TestSignInRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	b.register(t, "Laptop")
	other := b.withUser(t, "kim@example.com")
	other.auth = passkeytest.New(origin)
	other.register(t, "Kim's")

	// A response replayed (the same challenge and counter) is refused.
	assertion, st, err := b.svc.BeginLogin(ctx, uuid.Nil, 0)
	require.NoError(t, err)
	resp, err := b.auth.Get(options(t, assertion.Response))
	require.NoError(t, err)
	_, _, err = b.svc.FinishLogin(ctx, st, resp, access.Meta{})
	require.NoError(t, err)
	_, _, err = b.svc.FinishLogin(ctx, st, resp, access.Meta{})
	require.ErrorIs(t, err, passkey.ErrInvalid)

	// A cloned key: its counter goes backwards.
	c := b.auth.Credentials()[0]
	c.Count = 0
	_, _, err = b.login(t, uuid.Nil, 0)
	require.ErrorIs(t, err, passkey.ErrInvalid)
	c.Count = 100

	// Another site's page (phishing) answering our challenge.
	assertion, st, err = b.svc.BeginLogin(ctx, uuid.Nil, 0)
	require.NoError(t, err)
	evil := *b.auth
	evil.Origin = "https://ordo.example.evil"
	resp, err = evil.Get(options(t, assertion.Response))
	require.NoError(t, err)
	_, _, err = b.svc.FinishLogin(ctx, st, resp, access.Meta{})
	require.ErrorIs(t, err, passkey.ErrInvalid)

	// The second step of Kim's log-in answered with Pat's passkey.
	assertion, st, err = b.svc.BeginLogin(ctx, other.user.ID, other.user.SessionEpoch)
	require.NoError(t, err)
	resp, err = b.auth.Assert(b.auth.Credentials()[0], challengeOf(t, assertion.Response))
	require.NoError(t, err)
	_, _, err = b.svc.FinishLogin(ctx, st, resp, access.Meta{})
	require.ErrorIs(t, err, passkey.ErrInvalid)

	// A registration's state does not finish a sign-in, nor the reverse.
	_, regState, err := b.svc.BeginRegistration(ctx, b.p)
	require.NoError(t, err)
	_, _, err = b.svc.FinishLogin(ctx, regState, resp, access.Meta{})
	require.ErrorIs(t, err, passkey.ErrNoCeremony)
	_, err = b.svc.FinishRegistration(ctx, b.p, st, "x", resp, access.Meta{})
	require.ErrorIs(t, err, passkey.ErrNoCeremony)

	// Garbage is the client's fault, on its field.
	_, _, err = b.svc.FinishLogin(ctx, st, []byte(`{"id": 1}`), access.Meta{})
	requireField(t, err, "credential")

	// A user with no passkey has no second step with one.
	third := b.withUser(t, "lee@example.com")
	_, _, err = b.svc.BeginLogin(ctx, third.user.ID, 0)
	require.ErrorIs(t, err, passkey.ErrInvalid)

	// A disabled user is told so.
	now := time.Now()
	require.NoError(t, b.st.UserSetDisabled(ctx, b.user.ID, &now, now))
	_, _, err = b.login(t, uuid.Nil, 0)
	require.ErrorIs(t, err, account.ErrDisabled)
}

func TestRegistrationRules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	creation, st, err := b.svc.BeginRegistration(ctx, b.p)
	require.NoError(t, err)
	cred, err := b.auth.Create(options(t, creation.Response))
	require.NoError(t, err)

	_, err = b.svc.FinishRegistration(ctx, b.p, st, " ", cred, access.Meta{})
	requireField(t, err, "name")
	_, err = b.svc.FinishRegistration(ctx, b.p, st, string(make([]rune, 65)), cred, access.Meta{})
	requireField(t, err, "name")
	_, err = b.svc.FinishRegistration(ctx, b.p, st, "Laptop", []byte(`"nope"`), access.Meta{})
	requireField(t, err, "credential")

	// Another user cannot finish this user's registration.
	other := b.withUser(t, "kim@example.com")
	_, err = b.svc.FinishRegistration(ctx, other.p, st, "Laptop", cred, access.Meta{})
	require.ErrorIs(t, err, passkey.ErrNoCeremony)

	// An answer made on another origin is refused.
	evil := passkeytest.New("https://evil.example")
	bad, err := evil.Create(options(t, creation.Response))
	require.NoError(t, err)
	_, err = b.svc.FinishRegistration(ctx, b.p, st, "Laptop", bad, access.Meta{})
	requireField(t, err, "credential")

	_, err = b.svc.FinishRegistration(ctx, b.p, st, "Laptop", cred, access.Meta{})
	require.NoError(t, err)

	// API keys have no passkeys.
	key := access.Principal{APIKeyID: uuid.Must(uuid.NewV7()), TenantID: uuid.Must(uuid.NewV7())}
	_, _, err = b.svc.BeginRegistration(ctx, key)
	require.ErrorIs(t, err, apperr.ErrForbidden)
}

func challengeOf(t *testing.T, publicKey any) string {
	t.Helper()
	var o struct {
		Challenge string `json:"challenge"`
	}
	b, err := json.Marshal(publicKey)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &o))
	return o.Challenge
}

func requireField(t *testing.T, err error, field string) {
	t.Helper()
	var e *apperr.Error
	require.True(t, errors.As(err, &e), "%v", err)
	require.Equal(t, apperr.KindInvalid, e.Kind, "%v", err)
	require.NotEmpty(t, e.Fields)
	require.Equal(t, field, e.Fields[0].Field)
}

// refuseAll is a tenant policy that requires single sign-on of everyone.
type refuseAll struct{}

func (refuseAll) PasswordAllowed(context.Context, account.User) error {
	return apperr.Forbidden("this tenant requires single sign-on")
}

// TestPolicyRefusesPasswordless: a member of a tenant that requires
// single sign-on cannot go around it with a passkey alone; as the second
// factor (after a password the policy let through) it still works.
func TestPolicyRefusesPasswordless(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.register(t, "Laptop")
	strict, err := passkey.NewService(store.Narrow[passkey.Tx]{Store: b.st}, passkey.Options{BaseURL: origin, Policy: refuseAll{}})
	require.NoError(t, err)
	b.svc = strict
	_, _, err = b.login(t, uuid.Nil, 0)
	require.ErrorIs(t, err, apperr.ErrForbidden)
	_, method, err := b.login(t, b.user.ID, b.user.SessionEpoch)
	require.NoError(t, err)
	require.Equal(t, passkey.MethodPasswordPasskey, method)
}
