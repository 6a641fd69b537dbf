package main_test

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
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/ordo/ordo/internal/testkit"
)

// browserSlots bounds the Chromiums running at once. Each browser test
// runs in parallel with the rest of the suite and has a 2-minute budget;
// with every one of them started at once on two cores, pages took tens of
// seconds and tests ran out of their budget (TestBrowserOperatorConsole,
// TestBrowserPhoneFormAndLanguage). Waiting for a slot costs less.
var browserSlots = make(chan struct{}, 2)

// browser starts a headless Chromium (Debian's package) for the test.
// Every later action shares one deadline of 2 minutes: a stuck page fails
// the test with its screenshot instead of stalling the run.
func browser(t *testing.T) context.Context {
	t.Helper()
	return browserWithin(t, 2*time.Minute)
}

// artifacts is where screenshots go: ORDO_TEST_ARTIFACTS, or a temporary
// directory.
func artifacts(t *testing.T) string {
	dir := os.Getenv("ORDO_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, t.Name())
	_ = os.MkdirAll(dir, 0o755)
	return dir
}

// colorScheme makes the page see prefers-color-scheme: scheme ("" for
// the system's).
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		p := emulation.SetEmulatedMediaParams{}
		if scheme != "" {
			p.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
		}
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, p)
		return chromedp.Void{}, err
	}
}

// shoot saves the page at desktop (1366 px) and phone (390 px) width; with
// ORDO_TEST_DARK set, in dark mode too.
func shoot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	schemes := []string{""}
	if os.Getenv("ORDO_TEST_DARK") != "" {
		schemes = append(schemes, "dark")
	}
	for _, scheme := range schemes {
		if err := chromedp.Do(ctx, colorScheme(scheme)); err != nil {
			t.Fatal(err)
		}
		for _, vp := range []struct {
			tag  string
			w, h int64
		}{{"desktop", 1366, 900}, {"phone", 390, 844}} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h)); err != nil {
				t.Fatal(err)
			}
			if vp.tag == "phone" {
				if sw, _ := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); sw > vp.w {
					t.Logf("%s scrolls sideways at %d px: %d px wide", name, vp.w, sw)
				}
			}
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			file := name + "-" + vp.tag
			if scheme != "" {
				file += "-" + scheme
			}
			_ = os.WriteFile(filepath.Join(dir, file+".png"), png, 0o644)
		}
	}
	_ = chromedp.Do(ctx, colorScheme(""))
	_ = chromedp.Do(ctx, chromedp.EmulateViewport(1366, 900))
}

// startBrowserRun starts what a browser test drives: Chromium, and an
// embedded `ordo serve` (with env added) on a free port, ready; a failure
// keeps the page's screenshot and HTML in the test's artifacts directory,
// dir.
func startBrowserRun(t *testing.T, env ...string) (ctx context.Context, dir, base string, srv *process) {
	t.Helper()
	testkit.SkipShort(t, "process-level suite")
	ctx = browser(t)
	dir = artifacts(t)
	keepOnFailure(t, ctx, dir)
	port := freePort(t)
	base = fmt.Sprintf("http://127.0.0.1:%d", port)
	srv = start(t, t.TempDir(), append([]string{fmt.Sprintf("PORT=%d", port), "ORDO_BASE_URL=" + base}, env...))
	waitStatus(t, base+"/readyz", 200, 10*time.Second)
	return ctx, dir, base, srv
}

// keepOnFailure saves the page and its HTML if the test fails.
func keepOnFailure(t *testing.T, ctx context.Context, dir string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "failure.png"), png, 0o644)
		}
		if html, err := chromedp.Run(sctx, chromedp.OuterHTML(chromedp.CSS("html"))); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "failure.html"), []byte(html), 0o644)
		}
		t.Logf("failure screenshot and HTML in %s", dir)
	})
}

// TestBrowser signs up, creates an order through the form, and watches
// the orders list update live when an order arrives through the API.
//
// It is not parallel: Go runs it before the parallel tests, alone in this
// package, so that the heavy multi-process tests do not slow the browser
// past its deadlines.
// stepper runs a named group of browser actions, failing the test with
// the name if they do not complete within 15 s.
func stepper(t *testing.T, ctx context.Context) func(what string, steps ...chromedp.Action[chromedp.Void]) {
	return func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
}

// dropFlash removes the flash messages on the page, so that a
// WaitVisible(".flash") after a form's submit waits for the next page's
// message instead of matching the one still shown (a race that made
// TestBrowserOperatorConsole read the previous step's flash).
func dropFlash() chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](`document.querySelectorAll('.flash').forEach(function (e) { e.remove() }); true`)(ctx, t)
		return chromedp.Void{}, err
	}
}

// texter reads the text of the first element a CSS selector finds.
func texter(t *testing.T, ctx context.Context) func(sel string) string {
	return func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
}

