package web

import (
	"encoding/json"
	"errors"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/invoice"
	"github.com/ordo/ordo/internal/order"
)

// Order pages: list with filters and keyset paging, detail with status
// actions, create and edit forms that work without JavaScript.

type ordersPage struct {
	Orders []order.Order
	// Pager links the pages after and before this one, with the filters.
	Pager pager
	// Chips filter by status, keeping the other filters; Sorts are the
	// sortable column headers, by field.
	Chips []chip
	Sorts map[string]sortHeader
	// Sort and Asc are the sort the page was shown with; the search form
	// keeps them.
	Sort string
	Asc  bool
	// Count is how many orders match, CountMore that there are more than
	// Count (the count stops at order.CountCap); HasCount is false when
	// counting would cost too much (a search).
	Count     int64
	CountMore bool
	HasCount  bool
	// Filtered says that a filter is set, so an empty list means "no
	// match", not "no orders yet"; Clear is the list without filters.
	Filtered bool
	Clear    template.URL
	// Statuses are the status badges' words, in the viewer's language.
	Statuses map[order.Status]string
}

// chip is one filter chip: a link to the list with that filter.
type chip struct {
	Label   string
	Href    template.URL
	Current bool
}

// sortHeader is a sortable column header: its link sorts by the column
// (or, when the list is sorted by it already, reverses the order), and
// Aria is its aria-sort.
type sortHeader struct {
	Href template.URL
	Aria string
}

// orderListParams are the orders list's query parameters, as the API
// route declares them (read once: it takes reflection).
var orderListParams = queryParams(orderListReq{})

// orderFilterParams are the list's filters: what a chip or a column
// header keeps, and what "Clear filters" drops.
var orderFilterParams = []string{"status", "q", "created_from", "created_to", "created_after", "created_before", "customer_email"}

// statusLabels are the order statuses in the viewer's language.
func (s *Server) statusLabels(r *http.Request) map[order.Status]string {
	return map[order.Status]string{
		order.StatusPending:    s.tr(r, "Pending"),
		order.StatusProcessing: s.tr(r, "Processing"),
		order.StatusShipped:    s.tr(r, "Shipped"),
		order.StatusDelivered:  s.tr(r, "Delivered"),
		order.StatusCancelled:  s.tr(r, "Cancelled"),
	}
}

// orderListErrors are the list's parameter errors in the viewer's
// language (the API's details are written for developers).
func (s *Server) orderListErrors(r *http.Request, field string) string {
	switch field {
	case "created_from":
		return s.tr(r, "Enter the first day as a date, such as 2026-01-31.")
	case "created_to":
		if r.URL.Query().Get("created_to") != "" {
			if _, err := time.Parse(dateLayout, r.URL.Query().Get("created_to")); err == nil {
				return s.tr(r, "The last day must be on or after the first day.")
			}
		}
		return s.tr(r, "Enter the last day as a date, such as 2026-01-31.")
	case "cursor":
		return s.tr(r, "This page link belongs to another sort order; the list starts again from its first page.")
	case "q":
		return s.tr(r, "Search for at most 200 characters.")
	}
	return s.tr(r, "This filter is not valid; it was left out.")
}

