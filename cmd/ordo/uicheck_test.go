package main_test

// The UI checks of issue 19 ("Checked by"): axe-core on every page at
// desktop and phone width as owner, viewer and visitor, no horizontal
// scroll on a phone, a keyboard-only journey, and Lighthouse on the
// busiest pages. axe-core and Lighthouse are npm packages pinned in
// tools/uicheck and installed into .bin/npm by `make ui-tools` (part of
// `make tools`); the browser is Debian's Chromium.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ordo/ordo/internal/testkit"
)

var uiToolsOnce sync.Once

// uiTool returns the path of rel inside .bin/npm/node_modules, installing
// the pinned packages with `make ui-tools` the first time a test needs
// them (CI has them already: `make test` runs `make tools` first).
func uiTool(t *testing.T, rel string) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, ".bin", "npm", "node_modules", rel)
	uiToolsOnce.Do(func() {
		if _, err := os.Stat(path); err == nil {
			return
		}
		cmd := exec.Command("make", "--no-print-directory", "-C", root, "ui-tools")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("make ui-tools: %v\n%s", err, out)
		}
	})
	if _, err := os.Stat(path); err != nil {
		testkit.Missing(t, "%s not installed (make ui-tools needs node and npm): %v", rel, err)
	}
	return path
}

// browserWithin starts a headless Chromium (Debian's package) for the
// test, once a slot is free (browserSlots), with a deadline for every
// later action: browser() gives 2 minutes, the suites that visit every
// page more.
func browserWithin(t *testing.T, within time.Duration) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		testkit.Missing(t, "chromium not installed (apt-get install chromium)")
	}
	browserSlots <- struct{}{}
	t.Cleanup(func() { <-browserSlots }) // after the browser is closed (cleanups run last first)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		// Overlay scrollbars: a full-page screenshot is as wide as the
		// viewport, not a scrollbar narrower.
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancelT := context.WithTimeout(ctx, within)
	t.Cleanup(cancelT)
	return tctx
}

// uiFixture is one ordo process with a tenant holding a bit of
// everything, so that every page shows real rows rather than its empty
// state.
type uiFixture struct {
	base                string
	srv                 *process
	owner, viewer       *http.Client // logged-in sessions (cookie jars)
	ownerEmail          string
	key                 string // an owner API key
	orderID, endpointID string
	acceptURL, resetURL string // links from e-mails, for the public pages
}

const uiPassword = "a long ui-check password"

// call sends a JSON request and returns the decoded answer, failing the
// test on any other status than want.
func (f *uiFixture) call(t *testing.T, c *http.Client, key, method, path, body string, want int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, f.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

// mailedLink waits for the n-th (from 0) link to path that the server
// logged (without SMTP_URL, e-mails go to the log) and returns it.
func (f *uiFixture) mailedLink(t *testing.T, path string, n int) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(path) + `\?token=[A-Za-z0-9_-]+`)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if m := re.FindAllString(f.srv.stderr.String(), -1); len(m) > n {
			return f.base + m[n]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no e-mail with a link to %s (the %d-th) logged within 15s", path, n+1)
		}
	}
}

func newJarClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// newUIFixture starts ordo and fills a tenant through the API: orders with
// items in several states, a finished CSV export, an API key, a webhook
// endpoint with a delivery, a viewer who accepted an invitation, an open
// invitation, and a second tenant.
func newUIFixture(t *testing.T, orders int) *uiFixture {
	t.Helper()
	port := freePort(t)
	f := &uiFixture{base: fmt.Sprintf("http://127.0.0.1:%d", port), owner: newJarClient(), viewer: newJarClient(), ownerEmail: "olive@example.com"}
	f.srv = start(t, t.TempDir(), []string{fmt.Sprintf("PORT=%d", port), "ORDO_BASE_URL=" + f.base,
		"ORDO_WEBHOOKS_ALLOW_PRIVATE=true", "ORDO_WEBHOOK_RETRY_SCHEDULE=100ms,200ms",
		"ORDO_API_RATE_PER_MINUTE=100000", "ORDO_API_RATE_BURST=10000"})
	waitStatus(t, f.base+"/readyz", 200, 10*time.Second)

	anon := newJarClient()
	f.call(t, anon, "", "POST", "/api/v1/auth/signup", `{"email":"`+f.ownerEmail+`","password":"`+uiPassword+`","name":"Olive Owner","tenant_name":"Check Co"}`, 202)
	f.call(t, anon, "", "POST", "/api/v1/auth/verify-email", `{"token":"`+verifyToken(t, f.srv, f.ownerEmail)+`"}`, 200)
	f.call(t, f.owner, "", "POST", "/api/v1/auth/login", `{"email":"`+f.ownerEmail+`","password":"`+uiPassword+`"}`, 200)
	f.key, _ = f.call(t, f.owner, "", "POST", "/api/v1/api-keys", `{"name":"Warehouse sync","role":"member"}`, 201)["key"].(string)
	f.key, _ = f.call(t, f.owner, "", "POST", "/api/v1/api-keys", `{"name":"Accounting export","role":"owner"}`, 201)["key"].(string)

	customers := []string{"Grace Hopper", "Alan Turing", "Ada Lovelace", "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth"}
	for i := range orders {
		name := customers[i%len(customers)]
		body := fmt.Sprintf(`{"customer_name":%q,"customer_email":"c%d@example.com","currency":"EUR","external_ref":"PO-%04d",
			"items":[{"name":"Widget, large","sku":"W-L","quantity":%d,"unit_price":%d,"tax_rate_bp":2000},{"name":"Service hour","quantity":1,"unit_price":9500,"tax_rate_bp":2000}]}`,
			name, i, 1000+i, 1+i%4, 1250+37*i)
		id, _ := f.call(t, http.DefaultClient, f.key, "POST", "/api/v1/orders", body, 201)["id"].(string)
		for _, to := range []string{"processing", "shipped"}[:i%3] {
			f.call(t, http.DefaultClient, f.key, "POST", "/api/v1/orders/"+id+"/transitions", `{"to":"`+to+`"}`, 200)
		}
	}
	// The newest order, first in the lists and the one whose page is
	// checked, has long unbroken words, which must wrap rather than widen
	// a phone's page.
	long := `{"customer_name":"Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftschaferswessenschafewarenwohlgepflege",
		"customer_email":"central.procurement.purchasing.department@subsidiary-with-a-very-long-name.example.com","currency":"EUR",
		"external_ref":"REF-2026-12-02-WAREHOUSE-NORTH-0000000000000000000042","notes":"See https://example.com/a/very/long/path/without/any/break/at/all/0123456789abcdef",
		"items":[{"name":"Ersatzteilbeschaffungsdienstleistungsrahmenvertragsverlängerung","sku":"SKU-0000000000000000000000000000000001","quantity":3,"unit_price":123456,"tax_rate_bp":2000},
		{"name":"Service hour","quantity":1,"unit_price":9500,"tax_rate_bp":2000}]}`
	f.orderID, _ = f.call(t, http.DefaultClient, f.key, "POST", "/api/v1/orders", long, 201)["id"].(string)
	f.call(t, http.DefaultClient, f.key, "POST", "/api/v1/orders/"+f.orderID+"/transitions", `{"to":"processing"}`, 200)

	exp, _ := f.call(t, http.DefaultClient, f.key, "POST", "/api/v1/orders/export", `{"format":"csv"}`, 202)["id"].(string)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if st := f.call(t, http.DefaultClient, f.key, "GET", "/api/v1/exports/"+exp, "", 200)["status"]; st == "completed" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the export is %v after 30s", st)
		}
	}

	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"received":true}`)) }))
	t.Cleanup(rcv.Close)
	f.endpointID, _ = f.call(t, http.DefaultClient, f.key, "POST", "/api/v1/webhook-endpoints",
		`{"url":"`+rcv.URL+`/hooks","description":"Warehouse receiver","event_types":["order.created","order.status_changed"]}`, 201)["id"].(string)
	f.call(t, http.DefaultClient, f.key, "POST", "/api/v1/webhook-endpoints/"+f.endpointID+"/test", "", 202)

	f.call(t, f.owner, "", "POST", "/api/v1/invitations", `{"email":"vera@example.com","role":"viewer"}`, 201)
	tok := strings.TrimPrefix(f.mailedLink(t, "/invitations/accept", 0), f.base+"/invitations/accept?token=")
	f.call(t, f.viewer, "", "POST", "/api/v1/invitations/accept", `{"token":"`+tok+`","name":"Vera Viewer","password":"`+uiPassword+`"}`, 200)
	f.call(t, f.owner, "", "POST", "/api/v1/invitations", `{"email":"pending.person@example.com","role":"member"}`, 201)
	f.acceptURL = f.mailedLink(t, "/invitations/accept", 1)
	f.call(t, anon, "", "POST", "/api/v1/auth/password-reset", `{"email":"vera@example.com"}`, 202)
	f.resetURL = f.mailedLink(t, "/reset-password", 0)

	// A second tenant, made and left again so that Check Co stays current.
	me := f.call(t, f.owner, "", "GET", "/api/v1/me", "", 200)
	first, _ := me["tenant"].(map[string]any)["id"].(string)
	f.call(t, f.owner, "", "POST", "/api/v1/tenants", `{"name":"Second Shop"}`, 201)
	f.call(t, f.owner, "", "POST", "/api/v1/tenants/"+first+"/switch", "", 200)
	return f
}

// sessionCookie is the session cookie of a logged-in client.
func (f *uiFixture) sessionCookie(t *testing.T, c *http.Client) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(f.base)
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == "ordo_session" {
			return k
		}
	}
	t.Fatal("no ordo_session cookie")
	return nil
}

// actAs makes the browser use c's session (nil: no session at all).
func (f *uiFixture) actAs(t *testing.T, c *http.Client) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
			return chromedp.Void{}, err
		}
		if c == nil {
			return chromedp.Void{}, nil
		}
		k := f.sessionCookie(t, c)
		httpOnly := true
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: k.Name, Value: k.Value, URL: f.base, HTTPOnly: &httpOnly})
		return chromedp.Void{}, err
	}
}

// uiPage is one page to check.
type uiPage struct {
	name, path string
	status     int // the HTTP status the page must answer; 0 for 200 or 403
}

// axeRun runs axe-core on the page with the WCAG 2.0 and 2.1 A and AA
// rules and returns the serious and critical violations, each with the
// first few elements it found.
const axeRun = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).then(function (r) {
	return JSON.stringify({passes: r.passes.length, violations: r.violations.filter(function (v) { return v.impact === "serious" || v.impact === "critical" }).map(function (v) {
		return {id: v.id, impact: v.impact, help: v.help, count: v.nodes.length, targets: v.nodes.slice(0, 3).map(function (n) { return n.target.join(" ") })};
	})});
})`