// signUp fills in and sends the sign-up form, as a new user does.
func signUp(base, name, email, password, tenantName string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/signup"),
		chromedp.SendKeys(chromedp.ID("f-name"), name),
		chromedp.SendKeys(chromedp.ID("f-email"), email),
		chromedp.SendKeys(chromedp.ID("f-password"), password),
		chromedp.SendKeys(chromedp.ID("f-tenant_name"), tenantName),
		dropFlash(),
		chromedp.Click(chromedp.CSS("main form button[type=submit]:not([tabindex=\"-1\"])")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	}
}

// verifyToken waits for the confirmation e-mail the server logged for email
// (without SMTP_URL e-mails go to the log) and returns its token.
func verifyToken(t *testing.T, p *process, email string) string {
	t.Helper()
	re := regexp.MustCompile(`"to":"` + regexp.QuoteMeta(email) + `"[^\n]*?verify-email\?token=([A-Za-z0-9_-]+)`)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if m := re.FindStringSubmatch(p.stderr.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no confirmation e-mail to %s logged", email)
		}
	}
}

// orderForm fills in the new-order form with one item and saves it, as a
// user does; the order's page is then shown.
func orderForm(base, customer, email, item, unitPrice string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/app/orders/new"),
		chromedp.SendKeys(chromedp.ID("f-customer_name"), customer),
		chromedp.SendKeys(chromedp.ID("f-customer_email"), email),
		chromedp.SendKeys(chromedp.ID("f-items-0-name"), item),
		chromedp.SendKeys(chromedp.ID("f-items-0-unit_price"), unitPrice),
		chromedp.Click(chromedp.CSS("main form button[name=save]:not([tabindex=\"-1\"])")),
		chromedp.WaitVisible(chromedp.CSS("[data-live=order]")),
	}
}

// requestExport asks for an export of the orders in format from the
// orders page; the exports page is then shown.
func requestExport(base, format string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/app/orders"),
		chromedp.SetValue(chromedp.ID("f-format"), format),
		chromedp.Click(chromedp.CSS(`form[action="/app/exports"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-live=exports]`)),
	}
}

// confirmAndLogIn confirms an address with its e-mailed token and logs in,
// as a new user does after signing up.
func confirmAndLogIn(base, token, email, password string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/verify-email?token=" + token),
		dropFlash(),
		chromedp.Click(chromedp.CSS("main form button[type=submit]:not([tabindex=\"-1\"])")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
		chromedp.Navigate(base + "/login"),
		chromedp.SendKeys(chromedp.ID("f-email"), email),
		chromedp.SendKeys(chromedp.ID("f-password"), password),
		chromedp.Click(chromedp.CSS("main form button[type=submit]:not([tabindex=\"-1\"])")),
		chromedp.WaitVisible(chromedp.CSS(`[data-live="dashboard"]`)),
	}
}

