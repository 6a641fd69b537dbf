// Package apperr defines the few kinds of error that cross layers, and the
// one table that maps them to HTTP statuses.
//
// Stores return these kinds (wrapped with context); services add Invalid
// with the field at fault; the web layer turns them into RFC 9457 problems.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
)

// Kind is a category of error that a client can act on.
type Kind int

const (
	KindInternal Kind = iota
	KindNotFound
	KindConflict
	KindInvalid
	KindForbidden
	KindUnauthorized
	// KindPrecondition is a stale If-Match or version: 412.
	KindPrecondition
)

// Sentinel errors for errors.Is; wrap them with %w.
var (
	ErrNotFound     = &Error{Kind: KindNotFound, Msg: "not found"}
	ErrConflict     = &Error{Kind: KindConflict, Msg: "conflict"}
	ErrForbidden    = &Error{Kind: KindForbidden, Msg: "forbidden"}
	ErrUnauthorized = &Error{Kind: KindUnauthorized, Msg: "unauthorized"}
	ErrInvalid      = &Error{Kind: KindInvalid, Msg: "invalid"}
)

// FieldError names one invalid input field.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"message"`
	// Rule names the rule the field broke ("required", "range", …) and
	// Args its limits, for callers that word the message themselves (the
	// web UI translates it and formats the limits in the person's
	// locale); the API sends only Field and Detail.
	Rule string  `json:"-"`
	Args []int64 `json:"-"`
}

// Error is an error of a known kind with a message that is safe to show
// to the client. Fields is set for validation errors.
type Error struct {
	Kind   Kind
	Msg    string
	Fields []FieldError
	// Format and Args are Msg before formatting (Msg is
	// fmt.Sprintf(Format, Args...)), so that a UI can look the format up
	// in its message catalogue and show Msg in the viewer's language; the
	// API shows Msg. An empty Format means Msg is a fixed text that is
	// its own key (the sentinels).
	Format string
	Args   []any
}

// Word marks a message argument that is a word from a closed set (an
// entity's name, a role, a status) rather than the client's own data, so
// that a UI translating the message translates the argument too. It
// prints as itself: Msg reads the same with or without it.
type Word string

// Message returns the message's format and arguments: Format and Args,
// or Msg with no arguments when Format is empty.
func (e *Error) Message() (format string, args []any) {
	if e.Format == "" {
		return e.Msg, nil
	}
	return e.Format, e.Args
}

func (e *Error) Error() string { return e.Msg }

// Is makes errors.Is match on kind, so that any NotFound matches ErrNotFound.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t == sentinel(e.Kind)
}

func sentinel(k Kind) *Error {
	switch k {
	case KindNotFound:
		return ErrNotFound
	case KindConflict:
		return ErrConflict
	case KindForbidden:
		return ErrForbidden
	case KindUnauthorized:
		return ErrUnauthorized
	case KindInvalid:
		return ErrInvalid
	}
	return nil
}

// NotFound returns a NotFound error naming what was not found: what is
// an entity's name ("order"), one of a closed set that a UI translates.
func NotFound(what string) error {
	return &Error{Kind: KindNotFound, Msg: what + " not found", Format: "%s not found", Args: []any{Word(what)}}
}

// Conflict returns a Conflict error with a client-safe message. format
// should be a literal (a UI looks it up in its catalogue); args that are
// words from a closed set should be passed as Word.
func Conflict(format string, args ...any) error {
	return &Error{Kind: KindConflict, Msg: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// Forbidden returns a Forbidden error with a client-safe message; format
// and args as for Conflict.
func Forbidden(format string, args ...any) error {
	return &Error{Kind: KindForbidden, Msg: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// Invalid returns a validation error for one field.
func Invalid(field, detail string) error {
	return &Error{Kind: KindInvalid, Msg: "validation failed", Fields: []FieldError{{Field: field, Detail: detail}}}
}

// Rules a field can break, for FieldError.Rule. Args holds the limits
// where the rule has some.
const (
	RuleRequired = "required"
	RuleUTF8     = "utf8"
	RuleTooLong  = "too_long"  // Args: the most characters (or bytes) allowed
	RuleRange    = "range"     // Args: the least and the most allowed
	RuleTooMany  = "too_many"  // Args: the most allowed
	RuleTooLarge = "too_large" // a sum computed from the field is too large
	RuleNegative = "negative"
	RuleFormat   = "format"    // not in the field's format (an e-mail, a code, JSON)
	RuleTooShort = "too_short" // Args: the fewest characters allowed
	// RuleCommon is a password on the list of those guessed first.
	RuleCommon = "common"
	// RuleSameAsEmail is a password that is the account's e-mail address.
	RuleSameAsEmail = "same_as_email"
	// RuleExpired is an e-mailed link's token that is unknown, used up,
	// revoked or expired.
	RuleExpired = "expired"
	// RuleTaken is a value another account has already (an address).
	RuleTaken = "taken"
)

// InvalidRule returns a validation error for one field that broke rule,
// whose limits are args (see Validation.AddRule).
func InvalidRule(field, rule, detail string, args ...int64) error {
	return &Error{Kind: KindInvalid, Msg: "validation failed", Fields: []FieldError{{Field: field, Detail: detail, Rule: rule, Args: args}}}
}

// Validation collects field errors; Err returns nil when there are none.
type Validation struct{ fields []FieldError }

// Add records that field is invalid.
func (v *Validation) Add(field, detail string) {
	v.fields = append(v.fields, FieldError{Field: field, Detail: detail})
}

// AddRule records that field broke rule, whose limits are args.
func (v *Validation) AddRule(field, rule, detail string, args ...int64) {
	v.fields = append(v.fields, FieldError{Field: field, Detail: detail, Rule: rule, Args: args})
}

// Err returns the collected errors as one Invalid error, or nil.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Msg: "validation failed", Fields: v.fields}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// HTTPStatus maps an error to its HTTP status: the one table.
func HTTPStatus(err error) int {
	e, ok := As(err)
	if !ok {
		return http.StatusInternalServerError
	}
	switch e.Kind {
	case KindNotFound:
		return http.StatusNotFound
	case KindConflict:
		return http.StatusConflict
	case KindInvalid:
		return http.StatusUnprocessableEntity
	case KindForbidden:
		return http.StatusForbidden
	case KindUnauthorized:
		return http.StatusUnauthorized
	case KindPrecondition:
		return http.StatusPreconditionFailed
	}
	return http.StatusInternalServerError
}
