package auth

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
)

// What every request reads (the user's session epoch, their membership,
// an API key) is cached read-through when a shared cache (Redis) is
// configured, and dropped from it right after each change commits. A
// cache error is never an answer: it falls back to the database.
const cacheTTL = 5 * time.Minute

func userCacheKey(id uuid.UUID) string { return "auth:user:" + id.String() }

func memberCacheKey(tenantID, userID uuid.UUID) string {
	return "auth:member:" + tenantID.String() + ":" + userID.String()
}

func apiKeyCacheKey(prefix string) string { return "auth:apikey:" + prefix }

// cached reads key into dst, or loads, stores and returns it.
func cached[T any](ctx context.Context, s *Service, key string, load func() (T, error)) (T, error) {
	if s.cache != nil {
		if b, ok, err := s.cache.Get(ctx, key); err == nil && ok {
			var v T
			if json.Unmarshal(b, &v) == nil {
				return v, nil
			}
		} else if err != nil {
			s.log.WarnContext(ctx, "cache unavailable; reading the database", "err", err)
		}
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	if s.cache != nil {
		if b, err := json.Marshal(v); err == nil {
			if err := s.cache.Set(ctx, key, b, cacheTTL); err != nil {
				s.log.WarnContext(ctx, "cache unavailable", "err", err)
			}
		}
	}
	return v, nil
}

// forget drops keys after a change committed.
func (s *Service) forget(ctx context.Context, keys ...string) {
	if s.cache == nil || len(keys) == 0 {
		return
	}
	if err := s.cache.Delete(context.WithoutCancel(ctx), keys...); err != nil {
		// The entries expire by themselves; until then a stale one could
		// be served, so say so loudly.
		s.log.ErrorContext(ctx, "cache invalidation failed; entries expire within the TTL", "keys", keys, "err", err)
	}
}

// cachedUser is the part of a user that authentication needs.
type cachedUser struct {
	ID    uuid.UUID `json:"id"`
	Email string    `json:"email"`
	Name  string    `json:"name"`
	Epoch int64     `json:"epoch"`
}

func (s *Service) userForAuth(ctx context.Context, id uuid.UUID) (cachedUser, error) {
	return cached(ctx, s, userCacheKey(id), func() (cachedUser, error) {
		u, err := s.store.UserGetByID(ctx, id)
		return cachedUser{ID: u.ID, Email: u.Email, Name: u.Name, Epoch: u.SessionEpoch}, err
	})
}

// roleFor returns the user's role in the tenant, or "" if not a member.
func (s *Service) roleFor(ctx context.Context, tenantID, userID uuid.UUID) (account.Role, error) {
	return cached(ctx, s, memberCacheKey(tenantID, userID), func() (account.Role, error) {
		m, err := s.store.MembershipGet(ctx, tenantID, userID)
		if errors.Is(err, apperr.ErrNotFound) {
			return "", nil
		}
		return m.Role, err
	})
}

func (s *Service) apiKeyForAuth(ctx context.Context, prefix string) (account.APIKey, error) {
	return cached(ctx, s, apiKeyCacheKey(prefix), func() (account.APIKey, error) {
		return s.store.APIKeyGetByPrefix(ctx, prefix)
	})
}