func TestBrowser(t *testing.T) {
	// Webhooks go to a receiver in this test on 127.0.0.1, retried quickly.
	ctx, dir, base, srv := startBrowserRun(t, "ORDO_WEBHOOKS_ALLOW_PRIVATE=true", "ORDO_WEBHOOK_RETRY_SCHEDULE=100ms,200ms")

	step := stepper(t, ctx)
	text := texter(t, ctx)

	step("sign up", signUp(base, "Ann Browser", "ann@example.com", "a long browser password", "Browser Co")...)
	// The address is confirmed with the e-mailed link, which the server
	// logs (no SMTP_URL), before the first log-in.
	step("confirm the address and log in", confirmAndLogIn(base, verifyToken(t, srv, "ann@example.com"), "ann@example.com", "a long browser password")...)
	if !strings.Contains(text("main h1"), "Browser Co") {
		t.Fatalf("dashboard shows %q", text("main h1"))
	}
	shoot(t, ctx, dir, "dashboard")
	// On a phone the navigation is behind the menu button.
	// The page closes the drawer when the viewport narrows, on the media
	// query's change event; a click before that event opened the drawer
	// that the event then closed (a loaded machine delays it).
	step("go phone-sized", chromedp.EmulateViewport(390, 844))
	if closed, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(function (done) {
  var d = document.getElementById("drawer"), t0 = Date.now();
  (function check() { if (!d.open) return done(true); if (Date.now() - t0 > 5000) return done(false); setTimeout(check, 20); })();
})`, chromedp.EvalAwaitPromise)); err != nil || !closed {
		t.Fatalf("at phone width the menu stays open: %v", err)
	}
	// A late change event can still close the drawer just opened (the
	// viewport crosses more than one breakpoint): click again then, as a
	// person would.
	for try := 1; ; try++ {
		step("open the phone menu", chromedp.Click(chromedp.CSS("summary.menu-btn")))
		open, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(function (done) {
  var d = document.getElementById("drawer"), t0 = Date.now();
  (function check() { if (d.open && Date.now() - t0 > 300) return done(true); if (Date.now() - t0 > 3000) return done(false); setTimeout(check, 20); })();
})`, chromedp.EvalAwaitPromise))
		if open {
			break
		}
		if try == 3 {
			t.Fatalf("the phone menu does not stay open after %d clicks", try)
		}
	}
	step("see the phone menu", chromedp.WaitVisible(chromedp.CSS(`.side-nav a[href="/app/orders"]`)))
	// The link is really on top, not clipped or covered.
	onTop, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () {
		var a = document.querySelector('.side-nav a[href="/app/orders"]'), r = a.getBoundingClientRect();
		return a.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
	})()`))
	if !onTop {
		t.Error("the phone menu's links cannot be reached")
	}
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "menu-phone.png"), png, 0o644)
	}
	step("close the phone menu", chromedp.Click(chromedp.CSS("summary.menu-btn")), chromedp.EmulateViewport(1366, 900))

	step("create an order through the form", orderForm(base, "Form Customer", "form@example.com", "Widget", "12.50")...)
	if h := text("main h1"); !strings.Contains(h, "ORD-000001") {
		t.Fatalf("order page shows %q", h)
	}

	step("move the order along",
		chromedp.Click(chromedp.CSS(`form[action$="/transition"] input[value="processing"] + button`)),
		chromedp.WaitVisible(chromedp.CSS("h1 .badge.status-processing")),
	)
	orderURL, _ := chromedp.Run(ctx, chromedp.Location())

	// Upload a file straight to storage from the order page.
	file := filepath.Join(t.TempDir(), "delivery-note.txt")
	if err := os.WriteFile(file, []byte(strings.Repeat("signed by the customer\n", 200)), 0o644); err != nil {
		t.Fatal(err)
	}
	step("upload an attachment",
		chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{file}),
		chromedp.WaitVisible(chromedp.CSS(`a[href^="/app/attachments/"]`)),
	)
	if link := text(`a[href^="/app/attachments/"]`); link != "delivery-note.txt" {
		t.Errorf("attachment link shows %q", link)
	}
	time.Sleep(500 * time.Millisecond) // let the live refresh settle
	shoot(t, ctx, dir, "order")

	// The invoice is generated in the background; its section updates
	// live when it is ready.
	step("generate the invoice",
		chromedp.Click(chromedp.ID("invoice-generate")),
		chromedp.WaitVisible(chromedp.ID("invoice-download")),
	)
	if link := text("#invoice-download"); link != "Download PDF" {
		t.Errorf("invoice link shows %q", link)
	}
	shoot(t, ctx, dir, "order-invoice")
	step("open the settings", chromedp.Navigate(base+"/app/settings"), chromedp.WaitVisible(chromedp.ID("branding")))
	shoot(t, ctx, dir, "settings")

	step("create an API key",
		chromedp.Navigate(base+"/app/api-keys"),
		chromedp.SendKeys(chromedp.ID("f-name"), "live"),
		chromedp.Click(chromedp.CSS("main form button[type=submit]:not([tabindex=\"-1\"])")),
		chromedp.WaitVisible(chromedp.ID("new-key")),
	)
	key := strings.TrimSpace(text("#new-key"))
	step("the key has a copy button", chromedp.WaitVisible(chromedp.CSS(`button.copy[data-copy="#new-key"]`)))
	shoot(t, ctx, dir, "apikeys")

	step("open the orders list", chromedp.Navigate(base+"/app/orders"), chromedp.WaitVisible(chromedp.CSS("[data-live=orders]")),
		// app.js marks <html> once the page's event stream is connected.
		chromedp.WaitReady(chromedp.CSS("html[data-live-open]")))
	shoot(t, ctx, dir, "orders")

	body := `{"customer_name":"Live Customer","customer_email":"live@example.com","currency":"EUR","items":[{"name":"Gadget","quantity":2,"unit_price":700}]}`
	req, _ := http.NewRequest("POST", base+"/api/v1/orders", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("create order through the API: %v %v", err, res)
	}
	res.Body.Close()

	deadline := time.Now().Add(5 * time.Second)
	for {
		list, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-live]").innerText`))
		if strings.Contains(list, "Live Customer") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the orders list did not update live within 5s; it shows:\n%s", list)
		}
		time.Sleep(100 * time.Millisecond)
	}
	shoot(t, ctx, dir, "orders-live")

	// Webhooks: add an endpoint, see its secret once, send a test event
	// and see it delivered.
	hits := make(chan string, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case hits <- r.Header.Get("webhook-id"):
		default:
		}
		_, _ = w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(rcv.Close)
	step("add a webhook endpoint",
		chromedp.Navigate(base+"/app/webhooks"),
		chromedp.SendKeys(chromedp.ID("f-url"), rcv.URL+"/hooks"),
		chromedp.SendKeys(chromedp.ID("f-description"), "Browser receiver"),
		chromedp.Click(chromedp.CSS(`input[value="order.created"]`)),
		chromedp.Click(chromedp.CSS("main form button[type=submit]:not([tabindex=\"-1\"])")),
		chromedp.WaitVisible(chromedp.ID("new-secret")),
	)
	if secret := text("#new-secret"); !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the new endpoint's secret shows %q", secret)
	}
	shoot(t, ctx, dir, "webhooks")
	step("send a test event",
		chromedp.Click(chromedp.CSS(`main table a[href^="/app/webhooks/"]`)),
		chromedp.WaitVisible(chromedp.ID("send-test")),
		dropFlash(),
		chromedp.Click(chromedp.ID("send-test")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	select {
	case <-hits:
	case <-time.After(5 * time.Second):
		t.Fatal("the receiver got no test event within 5s")
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		step("reload the endpoint", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("send-test")))
		ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector(".badge.delivery-succeeded")`))
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the delivery log shows no successful delivery within 5s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	_, _ = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelectorAll("tr.attempts details").forEach(function (d) { d.open = true }); true`))
	shoot(t, ctx, dir, "webhook")

	// Export the orders as CSV and download the file, with the browser's
	// session.
	step("export CSV", append(requestExport(base, "csv"), chromedp.WaitVisible(chromedp.CSS(`a[href$="/download"]`)))...)
	shoot(t, ctx, dir, "exports")
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`a[href$="/download"]`), "href"))
	if err != nil {
		t.Fatal(err)
	}
	csvText := string(fetchAsBrowser(t, ctx, base+href.Value))
	if !strings.Contains(csvText, "Form Customer") || !strings.Contains(csvText, "Live Customer") {
		t.Fatalf("the CSV download lacks the orders:\n%s", csvText)
	}

	// Invite a viewer, accept as them, and see they cannot edit.
	viewer := "vera@example.com"
	step("invite a viewer",
		chromedp.Navigate(base+"/app/members"),
		chromedp.SendKeys(chromedp.ID("f-email"), viewer),
		chromedp.SetValue(chromedp.ID("f-role"), "viewer"),
		dropFlash(),
		chromedp.Click(chromedp.CSS(`form[action="/app/invitations"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	shoot(t, ctx, dir, "members")
	step("sort the members by name", chromedp.Click(chromedp.CSS(`th[data-sort] button.sort`)))
	if sorted, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("th[data-sort]").getAttribute("aria-sort")`)); sorted != "ascending" {
		t.Errorf("a sorted column says aria-sort=%q", sorted)
	}
	step("open the failed jobs", chromedp.Navigate(base+"/app/jobs"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	shoot(t, ctx, dir, "jobs")
	step("open the audit log", chromedp.Navigate(base+"/app/audit"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	shoot(t, ctx, dir, "audit")
	step("open the tenants", chromedp.Navigate(base+"/app/tenants"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	shoot(t, ctx, dir, "tenants")
	// Without SMTP the invitation is written to the log, link included.
	var accept string
	for deadline := time.Now().Add(10 * time.Second); accept == ""; {
		if i := strings.Index(srv.stderr.String(), "/invitations/accept?token="); i >= 0 {
			rest := srv.stderr.String()[i:]
			accept = base + rest[:strings.IndexAny(rest, "\\\" \n")]
		} else if time.Now().After(deadline) {
			t.Fatal("no invitation e-mail in the log within 10s")
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
	step("log out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)))
	shoot(t, ctx, dir, "login")
	step("accept as the viewer",
		chromedp.Navigate(accept),
		chromedp.SendKeys(chromedp.ID("f-name"), "Vera Viewer"),
		chromedp.SendKeys(chromedp.ID("f-password"), "a long viewer password"),
		dropFlash(),
		chromedp.Click(chromedp.CSS(`form[action="/invitations/accept"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	step("open the dashboard as the viewer", chromedp.Navigate(base+"/app"), chromedp.WaitVisible(chromedp.CSS(".stats")))
	shoot(t, ctx, dir, "dashboard-orders")
	step("open the order as the viewer", chromedp.Navigate(orderURL), chromedp.WaitVisible(chromedp.CSS("[data-live=order]")))
	shoot(t, ctx, dir, "order-viewer")
	canEdit, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('a[href$="/edit"], form[action$="/transition"]')`))
	if canEdit {
		t.Fatal("a viewer is offered to edit the order")
	}
	step("try the edit form as the viewer", chromedp.Navigate(orderURL+"/edit"), chromedp.WaitVisible(chromedp.CSS("main")))
	if h := text("main h1"); !strings.Contains(strings.ToLower(h), "not allowed") && !strings.Contains(strings.ToLower(h), "forbidden") {
		t.Fatalf("the viewer's edit page shows %q", h)
	}
}

// fetchAsBrowser GETs url with the browser's cookies, following redirects.
func fetchAsBrowser(t *testing.T, ctx context.Context, url string) []byte {
	t.Helper()
	res0, err := chromedp.Run(ctx, chromedp.Action[network.GetCookiesResult](func(ctx context.Context, tg *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{})
	}))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", url, nil)
	for _, c := range res0.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return b
}

// TestBrowserUploadFromAnotherOrigin opens the app at http://127.0.0.1
// while ORDO_BASE_URL says http://localhost (same port) and uploads a file
// on an order page: local-disk upload URLs are same-origin, so the upload
// works wherever the page was served from, and the file is listed and
// downloads. A refused file says what failed and leaves nothing pending.
func TestBrowserUploadFromAnotherOrigin(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	ctx := browser(t)
	dir := artifacts(t)
	keepOnFailure(t, ctx, dir)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	srv := start(t, t.TempDir(), []string{fmt.Sprintf("PORT=%d", port), fmt.Sprintf("ORDO_BASE_URL=http://localhost:%d", port)})
	waitStatus(t, base+"/readyz", 200, 10*time.Second)

	step := stepper(t, ctx)
	text := texter(t, ctx)
	step("sign up", signUp(base, "Olga Origin", "olga@example.com", "a long browser password", "Origin Co")...)
	step("confirm the address and log in", confirmAndLogIn(base, verifyToken(t, srv, "olga@example.com"), "olga@example.com", "a long browser password")...)
	step("create an order", orderForm(base, "Origin Customer", "origin@example.com", "Widget", "3.00")...)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(loc, base+"/") {
		t.Fatalf("the page left %s: %s", base, loc)
	}

	content := strings.Repeat("proof of delivery\n", 100)
	file := filepath.Join(t.TempDir(), "proof.txt")
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	step("upload an attachment at 127.0.0.1",
		chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{file}),
		chromedp.WaitVisible(chromedp.CSS(`a[href^="/app/attachments/"]`)),
	)
	if link := text(`a[href^="/app/attachments/"]`); link != "proof.txt" {
		t.Errorf("attachment link shows %q", link)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('a[href^="/app/attachments/"]').href`))
	if err != nil {
		t.Fatal(err)
	}
	// The download is a redirect to a same-origin signed URL.
	if got := string(fetchAsBrowser(t, ctx, href)); got != content {
		t.Errorf("downloaded %d bytes, want the %d uploaded", len(got), len(content))
	}
	shoot(t, ctx, dir, "order-upload")

	// A type the server refuses: the page says what failed and why.
	bad := filepath.Join(t.TempDir(), "page.xhtml")
	if err := os.WriteFile(bad, []byte("<html/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	step("upload a refused file",
		chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{bad}),
		chromedp.WaitVisible(chromedp.CSS(".upload-error")),
	)
	if msg := text(".upload-error"); !strings.Contains(msg, "page.xhtml: 422") || !strings.Contains(msg, "content_type is not an allowed file type") {
		t.Errorf("the refusal reads %q", msg)
	}
}

// TestBrowserUploadStorageUnreachable: with S3 whose public address
// browsers cannot reach (a misconfigured S3_PUBLIC_ENDPOINT), the upload
// fails with a message naming the address and the setting, and the page
// deletes the pending attachment it created, so no row is left behind.
func TestBrowserUploadStorageUnreachable(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	ctx := browser(t)
	dir := artifacts(t)
	keepOnFailure(t, ctx, dir)
	s3 := testkit.S3Server(t)
	port, dead := freePort(t), freePort(t) // nothing listens on dead
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	srv := start(t, t.TempDir(), []string{fmt.Sprintf("PORT=%d", port), "ORDO_BASE_URL=" + base,
		"S3_ENDPOINT=" + s3.Endpoint, fmt.Sprintf("S3_PUBLIC_ENDPOINT=http://127.0.0.1:%d", dead), "S3_BUCKET=ordo-unreachable",
		"S3_ACCESS_KEY_ID=" + s3.AccessKey, "S3_SECRET_ACCESS_KEY=" + s3.SecretKey, "S3_FORCE_PATH_STYLE=true", "S3_CREATE_BUCKET=true"})
	waitStatus(t, base+"/readyz", 200, 10*time.Second)

	step := stepper(t, ctx)
	step("sign up", signUp(base, "Una Reach", "una@example.com", "a long browser password", "Unreachable Co")...)
	step("confirm the address and log in", confirmAndLogIn(base, verifyToken(t, srv, "una@example.com"), "una@example.com", "a long browser password")...)
	step("create an order", orderForm(base, "Reach Customer", "reach@example.com", "Widget", "3.00")...)
	file := filepath.Join(t.TempDir(), "note.txt")
	if err := os.WriteFile(file, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	step("upload to unreachable storage",
		chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{file}),
		chromedp.WaitVisible(chromedp.CSS(".upload-error")),
	)
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".upload-error")))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("could not reach the file storage at http://127.0.0.1:%d", dead); !strings.Contains(msg, want) || !strings.Contains(msg, "S3_PUBLIC_ENDPOINT") {
		t.Errorf("the failure reads %q; want it to name %q and S3_PUBLIC_ENDPOINT", msg, want)
	}
	// The page deletes the pending attachment (asynchronously, after
	// showing the error): wait for the list to be empty.
	deadline := time.Now().Add(10 * time.Second)
	for {
		list := string(fetchAsBrowser(t, ctx, base+"/api/v1/attachments"))
		if strings.Contains(list, `"data":[]`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the failed upload's pending attachment is still listed: %s", list)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// setLanguage makes the browser send Accept-Language: lang, as one whose
// user chose that language would.
func setLanguage(lang string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}})
		return chromedp.Void{}, err
	}
}

// TestBrowserLocaleAmount is issue 16 (2) through the UI: a German user
// types the price "12,50" and the order is 12,50 EUR, not 1.250,00; an
// English user typing the same sees a field error on the form instead of
// an order for a hundred times the price. Not parallel, like TestBrowser.
func TestBrowserLocaleAmount(t *testing.T) {
	ctx, dir, base, srv := startBrowserRun(t)

	step := stepper(t, ctx)
	text := texter(t, ctx)

	step("sign up in German",
		setLanguage("de-DE,de;q=0.9,en;q=0.5"),
		chromedp.Navigate(base+"/signup"),
		chromedp.SendKeys(chromedp.ID("f-name"), "Dora Deutsch"),
		chromedp.SendKeys(chromedp.ID("f-email"), "dora@example.com"),
		chromedp.SendKeys(chromedp.ID("f-password"), "a long browser password"),
		chromedp.SendKeys(chromedp.ID("f-tenant_name"), "Łódź Trading"),
		dropFlash(),
		chromedp.Click(chromedp.CSS("main form button[type=submit]:not([tabindex=\"-1\"])")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	step("confirm the address and log in", confirmAndLogIn(base, verifyToken(t, srv, "dora@example.com"), "dora@example.com", "a long browser password")...)
	step("open the order form", chromedp.Navigate(base+"/app/orders/new"), chromedp.WaitVisible(chromedp.ID("amount-hint")))
	if hint := text("#amount-hint"); !strings.Contains(hint, "1.234,56") {
		t.Fatalf("the form's hint for a German user is %q", hint)
	}
	step("create an order typing 12,50",
		chromedp.SendKeys(chromedp.ID("f-customer_name"), "Form Kunde"),
		chromedp.SendKeys(chromedp.ID("f-customer_email"), "kunde@example.com"),
		chromedp.SendKeys(chromedp.ID("f-items-0-name"), "Widget"),
		chromedp.SendKeys(chromedp.ID("f-items-0-unit_price"), "12,50"),
		chromedp.SetValue(chromedp.ID("f-items-0-tax_rate_bp"), "0"),
		chromedp.Click(chromedp.CSS("main form button[name=save]:not([tabindex=\"-1\"])")),
		chromedp.WaitVisible(chromedp.CSS("[data-live=order]")),
	)
	shoot(t, ctx, dir, "order-de")
	total := text("main table tr:last-child td:last-child strong")
	if total != "12,50 EUR" {
		t.Fatalf("the order's total shows %q, want 12,50 EUR", total)
	}
	if page := text("main"); strings.Contains(page, "1.250,00") || strings.Contains(page, "1,250.00") {
		t.Fatalf("the order shows a hundred times the price:\n%s", page)
	}
	orderURL, _ := chromedp.Run(ctx, chromedp.Location())
	step("open the edit form", chromedp.Navigate(orderURL+"/edit"), chromedp.WaitVisible(chromedp.ID("f-items-0-unit_price")))
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-items-0-unit_price"))); v != "12,50" {
		t.Fatalf("the edit form shows the price as %q, want 12,50", v)
	}
	// The same order in English shows English separators.
	step("view in English", setLanguage("en-US,en;q=0.9"), chromedp.Navigate(orderURL), chromedp.WaitVisible(chromedp.CSS("[data-live=order]")))
	if total := text("main table tr:last-child td:last-child strong"); total != "12.50 EUR" {
		t.Fatalf("in English the total shows %q, want 12.50 EUR", total)
	}

	step("type 12,50 as an English user",
		chromedp.Navigate(base+"/app/orders/new"),
		chromedp.SendKeys(chromedp.ID("f-customer_name"), "Form Customer"),
		chromedp.SendKeys(chromedp.ID("f-customer_email"), "customer@example.com"),
		chromedp.SendKeys(chromedp.ID("f-items-0-name"), "Widget"),
		chromedp.SendKeys(chromedp.ID("f-items-0-unit_price"), "12,50"),
		chromedp.Click(chromedp.CSS("main form button[name=save]:not([tabindex=\"-1\"])")),
		chromedp.WaitVisible(chromedp.CSS(".field-error")),
	)
	shoot(t, ctx, dir, "order-en-refused")
	if e := text(".field-error"); !strings.Contains(e, "Item 1: unit price") || !strings.Contains(e, "1,234.56") {
		t.Fatalf("the field error says %q", e)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-items-0-unit_price"))); v != "12,50" {
		t.Fatalf("the refused form keeps the price as %q", v)
	}
}

// TestBrowserOrdersPaging seeds 180 orders, filters the list by status
// and a search in the form, clicks "Next page" to the last page and
// "Previous page" back to the first (issue 16, defect 1: the Next link
// had its whole query string escaped into one parameter, so it led back
// to page 1 with the filters lost and a longer URL on every click). Every
// row shown must match the filters, every matching order must show
// exactly once, and the URL must stay short.
//
// Not parallel, as TestBrowser.
func TestBrowserOrdersPaging(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	ctx := browser(t)
	dir := artifacts(t)
	keepOnFailure(t, ctx, dir)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	// The seeding below is 315 API calls in a few seconds.
	srv := start(t, t.TempDir(), []string{fmt.Sprintf("PORT=%d", port), "ORDO_BASE_URL=" + base,
		"ORDO_API_RATE_PER_MINUTE=100000", "ORDO_API_RATE_BURST=10000"})
	waitStatus(t, base+"/readyz", 200, 10*time.Second)

	// Seed through the API: a user, an API key, and the orders.
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	call := func(c *http.Client, key, method, path, body string, want int) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
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
	const email, pw = "pat@example.com", "a long paging password"
	call(hc, "", "POST", "/api/v1/auth/signup", `{"email":"`+email+`","password":"`+pw+`","name":"Pat Pager","tenant_name":"Paging Co"}`, 202)
	call(hc, "", "POST", "/api/v1/auth/verify-email", `{"token":"`+verifyToken(t, srv, email)+`"}`, 200)
	call(hc, "", "POST", "/api/v1/auth/login", `{"email":"`+email+`","password":"`+pw+`"}`, 200)
	key, _ := call(hc, "", "POST", "/api/v1/api-keys", `{"name":"seed","role":"owner"}`, 201)["key"].(string)

	// 180 orders, oldest first: every 4th stays pending, the others are
	// processing; every 5th is Alan's, the others Grace's. Processing
	// orders of Grace: 108, so three pages of 50, 50 and 8.
	var want []string // newest first, as the list shows them
	for i := range 180 {
		name := fmt.Sprintf("Grace Hopper %03d", i)
		if i%5 == 4 {
			name = fmt.Sprintf("Alan Turing %03d", i)
		}
		o := call(http.DefaultClient, key, "POST", "/api/v1/orders",
			`{"customer_name":"`+name+`","customer_email":"c`+fmt.Sprint(i)+`@example.com","currency":"EUR","items":[{"name":"Widget","quantity":1,"unit_price":`+fmt.Sprint(100+i)+`}]}`, 201)
		id, _ := o["id"].(string)
		if i%4 != 3 {
			call(http.DefaultClient, key, "POST", "/api/v1/orders/"+id+"/transitions", `{"to":"processing"}`, 200)
			if i%5 != 4 {
				want = append([]string{id}, want...)
			}
		}
	}
	if len(want) != 108 {
		t.Fatalf("seeded %d matching orders, want 108", len(want))
	}

	step := stepper(t, ctx)
	step("log in",
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("f-email"), email),
		chromedp.SendKeys(chromedp.ID("f-password"), pw),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
	)
	// Logged in once the dashboard is there (the login page has a nav too).
	for deadline := time.Now().Add(15 * time.Second); ; {
		in, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.pathname === "/app" && document.readyState === "complete"`))
		if in {
			break
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("not on the dashboard 15s after logging in: %s", loc)
		}
		time.Sleep(50 * time.Millisecond)
	}
	step("open the orders",
		chromedp.Navigate(base+"/app/orders"),
		chromedp.WaitVisible(chromedp.CSS("[data-live=orders]")),
	)
	// The orders were all created just now: a range from yesterday to
	// tomorrow (UTC days) holds them all, whatever the time of day.
	now := time.Now().UTC()
	from, to := now.AddDate(0, 0, -1).Format("2006-01-02"), now.AddDate(0, 0, 1).Format("2006-01-02")

	type row struct{ ID, Status, Customer string }
	// clickAndWait clicks sel and waits for the new page: the marker set
	// on the old page is gone and the list is there.
	clickAndWait := func(what, sel string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__oldPage = true`)); err != nil {
			t.Fatalf("%s: mark the page: %v", what, err)
		}
		step(what, chromedp.Click(chromedp.CSS(sel)))
		deadline := time.Now().Add(15 * time.Second)
		for {
			loaded, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!window.__oldPage && document.readyState === "complete" && !!document.querySelector("[data-live=orders]")`))
			if loaded {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no new page within 15s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	page := func() ([]row, string) {
		t.Helper()
		js := `JSON.stringify(Array.from(document.querySelectorAll("[data-live=orders] tbody tr")).map(function (tr) {
			return {ID: tr.querySelector("a").getAttribute("href").split("/").pop(), Status: tr.querySelector(".badge").textContent.trim(), Customer: tr.cells[1].textContent};
		}))`
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatal(err)
		}
		var rows []row
		if err := json.Unmarshal([]byte(raw), &rows); err != nil {
			t.Fatal(err)
		}
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		if q := u.Query(); q.Get("status") != "processing" || q.Get("q") != "grace" || q.Get("created_from") != from || q.Get("created_to") != to || q.Get("sort") != "total" {
			t.Fatalf("the page's URL lost the filters or the sort: %s", loc)
		}
		// Filters, sort and one cursor make about 300 characters; a URL
		// that grew with every page would pass 400 within a page or two.
		if len(loc) > 400 {
			t.Fatalf("the page's URL grows: %d characters: %s", len(loc), loc)
		}
		for _, r := range rows {
			if r.Status != "Processing" || !strings.Contains(r.Customer, "Grace Hopper") {
				t.Fatalf("a row does not match the filters on %s: %+v", loc, r)
			}
		}
		return rows, loc
	}
	// link finds the link that reads text and marks it for a click: the
	// links are found as a user finds them, by what they say.
	link := func(text string) string {
		t.Helper()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () {
			document.querySelectorAll("[data-test-link]").forEach(function (a) { a.removeAttribute("data-test-link") });
			var a = Array.from(document.querySelectorAll("main a")).find(function (a) { return a.textContent.indexOf(`+strconv.Quote(text)+`) >= 0 });
			if (a) { a.setAttribute("data-test-link", ""); }
			return !!a;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return ""
		}
		return "[data-test-link]"
	}
	ids := func(rows []row) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i] = r.ID
		}
		return out
	}

	clickAndWait("the Processing chip", link("Processing"))
	step("fill in the search and the date range",
		chromedp.SendKeys(chromedp.ID("f-q"), "grace"),
		chromedp.SetValue(chromedp.ID("f-created_from"), from),
		chromedp.SetValue(chromedp.ID("f-created_to"), to),
	)
	clickAndWait("apply the filters", `form[role=search] button[type=submit]`)
	// Sort by total: the first click is largest first, the second
	// smallest first, which is oldest first here (each order costs a
	// cent more than the one before).
	clickAndWait("sort by total", link("Total"))
	if sorted, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("th[aria-sort=descending]").textContent`)); strings.TrimSpace(sorted) != "Total" {
		t.Fatalf("after one click the table is not sorted by total, largest first: %q", sorted)
	}
	clickAndWait("sort by total, smallest first", link("Total"))
	if sorted, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("th[aria-sort=ascending]").textContent`)); strings.TrimSpace(sorted) != "Total" {
		t.Fatalf("after two clicks the table is not sorted by total, smallest first: %q", sorted)
	}
	slices.Reverse(want)
	var forward [][]string
	for n := 1; ; n++ {
		rows, loc := page()
		forward = append(forward, ids(rows))
		if n == 1 && link("Previous page") != "" {
			t.Fatalf("the first page offers a previous page: %s", loc)
		}
		next := link("Next page")
		if next == "" {
			break
		}
		if n > 5 {
			t.Fatalf("more than 5 pages of 108 orders at 50 a page: %s", loc)
		}
		clickAndWait(fmt.Sprintf("next page from page %d", n), next)
	}
	shoot(t, ctx, dir, "orders-last-page")
	var seen []string
	for _, p := range forward {
		seen = append(seen, p...)
	}
	if len(forward) != 3 || strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Fatalf("Next walked %d pages of %v rows; want every matching order once, smallest total first, on 3 pages (got %d rows, want %d)",
			len(forward), pageSizes(forward), len(seen), len(want))
	}

	// And back with "Previous page" to page 1, through the same pages.
	for n := len(forward) - 1; n >= 1; n-- {
		prev := link("Previous page")
		if prev == "" {
			t.Fatalf("page %d offers no previous page", n+1)
		}
		clickAndWait(fmt.Sprintf("previous page to page %d", n), prev)
		rows, loc := page()
		if strings.Join(ids(rows), ",") != strings.Join(forward[n-1], ",") {
			t.Fatalf("Previous to page %d (%s) shows other orders than Next did", n, loc)
		}
	}
	if link("Previous page") != "" {
		t.Fatal("back on page 1, a previous page is still offered")
	}
	if link("Next page") == "" {
		t.Fatal("back on page 1, no next page is offered")
	}
	shoot(t, ctx, dir, "orders-first-page")
}

func pageSizes(pages [][]string) []int {
	out := make([]int, len(pages))
	for i, p := range pages {
		out[i] = len(p)
	}
	return out
}
