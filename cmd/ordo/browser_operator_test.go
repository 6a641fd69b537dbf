package main_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// An operator, made one at the command line while `ordo serve` runs,
// finds the console from their account page, opens a tenant, moves it to
// another plan, suspends and resumes it, and finds a user; the pages are
// shot at desktop and phone width.
func TestBrowserOperatorConsole(t *testing.T) {
	ctx, dir, base, srv := startBrowserRun(t)
	data := srv.cmd.Dir // the command line works on the server's data
	step := stepper(t, ctx)
	text := texter(t, ctx)

	step("sign up", signUp(base, "Olga Operator", "olga@example.com", "a long browser password", "Olga Ops")...)
	step("confirm the address and log in", confirmAndLogIn(base, verifyToken(t, srv, "olga@example.com"), "olga@example.com", "a long browser password")...)
	if _, errOut, code := runIn(t, data, nil, "", "operators", "add", "olga@example.com"); code != 0 {
		t.Fatalf("ordo operators add: %d %s", code, errOut)
	}
	step("the account page links the console",
		chromedp.Navigate(base+"/app/account"),
		chromedp.Click(chromedp.CSS(`#operator-console a[href="/admin"]`)),
		chromedp.WaitVisible(chromedp.ID("tenant-olga-ops")),
	)
	shoot(t, ctx, dir, "admin-tenants")
	if row := text("#tenant-olga-ops"); !strings.Contains(row, "Free") || !strings.Contains(row, "Active") {
		t.Fatalf("the tenant's row says %q", row)
	}

	step("open the tenant", chromedp.Click(chromedp.CSS(`#tenant-olga-ops a`)), chromedp.WaitVisible(chromedp.ID("tenant-plan")))
	step("move it to pro",
		chromedp.SetValue(chromedp.ID("f-plan"), "pro"),
		chromedp.Click(chromedp.CSS(`form[action$="/plan"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if p := text("#tenant-plan"); !strings.Contains(p, "Pro") {
		t.Fatalf("after the change the plan is %q", p)
	}
	step("suspend it", chromedp.Click(chromedp.CSS(`form[action$="/suspend"] button`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/resume"]`)))
	if s := text("#tenant-status"); !strings.Contains(s, "Suspended") {
		t.Fatalf("after suspending the status is %q", s)
	}
	shoot(t, ctx, dir, "admin-tenant")
	step("resume it", chromedp.Click(chromedp.CSS(`form[action$="/resume"] button`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/suspend"]`)))
	if s := text("#tenant-audit + .table-wrap"); !strings.Contains(s, "tenant.status_changed") || !strings.Contains(s, "tenant.plan_changed") {
		t.Fatalf("the tenant's operator actions say %q", s)
	}

	step("find the user",
		chromedp.Navigate(base+"/admin/users"),
		chromedp.SendKeys(chromedp.ID("f-q"), "olga"),
		chromedp.Click(chromedp.CSS(`form[role="search"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href^="/admin/users/"]`)),
	)
	shoot(t, ctx, dir, "admin-users")
	step("open them", chromedp.Click(chromedp.CSS(`main a[href^="/admin/users/"]`)), chromedp.WaitVisible(chromedp.ID("user-status")))
	if p := text("main"); strings.Contains(p, "Disable") {
		t.Fatalf("an operator is offered to disable themselves:\n%s", p)
	}
	shoot(t, ctx, dir, "admin-user")
	step("the platform log", chromedp.Navigate(base+"/admin/audit"), chromedp.WaitVisible(chromedp.ID("platform-audit")))
	shoot(t, ctx, dir, "admin-audit")
	if p := text("main"); !strings.Contains(p, "operator.added") || !strings.Contains(p, "operator Olga Operator") {
		t.Fatalf("the platform log says:\n%s", p)
	}
}
