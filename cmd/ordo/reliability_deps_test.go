package main_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/testkit"
)

// relConfig is the shape of a reliability run: short by default, for CI;
// long with ORDO_RELIABILITY=long, for the figures in RELIABILITY.md.
type relConfig struct {
	mode     string
	writers  int           // goroutines creating orders
	readers  int           // goroutines reading them back
	outage   time.Duration // how long a stopped dependency stays down
	hold     time.Duration // load kept on after each recovery, and before the first fault
	cycles   int           // how many times the whole set of faults is injected
	attempts int           // a client's tries per Idempotency-Key
	lag      time.Duration // how late /readyz may notice a change
}

func relConfigFromEnv() relConfig {
	if os.Getenv("ORDO_RELIABILITY") == "long" {
		return relConfig{mode: "long", writers: 8, readers: 4, outage: 10 * time.Second, hold: 5 * time.Second, cycles: 3, attempts: 5, lag: 2 * time.Second}
	}
	return relConfig{mode: "short", writers: 3, readers: 2, outage: 2500 * time.Millisecond, hold: 2 * time.Second, cycles: 1, attempts: 5, lag: 2 * time.Second}
}

// relReq is one HTTP request the test made, and how it went.
type relReq struct {
	kind       string // create, read, presign, complete, attachment, export, or s3-put (straight to S3, not Ordo)
	start, end time.Time
	status     int
	err        string // transport error or wrong content
	failed     bool
}

func (r relReq) ordo() bool { return r.kind != "s3-put" }

func (r relReq) String() string {
	s := fmt.Sprintf("%s at %s: status %d", r.kind, r.start.Format("15:04:05.000"), r.status)
	if r.err != "" {
		s += ": " + r.err
	}
	return s
}

// relOrder is an order a client means to create, under one Idempotency-Key.
type relOrder struct {
	key, name, email string
	qty, price       int64
	body             []byte
	id               string // set once Ordo acknowledged it (201)
}

// relLoad is the clients: they create orders, each with its own
// Idempotency-Key, retrying the same key with a short backoff on failure
// as a well-behaved client would, and read acknowledged orders back.
type relLoad struct {
	base, key string
	client    *http.Client
	attempts  int
	seq       atomic.Int64

	mu     sync.Mutex
	reqs   []relReq
	orders []*relOrder // in the order they were begun
	acked  []*relOrder
}

// do makes one request and records it; check, if given, judges a
// response with the wanted status and returns what is wrong with it.
func (l *relLoad) do(kind, method, url string, body []byte, hdr map[string]string, want int, check func([]byte) string) (relReq, []byte) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	if strings.HasPrefix(url, l.base) {
		req.Header.Set("Authorization", "Bearer "+l.key)
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	r := relReq{kind: kind, start: time.Now()}
	var b []byte
	res, err := l.client.Do(req)
	if err == nil {
		b, err = io.ReadAll(res.Body)
		res.Body.Close()
		r.status = res.StatusCode
	}
	r.end = time.Now()
	switch {
	case err != nil:
		r.err = err.Error()
	case r.status != want:
		r.err = strings.TrimSpace(string(b[:min(len(b), 200)]))
	case check != nil:
		r.err = check(b)
	}
	r.failed = r.err != "" || r.status != want
	l.mu.Lock()
	l.reqs = append(l.reqs, r)
	l.mu.Unlock()
	return r, b
}

func (l *relLoad) newOrder(email string) *relOrder {
	n := l.seq.Add(1)
	o := &relOrder{key: fmt.Sprintf("rel-%06d-%s", n, uuid.NewString()[:8]), name: fmt.Sprintf("Reliability %d", n),
		email: email, qty: n%5 + 1, price: 100 + n%900}
	o.body, _ = json.Marshal(map[string]any{"customer_name": o.name, "customer_email": o.email, "currency": "EUR",
		"external_ref": o.key, "items": []map[string]any{{"name": "Widget", "quantity": o.qty, "unit_price": o.price}}})
	l.mu.Lock()
	l.orders = append(l.orders, o)
	l.mu.Unlock()
	return o
}

