package web

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
)

func (s *Server) handleAPIKeyList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	pr, err := pageRequest(r.URL.Query())
	if err != nil {
		return err
	}
	keys, err := s.auth.ListAPIKeys(r.Context(), p, pr)
	if err != nil {
		return err
	}
	out := apiKeyList{Data: make([]apiKeyJSON, 0, len(keys.Rows))}
	for _, k := range keys.Rows {
		out.Data = append(out.Data, toAPIKeyInfoJSON(k))
	}
	out.NextCursor, out.PrevCursor = pageCursors(keys)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleAPIKeyCreate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	var in struct {
		Name      string      `json:"name"`
		Role      access.Role `json:"role"`
		ExpiresAt *time.Time  `json:"expires_at"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	k, full, err := s.auth.CreateAPIKey(r.Context(), p, in.Name, in.Role, in.ExpiresAt, s.meta(r))
	if err != nil {
		return err
	}
	out := toAPIKeyJSON(k)
	if out.CreatedBy != nil {
		// Only the creator's own name is at hand; the list has the rest.
		out.CreatedBy.Member = true
		if k.CreatedBy != nil && *k.CreatedBy == p.UserID {
			out.CreatedBy.Name, out.CreatedBy.Email = p.Name, p.Email
		}
	}
	out.Key = full
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) handleAPIKeyRevoke(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "API key")
	if err != nil {
		return err
	}
	if err := s.auth.RevokeAPIKey(r.Context(), p, id, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// auditReader is the request's principal if it may read the tenant's
// audit log.
func (s *Server) auditReader(r *http.Request) (access.Principal, error) {
	p, err := s.principal(r)
	if err != nil {
		return p, err
	}
	if !p.Can(access.ActAuditRead) {
		if !p.InTenant() {
			return p, p.NoTenant()
		}
		return p, apperr.Forbidden("your role (%s) may not read the audit log", apperr.Word(p.Role))
	}
	return p, nil
}

// handleAuditExport streams the tenant's audit log with its proofs as
// JSON Lines (audit.WriteExport), a download to verify offline with
// `ordo audit verify --file` or the README's procedure.
func (s *Server) handleAuditExport(w http.ResponseWriter, r *http.Request) error {
	p, err := s.auditReader(r)
	if err != nil {
		return err
	}
	if s.auditPub == nil {
		return apperr.NotFound("page")
	}
	slug, write, err := s.auth.AuditExport(r.Context(), p, s.auditPub)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("audit-log-%s-%s.jsonl", slug, time.Now().UTC().Format("20060102T150405Z"))
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	if err := write(w); err != nil {
		// The status is sent: a broken download is all the client can
		// be told, so it is broken off for the client to see (no final
		// chunk) rather than ended as if whole. An export the nightly
		// retention prune overtook (audit.ErrPrunedDuringExport) would
		// otherwise be a file whose start reads as deleted.
		s.log.ErrorContext(r.Context(), "audit log export broke off", "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// handleAuditList pages through the tenant's audit log, newest first.
func (s *Server) handleAuditList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.auditReader(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := audit.Filter{Action: q.Get("action"), EntityType: q.Get("entity_type"), EntityID: q.Get("entity_id"), Limit: 50}
	var v apperr.Validation
	if a := q.Get("actor_id"); a != "" {
		id, err := uuid.Parse(a)
		if err != nil {
			v.Add("actor_id", "must be a user or API key id")
		}
		f.ActorID = &id
	}
	for name, dst := range map[string]**time.Time{"from": &f.From, "to": &f.To} {
		if s := q.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				v.Add(name, "must be an RFC 3339 time such as 2026-01-31T00:00:00Z")
			}
			*dst = &t
		}
	}
	if c := q.Get("cursor"); c != "" {
		var ok bool
		if f.Before, f.After, ok = parseIDCursor(c); !ok {
			v.Add("cursor", "is not a cursor from this API")
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			v.Add("limit", "must be an integer from 1 to 200")
		}
		f.Limit = n
	}
	if err := v.Err(); err != nil {
		return err
	}
	entries, next, prev, err := s.auditPage(r.Context(), p, f)
	if err != nil {
		return err
	}
	out := listJSON{Data: make([]auditJSON, 0, len(entries)), NextCursor: next, PrevCursor: prev}
	for _, e := range entries {
		out.Data = append(out.Data.([]auditJSON), toAuditJSON(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
