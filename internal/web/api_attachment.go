package web

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/blob"
)

type attachmentJSON struct {
	ID          uuid.UUID         `json:"id"`
	OrderID     *uuid.UUID        `json:"order_id"`
	Filename    string            `json:"filename"`
	ContentType string            `json:"content_type"`
	Size        int64             `json:"size"`
	Status      attachment.Status `json:"status"`
	CreatedAt   time.Time         `json:"created_at"`
	DownloadURL string            `json:"download_url,omitempty"`
}

func toAttachmentJSON(a attachment.Attachment) attachmentJSON {
	return attachmentJSON{ID: a.ID, OrderID: a.OrderID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, Status: a.Status, CreatedAt: a.CreatedAt}
}

type presignInput struct {
	Filename    string     `json:"filename" required:"true"`
	ContentType string     `json:"content_type" required:"true"`
	Size        int64      `json:"size" required:"true" minimum:"1"`
	OrderID     *uuid.UUID `json:"order_id"`
}

type uploadJSON struct {
	blob.Upload
	Fields map[string]string `json:"fields"`
}

type presignJSON struct {
	Attachment attachmentJSON `json:"attachment"`
	Upload     uploadJSON     `json:"upload"`
}

func (s *Server) handlePresign(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	var in presignInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, up, err := s.attachments.Presign(r.Context(), p, attachment.PresignInput{Filename: in.Filename, ContentType: in.ContentType, Size: in.Size, OrderID: in.OrderID}, s.meta(r))
	if err != nil {
		return err
	}
	up.URL = s.browserURL(r, up.URL)
	w.Header().Set("Location", "/api/v1/attachments/"+a.ID.String())
	writeJSON(w, http.StatusCreated, presignJSON{Attachment: toAttachmentJSON(a), Upload: uploadJSON{Upload: up, Fields: map[string]string{}}})
	return nil
}

func (s *Server) handleAttachmentComplete(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "attachment")
	if err != nil {
		return err
	}
	a, err := s.attachments.Complete(r.Context(), p, id, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAttachmentJSON(a))
	return nil
}

func (s *Server) handleAttachmentList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	var orderID *uuid.UUID
	if o := r.URL.Query().Get("order_id"); o != "" {
		id, err := uuid.Parse(o)
		if err != nil {
			return apperr.Invalid("order_id", "must be an order id")
		}
		orderID = &id
	}
	pr, err := pageRequest(r.URL.Query())
	if err != nil {
		return err
	}
	as, err := s.attachments.List(r.Context(), p, orderID, pr)
	if err != nil {
		return err
	}
	out := attachmentList{Data: make([]attachmentJSON, len(as.Rows))}
	for i, a := range as.Rows {
		out.Data[i] = toAttachmentJSON(a)
	}
	out.NextCursor, out.PrevCursor = pageCursors(as)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleAttachmentGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "attachment")
	if err != nil {
		return err
	}
	a, url, err := s.attachments.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	out := toAttachmentJSON(a)
	out.DownloadURL = s.browserURL(r, url)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleAttachmentDelete(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "attachment")
	if err == nil {
		err = s.attachments.Delete(r.Context(), p, id, s.meta(r))
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleBlobPut receives a local-disk upload through a signed URL: the
// signature binds the key, the content type, the size and the expiry, as
// an S3 presigned PUT does.
func (s *Server) handleBlobPut(w http.ResponseWriter, r *http.Request) error {
	sg, err := s.signer.Verify(r.URL.Query())
	if err != nil || sg.Op != blob.OpPut {
		writeProblem(w, r, Problem{Status: http.StatusForbidden, Type: problemType("bad-signature"), Detail: "the upload URL is invalid or has expired"})
		return nil
	}
	if r.Header.Get("Content-Type") != sg.ContentType {
		writeProblem(w, r, Problem{Status: http.StatusForbidden, Type: problemType("bad-signature"), Detail: "the Content-Type is not the one the URL was signed for"})
		return nil
	}
	if r.ContentLength != sg.Size {
		writeProblem(w, r, Problem{Status: http.StatusForbidden, Type: problemType("bad-signature"),
			Detail: "the Content-Length must be " + strconv.FormatInt(sg.Size, 10) + ", as signed"})
		return nil
	}
	// Only a pending attachment's upload may be written: after complete or
	// delete the URL is spent, even before it expires.
	if s.attachments != nil {
		if err := s.attachments.AcceptUpload(r.Context(), sg.Key); err != nil {
			return err
		}
	}
	body := http.MaxBytesReader(w, r.Body, sg.Size)
	info, err := s.blobs.Put(r.Context(), sg.Key, body, sg.ContentType)
	if err != nil || info.Size != sg.Size {
		_ = s.blobs.Delete(r.Context(), sg.Key)
		writeProblem(w, r, Problem{Status: http.StatusBadRequest, Detail: "the upload was not the signed size"})
		return nil
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// handleBlobGet serves a local-disk download through a signed URL.
func (s *Server) handleBlobGet(w http.ResponseWriter, r *http.Request) error {
	sg, err := s.signer.Verify(r.URL.Query())
	if err != nil || sg.Op != blob.OpGet {
		writeProblem(w, r, Problem{Status: http.StatusForbidden, Type: problemType("bad-signature"), Detail: "the download URL is invalid or has expired"})
		return nil
	}
	rc, info, err := s.blobs.Open(r.Context(), sg.Key)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", sg.ContentType)
	w.Header().Set("Content-Disposition", sg.Disposition)
	w.Header().Set("Content-Length", strconv.FormatInt(info.Size, 10))
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, _ = io.Copy(w, rc)
	return nil
}