// uiOrders lists orders with the API's filters and keyset paging. A
// parameter the list does not know is ignored here, unlike on the API: a
// bookmarked or shared page URL with junk in it (utm_source, an old
// page=2) should still show the orders, and the pager carries only the
// known parameters on.
func (s *Server) uiOrders(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	filters := keepParams(r.URL.Query(), orderListParams...)
	q := url.Values{}
	maps.Copy(q, filters)
	if c := r.URL.Query().Get("cursor"); c != "" {
		q.Set("cursor", c)
	}
	r2 := *r
	r2.URL = &url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	v := view{Title: s.tr(r, "Orders"), Form: map[string]string{}}
	for _, k := range orderFilterParams {
		v.Form[k] = q.Get(k)
	}
	lp, err := parseOrderList(&r2)
	if e, ok := apperr.As(err); ok && len(e.Fields) > 0 {
		// Show the list without the parameters in error, each error next
		// to its field, rather than an empty page.
		v.Errors = map[string]string{}
		for _, f := range e.Fields {
			v.Errors[f.Field] = s.orderListErrors(&r2, f.Field)
			q.Del(f.Field)
			filters.Del(f.Field)
			if f.Field == "sort" || f.Field == "direction" {
				q.Del("sort")
				q.Del("direction")
				q.Del("cursor")
				filters.Del("sort")
				filters.Del("direction")
			}
		}
		r2.URL = &url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		lp, err = parseOrderList(&r2)
	}
	if err != nil {
		s.formError(w, r, "orders", v, err)
		return nil
	}
	lp.WithoutItems = true // the list shows none
	os, cs, err := s.orders.List(r.Context(), p, lp)
	if err != nil {
		return err
	}
	page := ordersPage{Orders: os, Sort: string(lp.Sort), Asc: !lp.Desc, Statuses: s.statusLabels(r)}
	switch {
	case cs.Next == nil && cs.Prev == nil && lp.After == nil && lp.Before == nil:
		// The whole list is on this page: its rows are the count.
		page.Count, page.HasCount = int64(len(os)), true
	case lp.Query != "":
		// A search is matched row by row: counting its matches reads the
		// whole tenant, which the page should not wait for.
	default:
		page.Count, page.CountMore, err = s.orders.Count(r.Context(), p, lp)
		if err != nil {
			return err
		}
		page.HasCount = true
	}
	next, prev := encodeCursor(lp, cs.Next, false), encodeCursor(lp, cs.Prev, true)
	page.Pager = newPager(r.URL.Path, filters, deref(next), deref(prev))

	// Chips and headers link to the first page of another view of the
	// list: the filters and sort are kept, the cursor and limit are not.
	base := keepParams(filters, append(orderFilterParams, "sort", "direction", "limit")...)
	base.Del("limit")
	link := func(set func(url.Values)) template.URL {
		u := url.Values{}
		maps.Copy(u, base)
		for k, vs := range u {
			u[k] = slices.Clone(vs)
		}
		set(u)
		if len(u) == 0 {
			return template.URL(r.URL.Path)
		}
		return template.URL(r.URL.Path + "?" + u.Encode())
	}
	chipStatus := []order.Status{"", order.StatusPending, order.StatusProcessing, order.StatusShipped, order.StatusDelivered, order.StatusCancelled}
	for _, st := range chipStatus {
		label := s.tr(r, "All")
		if st != "" {
			label = page.Statuses[st]
		}
		page.Chips = append(page.Chips, chip{Label: label, Current: lp.Status == st, Href: link(func(u url.Values) {
			u.Del("status")
			if st != "" {
				u.Set("status", string(st))
			}
		})})
	}
	page.Sorts = map[string]sortHeader{}
	for _, f := range []order.Sort{order.SortNumber, order.SortTotal, order.SortCreatedAt} {
		h := sortHeader{Aria: "none"}
		desc := true // a column's first click: newest, largest, latest number first
		if lp.Sort == f {
			h.Aria = "ascending"
			if lp.Desc {
				h.Aria = "descending"
			}
			desc = !lp.Desc
		}
		h.Href = link(func(u url.Values) {
			u.Del("direction")
			u.Set("sort", string(f))
			if !desc {
				u.Set("direction", "asc")
			}
		})
		page.Sorts[string(f)] = h
	}
	for _, k := range orderFilterParams {
		if base.Get(k) != "" {
			page.Filtered = true
		}
	}
	page.Clear = link(func(u url.Values) {
		for _, k := range orderFilterParams {
			u.Del(k)
		}
	})
	v.Data = page
	status := http.StatusOK
	if len(v.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, status, "orders", v)
	return nil
}

