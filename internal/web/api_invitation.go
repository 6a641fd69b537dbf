package web

import (
	"net/http"
	"time"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/auth"
)

func (s *Server) handleInvitationList(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requirePrincipal(w, r)
	if !ok {
		return
	}
	invs, err := s.auth.ListInvitations(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := time.Now()
	out := make([]invitationJSON, 0, len(invs))
	for _, i := range invs {
		out = append(out, toInvitationJSON(i, now))
	}
	writeJSON(w, http.StatusOK, listJSON{Data: out})
}

func (s *Server) handleInvitationCreate(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requirePrincipal(w, r)
	if !ok {
		return
	}
	var in struct {
		Email string       `json:"email"`
		Role  account.Role `json:"role"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	inv, err := s.auth.Invite(r.Context(), p, in.Email, in.Role, s.meta(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toInvitationJSON(inv, time.Now()))
}

func (s *Server) handleInvitationResend(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requirePrincipal(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "invitation")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	inv, err := s.auth.ResendInvitation(r.Context(), p, id, s.meta(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toInvitationJSON(inv, time.Now()))
}

func (s *Server) handleInvitationRevoke(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requirePrincipal(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "invitation")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.auth.RevokeInvitation(r.Context(), p, id, s.meta(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleInvitationAccept accepts as the logged-in user, or creates the
// invited user with the given password; either way the session moves to
// the invitation's tenant.
func (s *Server) handleInvitationAccept(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token    string `json:"token"`
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.limit(w, r, s.limits.InvitationAccept, "accept:ip:"+s.clientIP(r)) {
		return
	}
	acc := auth.AcceptInput{Token: in.Token, Name: in.Name, Password: in.Password}
	if p, ok := principalFrom(r.Context()); ok && !p.IsAPIKey() {
		acc.UserID = p.UserID
	}
	u, tenantID, err := s.auth.AcceptInvitation(r.Context(), acc, s.meta(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.startSession(r.Context(), u.ID, tenantID, u.SessionEpoch); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeMe(w, r, u.ID, tenantID, u.SessionEpoch)
}
