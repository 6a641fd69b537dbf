package main_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserProfile opens the profile page of a fresh user, with its
// session listed, and screenshots it at both widths.
//
// Not parallel, as TestBrowser.
func TestBrowserProfile(t *testing.T) {
	ctx, dir, base, srv := startBrowserRun(t)

	step := stepper(t, ctx)
	text := texter(t, ctx)
	step("sign up",
		chromedp.Navigate(base+"/signup"),
		chromedp.SendKeys(chromedp.ID("f-name"), "Pat Profile"),
		chromedp.SendKeys(chromedp.ID("f-email"), "pat@example.com"),
		chromedp.SendKeys(chromedp.ID("f-password"), "a long browser password"),
		chromedp.SendKeys(chromedp.ID("f-tenant_name"), "Profile Co"),
		dropFlash(),
		chromedp.Click(chromedp.CSS("main form button[type=submit]:not([tabindex=\"-1\"])")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	step("confirm the address and log in", confirmAndLogIn(base, verifyToken(t, srv, "pat@example.com"), "pat@example.com", "a long browser password")...)
	step("open the profile", chromedp.Navigate(base+"/app/account"), chromedp.WaitVisible(chromedp.ID("h-sessions")))
	shoot(t, ctx, dir, "profile")
	if s := text("#sessions-note + table tbody"); s == "" {
		t.Fatal("the profile lists no session")
	}
}
