package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/alexedwards/scs/v2"
)

// hashedTokens keeps sessions under the SHA-256 of their token instead of
// the token itself. The token is the cookie: stored as it is, anyone who
// can read the sessions table (or Redis, or a backup) could take over
// every live session. The token is 32 random bytes, so a plain hash is
// enough to make the stored key useless to them.
type hashedTokens struct {
	st scs.Store
}

// hashSessionTokens wraps st so that it never sees a raw session token.
func hashSessionTokens(st scs.Store) scs.Store { return hashedTokens{st: st} }

func sessionKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func (h hashedTokens) Find(token string) ([]byte, bool, error) { return h.st.Find(sessionKey(token)) }

func (h hashedTokens) Commit(token string, b []byte, expiry time.Time) error {
	return h.st.Commit(sessionKey(token), b, expiry)
}

func (h hashedTokens) Delete(token string) error { return h.st.Delete(sessionKey(token)) }

func (h hashedTokens) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if cs, ok := h.st.(scs.CtxStore); ok {
		return cs.FindCtx(ctx, sessionKey(token))
	}
	return h.Find(token)
}

func (h hashedTokens) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if cs, ok := h.st.(scs.CtxStore); ok {
		return cs.CommitCtx(ctx, sessionKey(token), b, expiry)
	}
	return h.Commit(token, b, expiry)
}

func (h hashedTokens) DeleteCtx(ctx context.Context, token string) error {
	if cs, ok := h.st.(scs.CtxStore); ok {
		return cs.DeleteCtx(ctx, sessionKey(token))
	}
	return h.Delete(token)
}
