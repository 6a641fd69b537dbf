package web

import (
	"net/http"
)

// uiJobs lists the tenant's failed background jobs with a retry button,
// and its failing webhook deliveries with a link to their endpoint.
func (s *Server) uiJobs(w http.ResponseWriter, r *http.Request) error {
	out, err := s.failedJobs(r, mustPrincipal(r), 100, "")
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "jobs", view{Title: s.tr(r, "Failed jobs"), Data: out})
	return nil
}

func (s *Server) uiJobRetry(w http.ResponseWriter, r *http.Request) error {
	j, err := s.retryJob(r, mustPrincipal(r), r.PathValue("id"))
	msg := ""
	if err == nil {
		msg = s.tr(r, "The %s job runs again now.", j.Kind)
	}
	return s.uiDone(w, r, err, msg, "/app/jobs")
}
