package web

import (
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/ordo/ordo/internal/apperr"
)

// queryParams lists the query parameters of a request shape: the query
// tags of its fields, embedded structs included. The route table's req
// shapes are the one list of what each route accepts: the OpenAPI
// document shows them and withKnownQuery refuses the others.
func queryParams(req any) []string {
	if req == nil {
		return nil
	}
	var out []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("query"), ","); name != "" {
				out = append(out, name)
			} else if f.Anonymous {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeOf(req))
	return out
}

// pagingWords are the parameters of offset paging, which the API does not
// have: their problem says to use cursor.
var pagingWords = map[string]bool{"page": true, "pageSize": true, "page_size": true, "per_page": true, "offset": true}

// withKnownQuery refuses, with a 422 that names each of them, the query
// parameters a route does not document (op.req's query tags): ignoring
// them gave ?page=2 the first page, silently, while unknown JSON fields
// were already refused. A request without credentials to a route that
// needs them is left to the handler, so it still gets its 401.
func (s *Server) withKnownQuery(op operation, next http.Handler) http.Handler {
	known := map[string]bool{}
	for _, name := range queryParams(op.req) {
		known[name] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery == "" {
			next.ServeHTTP(w, r)
			return
		}
		if _, ok := principalFrom(r.Context()); !ok && !op.public {
			next.ServeHTTP(w, r)
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			writeProblem(w, r, Problem{Status: http.StatusUnprocessableEntity, Type: problemType("validation"),
				Detail: "the query string is not valid URL encoding"})
			return
		}
		var unknown []string
		for name := range q {
			if !known[name] {
				unknown = append(unknown, name)
			}
		}
		if len(unknown) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		slices.Sort(unknown)
		e := &apperr.Error{Kind: apperr.KindInvalid, Msg: "unknown query parameter: " + strings.Join(unknown, ", ")}
		for _, name := range unknown {
			fe := apperr.FieldError{Field: name, Detail: "is not a parameter of this endpoint" + knownList(known)}
			switch {
			case pagingWords[name] && known["cursor"]:
				fe.Detail = "is not a parameter of this list: lists are keyset-paged; pass next_cursor (or prev_cursor) as cursor, and limit for the page size"
			case pagingWords[name]:
				fe.Detail = "is not a parameter of this endpoint, which is not paged"
			}
			e.Fields = append(e.Fields, fe)
		}
		s.fail(w, r, e)
	})
}

// knownList is ": it takes a, b" or "; it takes none".
func knownList(known map[string]bool) string {
	if len(known) == 0 {
		return "; it takes no query parameters"
	}
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	slices.Sort(names)
	return "; it takes " + strings.Join(names, ", ")
}
