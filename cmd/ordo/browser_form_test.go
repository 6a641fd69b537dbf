package main_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPhoneFormAndLanguage is issue 19's form check at phone width:
// an order form sent with four mistakes shows all four at once, each next
// to its field and in the summary, keeps what was typed, and does not
// scroll sideways; fixing all four in one more submit creates the order.
// Then the user switches the UI to German from the menu and back.
//
// Not parallel, as TestBrowser.
func TestBrowserPhoneFormAndLanguage(t *testing.T) {
	ctx, dir, base, srv := startBrowserRun(t)

	step := stepper(t, ctx)
	text := texter(t, ctx)
	value := func(id string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("value of #%s: %v", id, err)
		}
		return v
	}
	noSidewaysScroll := func(what string) {
		t.Helper()
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err != nil || wide {
			t.Errorf("%s scrolls sideways (%v)", what, err)
		}
	}
	const email, password = "phone@example.com", "a long browser password"
	step("sign up on a phone", append([]chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(390, 844)},
		signUp(base, "Phoebe Phone", email, password, "Phone Co")...)...)
	step("confirm the address and log in", confirmAndLogIn(base, verifyToken(t, srv, email), email, password)...)

	countRows := func() int {
		n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("input[id^='f-items-'][id$='-name']").length`))
		return n
	}
	save := chromedp.Click(chromedp.CSS(`main form button[name=save]:not([tabindex="-1"])`))
	step("open the order form", chromedp.Navigate(base+"/app/orders/new"), chromedp.WaitVisible(chromedp.ID("f-customer_email")))
	rowsBefore := countRows()
	step("send the order form with four mistakes",
		// No customer name, a malformed address, no quantity, a price
		// that is not a number.
		chromedp.SendKeys(chromedp.ID("f-customer_email"), "not-an-address"),
		chromedp.SendKeys(chromedp.ID("f-items-0-name"), "Widget"),
		chromedp.SetValue(chromedp.ID("f-items-0-quantity"), "0"),
		chromedp.SendKeys(chromedp.ID("f-items-0-unit_price"), "abc"),
		save,
		chromedp.WaitVisible(chromedp.CSS(".errors-summary")),
	)
	shoot(t, ctx, dir, "order-form-four-errors")
	noSidewaysScroll("the refused order form at desktop width")
	step("back to phone width", chromedp.EmulateViewport(390, 844))
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".field-error").length`))
	if err != nil || n != 4 {
		t.Fatalf("the form shows %d field errors (%v), want 4:\n%s", n, err, text("main"))
	}
	if s := text(".errors-summary"); !strings.Contains(s, "4") {
		t.Errorf("the summary does not count four mistakes:\n%s", s)
	}
	for _, want := range []string{"Customer name", "Item 1: quantity", "Item 1: unit price"} {
		if s := text(".errors-summary"); !strings.Contains(s, want) {
			t.Errorf("the summary does not name %q:\n%s", want, s)
		}
	}
	if v := value("f-customer_email"); v != "not-an-address" {
		t.Errorf("the refused form keeps the address as %q", v)
	}
	if v := value("f-items-0-unit_price"); v != "abc" {
		t.Errorf("the refused form keeps the price as %q", v)
	}
	if rows := countRows(); rows != rowsBefore {
		t.Errorf("the refused form has %d item rows, %d before", rows, rowsBefore)
	}
	noSidewaysScroll("the refused order form at 390 px")

	step("fix all four and send again",
		chromedp.SendKeys(chromedp.ID("f-customer_name"), "Fixed Customer"),
		chromedp.SetValue(chromedp.ID("f-customer_email"), "fixed@example.com"),
		chromedp.SetValue(chromedp.ID("f-items-0-quantity"), "2"),
		chromedp.SetValue(chromedp.ID("f-items-0-unit_price"), "9.50"),
		save,
		chromedp.WaitVisible(chromedp.CSS("[data-live=order]")),
	)
	shoot(t, ctx, dir, "order-fixed")
	step("back to phone width", chromedp.EmulateViewport(390, 844))
	if total := text("main table tr:last-child td:last-child strong"); total != "19.00 EUR" {
		t.Errorf("the order's total shows %q, want 19.00 EUR", total)
	}
	noSidewaysScroll("the order page at 390 px")

	// The language is chosen in the menu, which a phone shows behind its
	// button; choosing submits the form (app.js), and the page comes back
	// in German.
	orderURL, _ := chromedp.Run(ctx, chromedp.Location())
	step("open the menu",
		chromedp.Click(chromedp.CSS("summary.menu-btn")),
		chromedp.WaitVisible(chromedp.ID("ui-lang")))
	step("switch to German",
		chooseLanguage("de"),
		chromedp.WaitReady(chromedp.CSS(`html[lang="de"]`)),
	)
	shoot(t, ctx, dir, "order-de")
	step("back to phone width", chromedp.EmulateViewport(390, 844))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != orderURL {
		t.Errorf("after switching language the browser is at %s, not back at the order %s", loc, orderURL)
	}
	if m := text("summary.menu-btn"); !strings.Contains(m, "Menü") {
		t.Errorf("the menu button reads %q in German", m)
	}
	if total := text("main table tr:last-child td:last-child strong"); total != "19,00 EUR" {
		t.Errorf("in German the total shows %q, want 19,00 EUR", total)
	}
	step("and back to English at desktop width",
		chromedp.EmulateViewport(1366, 900),
		chooseLanguage("en"),
		chromedp.WaitReady(chromedp.CSS(`html[lang="en"]`)),
	)
	if m := text("main h1"); strings.Contains(m, "Bestellung") {
		t.Errorf("back in English the heading reads %q", m)
	}
}

// chooseLanguage picks lang in the language menu as a person does: the
// select changes, and app.js sends its form.
func chooseLanguage(lang string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](`(function () {
  var s = document.getElementById("ui-lang");
  s.value = "`+lang+`";
  s.dispatchEvent(new Event("change", {bubbles: true}));
  return true;
})()`)(ctx, tg)
		return chromedp.Void{}, err
	}
}
