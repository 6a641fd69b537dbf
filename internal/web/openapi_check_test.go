package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/web"
)

// docRouter finds a request's operation in the OpenAPI document.
var docRouter = sync.OnceValues(func() (routers.Router, error) {
	raw, err := web.OpenAPI("1")
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	doc.Servers = nil // any host: every test server has its own port
	// JSON Lines (the audit log export) is documented as text: each of
	// its lines must be a JSON object.
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				return nil, fmt.Errorf("line %d is not a JSON object: %w", i+1, err)
			}
		}
		return string(b), nil
	})
	return legacy.NewRouter(doc)
})

// checkAgainstDoc validates one exchange of the API tests against the
// OpenAPI document. The response's status must be documented for the
// operation, and its headers and body must match. A request the server
// accepted (2xx) must be valid by the document too: a document stricter
// than the server would keep a generated client from what the API
// allows (requests the server refuses are not checked: tests send
// invalid ones on purpose). Every request the harness sends
// (client.doWith) goes through it, so the document cannot drift from
// the handlers. Paths the document does not have (the UI, unknown API
// paths) and methods it does not list (405, with Allow) are skipped.
func checkAgainstDoc(t testing.TB, req *http.Request, reqBody []byte, status int, header http.Header, body []byte) {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") {
		return
	}
	router, err := docRouter()
	if err != nil {
		t.Errorf("OpenAPI document: %v", err)
		return
	}
	route, params, err := router.FindRoute(req)
	// The legacy router may match /orders to /orders/{id} with an empty
	// id: the segments must match one for one.
	if err != nil || strings.Count(route.Path, "/") != strings.Count(req.URL.Path, "/") {
		return // not an operation of the document (a 405, an unknown path)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s: the %d response does not match the OpenAPI document: %v\nbody: %.500s", req.Method, req.URL.Path, status, err, body)
	}
	if status < 200 || status > 299 {
		return
	}
	sent := req.Clone(context.Background())
	sent.Body = io.NopCloser(bytes.NewReader(reqBody))
	if reqBody == nil {
		sent.Body = http.NoBody
	}
	in.Request = sent
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		t.Errorf("%s %s: the server accepted (%d) a request the OpenAPI document refuses: %v\nrequest body: %.500s", req.Method, req.URL.Path, status, err, reqBody)
	}
}

// errorRecorder is a testing.TB that keeps what Errorf reports.
type errorRecorder struct {
	testing.TB
	errs []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestCheckResponseCatchesDrift shows the harness's check bites: a body
// of the wrong shape, an undocumented status and a missing required
// field are each reported, and a right answer is not.
func TestCheckResponseCatchesDrift(t *testing.T) {
	t.Parallel()
	get := func(path string) *http.Request {
		r, _ := http.NewRequest("GET", "http://127.0.0.1:1"+path, nil)
		return r
	}
	jsonHdr := http.Header{"Content-Type": {"application/json"}}
	for _, c := range []struct {
		name   string
		req    *http.Request
		status int
		body   string
		bad    bool
	}{
		{"right", get("/api/v1/version"), 200, `{"version":"1"}`, false},
		{"wrong type", get("/api/v1/version"), 200, `{"version":1}`, true},
		{"missing required", get("/api/v1/version"), 200, `{}`, true},
		{"undocumented status", get("/api/v1/version"), 418, `{"version":"1"}`, true},
		{"bad enum", get("/api/v1/tenant"), 200, `{"id":"01234567-0000-7000-8000-000000000000","name":"n","slug":"s","plan":"gold","created_at":"2026-01-01T00:00:00Z"}`, true},
	} {
		rec := &errorRecorder{TB: t}
		checkAgainstDoc(rec, c.req, nil, c.status, jsonHdr, []byte(c.body))
		if c.bad {
			require.NotEmpty(t, rec.errs, c.name)
		} else {
			require.Empty(t, rec.errs, c.name)
		}
	}
}
