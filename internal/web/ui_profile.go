package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/auth"
)

// The profile page's parts beyond password and e-mail: name, language,
// avatar, sessions and deleting the account; and the session records
// behind the sessions list.

// Session keys of the session's own record (user_sessions).
const (
	sessRecorded = "rec"  // token hash last recorded
	sessSeen     = "seen" // when, in Unix seconds
)

// sessionTouchEvery is how often a session's record notes that it was
// seen: at most once a minute, so that requests stay cheap.
const sessionTouchEvery = 60

// tokenHash is the session store's key for a session token, as scs makes
// it with HashTokenInStore.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// noteSession records the request's session in user_sessions (renamed
// when its token was renewed), at most once a minute unless force.
func (s *Server) noteSession(r *http.Request, p access.Principal, force bool) {
	if s.accounts == nil || s.sessions == nil || p.IsAPIKey() || p.UserID == uuid.Nil {
		return
	}
	ctx := r.Context()
	tok := s.sessions.Token(ctx)
	if tok == "" {
		return
	}
	h := tokenHash(tok)
	rec := s.sessions.GetString(ctx, sessRecorded)
	seen, _ := s.sessions.Get(ctx, sessSeen).(int64)
	now := time.Now().Unix()
	if !force && rec == h && now-seen < sessionTouchEvery {
		return
	}
	prev := ""
	if rec != h {
		prev = rec
	}
	m := s.meta(r)
	if err := s.accounts.RecordSession(ctx, p.UserID, h, prev, m.IP, m.UserAgent, s.sessionMethod(ctx)); err != nil {
		s.log.WarnContext(ctx, "record session", "err", err)
		return
	}
	s.sessions.Put(ctx, sessRecorded, h)
	s.sessions.Put(ctx, sessSeen, now)
}

// currentSessionHash is the store key of the request's session, "" if
// it has none yet.
func (s *Server) currentSessionHash(ctx context.Context) string {
	if tok := s.sessions.Token(ctx); tok != "" {
		return tokenHash(tok)
	}
	return ""
}

// forgetCurrentSession drops the record of the request's session, which
// is ending (logged out).
func (s *Server) forgetCurrentSession(ctx context.Context) {
	if s.accounts == nil {
		return
	}
	if h := s.currentSessionHash(ctx); h != "" {
		if err := s.accounts.ForgetSession(ctx, h); err != nil {
			s.log.WarnContext(ctx, "forget session", "err", err)
		}
	}
}

// endStoredSession deletes a session from the session store: its next
// request is anonymous.
func (s *Server) endStoredSession(ctx context.Context, tokenHash string) error {
	if c, ok := s.sessions.Store.(interface {
		DeleteCtx(context.Context, string) error
	}); ok {
		return c.DeleteCtx(ctx, tokenHash)
	}
	return s.sessions.Store.Delete(tokenHash)
}

// applyUserLocale puts the user's saved UI language in the session at
// login; none saved keeps what the session has (the browser's).
func (s *Server) applyUserLocale(ctx context.Context, u account.User) {
	if u.Locale != "" {
		s.sessions.Put(ctx, langKey, u.Locale)
	}
}

// device names a browser and system from a User-Agent, roughly:
// "Firefox on Windows". The names are products, not translated.
func device(ua string) (browser, system string) {
	l := strings.ToLower(ua)
	switch {
	case strings.Contains(l, "edg/"):
		browser = "Edge"
	case strings.Contains(l, "opr/") || strings.Contains(l, "opera"):
		browser = "Opera"
	case strings.Contains(l, "firefox/"):
		browser = "Firefox"
	case strings.Contains(l, "chrome/") || strings.Contains(l, "chromium/"):
		browser = "Chrome"
	case strings.Contains(l, "safari/"):
		browser = "Safari"
	case strings.HasPrefix(l, "curl/"):
		browser = "curl"
	case strings.HasPrefix(l, "go-http-client"):
		browser = "Go HTTP client"
	}
	switch {
	case strings.Contains(l, "iphone") || strings.Contains(l, "ipad"):
		system = "iOS"
	case strings.Contains(l, "android"):
		system = "Android"
	case strings.Contains(l, "windows"):
		system = "Windows"
	case strings.Contains(l, "mac os") || strings.Contains(l, "macintosh"):
		system = "macOS"
	case strings.Contains(l, "cros"):
		system = "ChromeOS"
	case strings.Contains(l, "linux"):
		system = "Linux"
	}
	return browser, system
}

