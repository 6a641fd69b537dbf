package auth

import (
	"context"
	"maps"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/tenant"
)

// apiKeyTouchEvery bounds last_used_at writes to one per key per minute,
// so that busy keys do not write on every request.
const apiKeyTouchEvery = time.Minute

// CreateAPIKey makes a key for the current tenant with a role no stronger
// than the creator's. The full key is returned once and never stored.
func (s *Service) CreateAPIKey(ctx context.Context, p access.Principal, name string, role access.Role, expiresAt *time.Time, m access.Meta) (account.APIKey, string, error) {
	if err := p.Require(access.ActAPIKeyManage); err != nil {
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
	// The new key acts for the member behind the request: the user, or
	// the creator of the key making it, so that a key cannot mint a key
	// that outlives its own creator. Only the operator's keys have none.
	var by *uuid.UUID
	switch {
	case p.UserID != uuid.Nil:
		by = &p.UserID
	case p.APIKeyCreatedBy != uuid.Nil:
		by = &p.APIKeyCreatedBy
	}
	if expiresAt != nil {
		e := expiresAt.UTC().Truncate(time.Microsecond)
		expiresAt = &e
	}
	k := account.APIKey{ID: newID(), TenantID: p.TenantID, CreatedBy: by, Name: name, Prefix: prefix, SecretHash: hash, Role: role, ExpiresAt: expiresAt, CreatedAt: now}
	err := s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.APIKeyCreate(ctx, k); err != nil {
			return err
		}
		return p.Audit(ctx, tx, m, now, p.TenantID, "api_key.created", "api_key", k.ID.String(), map[string]any{"name": name, "role": role, "prefix": prefix})
	})
	if err != nil {
		return account.APIKey{}, "", err
	}
	return k, full, nil
}

// APIKeyInfo is a key with the member it acts for.
type APIKeyInfo struct {
	account.APIKey
	// Creator is the user the key acts for; nil for a key an operator
	// made at the command line (or whose creator's account is gone).
	Creator *account.User
	// CreatorIsMember is false once the creator has left the tenant: the
	// key was revoked with their membership.
	CreatorIsMember bool
}

// ListAPIKeys reads the page r selects of the current tenant's keys
// (never their secrets), newest first, each with its creator.
func (s *Service) ListAPIKeys(ctx context.Context, p access.Principal, r page.Request) (page.Page[APIKeyInfo], error) {
	if err := p.Require(access.ActAPIKeyRead); err != nil {
		return page.Page[APIKeyInfo]{}, err
	}
	pg, err := page.Read(r, func(k account.APIKey) uuid.UUID { return k.ID }, func(r page.Request) ([]account.APIKey, error) {
		return s.store.APIKeyPageByTenant(ctx, p.TenantID, r)
	})
	if err != nil {
		return page.Page[APIKeyInfo]{}, err
	}
	keys := pg.Rows
	var ids []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for _, k := range keys {
		if k.CreatedBy != nil && !seen[*k.CreatedBy] {
			seen[*k.CreatedBy] = true
			ids = append(ids, *k.CreatedBy)
		}
	}
	users := map[uuid.UUID]account.User{}
	members := map[uuid.UUID]bool{}
	if len(ids) > 0 {
		us, err := s.store.UserListByIDs(ctx, ids) // one query, not one per key
		if err != nil {
			return page.Page[APIKeyInfo]{}, err
		}
		for _, u := range us {
			users[u.ID] = u
		}
		ms, err := s.store.MembershipListByTenant(ctx, p.TenantID)
		if err != nil {
			return page.Page[APIKeyInfo]{}, err
		}
		for _, m := range ms {
			members[m.UserID] = true
		}
	}
	out := make([]APIKeyInfo, len(keys))
	for i, k := range keys {
		out[i] = APIKeyInfo{APIKey: k}
		if k.CreatedBy != nil {
			if u, ok := users[*k.CreatedBy]; ok {
				out[i].Creator = &u
			}
			out[i].CreatorIsMember = members[*k.CreatedBy]
		}
	}
	return page.Page[APIKeyInfo]{Rows: out, Next: pg.Next, Prev: pg.Prev}, nil
}

// keyRevoker is what revoking a key needs of a transaction: the store's,
// or the tenant service's (tenant.Tx) when a member leaves.
type keyRevoker interface {
	APIKeyRevoke(ctx context.Context, tenantID, id uuid.UUID, now time.Time) error
	audit.Writer
}

