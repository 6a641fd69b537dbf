package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/page"
)

type exportsPage struct {
	Exports []export.Export
}

func (s *Server) uiExports(w http.ResponseWriter, r *http.Request) error {
	return s.renderExports(w, r, http.StatusOK, view{})
}

func (s *Server) renderExports(w http.ResponseWriter, r *http.Request, status int, v view) error {
	es, err := s.exports.List(r.Context(), mustPrincipal(r), page.Request{Limit: export.MaxPage})
	if err != nil {
		return err
	}
	v.Title, v.Data = s.tr(r, "Exports"), exportsPage{Exports: es.Rows}
	s.render(w, r, status, "exports", v)
	return nil
}

// uiExportCreate starts an export with the orders list's filters.
func (s *Server) uiExportCreate(w http.ResponseWriter, r *http.Request) error {
	f := export.Filters{Status: order.Status(r.PostFormValue("status")), Query: strings.TrimSpace(r.PostFormValue("q"))}
	// The orders list's date range (whole UTC days, both included), as
	// its export form passes it on; the list has validated it, so a day
	// that does not parse is left out like an empty one.
	if d, err := time.Parse(dateLayout, r.PostFormValue("created_from")); err == nil {
		f.CreatedAfter = &d
	}
	if d, err := time.Parse(dateLayout, r.PostFormValue("created_to")); err == nil {
		end := d.AddDate(0, 0, 1)
		f.CreatedBefore = &end
	}
	_, err := s.exports.Create(r.Context(), mustPrincipal(r), export.Format(r.PostFormValue("format")), f, s.meta(r))
	// A refused export (a PDF of too many orders, say) is explained on
	// the exports page, with the choices kept.
	if e, ok := apperr.As(err); ok && len(e.Fields) > 0 {
		v := view{Form: formValues(r, "status", "q", "format"), Errors: map[string]string{}}
		var msgs []string
		for _, fe := range e.Fields {
			detail := s.detailText(r, fe)
			v.Errors[fe.Field] = detail
			if strings.HasPrefix(fe.Detail, "must") {
				msgs = append(msgs, fe.Field+" "+detail)
			} else {
				msgs = append(msgs, detail)
			}
		}
		v.Error = s.tr(r, "The export was not started: %s.", strings.Join(msgs, "; "))
		return s.renderExports(w, r, apperr.HTTPStatus(err), v)
	}
	return s.uiDone(w, r, err, s.tr(r, "Export started; it appears below when ready."), "/app/exports")
}

func (s *Server) uiExportDownload(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "export")
	var u string
	if err == nil {
		_, u, err = s.exports.Get(r.Context(), mustPrincipal(r), id)
	}
	if err == nil && u == "" {
		err = apperr.NotFound("finished export")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
	return nil
}
