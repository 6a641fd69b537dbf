package web

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
)

// uiAttachmentDownload redirects to a fresh presigned download URL.
func (s *Server) uiAttachmentDownload(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "attachment")
	if err != nil {
		return err
	}
	_, u, err := s.attachments.Get(r.Context(), mustPrincipal(r), id)
	if err == nil && u == "" {
		err = apperr.NotFound("uploaded file")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
	return nil
}

func (s *Server) uiAttachmentDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "attachment")
	if err == nil {
		err = s.attachments.Delete(r.Context(), mustPrincipal(r), id, s.meta(r))
	}
	back := "/app/orders"
	if o := r.PostFormValue("order_id"); o != "" {
		if _, perr := uuid.Parse(o); perr == nil {
			back = "/app/orders/" + o
		}
	}
	return s.uiDone(w, r, err, "Attachment deleted.", back)
}
