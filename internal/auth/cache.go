package auth

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/cache"
	"github.com/ordo/ordo/internal/tenant"
)

// What every request reads (the user's session epoch, their membership,
// an API key) is cached read-through when a shared cache (Redis) is
// configured, and dropped from it right after each change commits. A
// cache error is never an answer: it falls back to the database.
const cacheTTL = 5 * time.Minute

func userCacheKey(id uuid.UUID) string { return "auth:user:" + id.String() }

func memberCacheKey(tenantID, userID uuid.UUID) string {
	// "membership", not "member": the entry became a cachedMembership;
	// entries of the old shape under the old key are never read.
	return "auth:membership:" + tenantID.String() + ":" + userID.String()
}

func apiKeyCacheKey(prefix string) string { return "auth:apikey:" + prefix }

// "tenantaccess", not "tenant": the entry became a tenantAccess; entries
// of the old shape under the old key are never read.
func tenantCacheKey(id uuid.UUID) string { return "auth:tenantaccess:" + id.String() }

// cached reads key through the shared cache.
func cached[T any](ctx context.Context, s *Service, key string, load func() (T, error)) (T, error) {
	return cache.ReadThrough(ctx, s.cache, s.log, key, cacheTTL, nil, load)
}

// forget drops keys after a change committed.
func (s *Service) forget(ctx context.Context, keys ...string) {
	cache.Forget(ctx, s.cache, s.log, keys...)
}

// ForgetUser drops the user's cached session epoch (account.AuthCache).
func (s *Service) ForgetUser(ctx context.Context, userID uuid.UUID) {
	s.forget(ctx, userCacheKey(userID))
}

// ForgetMember drops the user's cached standing in the tenant
// (tenant.Auth).
func (s *Service) ForgetMember(ctx context.Context, tenantID, userID uuid.UUID) {
	s.forget(ctx, memberCacheKey(tenantID, userID))
}

// ForgetTenant drops the tenant's cached status (tenant.Auth).
func (s *Service) ForgetTenant(ctx context.Context, tenantID uuid.UUID) {
	s.forget(ctx, tenantCacheKey(tenantID))
}

// ForgetAPIKeys drops the cached keys with these prefixes (tenant.Auth).
func (s *Service) ForgetAPIKeys(ctx context.Context, prefixes ...string) {
	keys := make([]string, len(prefixes))
	for i, p := range prefixes {
		keys[i] = apiKeyCacheKey(p)
	}
	s.forget(ctx, keys...)
}

// cachedUser is the part of a user that authentication needs.
type cachedUser struct {
	ID    uuid.UUID `json:"id"`
	Email string    `json:"email"`
	Name  string    `json:"name"`
	Epoch int64     `json:"epoch"`
	// Disabled: an operator disabled the user (their sessions ended
	// then too, by the epoch).
	Disabled bool `json:"disabled,omitempty"`
}

func (s *Service) userForAuth(ctx context.Context, id uuid.UUID) (cachedUser, error) {
	return cached(ctx, s, userCacheKey(id), func() (cachedUser, error) {
		u, err := s.store.UserGetByID(ctx, id)
		return cachedUser{ID: u.ID, Email: u.Email, Name: u.Name, Epoch: u.SessionEpoch, Disabled: u.DisabledAt != nil}, err
	})
}

// cachedMembership is what authentication needs of a user's standing in a
// tenant: their role, or none, and then whether they were removed from it.
type cachedMembership struct {
	Role    access.Role `json:"role,omitempty"`
	Removed bool        `json:"removed,omitempty"`
}

// membershipFor returns the user's role in the tenant ("" if not a
// member) and, for a non-member, whether they once were and were removed.
func (s *Service) membershipFor(ctx context.Context, tenantID, userID uuid.UUID) (cachedMembership, error) {
	return cached(ctx, s, memberCacheKey(tenantID, userID), func() (cachedMembership, error) {
		m, err := s.store.MembershipGet(ctx, tenantID, userID)
		if err == nil {
			return cachedMembership{Role: m.Role}, nil
		}
		if !errors.Is(err, apperr.ErrNotFound) {
			return cachedMembership{}, err
		}
		_, err = s.store.MembershipRemovedAt(ctx, tenantID, userID)
		if errors.Is(err, apperr.ErrNotFound) {
			return cachedMembership{}, nil
		}
		return cachedMembership{Removed: err == nil}, err
	})
}

// tenantAccess is what access to a tenant depends on: its status (a
// suspended or deleted tenant's users and keys lose access to it at once;
// its change forgets the cached entry everywhere), and whether its members
// must sign in with a second factor. A tenant that is gone is deleted.
type tenantAccess struct {
	Status           tenant.Status `json:"status"`
	RequireTwoFactor bool          `json:"require_two_factor,omitempty"`
}

func (s *Service) tenantAccess(ctx context.Context, id uuid.UUID) (tenantAccess, error) {
	return cached(ctx, s, tenantCacheKey(id), func() (tenantAccess, error) {
		t, err := s.store.TenantGetByID(ctx, id)
		if errors.Is(err, apperr.ErrNotFound) {
			return tenantAccess{Status: tenant.StatusDeleted}, nil
		}
		return tenantAccess{Status: t.Status, RequireTwoFactor: t.RequireTwoFactor}, err
	})
}

// keyStanding reads what authenticating an API key depends on. Without a
// cache, one query joins the key, its creator and its tenant; with one,
// each part is read through the cache on its own, since each is dropped
// from it on its own change. The creator's user and the tenant are not
// read once the creator is found not to be a member.
func (s *Service) keyStanding(ctx context.Context, prefix string) (tenant.KeyStanding, error) {
	if s.cache == nil {
		st, err := s.store.APIKeyStandingByPrefix(ctx, prefix)
		if err == nil && st.TenantStatus == "" {
			st.TenantStatus = tenant.StatusDeleted
		}
		return st, err
	}
	k, err := s.apiKeyForAuth(ctx, prefix)
	if err != nil {
		return tenant.KeyStanding{}, err
	}
	st := tenant.KeyStanding{Key: k}
	if k.CreatedBy != nil {
		cm, err := s.membershipFor(ctx, k.TenantID, *k.CreatedBy)
		if err != nil || cm.Role == "" {
			return st, err
		}
		st.CreatorRole = cm.Role
		u, err := s.userForAuth(ctx, *k.CreatedBy)
		if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return st, err
		}
		st.CreatorActive = err == nil && !u.Disabled
		if !st.CreatorActive {
			return st, nil
		}
	}
	ta, err := s.tenantAccess(ctx, k.TenantID)
	st.TenantStatus = ta.Status
	return st, err
}

func (s *Service) apiKeyForAuth(ctx context.Context, prefix string) (account.APIKey, error) {
	return cached(ctx, s, apiKeyCacheKey(prefix), func() (account.APIKey, error) {
		return s.store.APIKeyGetByPrefix(ctx, prefix)
	})
}
