package web

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/tenant"
)

func (s *Server) handleTenantList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	pr, err := pageRequest(r.URL.Query())
	if err != nil {
		return err
	}
	if p.IsAPIKey() {
		// A key belongs to exactly one tenant: one page, whatever the
		// cursor.
		t, err := s.tenants.CurrentTenant(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, tenantList{Data: []tenantJSON{toTenantJSON(t, p.Role)}})
		return nil
	}
	trs, err := s.tenants.ListTenants(r.Context(), p.UserID, pr)
	if err != nil {
		return err
	}
	out := tenantList{Data: make([]tenantJSON, 0, len(trs.Rows))}
	for _, tr := range trs.Rows {
		out.Data = append(out.Data, toTenantJSON(tr.Tenant, tr.Role))
	}
	out.NextCursor, out.PrevCursor = pageCursors(trs)
	writeJSON(w, http.StatusOK, out)
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
	if p.ScopedTo != uuid.Nil && id != p.ScopedTo {
		return access.ErrScopedSession
	}
	epoch, _ := s.sessions.Get(r.Context(), sessEpoch).(int64)
	np, err := s.auth.Resolve(r.Context(), p.UserID, epoch, id, s.sessionMethod(r.Context()))
	if err != nil {
		return err
	}
	if np.TenantID != id {
		return np.NoTenant()
	}
	if err := s.startSession(r.Context(), p.UserID, id, epoch, s.sessionMethod(r.Context())); err != nil {
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
	if notModified(w, r, etag(t.Version())) {
		return nil
	}
	w.Header().Set("ETag", etag(t.Version()))
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
	version, err := ifMatch(r, tenant.ErrStale)
	if err != nil {
		return err
	}
	t, err := s.tenants.UpdateTenant(r.Context(), p, tenant.TenantPatch{Name: in.Name, DefaultTaxRateBP: in.DefaultTaxRateBP, IfMatch: version}, s.meta(r))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(t.Version()))
	writeJSON(w, http.StatusOK, toTenantJSON(t, p.Role))
	return nil
}

func (s *Server) handleMemberList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	pr, err := pageRequest(r.URL.Query())
	if err != nil {
		return err
	}
	ms, err := s.tenants.ListMembers(r.Context(), p, pr)
	if err != nil {
		return err
	}
	out := memberList{Data: make([]memberJSON, 0, len(ms.Rows))}
	for _, m := range ms.Rows {
		out.Data = append(out.Data, memberJSON{User: toUserJSON(m.User), Role: m.Membership.Role, JoinedAt: m.Membership.CreatedAt,
			ETag: etag(tenant.MembershipVersion(m.Membership))})
	}
	out.NextCursor, out.PrevCursor = pageCursors(ms)
	writeJSON(w, http.StatusOK, out)
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
	version, err := ifMatch(r, tenant.ErrMemberStale)
	if err != nil {
		return err
	}
	changed, err := s.tenants.ChangeRoleIf(r.Context(), p, id, in.Role, version, s.meta(r))
	if err != nil {
		return err
	}
	// Changing one's own role is a privilege change: renew the token.
	if id == p.UserID {
		if err := s.sessions.RenewToken(r.Context()); err != nil {
			return err
		}
	}
	w.Header().Set("ETag", etag(changed))
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

// handleTenantDelete schedules the current tenant's deletion.
func (s *Server) handleTenantDelete(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	var in tenantDeleteReq
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	t, err := s.tenants.ScheduleDeletion(r.Context(), p, in.Confirm, s.grace(), s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, toTenantJSON(t, p.Role))
	return nil
}

// handleTenantRestore cancels the deletion of the tenant the principal
// names, which it cannot otherwise act in.
func (s *Server) handleTenantRestore(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	t, err := s.tenants.CancelDeletion(r.Context(), p, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTenantJSON(t, p.DeletedRole))
	return nil
}

// grace is how long a deleted tenant can be restored.
func (s *Server) grace() time.Duration {
	if s.deletionGrace > 0 {
		return s.deletionGrace
	}
	return tenant.DefaultDeletionGrace
}