// create tries to create o up to attempts times with the same key, and
// reports whether Ordo acknowledged it.
func (l *relLoad) create(o *relOrder, attempts int) bool {
	backoff := 100 * time.Millisecond
	for try := range attempts {
		if try > 0 {
			time.Sleep(backoff)
			backoff *= 2
		}
		var id string
		r, _ := l.do("create", "POST", l.base+"/api/v1/orders", o.body, map[string]string{"Idempotency-Key": o.key}, 201, func(b []byte) string {
			var v struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(b, &v); err != nil || v.ID == "" {
				return fmt.Sprintf("201 without an order id: %.200s", b)
			}
			if msg := relCheckOrder(o, b); msg != "" {
				return msg
			}
			id = v.ID
			return ""
		})
		if !r.failed {
			l.mu.Lock()
			o.id = id
			l.acked = append(l.acked, o)
			l.mu.Unlock()
			return true
		}
		if r.status >= 400 && r.status < 500 && r.status != 409 && r.status != 429 {
			return false // a retry cannot help
		}
	}
	return false
}

// read GETs an acknowledged order and checks it is the one created.
func (l *relLoad) read() {
	l.mu.Lock()
	if len(l.acked) == 0 {
		l.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
		return
	}
	o := l.acked[rand.IntN(len(l.acked))]
	l.mu.Unlock()
	l.do("read", "GET", l.base+"/api/v1/orders/"+o.id, nil, nil, 200, func(b []byte) string { return relCheckOrder(o, b) })
}