// deref is *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

type orderPage struct {
	Order order.Order
	Next  []order.Status
	// Timeline is the status history, oldest first, with who and when.
	Timeline []timelineStep
	// Audit is the order's audit trail, newest first; nil when the
	// viewer may not read the audit log.
	Audit       []auditRow
	Attachments []attachment.Attachment
	// Invoice is the order's invoice; nil when there is none.
	Invoice *invoice.Record
	// InvoiceWhen is when the invoice was generated, for the viewer; ""
	// while it never was.
	InvoiceWhen string
}

func (s *Server) uiOrder(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	id, err := pathID(r, "id", "order")
	if err != nil {
		return err
	}
	o, err := s.orders.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	hist, err := s.orders.HistoryOf(r.Context(), p, o, wholeList())
	if err != nil {
		return err
	}
	page := orderPage{Order: o}
	if p.Can(access.ActOrderWrite) {
		page.Next = order.Next(o.Status)
	}
	names := s.loadActorNames(r, p)
	var entries []audit.Entry
	if p.Can(access.ActAuditRead) {
		entries, err = s.auth.AuditLog(r.Context(), p, audit.Filter{OrderID: &o.ID, Limit: 50})
		if err != nil {
			return err
		}
		page.Audit = s.auditRows(r, names, entries)
	}
	page.Timeline = s.timeline(r, names, hist.Rows, entries)
	if s.attachments != nil {
		// The page shows every attachment of the order: the API pages
		// them, so read page after page rather than stop at the first.
		var after *uuid.UUID
		for {
			as, err := s.attachments.List(r.Context(), p, &o.ID, pageAfter(after, attachment.MaxPage))
			if err != nil {
				return err
			}
			page.Attachments = append(page.Attachments, as.Rows...)
			if as.Next == nil {
				break
			}
			after = as.Next
		}
	}
	if s.invoices != nil {
		switch rec, err := s.invoices.Record(r.Context(), p, o.ID); {
		case err == nil:
			page.Invoice = &rec
			if rec.GeneratedAt != nil {
				page.InvoiceWhen = s.when(r, *rec.GeneratedAt)
			}
		case !errors.Is(err, apperr.ErrNotFound):
			return err
		}
	}
	s.render(w, r, http.StatusOK, "order", view{Title: o.DisplayNumber(), Data: page})
	return nil
}

// orderForm is the create/edit form: customer, address, and item rows.
type orderForm struct {
	ID       string
	Editing  bool
	Pending  bool
	Currency []string
	Rows     []itemRow
	// Blank is the row that new rows copy (app.js clones it from a
	// <template>): quantity 1 and the tenant's default tax rate.
	Blank itemRow
	// AmountHint shows how to write an amount in the viewer's locale
	// ("1.234,56"); AmountPlaceholder is an empty amount ("0,00").
	AmountHint, AmountPlaceholder string
}

type itemRow struct {
	Index                              int
	SKU, Name, Quantity, Price, TaxPct string
	// Description and Metadata are not edited on the form but carried
	// through it, so that saving keeps them.
	Description, Metadata string
}

// Number returns the row's number as people count (1 for the first).
func (r itemRow) Number() int { return r.Index + 1 }

// Field is the API path of one of the row's fields, for its error:
// items[0].quantity.
func (r itemRow) Field(name string) string { return "items[" + strconv.Itoa(r.Index) + "]." + name }

// blankRowsMin is the least number of rows a form shows, and blankRowsMore
// how many empty rows follow the filled ones: without JavaScript they are
// where new items go (the Add item button posts the form for one more).
const (
	blankRowsMin  = 3
	blankRowsMore = 1
)

