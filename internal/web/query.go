package web

import (
	"reflect"
	"strings"
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
