package apperr

import (
	"errors"
	"fmt"
	"testing"
)

// Msg (the API's detail) reads as it always did; Message gives the UI the
// format and arguments to translate, Word arguments included.
func TestMessage(t *testing.T) {
	for _, tt := range []struct {
		name       string
		err        error
		msg        string
		format     string
		args       []any
		matches    error
		wantStatus int
	}{
		{"not found", NotFound("order"), "order not found", "%s not found", []any{Word("order")}, ErrNotFound, 404},
		{"conflict", Conflict("an order cannot go from %s to %s", Word("pending"), Word("delivered")),
			"an order cannot go from pending to delivered", "an order cannot go from %s to %s", []any{Word("pending"), Word("delivered")}, ErrConflict, 409},
		{"forbidden with data", Forbidden("this invitation is for %s", "a@example.com"),
			"this invitation is for a@example.com", "this invitation is for %s", []any{"a@example.com"}, ErrForbidden, 403},
		{"sentinel", fmt.Errorf("wrapped: %w", &Error{Kind: KindPrecondition, Msg: "stale; 100% sure"}),
			"stale; 100% sure", "stale; 100% sure", nil, nil, 412},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := As(tt.err)
			if !ok {
				t.Fatalf("As(%v) found no *Error", tt.err)
			}
			if e.Msg != tt.msg {
				t.Errorf("Msg = %q, want %q", e.Msg, tt.msg)
			}
			format, args := e.Message()
			if format != tt.format || fmt.Sprint(args) != fmt.Sprint(tt.args) || len(args) != len(tt.args) {
				t.Errorf("Message() = %q %v, want %q %v", format, args, tt.format, tt.args)
			}
			for i, a := range args {
				if fmt.Sprintf("%T", a) != fmt.Sprintf("%T", tt.args[i]) {
					t.Errorf("arg %d is %T, want %T", i, a, tt.args[i])
				}
			}
			if tt.matches != nil && !errors.Is(tt.err, tt.matches) {
				t.Errorf("errors.Is(%v, %v) = false", tt.err, tt.matches)
			}
			if got := HTTPStatus(tt.err); got != tt.wantStatus {
				t.Errorf("HTTPStatus = %d, want %d", got, tt.wantStatus)
			}
		})
	}
}
