package web

import (
	"net/http"
	"strings"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/order"
)

type exportsPage struct {
	Exports []export.Export
}

func (s *Server) uiExports(w http.ResponseWriter, r *http.Request) {
	es, err := s.exports.List(r.Context(), mustPrincipal(r))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "exports", view{Title: "Exports", Data: exportsPage{Exports: es}})
}

// uiExportCreate starts an export with the orders list's filters.
func (s *Server) uiExportCreate(w http.ResponseWriter, r *http.Request) {
	f := export.Filters{Status: order.Status(r.PostFormValue("status")), Query: strings.TrimSpace(r.PostFormValue("q"))}
	_, err := s.exports.Create(r.Context(), mustPrincipal(r), export.Format(r.PostFormValue("format")), f, s.meta(r))
	s.uiDone(w, r, err, "Export started; it appears below when ready.", "/app/exports")
}

func (s *Server) uiExportDownload(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "export")
	var u string
	if err == nil {
		_, u, err = s.exports.Get(r.Context(), mustPrincipal(r), id)
	}
	if err == nil && u == "" {
		err = apperr.NotFound("finished export")
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}
