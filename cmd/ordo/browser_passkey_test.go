package main_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/ordo/ordo/internal/testkit"
)

// virtualAuthenticator gives the tab a platform authenticator that keeps
// discoverable credentials and verifies its user (a fingerprint that
// always matches), through the DevTools WebAuthn domain, and returns its
// id.
func virtualAuthenticator(t *testing.T, ctx context.Context) webauthn.AuthenticatorID {
	t.Helper()
	var id webauthn.AuthenticatorID
	err := chromedp.Do(ctx, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		res, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
		id = res.AuthenticatorID
		return chromedp.Void{}, err
	})
	if err != nil {
		t.Fatalf("virtual authenticator: %v", err)
	}
	return id
}

// credentialCount is how many credentials the virtual authenticator holds.
func credentialCount(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID) int {
	t.Helper()
	var n int
	err := chromedp.Do(ctx, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		res, err := cdp.Call(ctx, tg, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
		n = len(res.Credentials)
		for _, c := range res.Credentials {
			if !c.IsResidentCredential {
				return chromedp.Void{}, fmt.Errorf("credential %s is not discoverable", c.CredentialID)
			}
		}
		return chromedp.Void{}, err
	})
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	return n
}

// TestBrowserPasskeys registers a passkey on the account page through
// Chromium's virtual authenticator, logs out, signs in with it alone
// (passwordless: the passkey names the user), signs in with the password
// and the passkey as the second factor, and removes it; each session
// lists how it signed in. The server's base URL is on localhost: browsers
// refuse WebAuthn on an IP address, and the origin must be the one the
// relying party names.
//
// Not parallel, as TestBrowser.
func TestBrowserPasskeys(t *testing.T) {
	testkit.SkipShort(t, "process-level suite")
	ctx := browser(t)
	dir := artifacts(t)
	keepOnFailure(t, ctx, dir)
	port := freePort(t)
	base := fmt.Sprintf("http://localhost:%d", port)
	srv := start(t, t.TempDir(), []string{fmt.Sprintf("PORT=%d", port), "ORDO_BASE_URL=" + base})
	waitStatus(t, base+"/readyz", 200, 10*time.Second)

	step := stepper(t, ctx)
	text := texter(t, ctx)
	const email, password = "kim@example.com", "a long passkey password"
	step("sign up", signUp(base, "Kim Key", email, password, "Key Co")...)
	step("confirm the address and log in", confirmAndLogIn(base, verifyToken(t, srv, email), email, password)...)
	auth := virtualAuthenticator(t, ctx)

	step("register a passkey",
		chromedp.Navigate(base+"/app/account"),
		chromedp.WaitVisible(chromedp.CSS(`[data-passkey="register"]`)),
		chromedp.SendKeys(chromedp.ID("f-passkey-name"), "Work laptop"),
		chromedp.Click(chromedp.CSS(`[data-passkey="register"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-passkey-row]`)),
	)
	if got := text(`[data-passkey-row]`); !strings.Contains(got, "Work laptop") || !strings.Contains(got, "Never") {
		t.Fatalf("passkey row = %q, want its name, never used", got)
	}
	if n := credentialCount(t, ctx, auth); n != 1 {
		t.Fatalf("the authenticator holds %d credentials, want 1", n)
	}
	shoot(t, ctx, dir, "account-passkeys")

	logOut := []chromedp.Action[chromedp.Void]{
		// Log-out lands on /login: wait for its passkey button, which
		// the page being left has not.
		chromedp.Click(chromedp.CSS(".side-logout")),
		chromedp.WaitVisible(chromedp.CSS(`[data-passkey="login"]`)),
	}
	step("log out", logOut...)
	shoot(t, ctx, dir, "login-passkey")
	step("sign in with the passkey alone",
		chromedp.Click(chromedp.CSS(`[data-passkey="login"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-live="dashboard"]`)),
		chromedp.Navigate(base+"/app/account"),
		chromedp.WaitVisible(chromedp.ID("h-sessions")),
	)
	if got := text(`#sessions-note + table tbody`); !strings.Contains(got, "Passkey") || strings.Contains(got, "Password and passkey") {
		t.Fatalf("sessions = %q, want this one signed in with a passkey", got)
	}
	if got := text(`[data-passkey-row]`); strings.Contains(got, "Never") {
		t.Fatalf("passkey row = %q, want its last use", got)
	}

	step("log out again", logOut...)
	step("log in with the password, then the passkey",
		chromedp.SendKeys(chromedp.ID("f-email"), email),
		chromedp.SendKeys(chromedp.ID("f-password"), password),
		chromedp.Click(chromedp.CSS("main form button[type=submit]:not([tabindex=\"-1\"])")),
		chromedp.WaitVisible(chromedp.CSS(`[data-passkey="second-factor"]`)),
	)
	shoot(t, ctx, dir, "login-second-factor")
	step("confirm with the passkey",
		chromedp.Click(chromedp.CSS(`[data-passkey="second-factor"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-live="dashboard"]`)),
		chromedp.Navigate(base+"/app/account"),
		chromedp.WaitVisible(chromedp.ID("h-sessions")),
	)
	if got := text(`#sessions-note + table tbody`); !strings.Contains(got, "Password and passkey") {
		t.Fatalf("sessions = %q, want one signed in with password and passkey", got)
	}

	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.confirm = () => true; true`)); err != nil {
		t.Fatal(err)
	}
	step("remove the passkey",
		dropFlash(),
		chromedp.Click(chromedp.CSS(`[data-passkey-row] button.danger`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
		chromedp.WaitVisible(chromedp.CSS(`[data-passkey="register"]`)),
	)
	if got := text("#passkeys"); !strings.Contains(got, "You have no passkeys yet.") {
		t.Fatalf("passkeys section = %q, want none left", got)
	}

	step("log out, and the password alone signs in again", append(logOut,
		chromedp.SendKeys(chromedp.ID("f-email"), email),
		chromedp.SendKeys(chromedp.ID("f-password"), password),
		chromedp.Click(chromedp.CSS("main form button[type=submit]:not([tabindex=\"-1\"])")),
		chromedp.WaitVisible(chromedp.CSS(`[data-live="dashboard"]`)),
	)...)
}
