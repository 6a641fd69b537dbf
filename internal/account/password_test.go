package account_test

import (
	"testing"

	"github.com/alexedwards/argon2id"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/account"
)

func TestHasher(t *testing.T) {
	t.Parallel()
	h, err := account.NewHasher(&argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	require.NoError(t, err)
	hash, err := h.Hash("correct horse battery staple")
	require.NoError(t, err)
	require.True(t, h.Verify("correct horse battery staple", hash))
	require.False(t, h.Verify("correct horse battery stapler", hash))
	require.False(t, h.Verify("correct horse battery staple", ""), "no password never matches")
	require.False(t, h.Verify("", ""))
	require.False(t, h.Verify("x", "not a hash"))
}