type axeViolation struct {
	ID, Impact, Help string
	Count            int
	Targets          []string
}

// TestBrowserAccessibility visits every page of the app at 1366×900 and
// 390×844, as the owner, as a viewer and (the public pages) logged out.
// On each it runs axe-core (0 serious or critical violations of WCAG 2.1
// A/AA), checks that a phone does not scroll sideways, and saves a
// screenshot <page>-<width>.png. Failures are collected and reported
// together, one line per page, width and rule.
func TestBrowserAccessibility(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	began := time.Now()
	axeSrc, err := os.ReadFile(uiTool(t, "axe-core/axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := browserWithin(t, 15*time.Minute)
	dir := artifacts(t)
	keepOnFailure(t, ctx, dir)
	f := newUIFixture(t, 60)
	t.Logf("fixture ready in %s", time.Since(began).Round(time.Millisecond))

	app := []uiPage{
		{"dashboard", "/app", 200},
		{"orders", "/app/orders", 200},
		{"order", "/app/orders/" + f.orderID, 200},
		{"order-new", "/app/orders/new", 200},
		{"order-edit", "/app/orders/" + f.orderID + "/edit", 200},
		{"exports", "/app/exports", 200},
		{"members", "/app/members", 200}, // members and invitations
		{"api-keys", "/app/api-keys", 200},
		{"webhooks", "/app/webhooks", 200},
		{"webhook", "/app/webhooks/" + f.endpointID, 200},
		{"audit", "/app/audit", 200},
		{"jobs", "/app/jobs", 200},
		{"settings", "/app/settings", 200},
		{"account", "/app/account", 200},
		{"tenants", "/app/tenants", 200},
		{"not-found", "/app/orders/00000000-0000-7000-8000-000000000000", 404},
	}
	// What a viewer may not open answers 403 with the error page, which
	// must be as accessible as any other.
	// The new-order form is shown to a viewer today (who is refused on
	// sending it): either is accessible or not the same way.
	viewerStatus := map[string]int{"order-new": 0, "order-edit": 403, "api-keys": 403, "webhooks": 403, "webhook": 403,
		"audit": 403, "jobs": 403, "settings": 403}
	public := []uiPage{
		{"login", "/login", 200},
		{"signup", "/signup", 200},
		{"forgot", "/forgot-password", 200},
		{"reset", strings.TrimPrefix(f.resetURL, f.base), 200},
		{"verify-email", "/verify-email?token=from-the-e-mail", 200},
		{"confirm-email", "/confirm-email?token=from-the-e-mail", 200},
		{"accept", strings.TrimPrefix(f.acceptURL, f.base), 200},
		// Not /api/v1/docs: the vendored Redoc reference renders every
		// operation and schema at once, and axe over that DOM did not
		// finish in 90 s on a loaded 2-core machine. Its own browser test
		// (TestBrowserAPIReference) checks it renders under its CSP;
		// checking it with axe (with Redoc's lazy rendering) is still to do.
	}
	type visitor struct {
		who    string
		client *http.Client
		pages  []uiPage
	}
	var viewerPages []uiPage
	for _, p := range app {
		if st, ok := viewerStatus[p.name]; ok {
			p.status = st
		}
		viewerPages = append(viewerPages, p)
	}
	visitors := []visitor{{"owner", f.owner, app}, {"viewer", f.viewer, viewerPages}, {"visitor", nil, public}}

	var problems []string
	visits := 0
	for _, vp := range []struct{ w, h int64 }{{1366, 900}, {390, 844}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h)); err != nil {
			t.Fatal(err)
		}
		for _, v := range visitors {
			if err := chromedp.Do(ctx, f.actAs(t, v.client)); err != nil {
				t.Fatalf("act as %s: %v", v.who, err)
			}
			for _, p := range v.pages {
				name := p.name
				if v.who == "viewer" {
					name += "-viewer"
				}
				where := fmt.Sprintf("%s at %d px (%s)", name, vp.w, p.path)
				visits++
				found, err := checkPage(ctx, f.base, p, vp.w, axeSrc, filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, vp.w)))
				for _, x := range found {
					problems = append(problems, where+": "+x)
				}
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s: %v", where, err))
					if ctx.Err() != nil {
						t.Fatalf("the browser's deadline passed after %d visits; problems so far:\n%s", visits, strings.Join(problems, "\n"))
					}
				}
			}
		}
	}
	t.Logf("%d page visits in %s; screenshots in %s", visits, time.Since(began).Round(time.Millisecond), dir)
	if len(problems) > 0 {
		t.Errorf("%d problems:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}

// checkPage opens p at width w and returns what is wrong with it: an
// unexpected status, serious or critical axe-core violations, a sideways
// scroll at phone width. It saves a full-page screenshot as png. An error
// is a check that could not be done (a page that would not load within a
// minute and a half).
func checkPage(ctx context.Context, base string, p uiPage, w int64, axeSrc []byte, png string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var found []string
	res, err := chromedp.RunResponse(ctx, chromedp.Navigate(base+p.path))
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if p.status == 0 && res.Status != 200 && res.Status != 403 || p.status != 0 && res.Status != int64(p.status) {
		found = append(found, fmt.Sprintf("HTTP %d, want %d", res.Status, p.status))
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, p.path) {
		found = append(found, "ended on "+loc)
	}
	// Evaluate is a DevTools call, which the page's CSP (script-src
	// without unsafe-eval or inline scripts) does not govern.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(axeSrc)+";\ntypeof axe === 'object'")); err != nil {
		return found, fmt.Errorf("inject axe-core: %w", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		return found, fmt.Errorf("run axe-core: %w", err)
	}
	var ax struct {
		Passes     int
		Violations []axeViolation
	}
	if err := json.Unmarshal([]byte(raw), &ax); err != nil {
		return found, fmt.Errorf("axe-core's answer: %w", err)
	}
	if ax.Passes == 0 { // axe ran no rule at all: the check would be empty
		found = append(found, "axe-core passed no rule")
	}
	for _, x := range ax.Violations {
		found = append(found, fmt.Sprintf("axe %s %s (%s) on %d element(s): %s", x.Impact, x.ID, x.Help, x.Count, strings.Join(x.Targets, " | ")))
	}
	if w <= 390 {
		sw, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
		if err != nil {
			return found, fmt.Errorf("measure the width: %w", err)
		}
		if sw[0] > sw[1] {
			wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](widestElements))
			found = append(found, fmt.Sprintf("scrolls sideways, %d px wide in a %d px viewport; widest: %s", sw[0], sw[1], wide))
		}
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return found, fmt.Errorf("screenshot: %w", err)
	}
	return found, os.WriteFile(png, shot, 0o644)
}

