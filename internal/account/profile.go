package account

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // avatar formats
	_ "image/png"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	_ "golang.org/x/image/webp" // avatar format

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/i18n"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/version"
)

// The profile: name, language and avatar, the user's sessions, and
// deleting the account.

// MaxAvatarBytes is the largest avatar accepted. Avatars go through Ordo,
// as the invoice logo does: they are small and must be checked to be an
// image a browser shows.
const MaxAvatarBytes = 512 << 10

// MaxAvatarPixels bounds an avatar's width and height.
const MaxAvatarPixels = 4096

// WithBlobs returns s storing avatars in b.
func (s *Service) WithBlobs(b blob.Store) *Service {
	s.blobs = b
	return s
}

// ProfileUpdate is a change of the profile; nil fields stay as they are.
type ProfileUpdate struct {
	Name *string
	// Locale is a tag of i18n.Supported, or "" to follow the browser.
	Locale *string
	// IfMatch, when set, must be the user's current Version or the change
	// fails with ErrProfileStale.
	IfMatch *int64
}

// ValidLocale reports whether tag is a language the UI speaks, or "".
func ValidLocale(tag string) bool {
	if tag == "" {
		return true
	}
	for _, l := range i18n.Supported {
		if l.Tag.String() == tag {
			return true
		}
	}
	return false
}

// UpdateProfile changes the user's name and UI language.
func (s *Service) UpdateProfile(ctx context.Context, p access.Principal, in ProfileUpdate, m access.Meta) (User, error) {
	if p.IsAPIKey() || p.UserID == uuid.Nil {
		return User{}, apperr.Forbidden("only users have a profile")
	}
	var v apperr.Validation
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		in.Name = &n
		if utf8.RuneCountInString(n) > 200 {
			v.Add("name", "must be at most 200 characters")
		}
	}
	if in.Locale != nil && !ValidLocale(*in.Locale) {
		v.Add("locale", "is not a language Ordo speaks")
	}
	if err := v.Err(); err != nil {
		return User{}, err
	}
	var u User
	err := s.db.InTx(ctx, func(tx Tx) error {
		var err error
		if u, err = tx.UserGetForUpdate(ctx, p.UserID); err != nil {
			return err
		}
		if in.IfMatch != nil && *in.IfMatch != u.Version() {
			return ErrProfileStale
		}
		details := map[string]any{}
		if in.Name != nil && *in.Name != u.Name {
			details["name"] = map[string]any{"old": u.Name, "new": *in.Name}
			u.Name = *in.Name
		}
		if in.Locale != nil && *in.Locale != u.Locale {
			details["locale"] = map[string]any{"old": u.Locale, "new": *in.Locale}
			u.Locale = *in.Locale
		}
		if len(details) == 0 {
			return nil
		}
		u.UpdatedAt = version.Next(s.clock(), u.Version())
		if err := tx.UserUpdate(ctx, u); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, u, m, "user.profile_updated", details)
	})
	if err != nil {
		return User{}, err
	}
	s.forgetUser(ctx, u.ID) // the principal carries the name
	return u, nil
}

var avatarTypes = map[string]string{"png": "png", "jpeg": "jpg", "webp": "webp"}

// SetAvatar stores a PNG, JPEG or WebP image as the user's avatar.
func (s *Service) SetAvatar(ctx context.Context, p access.Principal, r io.Reader, m access.Meta) (User, error) {
	if p.IsAPIKey() || p.UserID == uuid.Nil {
		return User{}, apperr.Forbidden("only users have a profile")
	}
	if s.blobs == nil {
		return User{}, errors.New("set avatar: no object storage configured")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxAvatarBytes+1))
	if err != nil {
		return User{}, fmt.Errorf("read avatar: %w", err)
	}
	if len(data) > MaxAvatarBytes {
		return User{}, apperr.Invalid("avatar", fmt.Sprintf("must be at most %d KiB", MaxAvatarBytes>>10))
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	ext, ok := avatarTypes[format]
	if err != nil || !ok {
		return User{}, apperr.Invalid("avatar", "must be a PNG, JPEG or WebP image")
	}
	if cfg.Width > MaxAvatarPixels || cfg.Height > MaxAvatarPixels {
		return User{}, apperr.Invalid("avatar", fmt.Sprintf("must be at most %d pixels wide and high", MaxAvatarPixels))
	}
	// A new key per avatar, so that a browser's cached copy is never
	// stale under the same URL.
	key := fmt.Sprintf("users/%s/avatar-%s.%s", p.UserID, newID(), ext)
	if _, err := s.blobs.Put(ctx, key, bytes.NewReader(data), "image/"+format); err != nil {
		return User{}, fmt.Errorf("store avatar: %w", err)
	}
	u, old, err := s.swapAvatar(ctx, p.UserID, key, m)
	if err != nil {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), key)
		return u, err
	}
	if old != "" {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), old)
	}
	return u, nil
}

// DeleteAvatar removes the user's avatar.
func (s *Service) DeleteAvatar(ctx context.Context, p access.Principal, m access.Meta) (User, error) {
	if p.IsAPIKey() || p.UserID == uuid.Nil {
		return User{}, apperr.Forbidden("only users have a profile")
	}
	u, old, err := s.swapAvatar(ctx, p.UserID, "", m)
	if err == nil && old != "" && s.blobs != nil {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), old)
	}
	return u, err
}

