package account

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"

	"github.com/ordo/ordo/internal/apperr"
)

// Password rules.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256 // bounds hashing work per request
)

//go:embed common_passwords.txt
var commonPasswordList string

// commonPasswords is a small list of passwords that meet the length rule
// but are guessed first.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// CheckPassword validates a new password for field.
func CheckPassword(field, password, email string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return apperr.InvalidRule(field, apperr.RuleTooShort, fmt.Sprintf("must be at least %d characters", MinPasswordLen), MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return apperr.InvalidRule(field, apperr.RuleTooLong, fmt.Sprintf("must be at most %d bytes", MaxPasswordLen), MaxPasswordLen)
	case commonPasswords[strings.ToLower(password)]:
		return apperr.InvalidRule(field, apperr.RuleCommon, "is too common; choose another")
	case email != "" && strings.EqualFold(password, email):
		return apperr.InvalidRule(field, apperr.RuleSameAsEmail, "must not be your e-mail address")
	}
	return nil
}

// Hasher hashes passwords with argon2id.
type Hasher struct {
	params *argon2id.Params
	// dummy is a hash of nothing in particular, checked when a login names
	// no user, so that both answers take about as long. It is made on
	// first use: making it takes the 19 MiB argon2id works in, which an
	// idle process would otherwise keep until the runtime returns it.
	dummy func() (string, error)
}

// DefaultArgon2Params are OWASP's recommended argon2id settings
// (19 MiB, 2 iterations, 1 thread).
var DefaultArgon2Params = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// NewHasher returns a hasher with params (DefaultArgon2Params if nil).
func NewHasher(params *argon2id.Params) (*Hasher, error) {
	if params == nil {
		params = DefaultArgon2Params
	}
	return &Hasher{params: params, dummy: sync.OnceValues(func() (string, error) {
		return argon2id.CreateHash("ordo-dummy-password", params)
	})}, nil
}

// Hash returns the encoded argon2id hash of password.
func (h *Hasher) Hash(password string) (string, error) {
	return argon2id.CreateHash(password, h.params)
}

// Verify reports whether password matches hash. An empty hash (a user who
// has no password) never matches, but costs the same time.
func (h *Hasher) Verify(password, hash string) bool {
	if hash == "" {
		if dummy, err := h.dummy(); err == nil {
			_, _ = argon2id.ComparePasswordAndHash(password, dummy)
		}
		return false
	}
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	return err == nil && ok
}
