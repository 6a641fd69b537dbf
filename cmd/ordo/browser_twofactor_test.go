package main_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// A user turns on two-factor sign-in in the browser, as they would with
// a phone: the account page's QR code (its key, typed by the test as an
// app would read it), the first code, the recovery codes shown once; then
// logs out and back in, where the code is asked for after the password, a
// wrong one is refused with the reason, and the session list says how
// this session signed in.
func TestBrowserTwoFactor(t *testing.T) {
	ctx, dir, base, srv := startBrowserRun(t)
	step := stepper(t, ctx)
	text := texter(t, ctx)
	code := func(secret string, at time.Time) string {
		c, err := totp.GenerateCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	submit := chromedp.Click(chromedp.CSS("main form button[type=submit]:not([tabindex=\"-1\"])"))

	step("sign up", signUp(base, "Tove Totp", "tove@example.com", "a long browser password", "Tove Tools")...)
	step("confirm the address and log in", confirmAndLogIn(base, verifyToken(t, srv, "tove@example.com"), "tove@example.com", "a long browser password")...)
	step("start the set-up", chromedp.Navigate(base+"/app/account"), chromedp.WaitVisible(chromedp.ID("two-factor")),
		chromedp.Click(chromedp.CSS(`#two-factor form[action="/app/account/two-factor"] button`)), chromedp.WaitVisible(chromedp.ID("totp-secret")))
	secret := strings.TrimSpace(text("#totp-secret"))
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const i = document.querySelector("p.qr img"); return i.complete && i.naturalWidth > 100 })()`)); err != nil || !ok {
		t.Fatalf("the QR code is not drawn (%v)", err)
	}
	shoot(t, ctx, dir, "totp-setup")
	// A code the app shows at no step near now: wrong whenever it is sent.
	wrong := func() string {
		near := map[string]bool{}
		for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second, 60 * time.Second} {
			near[code(secret, time.Now().Add(d))] = true
		}
		for _, c := range []string{"000000", "111111", "222222", "333333", "444444"} {
			if !near[c] {
				return c
			}
		}
		t.Fatal("no wrong code")
		return ""
	}
	step("a wrong first code", chromedp.SendKeys(chromedp.ID("f-code"), wrong()), submit, chromedp.WaitVisible(chromedp.ID("e-code")))
	step("the right one", chromedp.Navigate(base+"/app/account/two-factor"), chromedp.WaitVisible(chromedp.ID("f-code")),
		chromedp.SendKeys(chromedp.ID("f-code"), code(secret, time.Now())), submit, chromedp.WaitVisible(chromedp.ID("recovery-codes")))
	if n := strings.Count(text("#recovery-codes"), "-"); n != 30 {
		t.Fatalf("recovery codes: %q", text("#recovery-codes"))
	}
	shoot(t, ctx, dir, "recovery-codes")

	step("log out", chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/logout"]').submit()`), chromedp.WaitVisible(chromedp.ID("f-email")))
	step("the password", chromedp.SendKeys(chromedp.ID("f-email"), "tove@example.com"), chromedp.SendKeys(chromedp.ID("f-password"), "a long browser password"),
		submit, chromedp.WaitVisible(chromedp.CSS(`form[action="/login/two-factor"]`)))
	shoot(t, ctx, dir, "login-code")
	step("a wrong code", chromedp.SendKeys(chromedp.ID("f-code"), wrong()), submit, chromedp.WaitVisible(chromedp.CSS(`.error[role="alert"], .errors-summary, div.error`)))
	if p := text("main"); !strings.Contains(p, "That code is wrong") {
		t.Fatalf("a wrong code says:\n%s", p)
	}
	step("the next code", chromedp.SendKeys(chromedp.ID("f-code"), code(secret, time.Now().Add(30*time.Second))), submit,
		chromedp.WaitVisible(chromedp.CSS(`[data-live="dashboard"]`)))
	step("the sessions", chromedp.Navigate(base+"/app/account"), chromedp.WaitVisible(chromedp.ID("h-sessions")))
	if p := text("main"); !strings.Contains(p, "Password and authenticator code") || !strings.Contains(p, "Unused recovery codes: 10") {
		t.Fatalf("the account page says:\n%s", p)
	}
	shoot(t, ctx, dir, "account-two-factor")
}