// newOrderForm fills the hints, the blank row and the rows' numbers.
func (s *Server) newOrderForm(r *http.Request, l order.Locale, code string, f orderForm) orderForm {
	f.AmountHint = l.Example(order.Scale(code))
	f.AmountPlaceholder = order.FormatAmount(0, code, l)
	if f.Currency == nil {
		f.Currency = formCurrencies(code)
	}
	f.Blank = itemRow{Quantity: "1", TaxPct: formatBP(s.defaultTaxRate(r), l)}
	want := max(blankRowsMin, len(f.Rows)+blankRowsMore)
	for len(f.Rows) < want {
		f.Rows = append(f.Rows, f.Blank)
	}
	for i := range f.Rows {
		f.Rows[i].Index = i
	}
	return f
}

// defaultTaxRate is the tax rate, in basis points, that new item rows of
// the viewer's tenant start with.
func (s *Server) defaultTaxRate(r *http.Request) int64 {
	p, ok := principalFrom(r.Context())
	if !ok || !p.InTenant() {
		return 0
	}
	t, err := s.tenants.CurrentTenant(r.Context(), p)
	if err != nil {
		return 0
	}
	return t.DefaultTaxRateBP
}

// orderView is the order form's page, its fields named for error messages.
func (s *Server) orderView(r *http.Request, title string, form map[string]string, l order.Locale) view {
	return view{Title: title, Form: form, Locale: l, labels: func(path string) string { return s.orderLabel(r, path) }}
}

func (s *Server) uiOrderNew(w http.ResponseWriter, r *http.Request) error {
	// A viewer gets no form it could not send (the links to it are
	// hidden for them too).
	if err := mustPrincipal(r).Require(access.ActOrderWrite); err != nil {
		return err
	}
	l := s.locale(r)
	v := s.orderView(r, s.tr(r, "New order"), map[string]string{"currency": "EUR"}, l)
	v.Data = s.newOrderForm(r, l, "EUR", orderForm{Pending: true})
	s.render(w, r, http.StatusOK, "order_form", v)
	return nil
}

// formCurrencies are the currencies the form offers: every active ISO
// 4217 code, and the order's own first when it is not one (a code ISO
// has withdrawn since), so that editing keeps it.
func formCurrencies(current string) []string {
	all := order.Currencies()
	if current == "" || slices.Contains(all, current) || !order.KnownCurrency(current) {
		return all
	}
	return append([]string{current}, all...)
}

// maxFormRows bounds the item rows a posted form may hold.
const maxFormRows = order.MaxItems + 50

// postedRows reads the item rows of a posted form in the order of their
// indexes (items.<i>.<field>; app.js numbers added rows past the last),
// leaving out empty rows and the one a Remove button named.
func postedRows(r *http.Request) []itemRow {
	seen := map[int]bool{}
	var idx []int
	for k := range r.PostForm {
		rest, ok := strings.CutPrefix(k, "items.")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.SplitN(rest, ".", 2)[0])
		if err != nil || n < 0 || seen[n] {
			continue
		}
		seen[n] = true
		idx = append(idx, n)
	}
	slices.Sort(idx)
	if len(idx) > maxFormRows {
		idx = idx[:maxFormRows]
	}
	remove, err := strconv.Atoi(r.PostFormValue("remove_row"))
	if err != nil {
		remove = -1
	}
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	var rows []itemRow
	for _, i := range idx {
		p := "items." + strconv.Itoa(i) + "."
		row := itemRow{SKU: f(p + "sku"), Name: f(p + "name"), Quantity: f(p + "quantity"), Price: f(p + "price"), TaxPct: f(p + "tax"),
			Description: r.PostFormValue(p + "description"), Metadata: f(p + "metadata")}
		// A row is empty when nothing but its prefilled quantity and tax
		// rate is in it.
		if i == remove || row.Name == "" && row.SKU == "" && row.Price == "" && row.Description == "" {
			continue
		}
		row.Index = len(rows)
		rows = append(rows, row)
	}
	return rows
}

