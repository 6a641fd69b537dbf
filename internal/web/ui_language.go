package web

import (
	"net/http"
	"strings"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/i18n"
)

// uiLanguage switches the UI language (form fields lang, next). The choice
// is kept in the session, so it works before logging in too.
func (s *Server) uiLanguage(w http.ResponseWriter, r *http.Request) error {
	lang := r.PostFormValue("lang")
	ok := false
	for _, l := range i18n.Supported {
		if l.Tag.String() == lang {
			ok = true
		}
	}
	if !ok {
		return apperr.Invalid("lang", "is not a language Ordo speaks")
	}
	s.sessions.Put(r.Context(), langKey, lang)
	// A logged-in user keeps the choice for their next login, anywhere.
	if p, ok := principalFrom(r.Context()); ok && !p.IsAPIKey() && s.accounts != nil {
		if _, err := s.accounts.UpdateProfile(r.Context(), p, account.ProfileUpdate{Locale: &lang}, s.meta(r)); err != nil {
			return err
		}
	}
	redirect(w, r, localPath(r.PostFormValue("next")))
	return nil
}

// localPath is next when it is a path on this site, else "/": a form's
// "come back here" field must not become an open redirect.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}
