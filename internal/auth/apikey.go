package auth

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/store"
)

// apiKeyTouchEvery bounds last_used_at writes to one per key per minute,
// so that busy keys do not write on every request.
const apiKeyTouchEvery = time.Minute

// CreateAPIKey makes a key for the current tenant with a role no stronger
// than the creator's. The full key is returned once and never stored.
func (s *Service) CreateAPIKey(ctx context.Context, p Principal, name string, role account.Role, expiresAt *time.Time, m Meta) (account.APIKey, string, error) {
	if err := p.Require(account.ActAPIKeyManage); err != nil {
		return account.APIKey{}, "", err
	}
	var v apperr.Validation
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		v.Add("name", "must be 1 to 100 characters")
	}
	if !role.Valid() {
		v.Add("role", "must be owner, admin, member or viewer")
	} else if !p.Role.AtLeast(role) {
		v.Add("role", "cannot be stronger than your own role")
	}
	now := s.clock()
	if expiresAt != nil && !expiresAt.After(now) {
		v.Add("expires_at", "must be in the future")
	}
	if err := v.Err(); err != nil {
		return account.APIKey{}, "", err
	}
	full, prefix, hash := newAPIKey()
	var by *uuid.UUID
	if p.UserID != uuid.Nil {
		by = &p.UserID
	}
	if expiresAt != nil {
		e := expiresAt.UTC().Truncate(time.Microsecond)
		expiresAt = &e
	}
	k := account.APIKey{ID: newID(), TenantID: p.TenantID, CreatedBy: by, Name: name, Prefix: prefix, SecretHash: hash, Role: role, ExpiresAt: expiresAt, CreatedAt: now}
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.APIKeyCreate(ctx, k); err != nil {
			return err
		}
		return writeAudit(ctx, tx, now, p.TenantID, p, m, "api_key.created", "api_key", k.ID.String(), map[string]any{"name": name, "role": role, "prefix": prefix})
	})
	if err != nil {
		return account.APIKey{}, "", err
	}
	return k, full, nil
}

// ListAPIKeys lists the current tenant's keys (never their secrets).
func (s *Service) ListAPIKeys(ctx context.Context, p Principal) ([]account.APIKey, error) {
	if err := p.Require(account.ActAPIKeyRead); err != nil {
		return nil, err
	}
	return s.store.APIKeyListByTenant(ctx, p.TenantID)
}

// RevokeAPIKey stops a key at once: the next request with it fails.
func (s *Service) RevokeAPIKey(ctx context.Context, p Principal, id uuid.UUID, m Meta) error {
	if err := p.Require(account.ActAPIKeyManage); err != nil {
		return err
	}
	var prefix string
	defer func() { s.forget(ctx, apiKeyCacheKey(prefix)) }()
	return s.store.InTx(ctx, func(tx store.Tx) error {
		k, err := tx.APIKeyGet(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		prefix = k.Prefix
		now := s.clock()
		if err := tx.APIKeyRevoke(ctx, p.TenantID, id, now); err != nil {
			return err
		}
		return writeAudit(ctx, tx, now, p.TenantID, p, m, "api_key.revoked", "api_key", id.String(), map[string]any{"name": k.Name, "prefix": k.Prefix})
	})
}

// AuthenticateAPIKey turns a bearer key into a principal; any failure is
// apperr.ErrUnauthorized.
func (s *Service) AuthenticateAPIKey(ctx context.Context, full string) (Principal, error) {
	prefix, secret, ok := parseAPIKey(full)
	if !ok {
		return Principal{}, apperr.ErrUnauthorized
	}
	k, err := s.apiKeyForAuth(ctx, prefix)
	if err != nil {
		if apperr.HTTPStatus(err) == 404 {
			return Principal{}, apperr.ErrUnauthorized
		}
		return Principal{}, err
	}
	now := s.clock()
	if !secretMatches(secret, k.SecretHash) || !k.Active(now) {
		return Principal{}, apperr.ErrUnauthorized
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= apiKeyTouchEvery {
		if err := s.store.APIKeyTouch(ctx, k.ID, now); err != nil {
			s.log.WarnContext(ctx, "record API key use", "key_id", k.ID, "err", err)
		}
		s.forget(ctx, apiKeyCacheKey(prefix)) // the next read caches the new time
	}
	return Principal{APIKeyID: k.ID, APIKeyName: k.Name, TenantID: k.TenantID, Role: k.Role}, nil
}
