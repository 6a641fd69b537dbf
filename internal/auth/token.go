package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/ordo/ordo/internal/account"
)

// APIKeyScheme starts every API key. API keys read
// "ordo_<prefix>_<secret>": the prefix identifies the key
// (shown in lists), the secret proves it.
const APIKeyScheme = "ordo_"

// newAPIKey returns the full key, its prefix and the hash of its secret.
func newAPIKey() (full, prefix string, hash []byte) {
	p := make([]byte, 6)
	_, _ = rand.Read(p)
	prefix = hex.EncodeToString(p)
	secret, hash := account.NewSecret()
	return APIKeyScheme + prefix + "_" + secret, prefix, hash
}

// parseAPIKey splits a full key; ok is false if it is not shaped like one.
func parseAPIKey(full string) (prefix, secret string, ok bool) {
	rest, found := strings.CutPrefix(full, APIKeyScheme)
	if !found {
		return "", "", false
	}
	prefix, secret, found = strings.Cut(rest, "_")
	if !found || len(prefix) != 12 || len(secret) < 32 || len(secret) > 64 {
		return "", "", false
	}
	return prefix, secret, true
}

// secretMatches compares in constant time.
func secretMatches(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(account.HashSecret(secret), hash) == 1
}