// readOrderForm turns the posted form into an order and the rows to show
// again (the filled ones, renumbered, so that item i of the order is row
// i of the form); money is entered in major units as the person's locale
// writes them ("12.50" in en, "12,50" in de: order.ParseAmount) and
// percentages likewise ("20" or "5.5"). The error names every field at
// fault, what the form could not read and the order's own rules alike.
func readOrderForm(r *http.Request, l order.Locale, pending bool) (order.Order, []itemRow, error) {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	o := order.Order{CustomerName: f("customer_name"), CustomerEmail: f("customer_email"), CustomerPhone: f("customer_phone"),
		Currency: strings.ToUpper(f("currency")), Notes: r.PostFormValue("notes"), ExternalRef: f("external_ref")}
	if f("ship_line1") != "" || f("ship_city") != "" || f("ship_postal_code") != "" || f("ship_country") != "" {
		o.ShippingAddress = &order.Address{Name: f("ship_name"), Line1: f("ship_line1"), Line2: f("ship_line2"), City: f("ship_city"),
			Region: f("ship_region"), PostalCode: f("ship_postal_code"), Country: strings.ToUpper(f("ship_country"))}
	}
	var v apperr.Validation
	bad := map[string]bool{} // fields the form could not read
	amount := func(field string, err error) {
		code := order.AmountFormat
		var ae *order.AmountError
		if errors.As(err, &ae) {
			code = ae.Code
		}
		v.AddRule(field, "amount:"+code, err.Error())
		bad[field] = true
	}
	var err error
	// The discount is optional: empty is none.
	if o.Discount, err = order.ParseAmount(f("discount"), o.Currency, l); err != nil && !errors.Is(err, order.ErrAmountEmpty) {
		amount("discount", err)
	}
	rows := postedRows(r)
	for _, row := range rows {
		it := order.Item{SKU: row.SKU, Name: row.Name, Description: row.Description}
		if row.Metadata != "" {
			it.Metadata = json.RawMessage(row.Metadata)
		}
		field := "items[" + strconv.Itoa(len(o.Items)) + "]."
		if it.Quantity, err = strconv.ParseInt(row.Quantity, 10, 64); err != nil {
			v.AddRule(field+"quantity", apperr.RuleFormat, "must be a whole number")
			bad[field+"quantity"] = true
		}
		if it.UnitPrice, err = order.ParseAmount(row.Price, o.Currency, l); err != nil {
			amount(field+"unit_price", err)
		}
		if row.TaxPct != "" {
			pct, err := strconv.ParseFloat(strings.Replace(row.TaxPct, string(l.Decimal), ".", 1), 64)
			if err != nil || pct < 0 || pct*100 > order.MaxTaxRateBP {
				v.AddRule(field+"tax_rate_bp", apperr.RuleRange, "must be a percentage from 0 to 100", 0, order.MaxTaxRateBP)
				bad[field+"tax_rate_bp"] = true
			}
			it.TaxRateBP = int64(pct*100 + 0.5)
		}
		o.Items = append(o.Items, it)
	}
	// Show every mistake at once: the order's own rules too (a missing
	// name, a bad e-mail), on what the form could read, instead of one
	// round of corrections per kind of mistake. The errors come in the
	// form's order: the order's fields, then the items.
	c := o
	c.Items = slices.Clone(o.Items)
	var all apperr.Validation
	if e, ok := apperr.As(order.Validate(&c)); ok {
		for _, fe := range e.Fields {
			if bad[fe.Field] || !pending && strings.HasPrefix(fe.Field, "items") {
				continue
			}
			all.AddRule(fe.Field, fe.Rule, fe.Detail, fe.Args...)
		}
	}
	if e, ok := apperr.As(v.Err()); ok {
		for _, fe := range e.Fields {
			all.AddRule(fe.Field, fe.Rule, fe.Detail, fe.Args...)
		}
	}
	if e, ok := apperr.As(all.Err()); ok {
		slices.SortStableFunc(e.Fields, func(a, b apperr.FieldError) int { return fieldRank(a.Field) - fieldRank(b.Field) })
		return o, rows, e
	}
	return o, rows, nil
}

