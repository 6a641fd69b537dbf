package web

import (
	"net/http"

	"github.com/ordo/ordo/internal/account"
)

func (s *Server) handleTenantList(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requirePrincipal(w, r)
	if !ok {
		return
	}
	if p.IsAPIKey() {
		// A key belongs to exactly one tenant.
		t, err := s.auth.CurrentTenant(r.Context(), p)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, listJSON{Data: []tenantJSON{toTenantJSON(t, p.Role)}})
		return
	}
	trs, err := s.auth.ListTenants(r.Context(), p.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]tenantJSON, 0, len(trs))
	for _, tr := range trs {
		out = append(out, toTenantJSON(tr.Tenant, tr.Role))
	}
	writeJSON(w, http.StatusOK, listJSON{Data: out})
}

func (s *Server) handleTenantCreate(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.auth.CreateTenant(r.Context(), p, in.Name, s.meta(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toTenantJSON(t, account.RoleOwner))
}

// handleTenantSwitch makes another of the user's tenants the current one,
// on a fresh session token (a privilege change).
func (s *Server) handleTenantSwitch(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	epoch, _ := s.sessions.Get(r.Context(), sessEpoch).(int64)
	np, err := s.auth.Resolve(r.Context(), p.UserID, epoch, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if np.TenantID != id {
		s.fail(w, r, np.NoTenant())
		return
	}
	if err := s.startSession(r.Context(), p.UserID, id, epoch); err != nil {
		s.fail(w, r, err)
		return
	}
	s.handleMe(w, r.WithContext(withPrincipalValue(r.Context(), np)))
}

// handleTenantGet returns the current tenant.
func (s *Server) handleTenantGet(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requirePrincipal(w, r)
	if !ok {
		return
	}
	t, err := s.auth.CurrentTenant(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toTenantJSON(t, p.Role))
}

func (s *Server) handleTenantRename(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requirePrincipal(w, r)
	if !ok {
		return
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.auth.RenameTenant(r.Context(), p, in.Name, s.meta(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toTenantJSON(t, p.Role))
}

func (s *Server) handleMemberList(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requirePrincipal(w, r)
	if !ok {
		return
	}
	ms, err := s.auth.ListMembers(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]memberJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, memberJSON{User: toUserJSON(m.User), Role: m.Membership.Role, JoinedAt: m.Membership.CreatedAt})
	}
	writeJSON(w, http.StatusOK, listJSON{Data: out})
}

func (s *Server) handleMemberUpdate(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requirePrincipal(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "user_id", "membership")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		Role account.Role `json:"role"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.auth.ChangeRole(r.Context(), p, id, in.Role, s.meta(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	// Changing one's own role is a privilege change: renew the token.
	if id == p.UserID {
		if err := s.sessions.RenewToken(r.Context()); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"user_id": id, "role": in.Role})
}

func (s *Server) handleMemberRemove(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requirePrincipal(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "user_id", "membership")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.auth.RemoveMember(r.Context(), p, id, s.meta(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
