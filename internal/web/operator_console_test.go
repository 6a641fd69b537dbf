package web_test

import (
	"fmt"
	"github.com/google/uuid"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/operator"
	pagepkg "github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store"
)

// The operator console, walked as an operator's browser would: it is not
// found for anyone else; an operator finds a tenant, changes its plan and
// a limit, suspends and resumes it, schedules and cancels its deletion,
// and finds a user to end their sessions, force a password reset and
// disable them. Each action lands in the platform audit log, and those on
// a tenant in the tenant's own log too.
func TestOperatorConsole(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		ctx := t.Context()
		opEmail := uniqueEmail("op")
		opc, opID, _ := a.signup(t, opEmail)
		owner, _, tid := a.signup(t, uniqueEmail("console"))
		memberEmail := uniqueEmail("console-member")
		member, memberID, _ := a.signup(t, memberEmail)
		key := member.do("POST", "/api/v1/api-keys", map[string]any{"name": "k", "role": "member"}).must(t, 201).str("key")
		keyClient := a.withKey(key)
		keyClient.do("GET", "/api/v1/orders", nil).must(t, 200)

		// Not an operator: no console, not even that it exists.
		for _, path := range []string{"/admin", "/admin/users", "/admin/tenants/" + tid, "/admin/audit"} {
			require.Equal(t, 404, owner.get(t, path).status, path)
		}
		require.Equal(t, 404, owner.post(t, "/admin/tenants/"+tid+"/suspend", nil).status)
		require.Equal(t, "active", owner.do("GET", "/api/v1/tenant", nil).must(t, 200).str("status"))

		ops := operator.NewService(store.Narrow[operator.Tx]{Store: a.store})
		_, err := ops.Add(ctx, operatorCLI(), opEmail, metaCLI())
		require.NoError(t, err)

		require.NotContains(t, owner.get(t, "/app/account").body, `href="/admin"`)
		require.Contains(t, opc.get(t, "/app/account").body, `href="/admin"`, "an operator's account page links the console")

		// The tenant list finds the tenant by its slug, with its numbers.
		slug := owner.do("GET", "/api/v1/tenant", nil).must(t, 200).str("slug")
		owner.do("POST", "/api/v1/orders", orderBody("Console Customer")).must(t, 201)
		p := opc.get(t, "/admin?q="+url.QueryEscape(slug))
		require.Equal(t, 200, p.status)
		require.Contains(t, p.body, `id="tenant-`+slug+`"`)
		require.Contains(t, p.body, "/admin/tenants/"+tid)
		require.Equal(t, 1, strings.Count(p.body, `class="rowlink" id="tenant-`), "one tenant matches its own slug")

		// Paged with the search kept: to the end and back.
		tag := "pg" + strings.ToLower(uuid.NewString()[:6])
		for i := range 3 {
			c, _, _ := a.signup(t, uniqueEmail("console-page"))
			c.do("PATCH", "/api/v1/tenant", map[string]any{"name": fmt.Sprintf("%s %d", tag, i)}).must(t, 200)
		}
		hrefRE := regexp.MustCompile(`href="([^"]*)" rel="(next|prev)"`)
		link := func(body, rel string) string {
			for _, m := range hrefRE.FindAllStringSubmatch(body, -1) {
				if m[2] == rel {
					return html.UnescapeString(m[1])
				}
			}
			return ""
		}
		var seen []string
		p = opc.get(t, "/admin?limit=1&q="+tag)
		for i := 0; ; i++ {
			require.Less(t, i, 4, "the pages end")
			seen = append(seen, regexp.MustCompile(tag+` \d`).FindString(p.body))
			next := link(p.body, "next")
			if next == "" {
				break
			}
			require.Contains(t, next, "q="+tag, "the search is kept")
			p = opc.get(t, next)
		}
		require.Equal(t, []string{tag + " 2", tag + " 1", tag + " 0"}, seen, "newest first, each once")
		for i := 1; i >= 0; i-- {
			p = opc.get(t, link(p.body, "prev"))
			require.Contains(t, p.body, fmt.Sprintf("%s %d", tag, 2-i))
		}
		require.Empty(t, link(p.body, "prev"), "back at the first page")

		// Plan and limit.
		p = opc.post(t, "/admin/tenants/"+tid+"/plan", url.Values{"plan": {"pro"}})
		require.Equal(t, 200, p.status)
		require.Equal(t, "/admin/tenants/"+tid, p.url)
		require.Contains(t, p.body, "is on the pro plan")
		p = opc.post(t, "/admin/tenants/"+tid+"/plan", url.Values{"plan": {"platinum"}})
		require.Contains(t, p.body, "Not done", "a bad plan is refused with a message")
		p = opc.post(t, "/admin/tenants/"+tid+"/limit", url.Values{"name": {"members"}, "value": {"7"}})
		require.Contains(t, p.body, "is changed")
		require.Regexp(t, `id="limit-members">[\s\S]*?<td class="num" data-label="Allowed">7</td>`, p.body)
		p = opc.post(t, "/admin/tenants/"+tid+"/limit", url.Values{"name": {"members"}, "value": {"-5"}})
		require.Contains(t, p.body, "Not done")

		// Suspend: the owner is stopped at once; resume gives it back.
		opc.post(t, "/admin/tenants/"+tid+"/suspend", nil)
		require.Equal(t, "https://ordo.dev/problems/tenant-suspended", owner.do("GET", "/api/v1/orders", nil).must(t, 403).str("type"))
		p = opc.post(t, "/admin/tenants/"+tid+"/resume", nil)
		require.Contains(t, p.body, "is active again")
		owner.do("GET", "/api/v1/orders", nil).must(t, 200)

		// Deletion needs the slug typed; then it can be cancelled.
		p = opc.post(t, "/admin/tenants/"+tid+"/delete", url.Values{"confirm": {"nope"}})
		require.Contains(t, p.body, "Not done")
		owner.do("GET", "/api/v1/orders", nil).must(t, 200)
		p = opc.post(t, "/admin/tenants/"+tid+"/delete", url.Values{"confirm": {slug}})
		require.Contains(t, p.body, "can be restored")
		require.Equal(t, "https://ordo.dev/problems/tenant-deleted", owner.do("GET", "/api/v1/orders", nil).must(t, 403).str("type"))
		opc.post(t, "/admin/tenants/"+tid+"/restore", nil)
		owner.do("GET", "/api/v1/orders", nil).must(t, 200)

		// The tenant's own log shows the operator's actions, by name.
		entries := owner.do("GET", "/api/v1/audit-log?limit=100", nil).must(t, 200).list()
		byOperator := map[string]bool{}
		for _, e := range entries {
			if e["actor_type"] == "operator" {
				byOperator[e["action"].(string)] = true
				require.Equal(t, opEmail, e["actor_email"])
			}
		}
		for _, action := range []string{"tenant.plan_changed", "tenant.limit_changed", "tenant.status_changed", "tenant.deletion_scheduled", "tenant.deletion_cancelled"} {
			require.True(t, byOperator[action], "the tenant's log has %s by the operator: %v", action, byOperator)
		}

		// Users: find the member, end their sessions.
		p = opc.get(t, "/admin/users?q="+url.QueryEscape(memberEmail))
		require.Contains(t, p.body, "/admin/users/"+memberID)
		p = opc.post(t, "/admin/users/"+memberID+"/logout", nil)
		require.Contains(t, p.body, "Every session of the user has ended")
		member.do("GET", "/api/v1/orders", nil).must(t, 401)
		member = a.browser()
		member.do("POST", "/api/v1/auth/login", map[string]any{"email": memberEmail, "password": password}).must(t, 200)

		// Disable: no log-in (told why), no session, no API key; enable
		// gives it back.
		p = opc.post(t, "/admin/users/"+memberID+"/disable", nil)
		require.Contains(t, p.body, "The user is disabled")
		member.do("GET", "/api/v1/orders", nil).must(t, 401)
		keyClient.do("GET", "/api/v1/orders", nil).must(t, 401)
		r := a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": memberEmail, "password": password}).must(t, 403)
		require.Contains(t, r.str("detail"), "disabled")
		a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": memberEmail, "password": "wrong-password-1"}).must(t, 401)
		require.Contains(t, opc.post(t, "/admin/users/"+opID+"/disable", nil).body, "Not done", "an operator cannot lock themselves out")
		opc.post(t, "/admin/users/"+memberID+"/enable", nil)
		keyClient.do("GET", "/api/v1/orders", nil).must(t, 200)

		// Force a password reset: the password stops working, a link is
		// e-mailed, and the new password works.
		p = opc.post(t, "/admin/users/"+memberID+"/reset-password", nil)
		require.Contains(t, p.body, "e-mailed a link")
		a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": memberEmail, "password": password}).must(t, 401)
		tok := a.outbox.token(t, memberEmail, "Reset your Ordo password")
		a.browser().do("POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": tok, "password": "a-new-long-passphrase-7"}).must(t, 204)
		a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": memberEmail, "password": "a-new-long-passphrase-7"}).must(t, 200)

		// The platform log has it all, the tenant's entries under it.
		pl, err := ops.AuditLog(ctx, nil, pagepkg.Request{Limit: 500})
		require.NoError(t, err)
		got := map[string]int{}
		for _, e := range pl.Rows {
			if e.TenantID.String() == tid || e.EntityID == memberID || (e.Action == "operator.added" && e.EntityID == opID) {
				got[e.Action]++
			}
		}
		for _, action := range []string{"operator.added", "tenant.plan_changed", "tenant.limit_changed", "tenant.status_changed",
			"tenant.deletion_scheduled", "tenant.deletion_cancelled", "user.sessions_ended_by_operator", "user.disabled", "user.enabled", "user.password_reset_forced"} {
			require.Positive(t, got[action], "platform log has %s: %v", action, got)
		}
		p = opc.get(t, "/admin/audit")
		require.Equal(t, 200, p.status)
		require.Contains(t, p.body, "user.password_reset_forced")
		p = opc.get(t, "/admin/tenants/"+tid)
		require.Contains(t, p.body, "tenant.deletion_cancelled", "the tenant page lists the operator actions on it")

		// Removed, the operator has no console any more.
		_, err = ops.Remove(ctx, operatorCLI(), opEmail, metaCLI())
		require.NoError(t, err)
		require.Equal(t, 404, opc.get(t, "/admin").status)
	})
}

// operatorCLI is the operator at the command line; metaCLI its request.
func operatorCLI() access.Principal { return access.Operator(uuid.Nil) }

func metaCLI() access.Meta { return access.Meta{UserAgent: "ordo cli"} }
