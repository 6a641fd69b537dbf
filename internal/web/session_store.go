package web

import (
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// sessionWriteEvery is how often a session that only keeps being used is
// written back to the store to push its idle expiry forward.
const sessionWriteEvery = time.Minute

// touchThrottle wraps a session store so that a request that changed
// nothing in its session does not write it back. With an idle timeout,
// scs marks every session modified on every request, only to move its
// expiry: a database write (on SQLite, the one write lock) or a Redis SET
// per page view. Here that write is made at most once per
// sessionWriteEvery per session and process, so an unused session expires
// between IdleTimeout−sessionWriteEvery and IdleTimeout after its last
// use. A session whose data changed is written at once, as is any session
// this process has not written itself; reads and deletes (logout,
// revocation from another process) pass straight through.
type touchThrottle struct {
	next  scs.CtxStore
	codec scs.GobCodec
	now   func() time.Time

	mu    sync.Mutex
	found map[string]foundSession
}

type foundSession struct {
	data    []byte    // as the store returned it, or as last written
	written time.Time // when this process last wrote it; zero if never
}

// newTouchThrottle wraps next (a store without context methods, such as
// scs's SQLite one, gets them without the context).
func newTouchThrottle(next scs.Store) scs.Store {
	c, ok := next.(scs.CtxStore)
	if !ok {
		c = noCtxStore{next}
	}
	return &touchThrottle{next: c, now: time.Now, found: map[string]foundSession{}}
}

// noCtxStore gives a plain scs.Store the context methods, ignoring the
// context.
type noCtxStore struct{ scs.Store }

func (s noCtxStore) FindCtx(_ context.Context, token string) ([]byte, bool, error) {
	return s.Find(token)
}

func (s noCtxStore) CommitCtx(_ context.Context, token string, b []byte, expiry time.Time) error {
	return s.Commit(token, b, expiry)
}

func (s noCtxStore) DeleteCtx(_ context.Context, token string) error { return s.Delete(token) }

func (t *touchThrottle) Find(token string) ([]byte, bool, error) {
	return t.FindCtx(context.Background(), token)
}

func (t *touchThrottle) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	b, ok, err := t.next.FindCtx(ctx, token)
	if err == nil && ok {
		t.mu.Lock()
		f := t.found[token]
		f.data = b
		t.found[token] = f
		t.mu.Unlock()
	}
	return b, ok, err
}

func (t *touchThrottle) Commit(token string, b []byte, expiry time.Time) error {
	return t.CommitCtx(context.Background(), token, b, expiry)
}

func (t *touchThrottle) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	now := t.now()
	t.mu.Lock()
	f, ok := t.found[token]
	t.mu.Unlock()
	if ok && !f.written.IsZero() && now.Sub(f.written) < sessionWriteEvery && t.same(f.data, b) {
		return nil
	}
	if err := t.next.CommitCtx(ctx, token, b, expiry); err != nil {
		return err
	}
	t.mu.Lock()
	if len(t.found) > 100_000 {
		t.sweep(now)
	}
	t.found[token] = foundSession{data: b, written: now}
	t.mu.Unlock()
	return nil
}

func (t *touchThrottle) Delete(token string) error {
	return t.DeleteCtx(context.Background(), token)
}

func (t *touchThrottle) DeleteCtx(ctx context.Context, token string) error {
	t.mu.Lock()
	delete(t.found, token)
	t.mu.Unlock()
	return t.next.DeleteCtx(ctx, token)
}

// same reports whether two encodings hold the same session. The bytes
// alone cannot tell: gob writes a map in Go's random iteration order.
func (t *touchThrottle) same(a, b []byte) bool {
	if string(a) == string(b) {
		return true
	}
	da, va, err := t.codec.Decode(a)
	if err != nil {
		return false
	}
	db, vb, err := t.codec.Decode(b)
	if err != nil {
		return false
	}
	return da.Equal(db) && reflect.DeepEqual(va, vb)
}

// sweep forgets the sessions not written for a while; t.mu is held.
func (t *touchThrottle) sweep(now time.Time) {
	for k, f := range t.found {
		if now.Sub(f.written) >= sessionWriteEvery {
			delete(t.found, k)
		}
	}
}
