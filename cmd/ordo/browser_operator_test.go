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
		dropFlash(),
		chromedp.Click(chromedp.CSS(`form[action$="/plan"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if p := text("#tenant-plan"); !strings.Contains(p, "Pro") {
		t.Fatalf("after the change the plan is %q", p)
	}
	step("a decimal comma is refused, not read as another number",
		chromedp.SetValue(chromedp.ID("f-limit"), "members"),
		chromedp.SendKeys(chromedp.ID("f-value"), "1,5"),
		dropFlash(),
		chromedp.Click(chromedp.CSS(`form[action$="/limit"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if f := text(".flash"); !strings.Contains(f, "Not done") || !strings.Contains(f, "must be a number") {
		t.Fatalf("a limit of 1,5 says %q", f)
	}
	shoot(t, ctx, dir, "admin-limit-refused")
	step("suspend it", chromedp.Click(chromedp.CSS(`form[action$="/suspend"] button`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/resume"]`)))
	if s := text("#tenant-status"); !strings.Contains(s, "Suspended") {
		t.Fatalf("after suspending the status is %q", s)
	}
	shoot(t, ctx, dir, "admin-tenant")
	step("resume it", chromedp.Click(chromedp.CSS(`form[action$="/resume"] button`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/suspend"]`)))
	if s := text("#tenant-audit + .table-wrap"); !strings.Contains(s, "tenant.status_changed") || !strings.Contains(s, "tenant.plan_changed") {
		t.Fatalf("the tenant's operator actions say %q", s)
	}

	// A name beyond ASCII is found, and a list with a search pages to
	// its end and back.
	for _, name := range []string{"Café Müller", "Café Zoë", "Café Ørsted"} {
		if _, errOut, code := runIn(t, data, nil, "", "tenants", "create", "--name", name, "--owner", "olga@example.com"); code != 0 {
			t.Fatalf("ordo tenants create: %d %s", code, errOut)
		}
	}
	step("search for café",
		chromedp.Navigate(base+"/admin"),
		chromedp.SendKeys(chromedp.ID("f-q"), "café"),
		chromedp.Click(chromedp.CSS(`form[role="search"] button`)),
		// The results page, not the list it came from (which shows the
		// tenant too): the server writes the query into the box's
		// attribute; typing sets only its property.
		chromedp.WaitVisible(chromedp.CSS(`#f-q[value="café"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#tenant-cafe-muller`)),
	)
	shoot(t, ctx, dir, "admin-tenants-search")
	step("the same a page at a time", chromedp.Navigate(base+"/admin?limit=1&q=caf%C3%A9"), chromedp.WaitVisible(chromedp.CSS(`a[rel="next"]`)))
	// Each link is followed as a navigation, waited for to its load: a
	// click's wait could match the page it leaves (both have the links).
	follow := func(rel string) {
		t.Helper()
		href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('a[rel="`+rel+`"]').href`))
		if err != nil {
			t.Fatalf("no %s link: %v", rel, err)
		}
		step(rel+" page", chromedp.Navigate(href), chromedp.WaitVisible(chromedp.CSS("main table")))
	}
	var names []string
	for range 3 {
		names = append(names, text("main table tbody strong"))
		if len(names) < 3 {
			follow("next")
		}
	}
	if strings.Join(names, "|") != "Café Ørsted|Café Zoë|Café Müller" {
		t.Fatalf("the pages of café list %q", names)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('a[rel="next"]').length`)); n != 0 {
		t.Fatalf("the last page links a next one")
	}
	shoot(t, ctx, dir, "admin-tenants-last-page")
	follow("prev")
	follow("prev")
	if first := text("main table tbody strong"); first != "Café Ørsted" {
		t.Fatalf("back at the first page: %q", first)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("f-q").value`)); v != "café" {
		t.Fatalf("the search box holds %q", v)
	}

	step("find the user",
		chromedp.Navigate(base+"/admin/users"),
		chromedp.SendKeys(chromedp.ID("f-q"), "olga"),
		chromedp.Click(chromedp.CSS(`form[role="search"] button`)),
		// As above: the results page, or the next click lands while it
		// loads ("Not attached to an active page").
		chromedp.WaitVisible(chromedp.CSS(`#f-q[value="olga"]`)),
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
