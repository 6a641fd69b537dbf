package web

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/order"
)

type exportInput struct {
	Format        export.Format `json:"format" required:"true" enum:"csv,xlsx,pdf"`
	Status        order.Status  `json:"status,omitempty"`
	CreatedAfter  *time.Time    `json:"created_after,omitempty"`
	CreatedBefore *time.Time    `json:"created_before,omitempty"`
	CustomerEmail string        `json:"customer_email,omitempty"`
	Q             string        `json:"q,omitempty"`
}

type exportJSON struct {
	ID       uuid.UUID        `json:"id"`
	Format   export.Format    `json:"format"`
	Status   export.Status    `json:"status"`
	Progress map[string]int64 `json:"progress"`
	// OrderCount is the orders a completed export holds (0 until then).
	OrderCount int64 `json:"order_count"`
	// RowCount is the data rows of a completed export's file, headers
	// excluded, across all its sheets (0 until then): for CSV one per item
	// (one for an order without items), for XLSX one per order on Orders
	// plus one per item on the Items sheets, for PDF one per order.
	RowCount    int64      `json:"row_count"`
	Size        int64      `json:"size"`
	Error       string     `json:"error"`
	DownloadURL string     `json:"download_url,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	CompletedAt *time.Time `json:"completed_at"`
	ExpiresAt   *time.Time `json:"expires_at"`
}

type exportList struct {
	Data       []exportJSON `json:"data"`
	NextCursor *string      `json:"next_cursor"`
	PrevCursor *string      `json:"prev_cursor"`
}

func toExportJSON(e export.Export, url string) exportJSON {
	return exportJSON{ID: e.ID, Format: e.Format, Status: e.Status, Progress: map[string]int64{"done": e.Done, "total": e.Total},
		OrderCount: e.OrderCount, RowCount: e.RowCount, Size: e.Size, Error: e.Error, DownloadURL: url, CreatedAt: e.CreatedAt, CompletedAt: e.CompletedAt, ExpiresAt: e.ExpiresAt}
}

func (s *Server) handleExportCreate(w http.ResponseWriter, r *http.Request) error {
	var in exportInput
	return s.exportStarted(w, r, func() error { return decodeJSON(r, &in) }, func(p access.Principal) (export.Export, error) {
		return s.exports.Create(r.Context(), p, in.Format, export.Filters{Status: in.Status, CreatedAfter: in.CreatedAfter,
			CreatedBefore: in.CreatedBefore, CustomerEmail: in.CustomerEmail, Query: in.Q}, s.meta(r))
	})
}

// handleArchiveCreate starts the export of the tenant's whole data.
func (s *Server) handleArchiveCreate(w http.ResponseWriter, r *http.Request) error {
	return s.exportStarted(w, r, nil, func(p access.Principal) (export.Export, error) {
		return s.exports.CreateArchive(r.Context(), p, s.meta(r))
	})
}

// exportStarted reads the request with decode (nil: no body) once the
// principal is known, then starts an export with start, within the
// principal's rate of export creates, and answers 202 with where to
// follow it.
func (s *Server) exportStarted(w http.ResponseWriter, r *http.Request, decode func() error, start func(access.Principal) (export.Export, error)) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	if decode != nil {
		if err := decode(); err != nil {
			return err
		}
	}
	who := p.UserID.String()
	if p.IsAPIKey() {
		who = p.APIKeyID.String()
	}
	if err := s.allow(w, r, s.limits.ExportCreate, "export:"+who); err != nil {
		return err
	}
	e, err := start(p)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/exports/"+e.ID.String())
	writeJSON(w, http.StatusAccepted, toExportJSON(e, ""))
	return nil
}

func (s *Server) handleExportGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "export")
	if err != nil {
		return err
	}
	e, url, err := s.exports.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toExportJSON(e, s.browserURL(r, url)))
	return nil
}

func (s *Server) handleExportList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	pr, err := pageRequest(r.URL.Query())
	if err != nil {
		return err
	}
	es, err := s.exports.List(r.Context(), p, pr)
	if err != nil {
		return err
	}
	out := exportList{Data: make([]exportJSON, len(es.Rows))}
	for i, e := range es.Rows {
		out.Data[i] = toExportJSON(e, "")
	}
	out.NextCursor, out.PrevCursor = pageCursors(es)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleExportDelete(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "export")
	if err == nil {
		err = s.exports.Delete(r.Context(), p, id, s.meta(r))
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
