package main_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserTenantLifecycle is an owner's way through the end of a
// tenant, in Chromium: export all data from the settings page and watch
// the archive appear on the Exports page; delete the tenant by typing its
// slug; see the page that says when it is purged; cancel the deletion
// from there and be back on the dashboard.
//
// Not parallel, as TestBrowser.
func TestBrowserTenantLifecycle(t *testing.T) {
	ctx, dir, base, srv := startBrowserRun(t)
	step := stepper(t, ctx)
	text := texter(t, ctx)
	// Destructive forms ask window.confirm first; the test says yes.
	acceptConfirm := func() {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.confirm = () => true; true`)); err != nil {
			t.Fatal(err)
		}
	}

	step("sign up", signUp(base, "Tess Owner", "tess@example.com", "a long browser password", "Tess Trading")...)
	step("confirm the address and log in", confirmAndLogIn(base, verifyToken(t, srv, "tess@example.com"), "tess@example.com", "a long browser password")...)
	step("open the settings", chromedp.Navigate(base+"/app/settings"), chromedp.WaitVisible(chromedp.ID("archive")), chromedp.WaitVisible(chromedp.ID("delete-tenant")))
	shoot(t, ctx, dir, "settings")

	step("export all data",
		chromedp.Click(chromedp.CSS(`form[action="/app/settings/archive"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href$="/download"]`)),
	)
	if row := text("main table tbody tr"); !strings.Contains(row, "All data (zip)") || !strings.Contains(row, "Completed") {
		t.Fatalf("the exports list shows %q", row)
	}
	shoot(t, ctx, dir, "exports")

	step("a wrong slug is refused next to the field",
		chromedp.Navigate(base+"/app/settings"),
		chromedp.SendKeys(chromedp.ID("f-confirm"), "tess"),
	)
	acceptConfirm()
	step("", chromedp.Click(chromedp.CSS(`form[action="/app/settings/delete"] button`)), chromedp.WaitVisible(chromedp.ID("e-confirm")))
	step("delete with the slug", chromedp.SetValue(chromedp.ID("f-confirm"), "tess-trading"))
	acceptConfirm()
	step("", chromedp.Click(chromedp.CSS(`form[action="/app/settings/delete"] button`)), chromedp.WaitVisible(chromedp.ID("purge-after")))
	shoot(t, ctx, dir, "deleted")
	if p := text("main"); !strings.Contains(p, "scheduled for deletion") || !strings.Contains(p, "purged for good on") {
		t.Fatalf("the deleted tenant's page says:\n%s", p)
	}
	step("other pages say the same", chromedp.Navigate(base+"/app/orders"), chromedp.WaitVisible(chromedp.ID("purge-after")))

	acceptConfirm()
	step("cancel the deletion",
		chromedp.Click(chromedp.CSS(`form[action="/app/tenant/restore"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-live="dashboard"]`)),
	)
	if f := text(".flash"); !strings.Contains(f, "deletion is cancelled") {
		t.Fatalf("after cancelling, the banner says %q", f)
	}
}
