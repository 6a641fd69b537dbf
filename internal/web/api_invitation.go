package web

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/tenant"
)

func (s *Server) handleInvitationList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	pr, err := pageRequest(r.URL.Query())
	if err != nil {
		return err
	}
	invs, err := s.tenants.ListInvitations(r.Context(), p, pr)
	if err != nil {
		return err
	}
	now := time.Now()
	out := invitationList{Data: make([]invitationJSON, 0, len(invs.Rows))}
	for _, i := range invs.Rows {
		out.Data = append(out.Data, toInvitationJSON(i, now))
	}
	out.NextCursor, out.PrevCursor = pageCursors(invs)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleInvitationCreate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	var in struct {
		Email string      `json:"email"`
		Role  access.Role `json:"role"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	inv, err := s.tenants.Invite(r.Context(), p, in.Email, in.Role, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toInvitationJSON(inv, time.Now()))
	return nil
}

func (s *Server) handleInvitationResend(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "invitation")
	if err != nil {
		return err
	}
	inv, err := s.tenants.ResendInvitation(r.Context(), p, id, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toInvitationJSON(inv, time.Now()))
	return nil
}

func (s *Server) handleInvitationRevoke(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "invitation")
	if err != nil {
		return err
	}
	if err := s.tenants.RevokeInvitation(r.Context(), p, id, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleInvitationAccept accepts as the logged-in user, or creates the
// invited user with the given password; either way the session moves to
// the invitation's tenant.
func (s *Server) handleInvitationAccept(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token    string `json:"token"`
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.allow(w, r, s.limits.InvitationAccept, "accept:ip:"+s.clientIP(r)); err != nil {
		return err
	}
	acc := tenant.AcceptInput{Token: in.Token, Name: in.Name, Password: in.Password}
	if p, ok := principalFrom(r.Context()); ok && !p.IsAPIKey() {
		acc.UserID = p.UserID
	}
	u, tenantID, err := s.tenants.AcceptInvitation(r.Context(), acc, s.meta(r))
	if err != nil {
		return err
	}
	method := account.MethodPassword
	if acc.UserID != uuid.Nil {
		method = s.sessionMethod(r.Context())
	}
	if err := s.startSession(r.Context(), u.ID, tenantID, u.SessionEpoch, method); err != nil {
		return err
	}
	return s.writeMe(w, r, u.ID, tenantID, u.SessionEpoch)
}
