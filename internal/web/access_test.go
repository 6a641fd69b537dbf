package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/tenant"
)

// Access must not outlive its grant (security issue 17): an open event
// stream ends when its caller loses access, and an API key acts for the
// member who made it.

// streamCloseWait is how long a test waits for a stream to end. The
// server ends it within its 2 s re-check (or at once when an event comes);
// the margin is for a loaded CI machine, not part of the promise.
const streamCloseWait = 15 * time.Second

// requireEnds asserts that the stream ends without delivering any event.
func requireEnds(t *testing.T, stream <-chan sseEvent, what string) {
	t.Helper()
	deadline := time.After(streamCloseWait)
	for {
		select {
		case ev, ok := <-stream:
			if !ok {
				return
			}
			t.Fatalf("%s: the stream delivered %+v after access ended", what, ev)
		case <-deadline:
			t.Fatalf("%s: the stream still open after %s", what, streamCloseWait)
		}
	}
}

// requireOrderEvent waits for the order.created event of the order with
// id. Events of the moments before the stream opened may come first (a
// stream starts a millisecond back so as to miss nothing of the current
// one); they are skipped.
func requireOrderEvent(t *testing.T, stream <-chan sseEvent, id string) sseEvent {
	t.Helper()
	for {
		ev := next(t, stream, 10*time.Second)
		if strings.HasPrefix(ev.typ, "member.") {
			continue
		}
		require.Equal(t, "order.created", ev.typ)
		require.Contains(t, ev.data, id)
		return ev
	}
}

func TestEventStreamEndsWhenKeyRevoked(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, _ := a.signup(t, uniqueEmail("revoke"))
		r := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "live", "role": "viewer"}).must(t, 201)
		stream, stop := openStream(t, a.url, r.str("key"), "")
		defer stop()
		requireOrderEvent(t, stream, owner.do("POST", "/api/v1/orders", orderBody("Before Revoke")).must(t, 201).str("id"))

		owner.do("DELETE", "/api/v1/api-keys/"+r.str("id"), nil).must(t, 204)
		// An order with customer data, written after the revocation,
		// must not reach the stream.
		owner.do("POST", "/api/v1/orders", orderBody("After Revoke")).must(t, 201)
		requireEnds(t, stream, "revoked key")
		a.withKey(r.str("key")).do("GET", "/api/v1/events", nil).must(t, 401)
	})
}

func TestEventStreamEndsWhenQuietKeyRevoked(t *testing.T) {
	t.Parallel()
	// No event comes after the revocation: the periodic re-check ends it.
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("quiet"))
	r := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "quiet", "role": "viewer"}).must(t, 201)
	stream, stop := openStream(t, a.url, r.str("key"), "")
	defer stop()
	requireOrderEvent(t, stream, owner.do("POST", "/api/v1/orders", orderBody("Before Revoke")).must(t, 201).str("id"))
	owner.do("DELETE", "/api/v1/api-keys/"+r.str("id"), nil).must(t, 204)
	revoked := time.Now()
	requireEnds(t, stream, "revoked key, no events")
	// Issue 17: within 5 s of the change the stream is closed (the
	// re-check runs every 2 s; the 15 s wait above only guards a hang).
	require.Less(t, time.Since(revoked), 5*time.Second, "a quiet stream closes within 5 s of the revocation")
}

func TestEventStreamEndsAcrossProcesses(t *testing.T) {
	t.Parallel()
	// Another process serves the stream and caches the key and the
	// membership in Redis: the change made here must reach it.
	a := newApp(t, backends[2], nil) // postgres+redis
	require.NotNil(t, a.cache)
	peer := newPeer(t, a)
	owner, _, _ := a.signup(t, uniqueEmail("peer"))
	admin, adminID := a.joinAs(t, owner, access.RoleAdmin)
	r := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "o", "role": "viewer"}).must(t, 201)
	hers := admin.do("POST", "/api/v1/api-keys", map[string]any{"name": "a", "role": "viewer"}).must(t, 201).str("key")
	for _, k := range []string{r.str("key"), hers} {
		peer.withKey(k).do("GET", "/api/v1/me", nil).must(t, 200) // now cached in Redis
	}
	revoked, stop1 := openStream(t, peer.url, r.str("key"), "")
	defer stop1()
	removed, stop2 := openStream(t, peer.url, hers, "")
	defer stop2()
	id := owner.do("POST", "/api/v1/orders", orderBody("Both See")).must(t, 201).str("id")
	requireOrderEvent(t, revoked, id)
	requireOrderEvent(t, removed, id)

	owner.do("DELETE", "/api/v1/api-keys/"+r.str("id"), nil).must(t, 204)
	owner.do("DELETE", "/api/v1/members/"+adminID, nil).must(t, 204)
	requireEnds(t, revoked, "key revoked on another process")
	requireEnds(t, removed, "creator removed on another process")
	peer.withKey(r.str("key")).do("GET", "/api/v1/me", nil).must(t, 401)
	peer.withKey(hers).do("GET", "/api/v1/me", nil).must(t, 401)
}

