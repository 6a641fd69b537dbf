package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
)

// writeJSON sends v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	if sh, ok := v.(secretHolder); ok && sh.holdsSecret() {
		markSecret(w)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads the request body into dst. A malformed body is a
// validation problem naming what is wrong, never a 500.
func decodeJSON(r *http.Request, dst any) error {
	// A body labelled as something else is refused rather than guessed
	// at; no label at all is taken as JSON, for hand-written curl calls.
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return apperr.Invalid("Content-Type", "must be application/json")
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err // *http.MaxBytesError: 413
	}
	// encoding/json would quietly turn bad UTF-8 into U+FFFD; and no text
	// column of PostgreSQL can hold NUL.
	if !utf8.Valid(body) {
		return apperr.Invalid("body", "must be valid UTF-8")
	}
	if bytes.Contains(body, []byte(`\u0000`)) {
		return apperr.Invalid("body", "must not contain NUL characters (\\u0000)")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return err
		case errors.Is(err, io.EOF):
			return apperr.Invalid("body", "must be a JSON object")
		case errors.As(err, &syn):
			return apperr.Invalid("body", fmt.Sprintf("is not valid JSON (at byte %d)", syn.Offset))
		case errors.As(err, &typ):
			field := typ.Field
			if field == "" {
				field = "body"
			}
			return apperr.Invalid(field, "must be "+jsonKind(typ.Type)+", not "+typ.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return apperr.Invalid(name, "is not a known field")
		default:
			return apperr.Invalid("body", "is not valid JSON")
		}
	}
	if dec.More() {
		return apperr.Invalid("body", "must hold one JSON object")
	}
	return nil
}

// pathID parses a path parameter as an id; anything else, the nil id
// included (no object has it), is not found.
func pathID(r *http.Request, name, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue(name))
	if err != nil || id == uuid.Nil {
		return uuid.Nil, apperr.NotFound(what)
	}
	return id, nil
}

// jsonKind names what JSON a Go type expects, for error messages.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a JSON value"
		}
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another type"
}
