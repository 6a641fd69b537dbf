// Package page reads one page of a list kept in the order of its ids
// (UUIDv7, so the order in which the rows were made), a page at a time by
// keyset: the id of the row at the edge of the page a client holds
// selects the next or the previous page, so rows added or removed
// meanwhile never shift a page as an offset would. Services use Read;
// stores read the rows a Request selects (sqlshared.PageQuery builds the
// SQL); the web layer turns ids into cursors. It holds no SQL and no HTTP.
package page

import (
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
)

// Limits of a page.
const (
	// Default is the page size when none is asked for.
	Default = 50
	// Max bounds a page: the API asks for at most 100, the pages of the
	// UI that show a whole short list (members, keys) for up to this.
	Max = 1000
)

// Request selects a page: the one that follows After in the list's order
// (a next_cursor), the one that precedes Before (a prev_cursor), or with
// neither the first page. Limit is how many rows a store returns.
type Request struct {
	After, Before *uuid.UUID
	Limit         int
}

// Page is a page of rows in the list's order, with the ids that select
// its neighbours: Next the row after which the next page starts, Prev
// the row before which the previous one ends; nil when there is none.
type Page[T any] struct {
	Rows       []T
	Next, Prev *uuid.UUID
}

// Read reads the page r selects with read, which returns at most r.Limit
// rows in the list's order. It asks for one row more than the page, which
// tells whether there is a page beyond; a previous page that is now empty
// (its rows were deleted) gives the first page instead.
func Read[T any](r Request, id func(T) uuid.UUID, read func(Request) ([]T, error)) (Page[T], error) {
	want := r.Limit
	if want == 0 {
		want = Default
	}
	if want < 1 || want > Max {
		return Page[T]{}, apperr.Invalid("limit", fmt.Sprintf("must be an integer from 1 to %d", Max))
	}
	if r.After != nil && r.Before != nil {
		return Page[T]{}, apperr.Invalid("cursor", "selects a page after one row or before one, not both")
	}
	r.Limit = want + 1
	rows, err := read(r)
	if err != nil {
		return Page[T]{}, err
	}
	if r.Before != nil && len(rows) == 0 {
		r.Before, r.Limit = nil, want
		return Read(r, id, read)
	}
	return cut(rows, id, want, r), nil
}

// cut trims rows, read with a limit of want+1, to the page and finds its
// neighbours. Read with Before, the rows are the ones just before the
// cursor, so the extra row is the first one, and the cursor's own row
// follows the page.
func cut[T any](rows []T, id func(T) uuid.UUID, want int, r Request) Page[T] {
	var p Page[T]
	more := len(rows) > want
	key := func(i int) *uuid.UUID { v := id(rows[i]); return &v }
	if r.Before != nil {
		if more {
			rows = rows[1:]
			p.Prev = key(0)
		}
		if len(rows) > 0 {
			p.Next = key(len(rows) - 1)
		}
		p.Rows = rows
		return p
	}
	if more {
		rows = rows[:want]
		p.Next = key(want - 1)
	}
	if r.After != nil && len(rows) > 0 {
		p.Prev = key(0)
	}
	p.Rows = rows
	return p
}

// InOrder puts the rows a store read for r back in the list's order: a
// page before a row is read walking backwards from it.
func InOrder[T any](rows []T, r Request) []T {
	if r.Before != nil {
		slices.Reverse(rows)
	}
	return rows
}
