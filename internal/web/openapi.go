package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/swaggest/jsonschema-go"
	"github.com/swaggest/openapi-go"
	"github.com/swaggest/openapi-go/openapi31"
)

// OpenAPI builds the OpenAPI 3.1 document of the JSON API from
// apiRoutes: the routes, their parameter and body types, their success
// and problem responses, and the two ways to authenticate.
func OpenAPI(version string) ([]byte, error) {
	return openAPIOf(version, apiRoutes())
}

// openAPIOf is OpenAPI for a given route table, so tests can document
// routes of their own (a deprecated one: no real route is today).
func openAPIOf(version string, routes []apiRoute) ([]byte, error) {
	r := openapi31.NewReflector()
	jr := r.JSONSchemaReflector()
	// Named component schemas, one per Go type (schemaName), with the
	// enums, limits and required fields of schemaRules. A nullable
	// reference (tenant: null) is anyOf [null, $ref].
	jr.DefaultOptions = append(jr.DefaultOptions,
		func(rc *jsonschema.ReflectContext) { rc.EnvelopNullability = true },
		jsonschema.InterceptDefName(schemaName),
		jsonschema.InterceptSchema(interceptSchema),
		jsonschema.InterceptProp(interceptProp),
	)
	jr.InlineDefinition(uuid.UUID{})
	r.Spec.Info.WithTitle("Ordo API").WithVersion(version).WithDescription(
		"Ordo's JSON API. Authenticate with an API key as `Authorization: Bearer ordo_…`, " +
			"or with the session cookie of a logged-in browser. Money is integer minor units of the `currency` beside it. " +
			"Errors are RFC 9457 problems (`application/problem+json`) with a stable `type` and, for validation, " +
			"`errors: [{field, message}]`. Lists are keyset-paged: pass `next_cursor` (or `prev_cursor`, for the page before) back as `cursor`. " +
			"A query parameter an operation does not list is refused with 422, the parameter named in `errors`; " +
			"a method a path does not list, with 405 and an `Allow` header naming the ones it does. " +
			"Rate-limited responses carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; 429 and 503 carry `Retry-After`.")
	r.Spec.SetHTTPBearerTokenSecurity("apiKey", "ordo API key", "An API key: `ordo_<prefix>_<secret>`.")
	r.Spec.SetAPIKeySecurity("session", "ordo_session", openapi.InCookie, "The session cookie set by log-in.")
	problems := map[string][]int{} // operation id → its problem statuses
	for _, rt := range routes {
		op := rt.op
		oc, err := r.NewOperationContext(rt.method, rt.path)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", rt.method, rt.path, err)
		}
		oc.SetID(op.id)
		oc.SetSummary(op.summary)
		oc.SetTags(op.tag)
		if !op.deprecated.IsZero() {
			oc.SetIsDeprecated(true)
		}
		if !op.public {
			oc.AddSecurity("apiKey")
			oc.AddSecurity("session")
		}
		if op.req != nil {
			oc.AddReqStructure(op.req)
		}
		if _, ok := op.resp.(eventStream); ok {
			oc.AddRespStructure(op.resp, openapi.WithHTTPStatus(op.status), openapi.WithContentType("text/event-stream"))
		} else if _, ok := op.resp.(auditExport); ok {
			oc.AddRespStructure(op.resp, openapi.WithHTTPStatus(op.status), openapi.WithContentType("application/x-ndjson"))
		} else {
			oc.AddRespStructure(op.resp, openapi.WithHTTPStatus(op.status))
		}
		if slices.Contains(op.errs, http.StatusNotModified) {
			oc.AddRespStructure(nil, openapi.WithHTTPStatus(http.StatusNotModified))
		}
		problems[op.id] = problemStatuses(rt)
		if err := r.AddOperation(oc); err != nil {
			return nil, fmt.Errorf("%s %s: %w", rt.method, rt.path, err)
		}
	}
	eventRefs, err := reflectEventData(r)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(r.Spec)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if err := finishDocument(doc, problems); err != nil {
		return nil, err
	}
	addWebhooks(doc, eventRefs)
	if err := addExamples(doc, eventRefs); err != nil {
		return nil, err
	}
	documentDeprecations(doc, routes)
	return json.MarshalIndent(doc, "", "  ")
}

// problemStatuses are the problem statuses rt may answer: the ones its
// operation lists and those every route of its kind may give.
func problemStatuses(rt apiRoute) []int {
	var out []int
	for _, st := range rt.op.errs {
		if st != http.StatusNotModified {
			out = append(out, st)
		}
	}
	if rt.method == http.MethodPost && !rt.op.public {
		out = append(out, http.StatusConflict) // an Idempotency-Key still in flight
	}
	if rt.op.public {
		out = append(out, http.StatusTooManyRequests)
	} else {
		out = append(out, http.StatusUnauthorized, http.StatusTooManyRequests)
	}
	// An unknown query parameter (withKnownQuery); a dependency down
	// (writeError, the session store); an unexpected failure.
	out = append(out, http.StatusUnprocessableEntity, http.StatusServiceUnavailable, http.StatusInternalServerError)
	slices.Sort(out)
	return slices.Compact(out)
}

// deprecationNotes is where a deprecation's Link header points: the API
// reference, whose changes are listed in docs/api-versioning.md.
const deprecationNotes = "/api/v1/docs"

