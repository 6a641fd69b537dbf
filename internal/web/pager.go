package web

import (
	"context"
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/page"
)

// Paging of the UI's lists. Every paged page (orders, audit log, webhook
// deliveries) builds its Next and Previous links here, from the filters
// it was rendered with and the cursors of the neighbouring pages, so a
// template writes href="{{.Pager.Next}}" and never glues a query string:
// html/template escapes a string put after "?" as one query component,
// which once sent every "Next page" back to page 1 with the filters lost.

// pager holds a paged page's links; an empty one has no such page.
type pager struct {
	Next, Prev template.URL
}

// newPager links path with filters plus cursor=next (or cursor=prev).
// filters must hold only the parameters the page understands (see
// keepParams), so junk in a bookmarked URL is not carried along.
func newPager(path string, filters url.Values, next, prev string) pager {
	link := func(c string) template.URL {
		if c == "" {
			return ""
		}
		q := url.Values{}
		for k, vs := range filters {
			q[k] = vs
		}
		q.Set("cursor", c)
		// The URL is built from url.Values: every value is escaped, and
		// the path is ours, so it is safe as an href.
		return template.URL(path + "?" + q.Encode())
	}
	return pager{Next: link(next), Prev: link(prev)}
}

// keepParams returns the non-empty values of q's parameters names,
// without cursor: the filters and sort that every page of a list keeps.
func keepParams(q url.Values, names ...string) url.Values {
	out := url.Values{}
	for _, k := range names {
		if k == "cursor" {
			continue
		}
		for _, v := range q[k] {
			if v != "" {
				out.Add(k, v)
			}
		}
	}
	return out
}

// Cursors of the newest-first lists keyed by id (audit log, webhook
// deliveries): "<id>" is the page of entries older than id (what
// next_cursor has always been), "n.<id>" the page of entries just newer
// than id (the previous page).
const newerPrefix = "n."

func olderCursor(id uuid.UUID) string { return id.String() }
func newerCursor(id uuid.UUID) string { return newerPrefix + id.String() }

// parseIDCursor reads such a cursor: before or after is set, or ok is
// false for a string that is not one.
func parseIDCursor(c string) (before, after *uuid.UUID, ok bool) {
	s, newer := strings.CutPrefix(c, newerPrefix)
	id, err := uuid.Parse(s)
	if err != nil {
		return nil, nil, false
	}
	if newer {
		return nil, &id, true
	}
	return &id, nil, true
}

// idPage trims rows, read with a limit of want+1 for a page selected by
// before or after (or neither, the first page), to the page, and returns
// the cursors of the pages older (next) and newer (prev) than it, "" for
// none. Read with after, the rows are the ones just above the cursor,
// newest first, so the extra row is the first one.
func idPage[T any](rows []T, id func(T) uuid.UUID, want int, before, after *uuid.UUID) (page []T, next, prev string) {
	more := len(rows) > want
	if after != nil {
		if more {
			rows = rows[1:]
			prev = newerCursor(id(rows[0]))
		}
		if len(rows) > 0 {
			// The cursor's own entry is older than this page.
			next = olderCursor(id(rows[len(rows)-1]))
		}
		return rows, next, prev
	}
	if more {
		rows = rows[:want]
		next = olderCursor(id(rows[want-1]))
	}
	if before != nil && len(rows) > 0 {
		prev = newerCursor(id(rows[0]))
	}
	return rows, next, prev
}

// auditPage reads a page of the audit log selected by f (Before or After,
// Limit) with the cursors of the pages around it.
func (s *Server) auditPage(ctx context.Context, p access.Principal, f audit.Filter) ([]audit.Entry, string, string, error) {
	want := f.Limit
	f.Limit++ // one more tells whether there is a page beyond
	rows, err := s.auth.AuditLog(ctx, p, f)
	if err != nil {
		return nil, "", "", err
	}
	if f.After != nil && len(rows) == 0 {
		// Nothing newer than the cursor: show the newest page.
		f.After, f.Limit = nil, want
		return s.auditPage(ctx, p, f)
	}
	page, next, prev := idPage(rows, func(e audit.Entry) uuid.UUID { return e.ID }, want, f.Before, f.After)
	return page, next, prev, nil
}

// wholeList asks for a short list whole, for the pages that show it all
// (members, keys, endpoints, an order's history): one page of the most a
// page may hold.
func wholeList() page.Request { return page.Request{Limit: page.Max} }

// pageAfter asks for the page of limit rows after the row id (the first
// page for nil), for a page that reads a list page after page.
func pageAfter(id *uuid.UUID, limit int) page.Request { return page.Request{After: id, Limit: limit} }

// pageReq is the query of a keyset-paged list of the API.
type pageReq struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"50"`
	Cursor string `query:"cursor" description:"next_cursor (the page after) or prev_cursor (the page before) of another page of the same list."`
}

// pageRequest reads limit and cursor of such a list. The cursors are the
// ones of the audit log and the deliveries (olderCursor, newerCursor):
// "<id>" selects the page after the row id in the list's order, and
// "n.<id>" the page before it.
func pageRequest(q url.Values) (page.Request, error) {
	var r page.Request
	var v apperr.Validation
	if c := q.Get("cursor"); c != "" {
		after, before, ok := parseIDCursor(c)
		if !ok {
			v.Add("cursor", "is not a cursor from this API")
		}
		r.After, r.Before = after, before
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			v.Add("limit", "must be an integer from 1 to 100")
		}
		r.Limit = n
	}
	return r, v.Err()
}

// pageCursors are the next_cursor and prev_cursor of a page: null where
// there is no such page.
func pageCursors[T any](p page.Page[T]) (next, prev *string) {
	if p.Next != nil {
		c := olderCursor(*p.Next)
		next = &c
	}
	if p.Prev != nil {
		c := newerCursor(*p.Prev)
		prev = &c
	}
	return next, prev
}