// fieldRank orders errors as the form shows the fields, top to bottom.
func fieldRank(path string) int {
	if i, sub, ok := itemPath(path); ok {
		return 1000 + i*10 + slices.Index([]string{"name", "sku", "quantity", "unit_price", "tax_rate_bp"}, sub) + 1
	}
	order := []string{"customer_name", "customer_email", "customer_phone", "shipping_address.line1", "shipping_address.city",
		"shipping_address.postal_code", "shipping_address.country", "items"}
	if i := slices.Index(order, path); i >= 0 {
		return i
	}
	return 100_000 // currency, discount and the rest come after the items
}

// orderFormFields are the order form's fields other than the items.
var orderFormFields = []string{"customer_name", "customer_email", "customer_phone", "currency", "notes", "external_ref", "discount",
	"ship_name", "ship_line1", "ship_line2", "ship_city", "ship_region", "ship_postal_code", "ship_country", "version"}

// rowsOnly reports whether the form was posted by its Add item or Remove
// button (without JavaScript), not to be saved: the form comes back with
// a row more or less and everything typed kept.
func rowsOnly(r *http.Request) bool {
	return r.PostFormValue("add_row") != "" || r.PostFormValue("remove_row") != ""
}

func (s *Server) uiOrderCreate(w http.ResponseWriter, r *http.Request) error {
	l := s.locale(r)
	o, rows, err := readOrderForm(r, l, true)
	v := s.orderView(r, s.tr(r, "New order"), formValues(r, orderFormFields...), l)
	f := orderForm{Pending: true, Rows: rows}
	if r.PostFormValue("add_row") != "" {
		f.Rows = append(f.Rows, s.newOrderForm(r, l, o.Currency, orderForm{}).Blank)
	}
	v.Data = s.newOrderForm(r, l, o.Currency, f)
	if rowsOnly(r) {
		s.render(w, r, http.StatusOK, "order_form", v)
		return nil
	}
	if err == nil {
		o, _, err = s.orders.Create(r.Context(), mustPrincipal(r), o, "", s.meta(r))
	}
	if err != nil {
		s.formError(w, r, "order_form", v, err)
		return nil
	}
	s.flash(r, s.tr(r, "Order %s created.", o.DisplayNumber()))
	redirect(w, r, "/app/orders/"+o.ID.String())
	return nil
}

func (s *Server) uiOrderEdit(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	id, err := pathID(r, "id", "order")
	if err == nil && !p.Can(access.ActOrderWrite) {
		err = apperr.Forbidden("your role (%s) may not edit orders", apperr.Word(p.Role))
	}
	var o order.Order
	if err == nil {
		o, err = s.orders.Get(r.Context(), p, id)
	}
	if err != nil {
		return err
	}
	// Amounts are shown as the viewer types them, so that saving the form
	// unchanged reads them back unchanged.
	l := s.locale(r)
	form := map[string]string{"customer_name": o.CustomerName, "customer_email": o.CustomerEmail, "customer_phone": o.CustomerPhone,
		"currency": o.Currency, "notes": o.Notes, "external_ref": o.ExternalRef, "version": strconv.FormatInt(o.Version, 10),
		"discount": order.FormatAmount(o.Discount, o.Currency, l)}
	if a := o.ShippingAddress; a != nil {
		form["ship_line1"], form["ship_city"], form["ship_postal_code"], form["ship_country"] = a.Line1, a.City, a.PostalCode, a.Country
		form["ship_name"], form["ship_line2"], form["ship_region"] = a.Name, a.Line2, a.Region
	}
	v := s.orderView(r, s.tr(r, "Edit %s", o.DisplayNumber()), form, l)
	v.Data = s.newOrderForm(r, l, o.Currency, orderForm{ID: o.ID.String(), Editing: true, Pending: o.Status == order.StatusPending,
		Currency: formCurrencies(o.Currency), Rows: orderRows(o, l)})
	s.render(w, r, http.StatusOK, "order_form", v)
	return nil
}