func TestEventStreamEndsWhenMemberRemoved(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, _ := a.signup(t, uniqueEmail("rm"))
		admin, adminID := a.joinAs(t, owner, access.RoleAdmin)
		key := admin.do("POST", "/api/v1/api-keys", map[string]any{"name": "hers", "role": "admin"}).must(t, 201).str("key")
		byKey, stop1 := openStreamAs(t, a.withKey(key), "")
		defer stop1()
		bySession, stop2 := openStreamAs(t, admin, "")
		defer stop2()
		id := owner.do("POST", "/api/v1/orders", orderBody("Seen Once")).must(t, 201).str("id")
		requireOrderEvent(t, byKey, id)
		requireOrderEvent(t, bySession, id)

		owner.do("DELETE", "/api/v1/members/"+adminID, nil).must(t, 204)
		owner.do("POST", "/api/v1/orders", orderBody("Not For Her")).must(t, 201)
		requireEnds(t, byKey, "removed member's key")
		requireEnds(t, bySession, "removed member's session")
	})
}

func TestEventStreamEndsAtLogout(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		email := uniqueEmail("bye")
		owner, _, _ := a.signup(t, email)
		other := a.browser() // the same user in another browser, which stays
		other.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
		stream, stop := openStreamAs(t, owner, "")
		defer stop()
		kept, stop2 := openStreamAs(t, other, "")
		defer stop2()
		id := owner.do("POST", "/api/v1/orders", orderBody("Before Logout")).must(t, 201).str("id")
		requireOrderEvent(t, stream, id)
		requireOrderEvent(t, kept, id)

		owner.do("POST", "/api/v1/auth/logout", nil).must(t, 204)
		id = other.do("POST", "/api/v1/orders", orderBody("After Logout")).must(t, 201).str("id")
		requireEnds(t, stream, "logged-out session")
		requireOrderEvent(t, kept, id) // only the session that ended is cut off

		other.do("POST", "/api/v1/auth/logout-everywhere", nil).must(t, 204)
		requireEnds(t, kept, "log out everywhere")
	})
}

func TestEventStreamEndsWhenTenantSuspended(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, tid := a.signup(t, uniqueEmail("susp"))
		key := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "s", "role": "viewer"}).must(t, 201).str("key")
		byKey, stop1 := openStream(t, a.url, key, "")
		defer stop1()
		bySession, stop2 := openStreamAs(t, owner, "")
		defer stop2()
		id := owner.do("POST", "/api/v1/orders", orderBody("Before Suspension")).must(t, 201).str("id")
		requireOrderEvent(t, byKey, id)
		requireOrderEvent(t, bySession, id)

		require.NoError(t, a.tenants.SetTenantStatus(t.Context(), access.Operator(uuid.MustParse(tid)), tenant.StatusSuspended, access.Meta{}))
		requireEnds(t, byKey, "suspended tenant's key")
		requireEnds(t, bySession, "suspended tenant's member")
		require.Equal(t, "https://ordo.dev/problems/tenant-suspended", a.withKey(key).do("GET", "/api/v1/me", nil).must(t, 403).str("type"))
		me := owner.do("GET", "/api/v1/me", nil).must(t, 200)
		require.Nil(t, me.body["tenant"], "a suspended tenant is nobody's current tenant")
		require.Equal(t, "https://ordo.dev/problems/tenant-suspended", owner.do("GET", "/api/v1/orders", nil).must(t, 403).str("type"))

		require.NoError(t, a.tenants.SetTenantStatus(t.Context(), access.Operator(uuid.MustParse(tid)), tenant.StatusActive, access.Meta{}))
		a.withKey(key).do("GET", "/api/v1/me", nil).must(t, 200)
		owner.do("GET", "/api/v1/orders", nil).must(t, 200)
	})
}

func TestEventStreamMaxLifetime(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newAppOpts(t, b, appOpts{eventLifetime: time.Second})
			owner, _, _ := a.signup(t, uniqueEmail("age"))
			key := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "age", "role": "viewer"}).must(t, 201).str("key")

			// A stream that delivered nothing still says where to resume.
			stream, stop := openStream(t, a.url, key, "")
			defer stop()
			last := lastWord(t, stream)

			// What happens while the client is away is replayed on reconnect.
			id := owner.do("POST", "/api/v1/orders", orderBody("While Away")).must(t, 201).str("id")
			again, stop2 := openStream(t, a.url, key, last)
			defer stop2()
			requireOrderEvent(t, again, id)
			last = lastWord(t, again)

			id2 := owner.do("POST", "/api/v1/orders", orderBody("Away Again")).must(t, 201).str("id")
			third, stop3 := openStream(t, a.url, key, last)
			defer stop3()
			requireOrderEvent(t, third, id2) // and nothing older
		})
	}
}