// swapAvatar sets the user's avatar key and returns the one it replaced,
// whose object is deleted with the commit (a job), whatever happens after.
func (s *Service) swapAvatar(ctx context.Context, userID uuid.UUID, key string, m access.Meta) (User, string, error) {
	var u User
	var old string
	err := s.db.InTx(ctx, func(tx Tx) error {
		var err error
		if u, err = tx.UserGetForUpdate(ctx, userID); err != nil {
			return err
		}
		old = u.Image
		if old == key {
			return nil
		}
		if err := jobs.DeleteBlobs(ctx, tx, uuid.Nil, old); err != nil {
			return err
		}
		u.Image, u.UpdatedAt = key, version.Next(s.clock(), u.Version())
		if err := tx.UserUpdate(ctx, u); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, u, m, "user.avatar_updated", map[string]any{"avatar": key != ""})
	})
	return u, old, err
}

// Avatar opens the user's avatar image; none is apperr.ErrNotFound.
func (s *Service) Avatar(ctx context.Context, userID uuid.UUID) (io.ReadCloser, string, error) {
	u, err := s.db.UserGetByID(ctx, userID)
	if err != nil {
		return nil, "", err
	}
	if u.Image == "" || s.blobs == nil {
		return nil, "", apperr.ErrNotFound
	}
	rc, _, err := s.blobs.Open(ctx, u.Image)
	if err != nil {
		return nil, "", err
	}
	ext := u.Image[strings.LastIndexByte(u.Image, '.')+1:]
	typ := map[string]string{"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}[ext]
	return rc, typ, nil
}

// RecordSession notes a logged-in session (its token's hash in the
// session store) as seen now from ip with userAgent; prevHash is the
// hash of the token it replaced, if it was just renewed; method is how
// it signed in.
func (s *Service) RecordSession(ctx context.Context, userID uuid.UUID, tokenHash, prevHash, ip, userAgent, method string) error {
	now := s.clock()
	return s.db.UserSessionSave(ctx, UserSession{ID: newID(), UserID: userID, TokenHash: tokenHash,
		UserAgent: userAgent, IP: ip, Method: method, CreatedAt: now, LastSeenAt: now}, prevHash)
}

// ForgetSession drops the record of a session that ended (logged out).
func (s *Service) ForgetSession(ctx context.Context, tokenHash string) error {
	return s.db.UserSessionDeleteByHash(ctx, tokenHash)
}

// Sessions lists the user's sessions seen within idle (older ones have
// timed out), most recently seen first.
func (s *Service) Sessions(ctx context.Context, p access.Principal, idle time.Duration) ([]UserSession, error) {
	if p.IsAPIKey() || p.UserID == uuid.Nil {
		return nil, apperr.Forbidden("only users have sessions")
	}
	return s.db.UserSessionList(ctx, p.UserID, s.clock().Add(-idle))
}

// RevokeSession ends one of the user's sessions and returns its record;
// the caller deletes TokenHash from the session store.
func (s *Service) RevokeSession(ctx context.Context, p access.Principal, id uuid.UUID, m access.Meta) (UserSession, error) {
	if p.IsAPIKey() || p.UserID == uuid.Nil {
		return UserSession{}, apperr.Forbidden("only users have sessions")
	}
	var us UserSession
	err := s.db.InTx(ctx, func(tx Tx) error {
		var err error
		if us, err = tx.UserSessionDelete(ctx, p.UserID, id); err != nil {
			return err
		}
		return s.auditUserTx(ctx, tx, User{ID: p.UserID, Email: p.Email, Name: p.Name}, m, "auth.session_revoked",
			map[string]any{"session_id": id, "ip": us.IP, "user_agent": us.UserAgent})
	})
	return us, err
}

// DeleteAccount deletes the user, after checking their password: their
// memberships and sessions go with them. It is refused while they are the
// only owner of a tenant (apperr conflict naming it): someone else must
// own it first, or it must be deleted.
func (s *Service) DeleteAccount(ctx context.Context, p access.Principal, password string, m access.Meta) error {
	if p.IsAPIKey() || p.UserID == uuid.Nil {
		return apperr.Forbidden("only users can delete their account")
	}
	u, err := s.db.UserGetByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	if !s.hasher.Verify(password, u.PasswordHash) {
		return wrongPassword("password")
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		ms, err := tx.MembershipListByUser(ctx, u.ID)
		if err != nil {
			return err
		}
		// Locked as a demotion or removal locks them, so that two owners
		// cannot both leave at once.
		for _, mem := range ms {
			if mem.Role == access.RoleOwner {
				if err := tx.MembershipLock(ctx, mem.TenantID); err != nil {
					return err
				}
			}
		}
		names, err := tx.UserSoleOwnerOf(ctx, u.ID)
		if err != nil {
			return err
		}
		if len(names) > 0 {
			return &LastOwnerError{Tenants: names}
		}
		// Audited in each tenant while the memberships still say where.
		if err := s.auditUserTx(ctx, tx, u, m, "user.deleted", nil); err != nil {
			return err
		}
		if err := jobs.DeleteBlobs(ctx, tx, uuid.Nil, u.Image); err != nil {
			return err
		}
		return tx.UserDelete(ctx, u.ID)
	})
	if err != nil {
		return err
	}
	s.forgetUser(ctx, u.ID)
	if u.Image != "" && s.blobs != nil {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), u.Image)
	}
	return nil
}

// LastOwnerError refuses to delete the account of a tenant's only owner;
// it is an apperr conflict and names the tenants, for a page to say.
type LastOwnerError struct{ Tenants []string }

func (e *LastOwnerError) Error() string { return e.Unwrap().Error() }

func (e *LastOwnerError) Unwrap() error {
	return apperr.Conflict("you are the only owner of %s; make someone else owner first, or delete the tenant", QuoteList(e.Tenants))
}

// QuoteList quotes names and joins them with commas.
func QuoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "“" + n + "”"
	}
	return strings.Join(q, ", ")
}