// widestElements names the elements that reach past the viewport's right
// edge, innermost first, so that a sideways-scrolling page says why.
const widestElements = `(function () {
	var out = [];
	var name = function (el) {
		return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
	};
	document.querySelectorAll("body *").forEach(function (el) {
		var r = el.getBoundingClientRect();
		if (r.right > window.innerWidth + 1 && !Array.from(el.children).some(function (c) { return c.getBoundingClientRect().right > window.innerWidth + 1 })) {
			out.push(name(el) + " (" + Math.round(r.right) + " px)");
		} else if (r.right <= window.innerWidth && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && getComputedStyle(el).overflowX === "visible") {
			out.push(name(el) + " (text past its " + el.clientWidth + " px box: " + el.scrollWidth + " px)");
		}
	});
	return out.slice(0, 5).join(", ");
})()`

// keyboard drives the page by keys alone: Tab to move the focus, typing
// into the focused element, Enter to follow a link or press a button. It
// reads the page (where the focus is, what it says) but never clicks or
// sets a value.
type keyboard struct {
	t   *testing.T
	ctx context.Context
}

// tabTo presses Tab until the focused element matches sel, failing after
// 80 presses: an element that Tab never reaches cannot be used without a
// mouse.
func (k keyboard) tabTo(sel string) {
	k.t.Helper()
	for range 80 {
		if err := chromedp.Do(k.ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			k.t.Fatalf("Tab towards %s: %v", sel, err)
		}
		at, err := chromedp.Run(k.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, sel)))
		if err != nil {
			k.t.Fatalf("focus towards %s: %v", sel, err)
		}
		if at {
			return
		}
	}
	k.t.Fatalf("80 presses of Tab never reach %s on %s", sel, k.location())
}

