// Package openapicompat finds the breaking changes between two versions
// of an OpenAPI 3.1 document: what a client written against the old one
// could trip on in the new one. Additive changes are not reported.
//
// It is deliberately small and knows the shapes Ordo's document uses
// (component $refs, allOf/anyOf/oneOf, type lists for null); it is the
// guard of docs/api-versioning.md, not a general diff.
package openapicompat

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Breaking lists the breaking changes from the document old to new,
// sorted: an operation, webhook, response status or parameter removed; a
// response property removed, no longer always present, or of another
// type or format; a request property removed or retyped; a required
// request field or parameter added; an enum value removed.
func Breaking(old, new []byte) ([]string, error) {
	var o, n map[string]any
	if err := json.Unmarshal(old, &o); err != nil {
		return nil, fmt.Errorf("old document: %w", err)
	}
	if err := json.Unmarshal(new, &n); err != nil {
		return nil, fmt.Errorf("new document: %w", err)
	}
	c := &comparer{old: o, new: n}
	for _, section := range []string{"paths", "webhooks"} {
		oldItems, newItems := obj(o[section]), obj(n[section])
		for _, path := range sortedKeys(oldItems) {
			for _, method := range sortedKeys(obj(oldItems[path])) {
				where := strings.ToUpper(method) + " " + path
				oldOp := obj(obj(oldItems[path])[method])
				newOp, ok := obj(newItems[path])[method].(map[string]any)
				if !ok {
					c.report(where, "removed")
					continue
				}
				c.operation(where, oldOp, newOp)
			}
		}
	}
	sort.Strings(c.found)
	return slices.Compact(c.found), nil
}

type comparer struct {
	old, new map[string]any
	found    []string
}

func (c *comparer) report(where, format string, args ...any) {
	c.found = append(c.found, where+": "+fmt.Sprintf(format, args...))
}

func (c *comparer) operation(where string, o, n map[string]any) {
	params := func(doc, op map[string]any) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, p := range list(op["parameters"]) {
			p := resolve(doc, obj(p))
			out[fmt.Sprint(p["in"], " ", p["name"])] = p
		}
		return out
	}
	op, np := params(c.old, o), params(c.new, n)
	for _, k := range sortedKeys(op) {
		p, ok := np[k]
		if !ok {
			c.report(where, "parameter %s removed", k)
			continue
		}
		c.schema(where+" parameter "+k, obj(op[k]["schema"]), obj(p["schema"]), true)
	}
	for _, k := range sortedKeys(np) {
		if _, ok := op[k]; !ok && np[k]["required"] == true {
			c.report(where, "required parameter %s added", k)
		}
	}
	if ob, nb := resolve(c.old, obj(o["requestBody"])), resolve(c.new, obj(n["requestBody"])); len(nb) > 0 {
		if nb["required"] == true && ob["required"] != true {
			c.report(where, "request body became required")
		}
		c.content(where+" request", obj(ob["content"]), obj(nb["content"]), true)
	}
	oresp, nresp := obj(o["responses"]), obj(n["responses"])
	for _, st := range sortedKeys(oresp) {
		nr, ok := nresp[st].(map[string]any)
		if !ok {
			c.report(where, "response %s removed", st)
			continue
		}
		c.content(where+" "+st, obj(resolve(c.old, obj(oresp[st]))["content"]), obj(resolve(c.new, nr)["content"]), false)
	}
}

func (c *comparer) content(where string, o, n map[string]any, request bool) {
	for _, mt := range sortedKeys(o) {
		nm, ok := n[mt].(map[string]any)
		if !ok {
			c.report(where, "media type %s removed", mt)
			continue
		}
		c.schema(where+" "+mt, obj(obj(o[mt])["schema"]), obj(nm["schema"]), request)
	}
}

// shape is a schema with its $refs resolved and its compositions merged:
// what a client may rely on.
type shape struct {
	types, enum, required map[string]bool
	format                string
	props                 map[string][]map[string]any
	items                 []map[string]any
}

func flatten(doc, s map[string]any, into *shape, depth int) {
	if depth > 8 || s == nil {
		return
	}
	s = resolve(doc, s)
	switch t := s["type"].(type) {
	case string:
		into.types[t] = true
	case []any:
		for _, x := range t {
			into.types[fmt.Sprint(x)] = true
		}
	}
	if f, ok := s["format"].(string); ok {
		into.format = f
	}
	for _, v := range list(s["enum"]) {
		into.enum[fmt.Sprint(v)] = true
	}
	if v, ok := s["const"]; ok {
		into.enum[fmt.Sprint(v)] = true
	}
	for _, r := range list(s["required"]) {
		into.required[fmt.Sprint(r)] = true
	}
	for name, p := range obj(s["properties"]) {
		into.props[name] = append(into.props[name], obj(p))
	}
	if it := obj(s["items"]); it != nil {
		into.items = append(into.items, it)
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		for _, b := range list(s[k]) {
			flatten(doc, obj(b), into, depth+1)
		}
	}
}

func newShape(doc, s map[string]any) *shape {
	sh := &shape{types: map[string]bool{}, enum: map[string]bool{}, required: map[string]bool{}, props: map[string][]map[string]any{}}
	flatten(doc, s, sh, 0)
	return sh
}

// schema compares a request (what clients send) or response (what they
// read) schema. Each property is compared through its first variant, the
// only one Ordo's documents have.
func (c *comparer) schema(where string, o, n map[string]any, request bool) {
	c.walk(where, o, n, request, 0)
}

func (c *comparer) walk(where string, o, n map[string]any, request bool, depth int) {
	if depth > 12 || o == nil || n == nil {
		return
	}
	os, ns := newShape(c.old, o), newShape(c.new, n)
	if len(os.types) > 0 && len(ns.types) > 0 && !maps.Equal(os.types, ns.types) {
		c.report(where, "type %s became %s", setString(os.types), setString(ns.types))
	}
	if os.format != ns.format && os.format != "" {
		c.report(where, "format %q became %q", os.format, ns.format)
	}
	if len(ns.enum) > 0 {
		for _, v := range sortedKeys(os.enum) {
			if !ns.enum[v] {
				c.report(where, "enum value %q removed", v)
			}
		}
	}
	for _, name := range sortedKeys(os.props) {
		np, ok := ns.props[name]
		if !ok {
			c.report(where, "property %s removed", name)
			continue
		}
		if !request && os.required[name] && !ns.required[name] {
			c.report(where, "property %s no longer always present", name)
		}
		c.walk(where+"."+name, os.props[name][0], np[0], request, depth+1)
	}
	if request {
		for _, name := range sortedKeys(ns.required) {
			if !os.required[name] {
				c.report(where, "required property %s added", name)
			}
		}
	}
	if len(os.items) > 0 && len(ns.items) > 0 {
		c.walk(where+"[]", os.items[0], ns.items[0], request, depth+1)
	}
}

// resolve follows local $refs.
func resolve(doc, s map[string]any) map[string]any {
	for i := 0; i < 16 && s != nil; i++ {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		var cur any = doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = obj(cur)[strings.NewReplacer("~1", "/", "~0", "~").Replace(part)]
		}
		s = obj(cur)
	}
	return s
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func list(v any) []any { l, _ := v.([]any); return l }

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func setString(m map[string]bool) string { return strings.Join(sortedKeys(m), "|") }