// deviceLabel is device's answer in the viewer's language.
func (s *Server) deviceLabel(r *http.Request, ua string) string {
	b, sys := device(ua)
	switch {
	case b != "" && sys != "":
		return s.tr(r, "%s on %s", b, sys)
	case b != "":
		return b
	case sys != "":
		return s.tr(r, "A browser on %s", sys)
	}
	return s.tr(r, "An unknown browser or program")
}

type sessionRow struct {
	ID                uuid.UUID
	Device, IP        string
	Created, LastSeen time.Time
	Current           bool
	Method            string
}

type accountPage struct {
	// Operator: the user operates this service; the page links the console.
	Operator   bool
	Verified   bool
	Name       string
	Locale     string
	AvatarURL  string // "" when the user has no avatar
	Initials   string
	Sessions   []sessionRow
	MaxAvatarK int
	TwoFactor  account.TwoFactorStatus
}

func (s *Server) accountView(r *http.Request) view {
	v := view{Title: s.tr(r, "Your account")}
	p := mustPrincipal(r)
	u, err := s.accounts.CurrentUser(r.Context(), p)
	if err != nil {
		return v
	}
	page := accountPage{Verified: u.EmailVerifiedAt != nil, Name: u.Name, Locale: u.Locale,
		Initials: initials(u.Name, u.Email), MaxAvatarK: account.MaxAvatarBytes >> 10}
	if u.Image != "" {
		page.AvatarURL = avatarURL(u)
	}
	if s.operators != nil {
		if _, err := s.operators.Whoami(r.Context(), p.UserID); err == nil {
			page.Operator = true
		}
	}
	if tf, err := s.accounts.TwoFactor(r.Context(), p.UserID); err == nil {
		page.TwoFactor = tf
	}
	s.noteSession(r, p, true)
	cur := s.currentSessionHash(r.Context())
	if ss, err := s.accounts.Sessions(r.Context(), p, SessionIdleTimeout); err == nil {
		for _, x := range ss {
			page.Sessions = append(page.Sessions, sessionRow{ID: x.ID, Device: s.deviceLabel(r, x.UserAgent), IP: x.IP,
				Created: x.CreatedAt, LastSeen: x.LastSeenAt, Current: x.TokenHash == cur, Method: x.Method})
		}
	}
	v.Data = page
	return v
}

// avatarURL is where the user's avatar is served; the key's last part
// changes with every upload, so browsers may cache it.
func avatarURL(u account.User) string {
	if u.Image == "" {
		return "/app/account/avatar"
	}
	k := u.Image[strings.LastIndexByte(u.Image, '/')+1:]
	return "/app/account/avatar?v=" + strings.TrimPrefix(k[:strings.LastIndexByte(k, '.')], "avatar-")
}

