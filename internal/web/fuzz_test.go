package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/order"
)

// clientError reports whether err is answered with a 4xx.
func clientError(err error) bool {
	s := apperr.HTTPStatus(err)
	return s >= 400 && s < 500
}

// FuzzOrderJSON: any body sent to POST /api/v1/orders is either refused
// with a 4xx naming a field, or decodes to an order that re-encodes to the
// same input and, if valid, has consistent totals.
func FuzzOrderJSON(f *testing.F) {
	for _, s := range []string{
		`{"customer_name":"Ann","customer_email":"ann@example.com","currency":"EUR","items":[{"name":"W","quantity":2,"unit_price":1999,"tax_rate_bp":2000}]}`,
		`{"customer_name":1}`, `{"items":{}}`, `{"items":[{"quantity":"2"}]}`, `{"items":[{"quantity":1e400}]}`, `{"discount":-9223372036854775808}`,
		`{"items":[{"quantity":9223372036854775807,"unit_price":9223372036854775807,"name":"x"}],"customer_name":"a","customer_email":"a@b","currency":"EUR"}`,
		`{"metadata":[1]}`, `{"metadata":"` + strings.Repeat("x", 5000) + `"}`, `{"unknown":1}`, `{} {}`, `[]`, `null`, ``, `{"customer_name":"\u0000"}`,
		"{\"customer_name\":\"\xff\"}", `{"shipping_address":{"country":"de"}}`, `{"currency":"eur"}`, `{"a":` + strings.Repeat("[", 10000),
		`{"customer_name":"a","customer_email":"a@b","currency":"EUR","items":[{"name":"x","quantity":1,"unit_price":1}],"metadata":{"k":{"n":null}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := &http.Request{Method: "POST", Body: http.NoBody}
		r.Body = readCloser{bytes.NewReader(body)}
		var in orderInput
		if err := decodeJSON(r, &in); err != nil {
			if !clientError(err) {
				t.Fatalf("decodeJSON(%q) = %v, a %d", body, err, apperr.HTTPStatus(err))
			}
			return
		}
		// What decoded encodes and decodes to the same input.
		again, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var in2 orderInput
		r.Body = readCloser{bytes.NewReader(again)}
		if err := decodeJSON(r, &in2); err != nil || !reflect.DeepEqual(normalise(in), normalise(in2)) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, in, in2)
		}
		o := order.Order{CustomerName: strings.TrimSpace(in.CustomerName), CustomerEmail: strings.TrimSpace(in.CustomerEmail),
			CustomerPhone: strings.TrimSpace(in.CustomerPhone), Currency: strings.TrimSpace(in.Currency), ShippingAddress: in.ShippingAddress,
			BillingAddress: in.BillingAddress, Notes: in.Notes, ExternalRef: strings.TrimSpace(in.ExternalRef), Metadata: in.Metadata,
			Discount: in.Discount, Items: toItems(in.Items)}
		if err := order.Validate(&o); err != nil {
			if !clientError(err) {
				t.Fatalf("Validate = %v, a %d", err, apperr.HTTPStatus(err))
			}
			return
		}
		var sub int64
		for _, it := range o.Items {
			sub += it.LineTotal
		}
		if o.Subtotal != sub || o.Total != o.Subtotal+o.Tax-o.Discount || o.Total < 0 || o.Tax < 0 || len(o.Items) == 0 {
			t.Fatalf("inconsistent totals: %+v", o)
		}
	})
}

// normalise makes empty and absent raw JSON compare equal and compacts it.
func normalise(in orderInput) orderInput {
	c := func(m json.RawMessage) json.RawMessage {
		var b bytes.Buffer
		if len(m) == 0 || json.Compact(&b, m) != nil {
			return nil
		}
		return b.Bytes()
	}
	in.Metadata = c(in.Metadata)
	items := make([]orderItemInput, len(in.Items))
	for i, it := range in.Items {
		it.Metadata = c(it.Metadata)
		items[i] = it
	}
	if in.Items != nil {
		in.Items = items
	}
	return in
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// FuzzOrderListQuery: any query string of GET /api/v1/orders is refused
// with a 4xx or gives parameters within the documented limits; a cursor it
// accepts re-encodes to itself.
func FuzzOrderListQuery(f *testing.F) {
	c := encodeCursor(order.ListParams{Sort: order.SortTotal, Desc: false},
		&order.Cursor{CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Total: 1999, ID: uuid.MustParse("01900000-0000-7000-8000-000000000001")}, false)
	for _, s := range []string{
		"", "limit=50&sort=total&direction=asc&cursor=" + *c, "limit=0", "limit=201", "limit=-1", "limit=1e2", "limit=99999999999999999999",
		"sort=TOTAL", "direction=up", "status=pending", "status=Pending", "created_after=2026-01-31T00:00:00Z", "created_after=2026-13-01T00:00:00Z",
		"created_before=yesterday", "q=" + strings.Repeat("x", 201), "cursor=!!!", "cursor=e30", "cursor=" + base64.RawURLEncoding.EncodeToString([]byte(`{"i":"00000000-0000-0000-0000-000000000000"}`)),
		"cursor=" + *c, "q=%ff", "q=%00", "limit=1&limit=2", "%zz", "customer_email=a@b&q=+ORD-000001+",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := &http.Request{Method: "GET", URL: &url.URL{Path: "/api/v1/orders", RawQuery: raw}}
		lp, err := parseOrderList(r)
		if err != nil {
			if !clientError(err) {
				t.Fatalf("parseOrderList(%q) = %v", raw, err)
			}
			return
		}
		if lp.Limit < 1 || lp.Limit > 200 || (lp.Sort != order.SortCreatedAt && lp.Sort != order.SortTotal) || len(lp.Query) > 200 ||
			(lp.Status != "" && !lp.Status.Valid()) {
			t.Fatalf("parseOrderList(%q) = %+v", raw, lp)
		}
		if lp.After == nil {
			return
		}
		if lp.After.ID == uuid.Nil {
			t.Fatalf("cursor with a nil id accepted: %q", raw)
		}
		// The cursor re-encodes to one that decodes the same.
		again := encodeCursor(lp, lp.After, false)
		q := r.URL.Query()
		q.Set("cursor", *again)
		lp2, err := parseOrderList(&http.Request{URL: &url.URL{RawQuery: q.Encode()}})
		if err != nil || lp2.After == nil || !lp2.After.CreatedAt.Equal(lp.After.CreatedAt) || lp2.After.Total != lp.After.Total || lp2.After.ID != lp.After.ID {
			t.Fatalf("cursor round trip: %+v -> %v %+v", lp.After, err, lp2.After)
		}
		// And it belongs to its sort order only.
		other := q
		if lp.Desc {
			other.Set("direction", "asc")
		} else {
			other.Set("direction", "desc")
		}
		if _, err := parseOrderList(&http.Request{URL: &url.URL{RawQuery: other.Encode()}}); err == nil {
			t.Fatalf("cursor of another direction accepted: %q", other.Encode())
		}
	})
}

// FuzzCursor: every page position encodes to a cursor that the list
// decodes to the same position, for its own sort order only.
func FuzzCursor(f *testing.F) {
	f.Add(true, true, int64(0), int64(0), []byte{1})
	f.Add(false, false, int64(-1<<63), int64(-1<<63), make([]byte, 16))
	f.Add(true, false, int64(1<<63-1), int64(1<<63-1), []byte("0123456789abcdef"))
	f.Fuzz(func(t *testing.T, byTotal, desc bool, nanos, total int64, id []byte) {
		var uid uuid.UUID
		copy(uid[:], id)
		lp := order.ListParams{Sort: order.SortCreatedAt, Desc: desc}
		q := url.Values{}
		if byTotal {
			lp.Sort = order.SortTotal
			q.Set("sort", "total")
		}
		if !desc {
			q.Set("direction", "asc")
		}
		at := time.Unix(0, nanos).UTC()
		c := encodeCursor(lp, &order.Cursor{CreatedAt: at, Total: total, ID: uid}, false)
		if c == nil || *c == "" {
			t.Fatal("no cursor")
		}
		q.Set("cursor", *c)
		got, err := parseOrderList(&http.Request{URL: &url.URL{RawQuery: q.Encode()}})
		if uid == uuid.Nil {
			if err == nil {
				t.Fatal("cursor with a nil id accepted")
			}
			return
		}
		if err != nil || got.After == nil || !got.After.CreatedAt.Equal(at) || got.After.Total != total || got.After.ID != uid {
			t.Fatalf("round trip of %v %d %s: %v %+v", at, total, uid, err, got.After)
		}
		if byTotal {
			q.Del("sort")
		} else {
			q.Set("sort", "total")
		}
		if _, err := parseOrderList(&http.Request{URL: &url.URL{RawQuery: q.Encode()}}); err == nil {
			t.Fatal("cursor accepted with another sort")
		}
	})
}
