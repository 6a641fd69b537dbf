package sqlshared

import (
	"strconv"

	"github.com/ordo/ordo/internal/page"
)

// PageQuery completes head, a SELECT that ends in a WHERE clause whose
// placeholders are args (tenant scope first), into the query of the page
// r selects of a list ordered by col, a UUIDv7 column, newest first when
// desc. A page before a row is read walking backwards from it (the
// comparison and the order flipped), which page.InOrder undoes, so both
// directions are one index range scan.
func PageQuery(head string, args []any, col string, desc bool, r page.Request) (string, []any) {
	key := r.After
	readDesc := desc
	if r.Before != nil {
		key, readDesc = r.Before, !desc
	}
	q := head
	if key != nil {
		args = append(args, *key)
		cmp := " > $"
		if readDesc {
			cmp = " < $"
		}
		q += " AND " + col + cmp + strconv.Itoa(len(args))
	}
	dir := " ASC"
	if readDesc {
		dir = " DESC"
	}
	return q + " ORDER BY " + col + dir + " LIMIT " + strconv.Itoa(r.Limit), args
}