// documentDeprecations describes, on the success responses of each
// deprecated operation, the headers withDeprecation sets. They are
// inline rather than shared components so that a document with no
// deprecated operation has no unused component.
func documentDeprecations(doc map[string]any, routes []apiRoute) {
	paths := doc["paths"].(map[string]any)
	for _, rt := range routes {
		if rt.op.deprecated.IsZero() {
			continue
		}
		op := paths[rt.path].(map[string]any)[strings.ToLower(rt.method)].(map[string]any)
		for code, r := range op["responses"].(map[string]any) {
			resp, ok := r.(map[string]any)
			if !ok || !strings.HasPrefix(code, "2") {
				continue
			}
			hs, _ := resp["headers"].(map[string]any)
			if hs == nil {
				hs = map[string]any{}
			}
			hs["Deprecation"] = map[string]any{
				"description": "RFC 9745: when this operation was deprecated, as `@` and Unix seconds (" + rt.op.deprecated.UTC().Format(time.DateOnly) + ").",
				"schema":      map[string]any{"type": "string"},
			}
			hs["Link"] = map[string]any{
				"description": "`<" + deprecationNotes + ">; rel=\"deprecation\"`: the notes on what replaces it.",
				"schema":      map[string]any{"type": "string"},
			}
			if !rt.op.sunset.IsZero() {
				hs["Sunset"] = map[string]any{
					"description": "RFC 8594: when this operation stops answering (" + rt.op.sunset.UTC().Format(time.DateOnly) + "), an HTTP date.",
					"schema":      map[string]any{"type": "string"},
				}
			}
			resp["headers"] = hs
		}
	}
}

// withDeprecation sets the deprecation headers of op on every response
// of a deprecated route, before its handler writes.
func withDeprecation(op operation, h http.Handler) http.Handler {
	if op.deprecated.IsZero() {
		return h
	}
	deprecation := "@" + strconv.FormatInt(op.deprecated.Unix(), 10)
	sunset := ""
	if !op.sunset.IsZero() {
		sunset = op.sunset.UTC().Format(http.TimeFormat)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Deprecation", deprecation)
		if sunset != "" {
			w.Header().Set("Sunset", sunset)
		}
		w.Header().Add("Link", "<"+deprecationNotes+">; rel=\"deprecation\"")
		h.ServeHTTP(w, r)
	})
}

var openAPIOnce = sync.OnceValues(func() ([]byte, error) { return OpenAPI("1") })

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	doc, err := openAPIOnce()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(doc)
	return nil
}

// docOp is one operation on the reference page.
type docOp struct {
	Method, Path, Summary, ID string
	Public                    bool
	Params                    []docParam
	Statuses                  []string
}

type docParam struct{ Name, In, Description string }

// docGroup is the operations of one tag.
type docGroup struct {
	Tag string
	Ops []docOp
}

// apiDocs is what the reference page gets: the CSP nonce Redoc marks its
// <style> elements with, the bundle and document to load, and the
// operations for the table shown without JavaScript.
type apiDocs struct {
	Nonce, Bundle, Spec string
	Groups              []docGroup
}

// docParamJSON is a parameter of the document, or a $ref to a shared one.
type docParamJSON struct {
	Ref                   string `json:"$ref"`
	Name, In, Description string
}

// handleAPIDocs serves the API reference: Redoc, vendored and served by
// Ordo (apiref.go), rendering /api/v1/openapi.json in the browser under
// its own, nonce-based CSP. Without JavaScript the page shows a table of
// the operations rendered here, on the server.
func (s *Server) handleAPIDocs(w http.ResponseWriter, r *http.Request) error {
	doc, err := openAPIOnce()
	if err != nil {
		return err
	}
	var spec struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Summary     string `json:"summary"`
			Tags        []string
			Security    []any          `json:"security"`
			Parameters  []docParamJSON `json:"parameters"`
			Responses   map[string]any `json:"responses"`
		} `json:"paths"`
		Components struct {
			Parameters map[string]docParamJSON `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &spec); err != nil {
		return err
	}
	groups := map[string][]docOp{}
	for path, methods := range spec.Paths {
		for method, op := range methods {
			d := docOp{Method: strings.ToUpper(method), Path: path, Summary: op.Summary, ID: op.OperationID, Public: len(op.Security) == 0}
			for _, p := range op.Parameters {
				if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
					p = spec.Components.Parameters[name] // a parameter many operations share
				}
				d.Params = append(d.Params, docParam{p.Name, p.In, p.Description})
			}
			for st := range op.Responses {
				d.Statuses = append(d.Statuses, st)
			}
			sort.Strings(d.Statuses)
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			groups[tag] = append(groups[tag], d)
		}
	}
	var tags []string
	for t, ops := range groups {
		tags = append(tags, t)
		sort.Slice(ops, func(i, j int) bool { return ops[i].Path+ops[i].Method < ops[j].Path+ops[j].Method })
	}
	sort.Strings(tags)
	var data []docGroup
	for _, t := range tags {
		data = append(data, docGroup{t, groups[t]})
	}
	nonce := newNonce()
	// Replaces the pages' policy withSecurityHeaders set; render sends
	// no-store, so no cache keeps a page with a spent nonce.
	w.Header().Set("Content-Security-Policy", apiDocsCSP(nonce))
	s.render(w, r, http.StatusOK, "apidocs", view{Title: "API reference", Data: apiDocs{
		Nonce: nonce, Bundle: redocBundle, Spec: "/api/v1/openapi.json", Groups: data}})
	return nil
}
