package web

import (
	"net/http"
)

// Passkeys on the account page: the list and the add button (which
// static/passkey.js drives through api_passkey.go's endpoints), and
// removing one, a plain form.

func (s *Server) uiPasskeyRemove(w http.ResponseWriter, r *http.Request) error {
	if s.passkeys == nil {
		return errNoPasskeys
	}
	id, err := pathID(r, "id", "passkey")
	if err != nil {
		return err
	}
	if err := s.passkeys.Remove(r.Context(), mustPrincipal(r), id, s.meta(r)); err != nil {
		return err
	}
	s.flash(r, s.tr(r, "The passkey was removed."))
	redirect(w, r, "/app/account#passkeys")
	return nil
}
