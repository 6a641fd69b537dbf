package web_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// newEndpoint signs up a tenant owner and gives the tenant an endpoint.
func newEndpoint(t *testing.T, a *app, url string) (c *client, tenantID, endpointID string) {
	t.Helper()
	c, _, tid := a.signup(t, uniqueEmail("hook"))
	id := c.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": url}).must(t, 201).str("id")
	return c, tid, id
}

// waitDelivery polls an endpoint's delivery log until the delivery has
// the wanted status, and returns it.
func waitDelivery(t *testing.T, c *client, endpointID, deliveryID, status string) map[string]any {
	t.Helper()
	var last map[string]any
	require.Eventually(t, func() bool {
		for _, d := range c.do("GET", "/api/v1/webhook-endpoints/"+endpointID+"/deliveries", nil).must(t, 200).list() {
			if d["id"] == deliveryID {
				last = d
				return d["status"] == status
			}
		}
		return false
	}, 20*time.Second, 20*time.Millisecond, "delivery %s never became %s (last: %v)", deliveryID, status, last)
	return last
}

// hit is one request a receiver got.
type hit struct {
	header http.Header
	body   []byte
	at     time.Time
}

// receiver is a webhook receiver on 127.0.0.1 that answers with the
// statuses it is given in turn, then 200.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	hits     []hit
	statuses []int
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.hits = append(r.hits, hit{req.Header.Clone(), b, time.Now()})
		status := 200
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"ok":` + strconv.FormatBool(status < 300) + `}`))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...)
}

// verify checks a request's signature against secret the way the
// Standard Webhooks specification says, independently of Ordo's signing
// code: HMAC-SHA256 over "id.timestamp.body" with the base64-decoded
// secret, compared with each "v1," signature of the header.
func verify(secret string, h hit, now time.Time) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	ts, err := strconv.ParseInt(h.header.Get("webhook-timestamp"), 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(h.header.Get("webhook-id") + "." + h.header.Get("webhook-timestamp") + "." + string(h.body)))
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, sig := range strings.Fields(h.header.Get("webhook-signature")) {
		if v, ok := strings.CutPrefix(sig, "v1,"); ok && hmac.Equal([]byte(v), []byte(want)) {
			return true
		}
	}
	return false
}

// Webhooks are signed per Standard Webhooks, retried on failure with the
// same webhook-id, logged attempt by attempt, replayable, and signed with
// both secrets during a rotation.
func TestWebhooks(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		rcv := newReceiver(t, 500, 503, 500) // fails 3 times, then succeeds
		owner, _, _ := a.signup(t, uniqueEmail("wh"))
		ep := owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": rcv.srv.URL + "/hooks",
			"description": "ERP", "event_types": []string{"order.created"}}).must(t, 201)
		secret := ep.str("secret")
		require.True(t, strings.HasPrefix(secret, "whsec_"), secret)
		epID := ep.str("id")
		got := owner.do("GET", "/api/v1/webhook-endpoints/"+epID, nil).must(t, 200)
		require.Empty(t, got.str("secret"), "the secret is shown only at creation")
		require.Equal(t, []any{"order.created"}, got.body["event_types"])

		orderID := owner.do("POST", "/api/v1/orders", orderBody("Hook H")).must(t, 201).str("id")
		// Not subscribed: no delivery for the update.
		owner.do("PATCH", "/api/v1/orders/"+orderID, map[string]any{"notes": "x"}).must(t, 200)

		list := owner.do("GET", "/api/v1/webhook-endpoints/"+epID+"/deliveries", nil).must(t, 200).list()
		require.Len(t, list, 1)
		d := waitDelivery(t, owner, epID, list[0]["id"].(string), "succeeded")
		attempts := d["attempts"].([]any)
		require.Len(t, attempts, 4, "3 failures and a success")
		for i, at := range attempts {
			want := 500
			switch i {
			case 1:
				want = 503
			case 3:
				want = 200
			}
			require.Equal(t, float64(want), at.(map[string]any)["status_code"])
			require.Equal(t, float64(i+1), at.(map[string]any)["number"])
		}

		hits := rcv.got()
		require.Len(t, hits, 4)
		var body struct {
			Type      string         `json:"type"`
			Timestamp time.Time      `json:"timestamp"`
			Data      map[string]any `json:"data"`
		}
		require.NoError(t, json.Unmarshal(hits[0].body, &body))
		require.Equal(t, "order.created", body.Type)
		require.Equal(t, orderID, body.Data["id"])
		for i, h := range hits {
			require.Equal(t, hits[0].header.Get("webhook-id"), h.header.Get("webhook-id"), "the same webhook-id on every attempt")
			require.Equal(t, d["event_id"], h.header.Get("webhook-id"))
			require.True(t, verify(secret, h, time.Now()), "attempt %d's signature verifies", i+1)
			tampered := h
			tampered.body = append([]byte(nil), h.body...)
			tampered.body[len(tampered.body)-2] ^= 1
			require.False(t, verify(secret, tampered, time.Now()), "a tampered body fails")
			require.False(t, verify(secret, h, time.Now().Add(6*time.Minute)), "an old timestamp fails")
		}
		// The test schedule is 100, 200, 300 ms with ±10% jitter.
		for i, min := range []time.Duration{90 * time.Millisecond, 180 * time.Millisecond, 270 * time.Millisecond} {
			require.GreaterOrEqual(t, hits[i+1].at.Sub(hits[i].at), min, "backoff before attempt %d", i+2)
		}

		// Rotation: both secrets sign while the old one is valid.
		rot := owner.do("POST", "/api/v1/webhook-endpoints/"+epID+"/rotate-secret", nil).must(t, 200)
		newSecret := rot.str("secret")
		require.NotEqual(t, secret, newSecret)
		owner.do("POST", "/api/v1/orders", orderBody("Hook I")).must(t, 201)
		require.Eventually(t, func() bool { return len(rcv.got()) == 5 }, 10*time.Second, 20*time.Millisecond)
		h := rcv.got()[4]
		require.Len(t, strings.Fields(h.header.Get("webhook-signature")), 2)
		require.True(t, verify(secret, h, time.Now()), "the old secret still verifies")
		require.True(t, verify(newSecret, h, time.Now()), "the new secret verifies")

		// Replay sends the same message again.
		rep := owner.do("POST", "/api/v1/webhook-endpoints/"+epID+"/deliveries/"+d["id"].(string)+"/replay", nil).must(t, 202)
		require.Equal(t, "pending", rep.str("status"))
		d = waitDelivery(t, owner, epID, d["id"].(string), "succeeded")
		require.Len(t, d["attempts"].([]any), 5)
		require.Equal(t, hits[0].header.Get("webhook-id"), rcv.got()[5].header.Get("webhook-id"))

		// Filters.
		require.Len(t, owner.do("GET", "/api/v1/webhook-endpoints/"+epID+"/deliveries?status=failed", nil).must(t, 200).list(), 0)
		require.Len(t, owner.do("GET", "/api/v1/webhook-endpoints/"+epID+"/deliveries?event_type=order.created&limit=1", nil).must(t, 200).list(), 1)
		owner.do("GET", "/api/v1/webhook-endpoints/"+epID+"/deliveries?status=nope", nil).must(t, 422)

		// A test event reaches the endpoint whatever it subscribes to.
		test := owner.do("POST", "/api/v1/webhook-endpoints/"+epID+"/test", nil).must(t, 202)
		waitDelivery(t, owner, epID, test.str("id"), "succeeded")
		require.Contains(t, string(rcv.got()[len(rcv.got())-1].body), `"type":"webhook.test"`)
	})
}

// Exhausted retries fail the delivery; "replay all failed" sends it again;
// 410 Gone disables the endpoint and tells the owners.
func TestWebhookFailures(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		rcv := newReceiver(t, 500, 500, 500, 500)
		ownerEmail := uniqueEmail("whf")
		owner, _, _ := a.signup(t, ownerEmail)
		epID := owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": rcv.srv.URL}).must(t, 201).str("id")
		since := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		d := owner.do("POST", "/api/v1/webhook-endpoints/"+epID+"/test", nil).must(t, 202).str("id")
		got := waitDelivery(t, owner, epID, d, "failed")
		require.Len(t, got["attempts"].([]any), 4, "1 + a schedule of 3 retries")
		require.Equal(t, "HTTP 500", got["last_error"])
		ep := owner.do("GET", "/api/v1/webhook-endpoints/"+epID, nil).must(t, 200)
		require.NotNil(t, ep.body["failing_since"])

		r := owner.do("POST", "/api/v1/webhook-endpoints/"+epID+"/replay", map[string]any{"since": since}).must(t, 202)
		require.Equal(t, float64(1), r.body["replayed"])
		waitDelivery(t, owner, epID, d, "succeeded")
		ep = owner.do("GET", "/api/v1/webhook-endpoints/"+epID, nil).must(t, 200)
		require.Nil(t, ep.body["failing_since"], "a success clears failing_since")

		gone := newReceiver(t, 410)
		// The owners hear about a disabled endpoint.
		defer func() {
			m := a.outbox.wait(t, ownerEmail, "webhook endpoint")
			require.Contains(t, m.Text, gone.srv.URL)
			require.Contains(t, m.Text, "410")
			require.NotEmpty(t, m.HTML)
		}()
		epID2 := owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": gone.srv.URL}).must(t, 201).str("id")
		d2 := owner.do("POST", "/api/v1/webhook-endpoints/"+epID2+"/test", nil).must(t, 202).str("id")
		waitDelivery(t, owner, epID2, d2, "failed")
		ep2 := owner.do("GET", "/api/v1/webhook-endpoints/"+epID2, nil).must(t, 200)
		require.Equal(t, false, ep2.body["enabled"])
		require.Contains(t, ep2.str("disabled_reason"), "410")
		// Disabled endpoints get no new deliveries.
		owner.do("POST", "/api/v1/orders", orderBody("After A")).must(t, 201)
		require.Len(t, owner.do("GET", "/api/v1/webhook-endpoints/"+epID2+"/deliveries", nil).must(t, 200).list(), 1)
		// Re-enabling clears the reason.
		ep2 = owner.do("PATCH", "/api/v1/webhook-endpoints/"+epID2, map[string]any{"enabled": true}).must(t, 200)
		require.Equal(t, true, ep2.body["enabled"])
		require.Empty(t, ep2.str("disabled_reason"))
	})
}

// Bad endpoint input is a 422 naming the field.
func TestWebhookEndpointValidation(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	owner, _, _ := a.signup(t, uniqueEmail("whv"))
	for _, body := range []map[string]any{
		{},
		{"url": "not a url"},
		{"url": "ftp://example.com/x"},
		{"url": "http://127.0.0.1:9/x", "event_types": []string{"order.exploded"}},
		{"url": "http://127.0.0.1:9/x", "description": strings.Repeat("x", 501)},
	} {
		r := owner.do("POST", "/api/v1/webhook-endpoints", body)
		require.Equal(t, 422, r.status, "%v: %s", body, r.raw)
		require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
		require.NotEmpty(t, r.body["errors"], r.raw)
	}
}

// With private targets not allowed (production), endpoints aimed at
// internal addresses are refused at creation with a 422 on url.
func TestWebhookSSRF(t *testing.T) {
	t.Parallel()
	a := newAppOpts(t, backends[0], appOpts{strictWebhooks: true})
	owner, _, _ := a.signup(t, uniqueEmail("ssrf"))
	for _, u := range []string{
		"https://127.0.0.1/hook",
		"https://10.0.0.1/hook",
		"https://169.254.169.254/latest/meta-data",
		"https://[::1]/hook",
		"https://localhost/hook",  // a name that resolves to a private address
		"http://example.com/hook", // https is required
	} {
		r := owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": u})
		require.Equal(t, 422, r.status, "%s: %s", u, r.raw)
		errs := r.body["errors"].([]any)
		require.Equal(t, "url", errs[0].(map[string]any)["field"], r.raw)
	}
}

// One slow endpoint cannot hold up other tenants' deliveries: requests to
// one endpoint are bounded, so the queue's other workers stay free. The slow
// endpoint holds every request until the fast one has been served, so the
// test does not depend on timing: without the bound, tenant B's delivery
// would wait behind tenant A's and never arrive.
func TestWebhookFairness(t *testing.T) {
	t.Parallel()
	a := newAppOpts(t, backends[0], appOpts{webhookTimeout: 15 * time.Second})
	release := make(chan struct{})
	var started, finished atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started.Add(1)
		defer finished.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // runs before slow.Close, which waits for handlers
	fast := newReceiver(t)

	ownerA, _, _ := a.signup(t, uniqueEmail("slow"))
	ownerA.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": slow.URL}).must(t, 201)
	for range 8 {
		ownerA.do("POST", "/api/v1/orders", orderBody("Slow S")).must(t, 201)
	}
	ownerB, _, _ := a.signup(t, uniqueEmail("fast"))
	ownerB.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": fast.srv.URL}).must(t, 201)
	// Let the slow deliveries take what workers they can.
	require.Eventually(t, func() bool { return started.Load() >= 1 }, 10*time.Second, 10*time.Millisecond)
	ownerB.do("POST", "/api/v1/orders", orderBody("Fast F")).must(t, 201)
	require.Eventually(t, func() bool { return len(fast.got()) == 1 }, 15*time.Second, 10*time.Millisecond,
		"tenant B's delivery is stuck behind tenant A's slow endpoint")
	require.Zero(t, finished.Load(), "a slow request ended before tenant B was served")
	require.LessOrEqual(t, started.Load(), int32(2), "more than the per-endpoint limit of requests reached the slow endpoint at once")
	unblock()
}

// An endpoint that has failed for 5 days is disabled by its next failure.
func TestWebhookFailingForDays(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	rcv := newReceiver(t, 500)
	ownerEmail := uniqueEmail("days")
	owner, _, tenantID := a.signup(t, ownerEmail)
	epID := owner.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": rcv.srv.URL}).must(t, 201).str("id")
	ep, err := a.store.WebhookEndpointGet(t.Context(), uuid.MustParse(tenantID), uuid.MustParse(epID))
	require.NoError(t, err)
	since := time.Now().Add(-5*24*time.Hour - time.Minute).UTC().Truncate(time.Microsecond)
	ep.FailingSince = &since
	require.NoError(t, a.store.WebhookEndpointUpdate(t.Context(), ep))

	d := owner.do("POST", "/api/v1/webhook-endpoints/"+epID+"/test", nil).must(t, 202).str("id")
	waitDelivery(t, owner, epID, d, "failed")
	got := owner.do("GET", "/api/v1/webhook-endpoints/"+epID, nil).must(t, 200)
	require.Equal(t, false, got.body["enabled"])
	require.Contains(t, got.str("disabled_reason"), "5 days")
	require.Len(t, rcv.got(), 1, "no retry once disabled")
	a.outbox.wait(t, ownerEmail, "webhook endpoint")
}
