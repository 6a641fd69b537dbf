package main_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A tenant's owner meets a plan limit and a suspension in the browser,
// as the operator sets them from the command line while `ordo serve`
// runs with ORDO_PLAN_LIMITS=true: the order form past the month's limit
// says so, with what was typed kept; the Usage page shows the limit
// used up; a suspended tenant's pages say why and whom to write to, and
// resuming gives the orders back.
func TestBrowserPlanLimitAndSuspension(t *testing.T) {
	ctx, dir, base, srv := startBrowserRun(t, "ORDO_PLAN_LIMITS=true", "ORDO_SUPPORT_EMAIL=help@ordo.example")
	data := srv.cmd.Dir // the command line works on the server's data
	step := stepper(t, ctx)
	text := texter(t, ctx)
	cli := func(args ...string) {
		t.Helper()
		if _, errOut, code := runIn(t, data, nil, "", args...); code != 0 {
			t.Fatalf("ordo %s: %d %s", strings.Join(args, " "), code, errOut)
		}
	}

	step("sign up", signUp(base, "Lena Limit", "lena@example.com", "a long browser password", "Lena Labs")...)
	step("confirm the address and log in", confirmAndLogIn(base, verifyToken(t, srv, "lena@example.com"), "lena@example.com", "a long browser password")...)
	cli("tenants", "limit", "lena-labs", "orders_per_month", "1")
	order := func(name string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(base + "/app/orders/new"),
			chromedp.SendKeys(chromedp.ID("f-customer_name"), name),
			chromedp.SendKeys(chromedp.ID("f-customer_email"), "buyer@example.com"),
			chromedp.SendKeys(chromedp.ID("f-items-0-name"), "Widget"),
			chromedp.SendKeys(chromedp.ID("f-items-0-unit_price"), "4.00"),
			chromedp.Click(chromedp.CSS("main form button[name=save]:not([tabindex=\"-1\"])")),
		}
	}
	// The limit reaches the server within its 5 s cache.
	time.Sleep(5500 * time.Millisecond)
	step("the month's one order", append(order("First Buyer"), chromedp.WaitVisible(chromedp.CSS("[data-live=order]")))...)
	// Wait for the refused form's alert, not for a field the page before
	// had too (read mid-navigation, it is gone).
	step("one order too many", append(order("Second Buyer"), chromedp.WaitVisible(chromedp.CSS(`div.error[role="alert"]`)))...)
	if p := text(`div.error[role="alert"]`); !strings.Contains(p, "plan allows 1 order a month") {
		t.Fatalf("past the limit the form says:\n%s", p)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("f-customer_name").value`))
	if err != nil || kept != "Second Buyer" {
		t.Fatalf("the form kept %q (%v)", kept, err)
	}
	shoot(t, ctx, dir, "plan-limit")
	step("the usage page", chromedp.Navigate(base+"/app/usage"), chromedp.WaitVisible(chromedp.ID("usage-orders_per_month")))
	if row := text("#usage-orders_per_month"); !strings.Contains(row, "1") {
		t.Fatalf("the usage row says %q", row)
	}
	shoot(t, ctx, dir, "usage")

	cli("tenants", "suspend", "lena-labs")
	step("the orders page of a suspended tenant", chromedp.Navigate(base+"/app/orders"), chromedp.WaitVisible(chromedp.CSS("main")))
	if p := text("main"); !strings.Contains(p, "suspended") || !strings.Contains(p, "help@ordo.example") {
		t.Fatalf("a suspended tenant's page says:\n%s", p)
	}
	shoot(t, ctx, dir, "suspended")
	cli("tenants", "resume", "lena-labs")
	step("resumed, the orders are back", chromedp.Navigate(base+"/app/orders"), chromedp.WaitVisible(chromedp.CSS("main table")))
	if p := text("main table"); !strings.Contains(p, "First Buyer") {
		t.Fatalf("after resuming the orders list says:\n%s", p)
	}
}