// RevokeKeysOf revokes, inside tx, every active key of the tenant that
// acts for userID (who is leaving it), and returns their prefixes, to
// forget (ForgetAPIKeys) once tx commits (tenant.Auth).
func (s *Service) RevokeKeysOf(ctx context.Context, tx tenant.Tx, now time.Time, p access.Principal, m access.Meta, tenantID, userID uuid.UUID) ([]string, error) {
	keys, err := tx.APIKeyListByTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var prefixes []string
	for _, k := range keys {
		if k.CreatedBy == nil || *k.CreatedBy != userID || k.RevokedAt != nil {
			continue
		}
		if err := revokeKey(ctx, tx, now, p, m, k, map[string]any{"reason": "creator left the tenant"}); err != nil {
			return nil, err
		}
		prefixes = append(prefixes, k.Prefix)
	}
	return prefixes, nil
}

// RevokeAPIKey stops a key at once: the next request with it fails.
func (s *Service) RevokeAPIKey(ctx context.Context, p access.Principal, id uuid.UUID, m access.Meta) error {
	if err := p.Require(access.ActAPIKeyManage); err != nil {
		return err
	}
	var prefix string
	defer func() { s.forget(ctx, apiKeyCacheKey(prefix)) }()
	return s.store.InTx(ctx, func(tx Tx) error {
		k, err := tx.APIKeyGet(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		prefix = k.Prefix
		return revokeKey(ctx, tx, s.clock(), p, m, k, nil)
	})
}

// revokeKey revokes k inside tx with its audit entry; extra adds to the
// entry's metadata (why, when it is not the principal's own choice).
func revokeKey(ctx context.Context, tx keyRevoker, now time.Time, p access.Principal, m access.Meta, k account.APIKey, extra map[string]any) error {
	if err := tx.APIKeyRevoke(ctx, k.TenantID, k.ID, now); err != nil {
		return err
	}
	meta := map[string]any{"name": k.Name, "prefix": k.Prefix}
	maps.Copy(meta, extra)
	return p.Audit(ctx, tx, m, now, k.TenantID, "api_key.revoked", "api_key", k.ID.String(), meta)
}

// AuthenticateAPIKey turns a bearer key into a principal; any failure is
// apperr.ErrUnauthorized.
func (s *Service) AuthenticateAPIKey(ctx context.Context, full string) (access.Principal, error) {
	prefix, secret, ok := parseAPIKey(full)
	if !ok {
		return access.Principal{}, apperr.ErrUnauthorized
	}
	st, err := s.keyStanding(ctx, prefix)
	if err != nil {
		if apperr.HTTPStatus(err) == 404 {
			return access.Principal{}, apperr.ErrUnauthorized
		}
		return access.Principal{}, err
	}
	k, now := st.Key, s.clock()
	if !secretMatches(secret, k.SecretHash) || !k.Active(now) {
		return access.Principal{}, apperr.ErrUnauthorized
	}
	// A key acts for its creator: not at all once they have left the
	// tenant or an operator disabled them, and never with more than
	// their current role. (Removing a member also revokes their keys;
	// this holds even if that failed.)
	role := k.Role
	var by uuid.UUID
	if k.CreatedBy != nil {
		by = *k.CreatedBy
		if st.CreatorRole == "" || !st.CreatorActive {
			return access.Principal{}, apperr.ErrUnauthorized
		}
		role = role.Weaker(st.CreatorRole)
	}
	switch st.TenantStatus {
	case tenant.StatusSuspended:
		// The key is still valid, for nothing until the tenant is resumed:
		// every tenant route answers 403 "tenant suspended".
		return access.Principal{APIKeyID: k.ID, APIKeyName: k.Name, APIKeyCreatedBy: by, SuspendedTenant: k.TenantID}, nil
	case tenant.StatusDeleted:
		// Likewise until it is purged; an owner's key may cancel that.
		return access.Principal{APIKeyID: k.ID, APIKeyName: k.Name, APIKeyCreatedBy: by, DeletedTenant: k.TenantID, DeletedRole: role}, nil
	case tenant.StatusActive:
	default:
		return access.Principal{}, apperr.ErrUnauthorized
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= apiKeyTouchEvery {
		if err := s.store.APIKeyTouch(ctx, k.ID, now); err != nil {
			s.log.WarnContext(ctx, "record API key use", "key_id", k.ID, "err", err)
		}
		s.forget(ctx, apiKeyCacheKey(prefix)) // the next read caches the new time
	}
	return access.Principal{APIKeyID: k.ID, APIKeyName: k.Name, APIKeyCreatedBy: by, TenantID: k.TenantID, Role: role}, nil
}
