package web

import (
	"net/http"

	"golang.org/x/text/language"

	"github.com/ordo/ordo/internal/apperr"
)

// The domain packages word their errors in English for the API (an
// *apperr.Error's Msg, the problem's detail). The UI shows the same
// errors in the viewer's language: it looks the message's format up in
// the catalogue, as it does its own text, so the English format is the
// key. TestCatalogueComplete finds these keys in the domain's source
// (domainKeys), so a new message fails the test until it is translated.

// errText is e's message in r's language. English is Msg itself, exactly
// as the API words it. Elsewhere the format is translated and so are the
// arguments marked apperr.Word (a role, a status, an entity's name),
// each through its own catalogue key; other arguments (a tenant's name,
// an e-mail address, a count) are the client's data and stay as they
// are. A format or word without a translation shows in English.
func (s *Server) errText(r *http.Request, e *apperr.Error) string {
	tag := s.language(r)
	if tag == language.English {
		return e.Msg
	}
	format, args := e.Message()
	if len(args) == 0 {
		// A fixed text (a sentinel's Msg) is a key, not a format: it may
		// hold a literal % that Sprintf would misread.
		return s.catalog.Word(tag, format)
	}
	tr := make([]any, len(args))
	for i, a := range args {
		if w, ok := a.(apperr.Word); ok {
			tr[i] = s.catalog.Word(tag, string(w))
		} else {
			tr[i] = a
		}
	}
	return s.catalog.T(tag, format, tr...)
}

// detailText is a field error's detail in r's language: the detail
// (literal English, "is required") is its own catalogue key. Details
// built with numbers in them (fmt.Sprintf) have no key and show in
// English; the UI words the common rules itself (fieldMessage).
func (s *Server) detailText(r *http.Request, f apperr.FieldError) string {
	return s.catalog.Word(s.language(r), f.Detail)
}
