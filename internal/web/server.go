// Package web is Ordo's HTTP layer: the router with every route, the
// middleware, RFC 9457 problems, and health endpoints. It knows nothing
// about SQL; it calls domain services and renders what they return.
package web

import (
	"log/slog"
	"net/http"
)

// Options configures a Server.
type Options struct {
	Log          *slog.Logger
	Version      string
	MaxBodyBytes int64
	// Checks are the dependencies /readyz reports on.
	Checks []Check
}

// Server holds the dependencies of the handlers.
type Server struct {
	log     *slog.Logger
	version string
	checks  []Check
	handler http.Handler
}

// New builds the server and its routes.
func New(o Options) *Server {
	s := &Server{log: o.Log, version: o.Version, checks: o.Checks}
	mux := http.NewServeMux()
	s.routes(mux)
	var h http.Handler = mux
	h = withBodyLimit(o.MaxBodyBytes, h)
	h = withRecover(o.Log, h)
	h = withAccessLog(o.Log, h)
	h = withRequestID(h)
	s.handler = h
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// routes lists every route in one place: grep a URL to find its handler.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.HandleFunc("GET /api/v1/version", s.handleVersion)
	mux.HandleFunc("/api/", s.handleAPINotFound)
	mux.HandleFunc("GET /{$}", s.handleHome)
}

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"version":"` + s.version + `"}` + "\n"))
}

// handleAPINotFound answers unknown API paths with a problem, not HTML.
func (s *Server) handleAPINotFound(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, r, Problem{Status: http.StatusNotFound, Detail: "no such API endpoint"})
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ordo</title></head>` +
		`<body><h1>Ordo</h1><p>Ordo is running. Health: <a href="/healthz">/healthz</a>, readiness: <a href="/readyz">/readyz</a>.</p></body></html>`))
}
