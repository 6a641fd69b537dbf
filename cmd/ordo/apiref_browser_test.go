package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// cspWatch records what would tell of a CSP violation: every
// securitypolicyviolation event the page fires (a listener installed
// before any of the page's scripts runs) and every error or warning on the
// browser console.
const cspWatch = `window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});`

// TestBrowserAPIReference opens the API reference, which Redoc renders
// from the OpenAPI document with a bundle Ordo serves itself, and checks
// that an operation, a schema and a webhook event are shown, at desktop
// and phone width, with no CSP violation on the page or the console.
func TestBrowserAPIReference(t *testing.T) {
	ctx, dir, base, _ := startBrowserRun(t)

	var mu sync.Mutex
	var console []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				mu.Lock()
				console = append(console, m.String())
				mu.Unlock()
			}
		}
	}()
	if _, err := chromedp.Run(ctx, chromedp.Action[page.AddScriptToEvaluateOnNewDocumentResult](
		func(ctx context.Context, tg *chromedp.Target) (page.AddScriptToEvaluateOnNewDocumentResult, error) {
			return cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch})
		})); err != nil {
		t.Fatal(err)
	}

	step := stepper(t, ctx)
	text := texter(t, ctx)
	// Redoc names each section by its place in the document.
	const (
		operation = `[data-section-id="tag/orders/operation/createOrder"]`
		schema    = `[data-section-id="schema/Order"]`
		webhook   = `[data-section-id="tag/webhooks/operation/webhook_order_created"]`
	)
	// Redoc parses the whole document in the browser before it shows
	// anything: on a busy machine that takes longer than one step's 15 s.
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(rctx,
		chromedp.EmulateViewport(1366, 900),
		chromedp.Navigate(base+"/api/v1/docs"),
		chromedp.WaitVisible(chromedp.CSS(operation)),
	); err != nil {
		t.Fatalf("open the reference: %v", err)
	}
	if h := text(operation + " h2"); !strings.Contains(h, "Create an order") {
		t.Errorf("the createOrder section is headed %q", h)
	}
	// Redoc's search runs in a Web Worker made from a blob: URL: the
	// page's policy (worker-src blob:) must let one start.
	worker, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new Promise(function (done) {
  var w = new Worker(URL.createObjectURL(new Blob(["postMessage('started')"])));
  w.onmessage = function (e) { done(e.data) };
  w.onerror = function (e) { done("error: " + e.message) };
  setTimeout(function () { done("no answer in 10 s") }, 10000);
})`, chromedp.EvalAwaitPromise))
	if err != nil || worker != "started" {
		t.Errorf("a blob: worker on the page: %q, %v", worker, err)
	}
	// And the search itself: a word from one operation's summary finds it.
	step("search the reference",
		chromedp.SendKeys(chromedp.CSS(`input[placeholder="Search..."]`), "invoice"),
		chromedp.WaitVisible(chromedp.CSS(`[data-role="search:results"] li`)))
	if got := text(`[data-role="search:results"]`); !strings.Contains(strings.ToLower(got), "invoice") {
		t.Errorf("searching for invoice finds:\n%.300s", got)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('input[placeholder="Search..."]').value = ''; true`)); err != nil {
		t.Fatal(err)
	}

	// Then at phone width: Redoc lays the page out again, its menu
	// behind a button.
	for _, vp := range []struct {
		tag  string
		w, h int64
	}{{"1366", 1366, 900}, {"390", 390, 844}} {
		step("resize to "+vp.tag, chromedp.EmulateViewport(vp.w, vp.h))
		for _, s := range []struct{ name, sel, want string }{
			{"operation", operation, "/api/v1/orders"},
			{"schema", schema, "customer_email"},
			{"webhook", webhook, "order.created"},
		} {
			// The section's top at the top of the window, where a reader
			// following a link to it lands.
			step("show the "+s.name, chromedp.WaitVisible(chromedp.CSS(s.sel)))
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('`+s.sel+`').scrollIntoView(); true`)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond) // Redoc syncs its menu to the scroll
			if got := text(s.sel); !strings.Contains(got, s.want) {
				t.Errorf("the %s section does not show %q:\n%.300s", s.name, s.want, got)
			}
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			_ = os.WriteFile(filepath.Join(dir, "apiref-"+s.name+"-"+vp.tag+".png"), png, 0o644)
		}
	}
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__cspViolations`))
	if err != nil {
		t.Fatal(err)
	}
	if len(violations) > 0 {
		t.Errorf("CSP violations:\n%s", strings.Join(violations, "\n"))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(console) > 0 {
		t.Errorf("the console shows errors or warnings:\n%s", strings.Join(console, "\n"))
	}
}
