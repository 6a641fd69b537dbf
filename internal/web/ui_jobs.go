package web

import (
	"net/http"

	"github.com/riverqueue/river/rivertype"
)

// uiJobs lists the tenant's failed background jobs with a retry button.
func (s *Server) uiJobs(w http.ResponseWriter, r *http.Request) {
	js, err := s.failedJobs(r, mustPrincipal(r))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	out := make([]jobJSON, len(js))
	for i, j := range js {
		out[i] = toJobJSON(j)
	}
	s.render(w, r, http.StatusOK, "jobs", view{Title: "Failed jobs", Data: out})
}

func (s *Server) uiJobRetry(w http.ResponseWriter, r *http.Request) {
	var j *rivertype.JobRow
	j, err := s.retryJob(r, mustPrincipal(r), r.PathValue("id"))
	msg := ""
	if err == nil {
		msg = "The " + j.Kind + " job runs again now."
	}
	s.uiDone(w, r, err, msg, "/app/jobs")
}