// initials are up to two letters for an avatar-less user.
func initials(name, email string) string {
	src := strings.Fields(name)
	if len(src) == 0 {
		local, _, _ := strings.Cut(email, "@")
		src = []string{local}
	}
	var out []rune
	for _, w := range src {
		for _, c := range w {
			if unicode.IsLetter(c) || unicode.IsDigit(c) {
				out = append(out, unicode.ToUpper(c))
				break
			}
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// uiAvatar serves the logged-in user's avatar, or a picture of their
// initials when they have none: the user menu can always show
// <img src="/app/account/avatar">.
func (s *Server) uiAvatar(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	rc, typ, err := s.accounts.Avatar(r.Context(), p.UserID)
	if errors.Is(err, apperr.ErrNotFound) {
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "private, no-cache")
		fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img"><rect width="64" height="64" rx="32" fill="#4f46e5"/><text x="32" y="41" font-family="system-ui,sans-serif" font-size="26" font-weight="600" fill="#fff" text-anchor="middle">%s</text></svg>`,
			html.EscapeString(initials(p.Name, p.Email)))
		return nil
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", typ)
	if r.URL.Query().Get("v") != "" {
		w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "private, no-cache")
	}
	_, _ = io.Copy(w, rc)
	return nil
}

// profileError shows the account page with a field's error.
func (s *Server) profileError(w http.ResponseWriter, r *http.Request, err error, fields ...string) error {
	if st := apperr.HTTPStatus(err); st == http.StatusForbidden || st >= 500 {
		return err
	}
	v := s.accountView(r)
	v.Form = formValues(r, fields...)
	s.formError(w, r, "account", v, err)
	return nil
}

func (s *Server) uiProfileSave(w http.ResponseWriter, r *http.Request) error {
	name, locale := r.PostFormValue("name"), r.PostFormValue("locale")
	if _, err := s.accounts.UpdateProfile(r.Context(), mustPrincipal(r), account.ProfileUpdate{Name: &name, Locale: &locale}, s.meta(r)); err != nil {
		return s.profileError(w, r, err, "name", "locale")
	}
	s.setSessionLanguage(r.Context(), locale)
	s.flash(r, s.tr(r, "Profile saved."))
	redirect(w, r, "/app/account")
	return nil
}

// setSessionLanguage makes the session follow locale ("" for the
// browser's language).
func (s *Server) setSessionLanguage(ctx context.Context, locale string) {
	if locale == "" {
		s.sessions.Remove(ctx, langKey)
		return
	}
	s.sessions.Put(ctx, langKey, locale)
}

func (s *Server) uiAvatarUpload(w http.ResponseWriter, r *http.Request) error {
	tooBig := apperr.Invalid("avatar", fmt.Sprintf("must be at most %d KiB", account.MaxAvatarBytes>>10))
	if err := r.ParseMultipartForm(account.MaxAvatarBytes + 64<<10); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || strings.Contains(err.Error(), "too large") {
			return s.profileError(w, r, tooBig)
		}
		return s.profileError(w, r, apperr.Invalid("avatar", "must be chosen: pick a PNG, JPEG or WebP file"))
	}
	file, hdr, err := r.FormFile("avatar")
	if err != nil {
		return s.profileError(w, r, apperr.Invalid("avatar", "must be chosen: pick a PNG, JPEG or WebP file"))
	}
	defer file.Close()
	if hdr.Size > account.MaxAvatarBytes {
		return s.profileError(w, r, tooBig)
	}
	if _, err := s.accounts.SetAvatar(r.Context(), mustPrincipal(r), file, s.meta(r)); err != nil {
		return s.profileError(w, r, err)
	}
	s.flash(r, s.tr(r, "Picture saved."))
	redirect(w, r, "/app/account")
	return nil
}

func (s *Server) uiAvatarDelete(w http.ResponseWriter, r *http.Request) error {
	_, err := s.accounts.DeleteAvatar(r.Context(), mustPrincipal(r), s.meta(r))
	return s.uiDone(w, r, err, s.tr(r, "Picture removed."), "/app/account")
}

func (s *Server) uiSessionRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "session")
	if err != nil {
		return err
	}
	us, err := s.accounts.RevokeSession(r.Context(), mustPrincipal(r), id, s.meta(r))
	if err != nil {
		return err
	}
	if err := s.endStoredSession(r.Context(), us.TokenHash); err != nil {
		return err
	}
	if us.TokenHash == s.currentSessionHash(r.Context()) {
		_ = s.sessions.Destroy(r.Context())
		redirect(w, r, "/login")
		return nil
	}
	s.flash(r, s.tr(r, "That session has ended."))
	redirect(w, r, "/app/account")
	return nil
}

// uiLogoutOthers ends every session of the user but this one: a new
// session epoch, which this session moves to.
func (s *Server) uiLogoutOthers(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	epoch, err := s.auth.LogoutEverywhere(r.Context(), p, s.meta(r))
	if err != nil {
		return err
	}
	if err := s.startSession(r.Context(), p.UserID, p.TenantID, epoch, s.sessionMethod(r.Context())); err != nil {
		return err
	}
	s.flash(r, s.tr(r, "Your other sessions have ended."))
	redirect(w, r, "/app/account")
	return nil
}

func (s *Server) uiAccountDelete(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	if !s.passwordCheckAllowed(w, r, p.Email) {
		return nil
	}
	err := s.accounts.DeleteAccount(r.Context(), p, r.PostFormValue("delete_password"), s.meta(r))
	if auth.IsWrongPassword(err) {
		s.passwordCheckFailed(r, p.Email)
		return s.profileError(w, r, apperr.Invalid("delete_password", s.tr(r, "is not your current password")))
	}
	var lo *account.LastOwnerError
	if errors.As(err, &lo) {
		v := s.accountView(r)
		v.Error = s.tr(r, "You are the only owner of %s. Make someone else an owner there first, or delete the tenant; then you can delete your account.", account.QuoteList(lo.Tenants))
		s.render(w, r, http.StatusConflict, "account", v)
		return nil
	}
	if err != nil {
		return s.profileError(w, r, err)
	}
	_ = s.sessions.Destroy(r.Context())
	s.flash(r, s.tr(r, "Your account has been deleted."))
	redirect(w, r, "/login")
	return nil
}
