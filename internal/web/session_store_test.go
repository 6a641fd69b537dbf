package web

import (
	"context"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/stretchr/testify/require"
)

// memStore is a session store in a map that counts its writes.
type memStore struct {
	data    map[string][]byte
	commits int
}

func (m *memStore) Find(token string) ([]byte, bool, error) {
	b, ok := m.data[token]
	return b, ok, nil
}
func (m *memStore) Commit(token string, b []byte, _ time.Time) error {
	m.commits++
	m.data[token] = b
	return nil
}
func (m *memStore) Delete(token string) error                                 { delete(m.data, token); return nil }
func (m *memStore) FindCtx(_ context.Context, t string) ([]byte, bool, error) { return m.Find(t) }
func (m *memStore) CommitCtx(_ context.Context, t string, b []byte, e time.Time) error {
	return m.Commit(t, b, e)
}
func (m *memStore) DeleteCtx(_ context.Context, t string) error { return m.Delete(t) }

// A session used again and again with nothing changed is written once a
// minute, not once a request; a change, a new session, and a session
// this process never wrote are written at once.
func TestTouchThrottle(t *testing.T) {
	t.Run("context store", func(t *testing.T) { testTouchThrottle(t, true) })
	t.Run("plain store", func(t *testing.T) { testTouchThrottle(t, false) })
}

// plainStore hides memStore's context methods, as scs's SQLite store has
// none.
type plainStore struct{ m *memStore }

func (p plainStore) Find(t string) ([]byte, bool, error)          { return p.m.Find(t) }
func (p plainStore) Commit(t string, b []byte, e time.Time) error { return p.m.Commit(t, b, e) }
func (p plainStore) Delete(t string) error                        { return p.m.Delete(t) }

func testTouchThrottle(t *testing.T, withCtx bool) {
	mem := &memStore{data: map[string][]byte{}}
	clock := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	var inner scs.Store = mem
	if !withCtx {
		inner = plainStore{mem}
	}
	th := newTouchThrottle(inner).(*touchThrottle)
	th.now = func() time.Time { return clock }
	var codec scs.GobCodec
	deadline := clock.Add(24 * time.Hour)
	enc := func(vals map[string]any) []byte {
		b, err := codec.Encode(deadline, vals)
		require.NoError(t, err)
		return b
	}
	vals := map[string]any{"user": "u1", "tenant": "t1", "epoch": int64(3), "lang": "de", "seen": int64(1)}
	expiry := clock.Add(12 * time.Hour)

	// Another process wrote the session: this one's first commit writes.
	mem.data["tok"] = enc(vals)
	_, ok, err := th.Find("tok")
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, th.Commit("tok", enc(vals), expiry))
	require.Equal(t, 1, mem.commits, "a session this process never wrote is written")

	// The same data, re-encoded (gob writes maps in random order), within
	// the minute: no write, however often.
	for range 20 {
		_, _, _ = th.Find("tok")
		require.NoError(t, th.Commit("tok", enc(vals), expiry))
	}
	require.Equal(t, 1, mem.commits, "unchanged sessions are not written again within a minute")

	// A change is written at once.
	vals["lang"] = "en"
	require.NoError(t, th.Commit("tok", enc(vals), expiry))
	require.Equal(t, 2, mem.commits)
	require.True(t, th.same(mem.data["tok"], enc(vals)))

	// A minute on, the expiry is pushed forward again.
	clock = clock.Add(sessionWriteEvery)
	require.NoError(t, th.Commit("tok", enc(vals), expiry))
	require.Equal(t, 3, mem.commits)

	// Deleting passes through and forgets it: the next commit writes.
	require.NoError(t, th.Delete("tok"))
	require.Empty(t, mem.data)
	require.NoError(t, th.Commit("tok", enc(vals), expiry))
	require.Equal(t, 4, mem.commits)

	// A new session is written.
	require.NoError(t, th.Commit("new", enc(map[string]any{"lang": "de"}), expiry))
	require.Equal(t, 5, mem.commits)
}