// lastWord waits for the stream to end by age and returns the id it gave
// to resume from.
func lastWord(t *testing.T, stream <-chan sseEvent) string {
	t.Helper()
	var last, lastTyp string
	deadline := time.After(streamCloseWait)
	for {
		select {
		case ev, ok := <-stream:
			if !ok {
				require.NotEmpty(t, last, "the stream ended without an id to resume from")
				require.Empty(t, lastTyp, "the stream's last word is an id without an event")
				return last
			}
			require.False(t, strings.HasPrefix(ev.typ, "order."), "unexpected event %+v", ev)
			last = ev.id
			lastTyp = ev.typ
		case <-deadline:
			t.Fatalf("the stream outlived its maximum lifetime by %s", streamCloseWait)
		}
	}
}

func TestAPIKeyActsForItsCreator(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, _ := a.signup(t, uniqueEmail("creator"))
		admin, adminID := a.joinAs(t, owner, access.RoleAdmin)
		adminEmail := admin.do("GET", "/api/v1/me", nil).must(t, 200).str("principal", "email")
		r := admin.do("POST", "/api/v1/api-keys", map[string]any{"name": "admin key", "role": "admin"}).must(t, 201)
		k := a.withKey(r.str("key"))
		// A key minted by a key acts for the same member.
		minted := a.withKey(k.do("POST", "/api/v1/api-keys", map[string]any{"name": "minted", "role": "admin"}).must(t, 201).str("key"))
		k.do("POST", "/api/v1/invitations", map[string]any{"email": uniqueEmail("a1"), "role": "admin"}).must(t, 201)

		// The listing says who made each key.
		for _, l := range owner.do("GET", "/api/v1/api-keys", nil).must(t, 200).list() {
			by, _ := l["created_by"].(map[string]any)
			require.NotNil(t, by, "key %v lists no creator", l["name"])
			require.Equal(t, adminID, by["id"])
			require.Equal(t, adminEmail, by["email"])
			require.Equal(t, true, by["member"])
		}

		// Demoted, her keys are narrowed to her new role at once.
		owner.do("PATCH", "/api/v1/members/"+adminID, map[string]any{"role": "member"}).must(t, 200)
		require.Equal(t, "member", k.do("GET", "/api/v1/me", nil).must(t, 200).str("role"))
		k.do("POST", "/api/v1/invitations", map[string]any{"email": uniqueEmail("a2"), "role": "admin"}).must(t, 403)
		minted.do("POST", "/api/v1/invitations", map[string]any{"email": uniqueEmail("a3"), "role": "admin"}).must(t, 403)
		k.do("GET", "/api/v1/orders", nil).must(t, 200) // what a member may do still works

		// Promoted back, they regain it (up to the key's own role).
		owner.do("PATCH", "/api/v1/members/"+adminID, map[string]any{"role": "admin"}).must(t, 200)
		k.do("POST", "/api/v1/invitations", map[string]any{"email": uniqueEmail("a4"), "role": "admin"}).must(t, 201)

		// Removed, her keys stop at once, and were revoked with her membership.
		owner.do("DELETE", "/api/v1/members/"+adminID, nil).must(t, 204)
		k.do("POST", "/api/v1/invitations", map[string]any{"email": adminEmail, "role": "admin"}).must(t, 401)
		minted.do("GET", "/api/v1/me", nil).must(t, 401)
		for _, l := range owner.do("GET", "/api/v1/api-keys", nil).must(t, 200).list() {
			require.NotNil(t, l["revoked_at"], "key %v outlived its creator's membership", l["name"])
			require.Equal(t, false, l["created_by"].(map[string]any)["member"])
		}
		entries := owner.do("GET", "/api/v1/audit-log?action=api_key.revoked", nil).must(t, 200).list()
		require.Len(t, entries, 2)
	})
}

func TestAPIKeysOfOwnerWhoLeaves(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[1], nil)
	owner, ownerID, tid := a.signup(t, uniqueEmail("owner1"))
	owner2, _ := a.joinAs(t, owner, access.RoleOwner)
	key := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "o", "role": "owner"}).must(t, 201).str("key")
	// An operator's key (ordo apikeys create) belongs to no member.
	_, opKey, err := a.auth.CreateAPIKey(context.Background(), access.Operator(uuid.MustParse(tid)), "ops", access.RoleOwner, nil, access.Meta{})
	require.NoError(t, err)

	page := owner2.do("GET", "/app/api-keys", nil).must(t, 200).raw
	require.Contains(t, page, "operator (CLI)")
	require.Contains(t, page, "revoked when they leave")

	owner.do("DELETE", "/api/v1/members/"+ownerID, nil).must(t, 204) // she leaves
	a.withKey(key).do("GET", "/api/v1/me", nil).must(t, 401)
	me := a.withKey(opKey).do("GET", "/api/v1/me", nil).must(t, 200)
	require.Equal(t, "owner", me.str("role"), "an operator key keeps its role")
	var sawOperator bool
	for _, l := range owner2.do("GET", "/api/v1/api-keys", nil).must(t, 200).list() {
		if l["name"] == "ops" {
			sawOperator = true
			require.Nil(t, l["created_by"])
			require.Nil(t, l["revoked_at"])
		}
	}
	require.True(t, sawOperator)
	require.True(t, strings.Contains(owner2.do("GET", "/app/api-keys", nil).must(t, 200).raw, "(left)"))
}