// relCheckOrder compares an order's JSON with what the client sent.
func relCheckOrder(o *relOrder, b []byte) string {
	var v struct {
		ExternalRef   string `json:"external_ref"`
		CustomerName  string `json:"customer_name"`
		CustomerEmail string `json:"customer_email"`
		Subtotal      int64  `json:"subtotal"`
		Items         []struct {
			Quantity  int64 `json:"quantity"`
			UnitPrice int64 `json:"unit_price"`
		} `json:"items"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return "bad order JSON: " + err.Error()
	}
	if v.ExternalRef != o.key || v.CustomerName != o.name || v.CustomerEmail != o.email || v.Subtotal != o.qty*o.price ||
		len(v.Items) != 1 || v.Items[0].Quantity != o.qty || v.Items[0].UnitPrice != o.price {
		return fmt.Sprintf("wrong order content for %s: %.300s", o.key, b)
	}
	return ""
}

// run keeps the clients going until stop is closed.
func (l *relLoad) run(writers, readers int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	loop := func(f func()) {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				f()
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	for range writers {
		loop(func() { l.create(l.newOrder("load@example.com"), l.attempts) })
	}
	for range readers {
		loop(l.read)
	}
	return &wg
}

func (l *relLoad) snapshot() []relReq {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

// relSample is one /readyz answer.
type relSample struct {
	start, end time.Time
	status     int
	failed     []string
	err        string
}

// relPollReady asks /readyz every 100 ms until stop is closed.
func relPollReady(base string, stop <-chan struct{}) func() []relSample {
	var mu sync.Mutex
	var samples []relSample
	done := make(chan struct{})
	client := &http.Client{Timeout: 10 * time.Second}
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			s := relSample{start: time.Now()}
			res, err := client.Get(base + "/readyz")
			if err == nil {
				var body struct {
					Failed []string `json:"failed"`
				}
				err = json.NewDecoder(res.Body).Decode(&body)
				res.Body.Close()
				s.status, s.failed = res.StatusCode, body.Failed
			}
			if err != nil {
				s.err = err.Error()
			}
			s.end = time.Now()
			mu.Lock()
			samples = append(samples, s)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() []relSample {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return samples
	}
}

// relWindow is one injected fault.
type relWindow struct {
	name, dep string    // the dependency as /readyz names it
	down      time.Time // the fault was injected
	downSure  time.Time // the dependency was surely down (its stop returned); zero if never for sure
	upBegin   time.Time // the dependency was being started again, and might answer from here on
	up        time.Time // the dependency was back (its start returned)
	ready     time.Time // /readyz answered 200 again
	end       time.Time // the next fault, or the end of the load

	// figures
	during, duringFailed, after, afterFailed int
	duringKinds                              map[string]int
	firstOK                                  time.Duration // from up to the end of the first successful request begun after it
	readySeen, readyNamed                    int           // /readyz samples wholly in the sure outage, and those that were 503 naming dep
	notes                                    []string
}

// relWaitReady polls /readyz until it answers 200 and returns when it did.
func relWaitReady(t *testing.T, base string, within time.Duration) time.Time {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(within)
	last := ""
	for time.Now().Before(deadline) {
		res, err := client.Get(base + "/readyz")
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				return time.Now()
			}
			last = fmt.Sprintf("%d %s", res.StatusCode, b)
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("/readyz did not answer 200 within %s of the dependency coming back; last: %s", within, last)
	return time.Time{}
}

// Dependency faults under load (issue 12, item 2). Clients keep creating
// and reading orders while PostgreSQL is restarted (pg_ctl restart -m
// fast) and then stopped for a while, Redis is stopped and started, and
// the S3 server is stopped and started; the test's own private instances,
// so that nothing shared is disturbed. It reports, per fault, the requests
// that failed during the outage and after recovery (which must be none),
// the time to recover, whether /readyz told the truth throughout (it
// must), and checks that no acknowledged order was lost and none was
// created twice.
func TestReliabilityDependencies(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	t.Parallel()
	// The failures are said again at the very end, after the private
	// servers' logs, so that the tail of a CI log shows them.
	var failures []string
	errorf := func(format string, args ...any) {
		t.Helper()
		failures = append(failures, fmt.Sprintf(format, args...))
		t.Error(failures[len(failures)-1])
	}
	t.Cleanup(func() {
		if len(failures) > 0 {
			t.Logf("TestReliabilityDependencies failed:\n%s", strings.Join(failures, "\n"))
		}
	})
	cfg := relConfigFromEnv()
	pg := testkit.StartPostgres(t)
	rs := &redisServer{port: freePort(t)}
	rs.start(t)
	t.Cleanup(rs.stop)
	s3srv := testkit.RestartableS3Server(t)

	dir := t.TempDir()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := []string{
		"DATABASE_URL=" + pg.URL(), fmt.Sprintf("REDIS_URL=redis://127.0.0.1:%d/0", rs.port),
		"S3_ENDPOINT=" + s3srv.Endpoint, "S3_BUCKET=ordo-reliability", "S3_ACCESS_KEY_ID=" + s3srv.AccessKey,
		"S3_SECRET_ACCESS_KEY=" + s3srv.SecretKey, "S3_FORCE_PATH_STYLE=true", "S3_CREATE_BUCKET=true",
		"ORDO_SECRET=" + strings.Repeat("d", 40), "ORDO_LOG_LEVEL=warn",
		"ORDO_API_RATE_PER_MINUTE=1000000", "ORDO_API_RATE_BURST=1000000",
		fmt.Sprintf("PORT=%d", port),
	}
	key := seededKey(t, dir, env, 0)
	serve := start(t, dir, env, "serve")
	worker := start(t, dir, env, "worker")
	waitStatus(t, base+"/readyz", 200, 20*time.Second)

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	load := &relLoad{base: base, key: key, client: &http.Client{Timeout: 10 * time.Second, Transport: tr}, attempts: cfg.attempts}

	// Orders an export will select: the export is made while S3 is down.
	const exportEmail = "export@example.com"
	const markers = 10
	for range markers {
		if o := load.newOrder(exportEmail); !load.create(o, 1) {
			t.Fatalf("create a marker order: %v", load.snapshot()[len(load.snapshot())-1])
		}
	}

	stop := make(chan struct{})
	stopped := false
	wg := load.run(cfg.writers, cfg.readers, stop)
	samples := relPollReady(base, stop)
	stopLoad := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	t.Cleanup(stopLoad)
	began := time.Now()
	time.Sleep(cfg.hold)

	var windows []*relWindow
	type s3Check struct {
		up       map[string]any // the presigned upload
		content  []byte
		attID    string
		exportID string
		window   *relWindow
	}
	var s3checks []*s3Check
	// alive fails the test if an Ordo process died.
	alive := func(when string) {
		t.Helper()
		for name, p := range map[string]*process{"serve": serve, "worker": worker} {
			select {
			case <-p.done:
				t.Fatalf("ordo %s exited %s: %s\n%s", name, when, p.cmd.ProcessState, p.stderr)
			default:
			}
		}
	}
	inject := func(name, dep string, fault func(w *relWindow), after func(w *relWindow)) {
		t.Helper()
		w := &relWindow{name: name, dep: dep, down: time.Now()}
		fault(w)
		w.up = time.Now()
		if w.upBegin.IsZero() {
			w.upBegin = w.up
		}
		w.ready = relWaitReady(t, base, 30*time.Second)
		windows = append(windows, w)
		if after != nil {
			after(w)
		}
		time.Sleep(cfg.hold)
		alive("after the " + name)
	}

	for cycle := range cfg.cycles {
		inject("PostgreSQL restart", "database", func(*relWindow) { pg.Restart(t) }, nil)
		inject("PostgreSQL down", "database", func(w *relWindow) {
			pg.Stop(t)
			w.downSure = time.Now()
			time.Sleep(cfg.outage)
			w.upBegin = time.Now()
			pg.Start(t)
		}, nil)
		inject("Redis down", "redis", func(w *relWindow) {
			rs.stop()
			w.downSure = time.Now()
			time.Sleep(cfg.outage)
			w.upBegin = time.Now()
			rs.start(t)
		}, nil)
		inject("S3 down", "storage", func(w *relWindow) {
			s3srv.Stop()
			w.downSure = time.Now()
			time.Sleep(min(500*time.Millisecond, cfg.outage/2))
			// Uploads and exports need S3: a presigned upload cannot go up
			// and cannot be completed, and an export is only queued.
			c := &s3Check{content: fmt.Appendf(nil, "attachment uploaded around an S3 outage, cycle %d\n", cycle), window: w}
			s3checks = append(s3checks, c)
			r, b := load.do("presign", "POST", base+"/api/v1/uploads/presign", fmt.Appendf(nil, `{"filename":"outage-%d.txt","content_type":"text/plain","size":%d}`, cycle, len(c.content)), nil, 201, nil)
			var pre struct {
				Attachment struct {
					ID string `json:"id"`
				} `json:"attachment"`
				Upload map[string]any `json:"upload"`
			}
			_ = json.Unmarshal(b, &pre)
			w.notes = append(w.notes, fmt.Sprintf("presign %d", r.status))
			if !r.failed {
				c.up, c.attID = pre.Upload, pre.Attachment.ID
				r = relUpload(load, c.up, c.content)
				w.notes = append(w.notes, fmt.Sprintf("upload to S3 %s", relOutcome(r)))
				r, _ = load.do("complete", "POST", base+"/api/v1/attachments/"+c.attID+"/complete", nil, nil, 200, nil)
				w.notes = append(w.notes, fmt.Sprintf("complete %s", relOutcome(r)))
			}
			r, b = load.do("export", "POST", base+"/api/v1/orders/export", []byte(`{"format":"csv","customer_email":"`+exportEmail+`"}`),
				map[string]string{"Idempotency-Key": uuid.NewString()}, 202, nil)
			var e struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(b, &e)
			c.exportID = e.ID
			w.notes = append(w.notes, fmt.Sprintf("export create %s", relOutcome(r)))
			time.Sleep(cfg.outage - time.Since(w.down))
			w.upBegin = time.Now()
			s3srv.Start(t)
		}, func(w *relWindow) {
			// After recovery the same presigned upload goes up and completes.
			c := s3checks[len(s3checks)-1]
			if c.up == nil {
				return
			}
			if r := relUpload(load, c.up, c.content); r.failed {
				errorf("the presigned upload failed after S3 came back: %v", r)
				return
			}
			load.do("complete", "POST", base+"/api/v1/attachments/"+c.attID+"/complete", nil, nil, 200, nil)
			_, b := load.do("attachment", "GET", base+"/api/v1/attachments/"+c.attID, nil, nil, 200, nil)
			var a struct {
				DownloadURL string `json:"download_url"`
			}
			_ = json.Unmarshal(b, &a)
			if a.DownloadURL == "" {
				errorf("the attachment has no download_url after S3 came back: %s", b)
			} else if got := fetch(t, a.DownloadURL); !bytes.Equal(got, c.content) {
				errorf("the attachment downloaded after the outage is %q, want %q", got, c.content)
			}
		})
	}
	stopLoad()
	loadEnd := time.Now()
	alive("at the end of the load")
	reqs := load.snapshot()
	readyz := samples()
	for i, w := range windows {
		w.end = loadEnd
		if i+1 < len(windows) {
			w.end = windows[i+1].down
		}
	}

	// Per window: failures during the outage and after recovery.
	var baseline, baselineFailed int
	for _, r := range reqs {
		if r.ordo() && !r.start.Before(began) && !r.end.After(windows[0].down) {
			baseline++
			if r.failed {
				baselineFailed++
				errorf("a request failed before any fault: %v", r)
			}
		}
	}
	for _, w := range windows {
		w.duringKinds = map[string]int{}
		var firstOK time.Time
		var afterFailures []string
		for _, r := range reqs {
			if !r.ordo() {
				continue
			}
			// A request under way when the fault was injected belongs to
			// the outage; one begun after recovery and done before the
			// next fault, to the recovery.
			switch {
			case r.end.After(w.down) && r.start.Before(w.ready):
				w.during++
				if r.failed {
					w.duringFailed++
					k := fmt.Sprintf("%s %d", r.kind, r.status)
					if w.duringKinds[k] == 0 {
						t.Logf("%s: first failed %s", w.name, r)
					}
					w.duringKinds[k]++
				}
			case !r.start.Before(w.ready) && !r.end.After(w.end):
				w.after++
				if r.failed {
					w.afterFailed++
					if len(afterFailures) < 5 {
						afterFailures = append(afterFailures, r.String())
					}
				}
			}
			if !r.failed && !r.start.Before(w.up) && (firstOK.IsZero() || r.end.Before(firstOK)) {
				firstOK = r.end
			}
		}
		if !firstOK.IsZero() {
			w.firstOK = firstOK.Sub(w.up)
		}
		if w.afterFailed > 0 {
			errorf("%s: %d requests failed after recovery (/readyz 200 at +%s), want 0; first: %s",
				w.name, w.afterFailed, w.ready.Sub(w.up).Round(time.Millisecond), strings.Join(afterFailures, "; "))
		}
	}

	// /readyz told the truth: 503 naming the dependency while it was
	// surely down, 200 while everything was up, allowing cfg.lag to notice
	// a change.
	var lies []string
	for _, s := range readyz {
		var wantDown []string // surely down for the whole sample, long enough to notice
		var mayFail []string  // down, or maybe down, at some time near the sample
		where := ""
		for _, w := range windows {
			if !w.downSure.IsZero() && !s.start.Before(w.downSure.Add(cfg.lag)) && !s.end.After(w.upBegin) {
				wantDown = append(wantDown, w.dep)
			}
			if !w.downSure.IsZero() && !s.start.Before(w.downSure) && !s.end.After(w.upBegin) {
				w.readySeen++
				if s.status == 503 && slices.Contains(s.failed, w.dep) {
					w.readyNamed++
				}
			}
			if s.end.After(w.down) && s.start.Before(w.up.Add(cfg.lag)) {
				mayFail = append(mayFail, w.dep)
			}
			if s.end.After(w.down.Add(-cfg.lag)) && s.start.Before(w.end) {
				where = fmt.Sprintf(" (%s: down +%s, back +%s, sample +%s..+%s)", w.name, w.up.Sub(w.down).Round(time.Millisecond),
					w.upBegin.Sub(w.down).Round(time.Millisecond), s.start.Sub(w.down).Round(time.Millisecond), s.end.Sub(w.down).Round(time.Millisecond))
			}
		}
		lie := ""
		switch {
		case s.err != "":
			lie = "no answer: " + s.err
		case len(wantDown) > 0 && s.status != 503:
			lie = fmt.Sprintf("%d while %v was down", s.status, wantDown)
		case s.status == 503:
			for _, d := range wantDown {
				if !slices.Contains(s.failed, d) {
					lie = fmt.Sprintf("503 naming %v while %s was down", s.failed, d)
				}
			}
			for _, d := range s.failed {
				if !slices.Contains(mayFail, d) {
					lie = fmt.Sprintf("503 naming %v while %s was up", s.failed, d)
				}
			}
		case s.status != 200:
			lie = fmt.Sprintf("status %d", s.status)
		}
		if lie != "" {
			lies = append(lies, s.start.Format("15:04:05.000")+" "+lie+where)
		}
	}
	if len(lies) > 0 {
		errorf("/readyz was wrong %d times of %d: %s", len(lies), len(readyz), strings.Join(lies[:min(len(lies), 10)], "; "))
	}

	// Data. Keys whose outcome the client never learned: was an order made?
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	dbOrders := func() map[string][]string {
		t.Helper()
		rows, err := conn.Query(ctx, `SELECT o.external_ref, o.id::text FROM orders o JOIN tenants t ON t.id = o.tenant_id WHERE t.slug = 'acme'`)
		if err != nil {
			t.Fatal(err)
		}
		byRef, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]string, error) {
			var v [2]string
			err := row.Scan(&v[0], &v[1])
			return v, err
		})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string][]string{}
		for _, v := range byRef {
			m[v[0]] = append(m[v[0]], v[1])
		}
		return m
	}
	load.mu.Lock()
	all := slices.Clone(load.orders)
	load.mu.Unlock()
	var unknown []*relOrder
	for _, o := range all {
		if o.id == "" {
			unknown = append(unknown, o)
		}
	}
	acked := len(all) - len(unknown)
	before := dbOrders()
	unknownMade := 0
	for _, o := range unknown {
		if len(before[o.key]) > 0 {
			unknownMade++
		}
	}
	// A client retries those keys once more, now that all is well: each
	// gets its order, made now or earlier, and never a second one.
	resolved := 0
	for _, o := range unknown {
		if load.create(o, 3) {
			resolved++
		} else {
			t.Logf("key %s still unresolved after recovery: %v", o.key, load.snapshot()[len(load.snapshot())-1])
		}
	}

	// Every acknowledged order reads back whole, and the database holds
	// exactly one order per key.
	var getFailed atomic.Int64
	var readBack sync.WaitGroup
	work := make(chan *relOrder)
	for range 8 {
		readBack.Go(func() {
			for o := range work {
				if o.id == "" {
					continue
				}
				if r, _ := load.do("verify", "GET", base+"/api/v1/orders/"+o.id, nil, nil, 200, func(b []byte) string { return relCheckOrder(o, b) }); r.failed {
					if getFailed.Add(1) <= 5 {
						errorf("acknowledged order %s (%s) does not read back: %v", o.id, o.key, r)
					}
				}
			}
		})
	}
	for _, o := range all {
		work <- o
	}
	close(work)
	readBack.Wait()
	after := dbOrders()
	dups, missing, strangers := 0, 0, 0
	keys := map[string]*relOrder{}
	for _, o := range all {
		keys[o.key] = o
	}
	for ref, ids := range after {
		if keys[ref] == nil {
			strangers += len(ids)
			errorf("an order no client asked for: external_ref %q, ids %v", ref, ids)
		}
		if len(ids) > 1 {
			dups += len(ids) - 1
			errorf("key %s made %d orders: %v", ref, len(ids), ids)
		}
	}
	for _, o := range all {
		if o.id != "" && !slices.Contains(after[o.key], o.id) {
			missing++
			errorf("acknowledged order %s (%s) is not in the database (found %v)", o.id, o.key, after[o.key])
		}
	}
	total := 0
	for _, ids := range after {
		total += len(ids)
	}
	if total < acked || total > acked+len(unknown) {
		errorf("%d orders in the database; want between %d acknowledged and %d (plus the %d unknown)", total, acked, acked+len(unknown), len(unknown))
	}

	// The exports queued while S3 was down complete once it is back.
	var exportNotes []string
	for _, c := range s3checks {
		if c.exportID == "" {
			continue
		}
		deadline := time.Now().Add(90 * time.Second)
		for {
			code, e := api(t, "GET", base+"/api/v1/exports/"+c.exportID, load.key, nil)
			if code == 200 && e["status"] == "completed" {
				rows, err := csv.NewReader(bytes.NewReader(fetch(t, e["download_url"].(string)))).ReadAll()
				if err != nil || len(rows) != markers+1 {
					errorf("the export made during the S3 outage has %d rows (%v); want %d orders and a header", len(rows), err, markers)
				}
				done, err := time.Parse(time.RFC3339Nano, fmt.Sprint(e["completed_at"]))
				if err != nil {
					errorf("the export's completed_at: %v", err)
				}
				exportNotes = append(exportNotes, fmt.Sprintf("the export queued during outage %d completed %s after S3 came back", len(exportNotes)+1, done.Sub(c.window.up).Round(100*time.Millisecond)))
				break
			}
			if time.Now().After(deadline) {
				errorf("the export made during the S3 outage did not complete: %d %v", code, e)
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	// The figures.
	var nReqs, nFailed int
	for _, r := range reqs {
		if r.ordo() {
			nReqs++
			if r.failed {
				nFailed++
			}
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "### Dependency faults under load (%s form, %s)\n\n", cfg.mode, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&sb, "%d writers and %d readers for %s; outages of %s; %d cycle(s) of 4 faults; a client tries each Idempotency-Key up to %d times (backoff from 100 ms, doubling). A request belongs to an outage if it was under way at any time from the fault to the first /readyz 200 after it, and to the recovery if it began after that 200 and ended before the next fault.\n\n",
		cfg.writers, cfg.readers, loadEnd.Sub(began).Round(100*time.Millisecond), cfg.outage, cfg.cycles, cfg.attempts)
	fmt.Fprintf(&sb, "| fault | down for | requests during | failed during | requests after recovery | failed after recovery | first success after back | /readyz 200 after back | /readyz during outage: 503 naming it |\n")
	fmt.Fprintf(&sb, "|---|---|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&sb, "| (none, baseline) | - | %d | %d | - | - | - | - | - |\n", baseline, baselineFailed)
	for _, w := range windows {
		first := "-"
		if w.firstOK > 0 {
			first = w.firstOK.Round(time.Millisecond).String()
		}
		named := "- (no sure outage)"
		if !w.downSure.IsZero() {
			named = fmt.Sprintf("%d of %d", w.readyNamed, w.readySeen)
		}
		fmt.Fprintf(&sb, "| %s | %s | %d | %d | %d | %d | %s | %s | %s |\n", w.name, w.up.Sub(w.down).Round(10*time.Millisecond),
			w.during, w.duringFailed, w.after, w.afterFailed, first, w.ready.Sub(w.up).Round(time.Millisecond), named)
	}
	fmt.Fprintf(&sb, "\nFailed during outages, by request and status:\n\n")
	for _, w := range windows {
		var kinds []string
		for k, n := range w.duringKinds {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
		}
		slices.Sort(kinds)
		if len(kinds) == 0 {
			kinds = []string{"none"}
		}
		line := fmt.Sprintf("- %s: %s", w.name, strings.Join(kinds, ", "))
		if len(w.notes) > 0 {
			line += "; during the outage: " + strings.Join(w.notes, ", ")
		}
		sb.WriteString(line + "\n")
	}
	fmt.Fprintf(&sb, "\n- Requests to Ordo: %d, failed %d (all during outages: %t); /readyz polled %d times, wrong %d times.\n", nReqs, nFailed, nFailed == relCountDuring(windows), len(readyz), len(lies))
	fmt.Fprintf(&sb, "- Orders: %d keys tried, %d acknowledged, %d with an unknown outcome (every try failed), of which %d had in fact been created; retried after recovery with the same key: %d resolved.\n",
		len(all), acked, len(unknown), unknownMade, resolved)
	fmt.Fprintf(&sb, "- Data: %d orders in the database; every acknowledged order reads back (failures: %d); missing %d, duplicated %d, unasked-for %d.\n",
		total, getFailed.Load(), missing, dups, strangers)
	for _, n := range exportNotes {
		fmt.Fprintf(&sb, "- S3: %s.\n", n)
	}
	t.Logf("\n%s", sb.String())
	if path := os.Getenv("ORDO_RELIABILITY_REPORT"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fmt.Fprintf(f, "\n%s", sb.String())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func relCountDuring(ws []*relWindow) int {
	n := 0
	for _, w := range ws {
		n += w.duringFailed
	}
	return n
}

// relUpload sends content to a presigned upload, straight to S3.
func relUpload(l *relLoad, up map[string]any, content []byte) relReq {
	hdr := map[string]string{}
	if h, ok := up["headers"].(map[string]any); ok {
		for k, v := range h {
			hdr[k], _ = v.(string)
		}
	}
	method, _ := up["method"].(string)
	url, _ := up["url"].(string)
	r, _ := l.do("s3-put", method, url, content, hdr, 200, nil)
	return r
}

func relOutcome(r relReq) string {
	if r.err != "" && r.status == 0 {
		return "failed (" + relShortErr(r.err) + ")"
	}
	return fmt.Sprint(r.status)
}

func relShortErr(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}
