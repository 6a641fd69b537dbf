package web

import (
	"net/http"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/tenant"
)

func (s *Server) handleTenantList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	if p.IsAPIKey() {
		// A key belongs to exactly one tenant.
		t, err := s.tenants.CurrentTenant(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, listJSON{Data: []tenantJSON{toTenantJSON(t, p.Role)}})
		return nil
	}
	trs, err := s.tenants.ListTenants(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	out := make([]tenantJSON, 0, len(trs))
	for _, tr := range trs {
		out = append(out, toTenantJSON(tr.Tenant, tr.Role))
	}
	writeJSON(w, http.StatusOK, listJSON{Data: out})
	return nil
}

func (s *Server) handleTenantCreate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	t, err := s.tenants.CreateTenant(r.Context(), p, in.Name, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toTenantJSON(t, access.RoleOwner))
	return nil
}

// handleTenantSwitch makes another of the user's tenants the current one,
// on a fresh session token (a privilege change).
func (s *Server) handleTenantSwitch(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	epoch, _ := s.sessions.Get(r.Context(), sessEpoch).(int64)
	np, err := s.auth.Resolve(r.Context(), p.UserID, epoch, id)
	if err != nil {
		return err
	}
	if np.TenantID != id {
		return np.NoTenant()
	}
	if err := s.startSession(r.Context(), p.UserID, id, epoch); err != nil {
		return err
	}
	return s.handleMe(w, r.WithContext(withPrincipalValue(r.Context(), np)))
}

// handleTenantGet returns the current tenant.
func (s *Server) handleTenantGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	t, err := s.tenants.CurrentTenant(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTenantJSON(t, p.Role))
	return nil
}

func (s *Server) handleTenantRename(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	var in tenantPatchReq
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	t, err := s.tenants.UpdateTenant(r.Context(), p, tenant.TenantPatch{Name: in.Name, DefaultTaxRateBP: in.DefaultTaxRateBP}, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTenantJSON(t, p.Role))
	return nil
}

func (s *Server) handleMemberList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	ms, err := s.tenants.ListMembers(r.Context(), p)
	if err != nil {
		return err
	}
	out := make([]memberJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, memberJSON{User: toUserJSON(m.User), Role: m.Membership.Role, JoinedAt: m.Membership.CreatedAt})
	}
	writeJSON(w, http.StatusOK, listJSON{Data: out})
	return nil
}

func (s *Server) handleMemberUpdate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "user_id", "membership")
	if err != nil {
		return err
	}
	var in struct {
		Role access.Role `json:"role"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.tenants.ChangeRole(r.Context(), p, id, in.Role, s.meta(r)); err != nil {
		return err
	}
	// Changing one's own role is a privilege change: renew the token.
	if id == p.UserID {
		if err := s.sessions.RenewToken(r.Context()); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"user_id": id, "role": in.Role})
	return nil
}

func (s *Server) handleMemberRemove(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "user_id", "membership")
	if err != nil {
		return err
	}
	if err := s.tenants.RemoveMember(r.Context(), p, id, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