func (k keyboard) location() string {
	loc, _ := chromedp.Run(k.ctx, chromedp.Location())
	return loc
}

// typeInto tabs to sel and types text into it.
func (k keyboard) typeInto(sel, text string) {
	k.t.Helper()
	k.tabTo(sel)
	if err := chromedp.Do(k.ctx, chromedp.KeyEvent(text)); err != nil {
		k.t.Fatalf("type into %s: %v", sel, err)
	}
}

// press tabs to sel and presses Enter on it, then waits until the page
// at pathRE has loaded.
func (k keyboard) press(sel string, pathRE string) {
	k.t.Helper()
	k.tabTo(sel)
	if _, err := chromedp.Run(k.ctx, chromedp.Evaluate[bool](`window.__oldPage = true`)); err != nil {
		k.t.Fatal(err)
	}
	if err := chromedp.Do(k.ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		k.t.Fatalf("Enter on %s: %v", sel, err)
	}
	k.waitPage(pathRE)
}

// waitPage waits for a new page (the old one's marker gone) whose path
// matches pathRE, loaded.
func (k keyboard) waitPage(pathRE string) {
	k.t.Helper()
	re := regexp.MustCompile(pathRE)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ok, _ := chromedp.Run(k.ctx, chromedp.Evaluate[bool](`!window.__oldPage && document.readyState === "complete"`))
		if ok {
			if u, err := url.Parse(k.location()); err == nil && re.MatchString(u.Path) {
				return
			}
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("no page at %s within 15s; at %s", pathRE, k.location())
		}
	}
}

