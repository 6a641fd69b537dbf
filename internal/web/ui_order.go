package web

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

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
}

// orderListParams are the orders list's query parameters, as the API
// route declares them (read once: it takes reflection).
var orderListParams = queryParams(orderListReq{})

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
	v := view{Title: "Orders", Form: map[string]string{"status": q.Get("status"), "q": q.Get("q"), "sort": q.Get("sort"), "direction": q.Get("direction")}}
	lp, err := parseOrderList(&r2)
	if err != nil {
		s.formError(w, r, "orders", v, err)
		return nil
	}
	os, cs, err := s.orders.List(r.Context(), p, lp)
	if err != nil {
		return err
	}
	page := ordersPage{Orders: os}
	next, prev := encodeCursor(lp, cs.Next, false), encodeCursor(lp, cs.Prev, true)
	page.Pager = newPager(r.URL.Path, filters, deref(next), deref(prev))
	v.Data = page
	s.render(w, r, http.StatusOK, "orders", v)
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
	hist, err := s.orders.History(r.Context(), p, id)
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
	page.Timeline = s.timeline(r, names, hist, entries)
	if s.attachments != nil {
		// The page shows every attachment of the order: the API pages
		// them, so read page after page rather than stop at the first.
		var before *uuid.UUID
		for {
			as, more, err := s.attachments.List(r.Context(), p, &o.ID, before, attachment.MaxPage)
			if err != nil {
				return err
			}
			page.Attachments = append(page.Attachments, as...)
			if !more || len(as) == 0 {
				break
			}
			before = &as[len(as)-1].ID
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
	// AmountHint shows how to write an amount in the viewer's locale
	// ("1.234,56"); AmountPlaceholder is an empty amount ("0,00").
	AmountHint, AmountPlaceholder string
}

// newOrderForm fills the hints from the viewer's locale and the form's
// currency.
func newOrderForm(l order.Locale, code string, f orderForm) orderForm {
	f.AmountHint = l.Example(order.Scale(code))
	f.AmountPlaceholder = order.FormatAmount(0, code, l)
	if f.Currency == nil {
		f.Currency = order.Currencies()
	}
	return f
}

type itemRow struct {
	Index                              int
	SKU, Name, Quantity, Price, TaxPct string
	// Description and Metadata are not edited on the form but carried
	// through it, so that saving keeps them.
	Description, Metadata string
}

// formRows is the least number of item rows a form shows; an order with
// more items shows them all, plus two empty rows.
const formRows = 6

func (s *Server) uiOrderNew(w http.ResponseWriter, r *http.Request) error {
	v := view{Title: "New order", Form: map[string]string{"currency": "EUR"}, Locale: s.locale(r)}
	v.Data = newOrderForm(v.Locale, "EUR", orderForm{Pending: true, Rows: blankRows(nil)})
	s.render(w, r, http.StatusOK, "order_form", v)
	return nil
}

// formCurrencies are the currencies the form offers: every active ISO
// 4217 code, and the order's own first when it is not one (a code ISO
// has withdrawn since), so that editing keeps it.
func formCurrencies(current string) []string {
	all := order.Currencies()
	if current == "" || slices.Contains(all, current) {
		return all
	}
	return append([]string{current}, all...)
}

func blankRows(rows []itemRow) []itemRow {
	want := max(formRows, len(rows)+2)
	for len(rows) < want {
		rows = append(rows, itemRow{Quantity: "1", TaxPct: "20"})
	}
	for i := range rows {
		rows[i].Index = i
	}
	return rows
}

// readOrderForm turns the posted form into an order; money is entered in
// major units as the person's locale writes them ("12.50" in en, "12,50"
// in de: order.ParseAmount) and percentages ("20" or "5.5").
func readOrderForm(r *http.Request, l order.Locale) (order.Order, []itemRow, error) {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	o := order.Order{CustomerName: f("customer_name"), CustomerEmail: f("customer_email"), CustomerPhone: f("customer_phone"),
		Currency: f("currency"), Notes: r.PostFormValue("notes"), ExternalRef: f("external_ref")}
	if f("ship_line1") != "" || f("ship_city") != "" {
		o.ShippingAddress = &order.Address{Name: f("ship_name"), Line1: f("ship_line1"), Line2: f("ship_line2"), City: f("ship_city"),
			Region: f("ship_region"), PostalCode: f("ship_postal_code"), Country: strings.ToUpper(f("ship_country"))}
	}
	n, _ := strconv.Atoi(f("rows"))
	n = min(max(n, formRows), order.MaxItems+2)
	var v apperr.Validation
	bad := map[string]bool{} // fields the form could not read
	add := func(field, detail string) { v.Add(field, detail); bad[field] = true }
	var err error
	// The discount is optional: empty is none.
	if o.Discount, err = order.ParseAmount(f("discount"), o.Currency, l); err != nil && !errors.Is(err, order.ErrAmountEmpty) {
		add("discount", err.Error())
	}
	var rows []itemRow
	for i := range n {
		p := "items." + strconv.Itoa(i) + "."
		row := itemRow{SKU: f(p + "sku"), Name: f(p + "name"), Quantity: f(p + "quantity"), Price: f(p + "price"), TaxPct: f(p + "tax"),
			Description: r.PostFormValue(p + "description"), Metadata: f(p + "metadata")}
		rows = append(rows, row)
		if row.Name == "" && row.SKU == "" && row.Price == "" {
			continue
		}
		it := order.Item{SKU: row.SKU, Name: row.Name, Description: row.Description}
		if row.Metadata != "" {
			it.Metadata = json.RawMessage(row.Metadata)
		}
		field := "items[" + strconv.Itoa(len(o.Items)) + "]."
		if it.Quantity, err = strconv.ParseInt(row.Quantity, 10, 64); err != nil {
			add(field+"quantity", "must be a whole number")
		}
		if it.UnitPrice, err = order.ParseAmount(row.Price, o.Currency, l); err != nil {
			add(field+"unit_price", err.Error())
		}
		if row.TaxPct != "" {
			pct, err := strconv.ParseFloat(row.TaxPct, 64)
			if err != nil || pct < 0 || pct > 100 {
				add(field+"tax_rate_bp", "must be a percentage from 0 to 100")
			}
			it.TaxRateBP = int64(pct*100 + 0.5)
		}
		o.Items = append(o.Items, it)
	}
	if len(bad) > 0 {
		// Show every mistake at once: the order's own rules too (a missing
		// name, a bad e-mail), on what the form could read, instead of
		// one round of corrections per kind of mistake.
		c := o
		c.Items = slices.Clone(o.Items)
		if e, ok := apperr.As(order.Validate(&c)); ok {
			for _, fe := range e.Fields {
				if !bad[fe.Field] {
					v.Add(fe.Field, fe.Detail)
				}
			}
		}
	}
	return o, blankRows(rows), v.Err()
}

func (s *Server) uiOrderCreate(w http.ResponseWriter, r *http.Request) error {
	l := s.locale(r)
	o, rows, err := readOrderForm(r, l)
	v := view{Title: "New order", Form: formValues(r, "customer_name", "customer_email", "customer_phone", "currency", "notes", "external_ref", "discount", "ship_line1", "ship_city", "ship_postal_code", "ship_country"), Locale: l}
	v.Data = newOrderForm(l, o.Currency, orderForm{Pending: true, Currency: formCurrencies(o.Currency), Rows: rows})
	if err == nil {
		o, _, err = s.orders.Create(r.Context(), mustPrincipal(r), o, "", s.meta(r))
	}
	if err != nil {
		s.formError(w, r, "order_form", v, err)
		return nil
	}
	s.flash(r, "Order "+o.DisplayNumber()+" created.")
	redirect(w, r, "/app/orders/"+o.ID.String())
	return nil
}

func (s *Server) uiOrderEdit(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	id, err := pathID(r, "id", "order")
	if err == nil && !p.Can(access.ActOrderWrite) {
		err = apperr.Forbidden("your role (%s) may not edit orders", p.Role)
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
	var rows []itemRow
	for _, it := range o.Items {
		meta := string(it.Metadata)
		if meta == "{}" {
			meta = ""
		}
		rows = append(rows, itemRow{SKU: it.SKU, Name: it.Name, Quantity: strconv.FormatInt(it.Quantity, 10),
			Price:       order.FormatAmount(it.UnitPrice, o.Currency, l),
			TaxPct:      strconv.FormatFloat(float64(it.TaxRateBP)/100, 'f', -1, 64),
			Description: it.Description, Metadata: meta})
	}
	v := view{Title: "Edit " + o.DisplayNumber(), Form: form, Locale: l,
		Data: newOrderForm(l, o.Currency, orderForm{ID: o.ID.String(), Editing: true, Pending: o.Status == order.StatusPending, Currency: formCurrencies(o.Currency), Rows: blankRows(rows)})}
	s.render(w, r, http.StatusOK, "order_form", v)
	return nil
}

func (s *Server) uiOrderSave(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	id, err := pathID(r, "id", "order")
	if err != nil {
		return err
	}
	l := s.locale(r)
	o, rows, err := readOrderForm(r, l)
	v := view{Title: "Edit order", Form: formValues(r, "customer_name", "customer_email", "customer_phone", "currency", "notes", "external_ref", "discount", "ship_name", "ship_line1", "ship_line2", "ship_city", "ship_region", "ship_postal_code", "ship_country", "version"), Locale: l}
	pending := r.PostFormValue("pending") == "true"
	v.Data = newOrderForm(l, o.Currency, orderForm{ID: id.String(), Editing: true, Pending: pending, Currency: formCurrencies(o.Currency), Rows: rows})
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
			v.Error = "Someone changed this order while you were editing it. Open it again to see their changes."
			s.render(w, r, http.StatusPreconditionFailed, "order_form", v)
			return nil
		}
		s.formError(w, r, "order_form", v, err)
		return nil
	}
	s.flash(r, "Order "+saved.DisplayNumber()+" saved.")
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