// orderRows are an order's items as form rows.
func orderRows(o order.Order, l order.Locale) []itemRow {
	var rows []itemRow
	for _, it := range o.Items {
		meta := string(it.Metadata)
		if meta == "{}" {
			meta = ""
		}
		rows = append(rows, itemRow{SKU: it.SKU, Name: it.Name, Quantity: strconv.FormatInt(it.Quantity, 10),
			Price:       order.FormatAmount(it.UnitPrice, o.Currency, l),
			TaxPct:      formatBP(it.TaxRateBP, l),
			Description: it.Description, Metadata: meta})
	}
	return rows
}

func (s *Server) uiOrderSave(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	id, err := pathID(r, "id", "order")
	if err != nil {
		return err
	}
	l := s.locale(r)
	pending := r.PostFormValue("pending") == "true"
	o, rows, err := readOrderForm(r, l, pending)
	v := s.orderView(r, s.tr(r, "Edit order"), formValues(r, orderFormFields...), l)
	if !pending {
		// The items cannot change and were not posted (their inputs are
		// disabled): show the order's own.
		if cur, gerr := s.orders.Get(r.Context(), p, id); gerr == nil {
			rows = orderRows(cur, l)
		}
	}
	f := orderForm{ID: id.String(), Editing: true, Pending: pending, Currency: formCurrencies(o.Currency), Rows: rows}
	if r.PostFormValue("add_row") != "" && pending {
		f.Rows = append(f.Rows, s.newOrderForm(r, l, o.Currency, orderForm{}).Blank)
	}
	v.Data = s.newOrderForm(r, l, o.Currency, f)
	if rowsOnly(r) {
		s.render(w, r, http.StatusOK, "order_form", v)
		return nil
	}
	if err != nil {
		s.formError(w, r, "order_form", v, err)
		return nil
	}
	patch := order.Patch{CustomerName: &o.CustomerName, CustomerEmail: &o.CustomerEmail, CustomerPhone: &o.CustomerPhone,
		Currency: &o.Currency, Notes: &o.Notes, ExternalRef: &o.ExternalRef, Discount: &o.Discount, ShippingAddress: &o.ShippingAddress}
	if pending {
		patch.Items = &o.Items
	}
	var version *int64
	if n, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64); err == nil {
		version = &n // the form carries the version it was made from
	}
	saved, err := s.orders.Update(r.Context(), p, id, patch, version, s.meta(r))
	if err != nil {
		if apperr.HTTPStatus(err) == http.StatusPreconditionFailed {
			v.Error = s.tr(r, "Someone changed this order while you were editing it. Open it again to see their changes.")
			s.render(w, r, http.StatusPreconditionFailed, "order_form", v)
			return nil
		}
		s.formError(w, r, "order_form", v, err)
		return nil
	}
	s.flash(r, s.tr(r, "Order %s saved.", saved.DisplayNumber()))
	redirect(w, r, "/app/orders/"+id.String())
	return nil
}

func (s *Server) uiOrderTransition(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "order")
	to := order.Status(r.PostFormValue("to"))
	if err == nil {
		_, err = s.orders.Transition(r.Context(), mustPrincipal(r), id, to, nil, s.meta(r))
	}
	return s.uiDone(w, r, err, "Order is now "+string(to)+".", "/app/orders/"+r.PathValue("id"))
}

func (s *Server) uiOrderDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "order")
	if err == nil {
		err = s.orders.Delete(r.Context(), mustPrincipal(r), id, s.meta(r))
	}
	if errors.Is(err, apperr.ErrConflict) {
		// An invoiced order: back to it, with the reason and what to do.
		return s.uiDone(w, r, err, "", "/app/orders/"+id.String())
	}
	return s.uiDone(w, r, err, "Order deleted.", "/app/orders")
}