// text is the text of the first element sel finds, "" if none.
func (k keyboard) text(sel string) string {
	s, _ := chromedp.Run(k.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(function () { var e = document.querySelector(%q); return e ? e.innerText : "" })()`, sel)))
	return s
}

// TestBrowserKeyboardJourney does the keyboard-only journey: sign
// in, create an order with two items, change its status, export CSV and
// see the export complete, with key presses alone.
func TestBrowserKeyboardJourney(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	began := time.Now()
	ctx := browserWithin(t, 3*time.Minute)
	dir := artifacts(t)
	keepOnFailure(t, ctx, dir)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	srv := start(t, t.TempDir(), []string{fmt.Sprintf("PORT=%d", port), "ORDO_BASE_URL=" + base})
	waitStatus(t, base+"/readyz", 200, 10*time.Second)
	f := &uiFixture{base: base, srv: srv}
	anon := newJarClient()
	const email = "kim@example.com"
	f.call(t, anon, "", "POST", "/api/v1/auth/signup", `{"email":"`+email+`","password":"`+uiPassword+`","name":"Kim Keys","tenant_name":"Keyboard Co"}`, 202)
	f.call(t, anon, "", "POST", "/api/v1/auth/verify-email", `{"token":"`+verifyToken(t, srv, email)+`"}`, 200)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 900)); err != nil {
		t.Fatal(err)
	}
	k := keyboard{t: t, ctx: ctx}

	// Typing the address is keyboard use too.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login")); err != nil {
		t.Fatal(err)
	}
	k.typeInto("#f-email", email)
	k.typeInto("#f-password", uiPassword)
	k.press(`form[action="/login"] button[type=submit]`, `^/app$`)
	shoot(t, ctx, dir, "signed-in")

	k.press(`a[href="/app/orders"]`, `^/app/orders$`)
	k.press(`a[href="/app/orders/new"]`, `^/app/orders/new$`)
	k.typeInto("#f-customer_name", "Keyboard Customer")
	k.typeInto("#f-customer_email", "keys@example.com")
	// Item rows: the first two name and unit-price fields, whatever the
	// form calls them, found by their labels' order in the items table.
	k.typeInto(`[name="items.0.name"]`, "Keycap set")
	k.typeInto(`[name="items.0.quantity"]`, kb.Backspace+kb.Delete+"2")
	k.typeInto(`[name="items.0.price"]`, "12.50")
	k.typeInto(`[name="items.1.name"]`, "Cable")
	k.typeInto(`[name="items.1.price"]`, "4.00")
	shoot(t, ctx, dir, "order-form")
	k.press(`main form button[name=save]:not([tabindex="-1"])`, `^/app/orders/[0-9a-f-]{36}$`)
	shoot(t, ctx, dir, "order")
	page := k.text("main")
	// 2 × 12.50 + 4.00, at the tenant's default tax rate (0 until an
	// owner sets one).
	for _, want := range []string{"Keyboard Customer", "Keycap set", "Cable", "29.00"} {
		if !strings.Contains(page, want) {
			t.Fatalf("the new order's page lacks %q:\n%s", want, page)
		}
	}
	orderPath, _ := url.Parse(k.location())

	k.press(`form[action$="/transition"] button[value="processing"], form[action$="/transition"] input[value="processing"] + button`, `^`+regexp.QuoteMeta(orderPath.Path)+`$`)
	if st := k.text("h1 .badge"); !strings.Contains(strings.ToLower(st), "processing") {
		t.Fatalf("after the status change the order's badge reads %q", st)
	}
	shoot(t, ctx, dir, "order-processing")

	k.press(`a[href="/app/orders"]`, `^/app/orders$`)
	k.tabTo("#f-format")
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.value`)); v != "csv" {
		t.Fatalf("the export format is %q, want csv (the first choice)", v)
	}
	k.press(`form[action="/app/exports"] button[type=submit]`, `^/app/exports`)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('a[href$="/download"]')`))
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the export shows no download link within 30s:\n%s", k.text("main"))
		}
	}
	// The download link is reachable by keyboard too.
	k.tabTo(`a[href$="/download"]`)
	shoot(t, ctx, dir, "exported")
	t.Logf("journey done in %s", time.Since(began).Round(time.Millisecond))
}

// lighthouseReport is the part of Lighthouse's JSON report read here.
type lighthouseReport struct {
	Categories map[string]struct {
		Score     *float64 `json:"score"`
		AuditRefs []struct {
			ID     string  `json:"id"`
			Weight float64 `json:"weight"`
		} `json:"auditRefs"`
	} `json:"categories"`
	Audits map[string]struct {
		Title        string   `json:"title"`
		Score        *float64 `json:"score"`
		DisplayValue string   `json:"displayValue"`
	} `json:"audits"`
	RuntimeError *struct{ Code, Message string } `json:"runtimeError"`
}

// TestLighthouse runs Lighthouse 12.2.3 (desktop preset, Debian's
// Chromium, logged in by the session cookie) on the dashboard, the orders
// list and an order page, writes its HTML and JSON reports, and wants
// accessibility and best practices ≥ 0.95 and performance ≥ 0.90.
func TestLighthouse(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	began := time.Now()
	cli := uiTool(t, "lighthouse/cli/index.js")
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		testkit.Missing(t, "chromium not installed (apt-get install chromium)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		testkit.Missing(t, "node not installed")
	}
	dir := artifacts(t)
	f := newUIFixture(t, 60)
	headers := filepath.Join(t.TempDir(), "headers.json")
	k := f.sessionCookie(t, f.owner)
	hb, _ := json.Marshal(map[string]string{"Cookie": k.Name + "=" + k.Value})
	if err := os.WriteFile(headers, hb, 0o600); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"accessibility": 0.95, "best-practices": 0.95, "performance": 0.90}
	// runLighthouse runs Lighthouse once and returns its report.
	runLighthouse := func(p uiPage, n int) (lighthouseReport, string, error) {
		out := filepath.Join(dir, fmt.Sprintf("lighthouse-%s-%d", p.name, n))
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, cli, f.base+p.path,
			"--preset=desktop", "--only-categories=accessibility,best-practices,performance",
			"--output=json", "--output=html", "--output-path="+out,
			"--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run",
			"--extra-headers="+headers, "--no-enable-error-reporting", "--quiet")
		cmd.Env = append(os.Environ(), "CHROME_PATH="+chrome, "CI=true")
		cmd.Dir = t.TempDir()
		outb, err := cmd.CombinedOutput()
		var rep lighthouseReport
		if err != nil {
			return rep, out, fmt.Errorf("%w\n%s", err, outb)
		}
		raw, err := os.ReadFile(out + ".report.json")
		if err != nil {
			return rep, out, fmt.Errorf("no report: %w\n%s", err, outb)
		}
		if err := json.Unmarshal(raw, &rep); err != nil {
			return rep, out, err
		}
		if rep.RuntimeError != nil && rep.RuntimeError.Code != "" {
			return rep, out, fmt.Errorf("%s: %s", rep.RuntimeError.Code, rep.RuntimeError.Message)
		}
		return rep, out, nil
	}
	for _, p := range []uiPage{
		{"dashboard", "/app", 200},
		{"orders", "/app/orders", 200},
		{"order", "/app/orders/" + f.orderID, 200},
	} {
		// Three runs and their median, as Lighthouse's documentation
		// advises against its variance (most of it total blocking time on
		// a busy two-core machine). A run that Lighthouse itself ends with
		// "run Lighthouse again" (NO_NAVSTART, seen now and then with
		// Chromium newer than its trace engine) is run again, twice at
		// most.
		pbegan := time.Now()
		var reps []lighthouseReport
		var last string
		for n, failures := 1, 0; len(reps) < 3; n++ {
			rep, out, err := runLighthouse(p, n)
			if err != nil {
				if failures++; failures > 2 {
					t.Fatalf("lighthouse %s, run %d: %v", p.path, n, err)
				}
				t.Logf("lighthouse %s, run %d, runs again: %v", p.path, n, err)
				continue
			}
			reps, last = append(reps, rep), out
		}
		var scores []string
		for _, cat := range []string{"performance", "accessibility", "best-practices"} {
			var got []float64
			for _, rep := range reps {
				if c, ok := rep.Categories[cat]; ok && c.Score != nil {
					got = append(got, *c.Score)
				}
			}
			if len(got) != len(reps) {
				t.Errorf("%s: a run has no %s score", p.name, cat)
				continue
			}
			sort.Float64s(got)
			median := got[len(got)/2]
			scores = append(scores, fmt.Sprintf("%s %.2f (runs %v)", cat, median, got))
			if median < want[cat] {
				t.Errorf("%s (%s): %s %.2f (median of %v), want ≥ %.2f; audits under 0.9 in the last run: %s", p.name, p.path, cat, median, got, want[cat], failedAudits(reps[len(reps)-1], cat))
			}
		}
		t.Logf("%s: %s in %s; last report %s.report.html", p.name, strings.Join(scores, ", "), time.Since(pbegan).Round(time.Millisecond), last)
	}
	t.Logf("done in %s", time.Since(began).Round(time.Millisecond))
}

// failedAudits lists the audits of a category scored below 0.9.
func failedAudits(rep lighthouseReport, category string) string {
	var out []string
	for _, ref := range rep.Categories[category].AuditRefs {
		a := rep.Audits[ref.ID]
		if a.Score != nil && *a.Score < 0.9 {
			id := ref.ID
			if a.DisplayValue != "" {
				id += " (" + a.DisplayValue + ")"
			}
			out = append(out, fmt.Sprintf("%s %.2f", id, *a.Score))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
