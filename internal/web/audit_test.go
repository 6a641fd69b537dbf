package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/web"
)

// auditCall performs one successful call of a mutating route. It returns
// the tenant whose audit log must have grown by exactly one entry, and a
// function that makes the call (preparation happens before it).
type auditCall func(t *testing.T, a *app) (tenantID string, call func() resp)

// auditCalls has one entry per mutating route of the route table; the
// test fails for a route that writes an audit entry but has no call here.
var auditCalls = map[string]auditCall{
	"POST /api/v1/auth/signup": func(t *testing.T, a *app) (string, func() resp) {
		return "", func() resp {
			email := uniqueEmail("s")
			r := a.browser().do("POST", "/api/v1/auth/signup", map[string]any{"email": email, "password": password})
			if r.status < 300 {
				r.body["id"] = a.tenantOf(t, email) // the answer does not say
			}
			return r
		}
	},
	"POST /api/v1/auth/login": func(t *testing.T, a *app) (string, func() resp) {
		email := uniqueEmail("l")
		_, _, tid := a.signup(t, email)
		return tid, func() resp {
			return a.browser().do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password})
		}
	},
	"POST /api/v1/auth/logout": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("lo"))
		return tid, func() resp { return c.do("POST", "/api/v1/auth/logout", nil) }
	},
	"POST /api/v1/auth/logout-everywhere": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("le"))
		return tid, func() resp { return c.do("POST", "/api/v1/auth/logout-everywhere", nil) }
	},
	"POST /api/v1/auth/verify-email": func(t *testing.T, a *app) (string, func() resp) {
		email := uniqueEmail("v")
		a.signupUnconfirmed(t, email)
		tok := a.outbox.token(t, email, "Confirm your e-mail")
		return a.tenantOf(t, email), func() resp { return a.browser().do("POST", "/api/v1/auth/verify-email", map[string]any{"token": tok}) }
	},
	"POST /api/v1/auth/verify-email/resend": func(t *testing.T, a *app) (string, func() resp) {
		// A session of a user whose address is not confirmed: one from
		// before confirmation was needed to log in.
		c, uid, tid := a.signup(t, uniqueEmail("vr"))
		u, err := a.store.UserGetByID(t.Context(), uuid.MustParse(uid))
		require.NoError(t, err)
		u.EmailVerifiedAt = nil
		require.NoError(t, a.store.UserUpdate(t.Context(), u))
		return tid, func() resp { return c.do("POST", "/api/v1/auth/verify-email/resend", nil) }
	},
	"POST /api/v1/auth/password-reset": func(t *testing.T, a *app) (string, func() resp) {
		email := uniqueEmail("pr")
		_, _, tid := a.signup(t, email)
		return tid, func() resp {
			return a.browser().do("POST", "/api/v1/auth/password-reset", map[string]any{"email": email})
		}
	},
	"POST /api/v1/auth/password-reset/confirm": func(t *testing.T, a *app) (string, func() resp) {
		email := uniqueEmail("prc")
		_, _, tid := a.signup(t, email)
		a.browser().do("POST", "/api/v1/auth/password-reset", map[string]any{"email": email}).must(t, 202)
		tok := a.outbox.token(t, email, "Reset your Ordo password")
		return tid, func() resp {
			return a.browser().do("POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": tok, "password": "another long password"})
		}
	},
	"POST /api/v1/auth/password": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("pw"))
		return tid, func() resp {
			return c.do("POST", "/api/v1/auth/password", map[string]any{"current_password": password, "new_password": "another long password"})
		}
	},
	"POST /api/v1/auth/email": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("em"))
		return tid, func() resp {
			return c.do("POST", "/api/v1/auth/email", map[string]any{"email": uniqueEmail("new"), "password": password})
		}
	},
	"POST /api/v1/auth/email/confirm": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("emc"))
		next := uniqueEmail("next")
		c.do("POST", "/api/v1/auth/email", map[string]any{"email": next, "password": password}).must(t, 202)
		tok := a.outbox.token(t, next, "Confirm your new e-mail")
		return tid, func() resp { return a.browser().do("POST", "/api/v1/auth/email/confirm", map[string]any{"token": tok}) }
	},
	"POST /api/v1/tenants": func(t *testing.T, a *app) (string, func() resp) {
		c, _, _ := a.signup(t, uniqueEmail("tc"))
		return "", func() resp { return c.do("POST", "/api/v1/tenants", map[string]any{"name": "Second"}) }
	},
	"PATCH /api/v1/tenant": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("tr"))
		return tid, func() resp { return c.do("PATCH", "/api/v1/tenant", map[string]any{"name": "Renamed"}) }
	},
	"POST /api/v1/tenant/archive": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("ta"))
		return tid, func() resp { return c.do("POST", "/api/v1/tenant/archive", nil) }
	},
	"POST /api/v1/tenant/deletion": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("td"))
		slug := c.do("GET", "/api/v1/tenant", nil).must(t, 200).str("slug")
		return tid, func() resp { return c.do("POST", "/api/v1/tenant/deletion", map[string]any{"confirm": slug}) }
	},
	"DELETE /api/v1/tenant/deletion": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("tc"))
		slug := c.do("GET", "/api/v1/tenant", nil).must(t, 200).str("slug")
		c.do("POST", "/api/v1/tenant/deletion", map[string]any{"confirm": slug}).must(t, 202)
		return tid, func() resp { return c.do("DELETE", "/api/v1/tenant/deletion", nil) }
	},
	"PATCH /api/v1/members/{user_id}": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("mr"))
		_, uid := a.joinAs(t, c, access.RoleViewer)
		return tid, func() resp { return c.do("PATCH", "/api/v1/members/"+uid, map[string]any{"role": "member"}) }
	},
	"DELETE /api/v1/members/{user_id}": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("md"))
		_, uid := a.joinAs(t, c, access.RoleViewer)
		return tid, func() resp { return c.do("DELETE", "/api/v1/members/"+uid, nil) }
	},
	"POST /api/v1/invitations": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("ic"))
		return tid, func() resp {
			return c.do("POST", "/api/v1/invitations", map[string]any{"email": uniqueEmail("g"), "role": "viewer"})
		}
	},
	"POST /api/v1/invitations/{id}/resend": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("ir"))
		id := c.do("POST", "/api/v1/invitations", map[string]any{"email": uniqueEmail("g"), "role": "viewer"}).must(t, 201).str("id")
		return tid, func() resp { return c.do("POST", "/api/v1/invitations/"+id+"/resend", nil) }
	},
	"DELETE /api/v1/invitations/{id}": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("id"))
		id := c.do("POST", "/api/v1/invitations", map[string]any{"email": uniqueEmail("g"), "role": "viewer"}).must(t, 201).str("id")
		return tid, func() resp { return c.do("DELETE", "/api/v1/invitations/"+id, nil) }
	},
	"POST /api/v1/invitations/accept": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("ia"))
		g := uniqueEmail("g")
		c.do("POST", "/api/v1/invitations", map[string]any{"email": g, "role": "viewer"}).must(t, 201)
		tok := a.outbox.token(t, g, "invited")
		return tid, func() resp {
			return a.browser().do("POST", "/api/v1/invitations/accept", map[string]any{"token": tok, "password": password})
		}
	},
	"POST /api/v1/api-keys": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("kc"))
		return tid, func() resp { return c.do("POST", "/api/v1/api-keys", map[string]any{"name": "k", "role": "viewer"}) }
	},
	"DELETE /api/v1/api-keys/{id}": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("kd"))
		id := c.do("POST", "/api/v1/api-keys", map[string]any{"name": "k", "role": "viewer"}).must(t, 201).str("id")
		return tid, func() resp { return c.do("DELETE", "/api/v1/api-keys/"+id, nil) }
	},
	"POST /api/v1/uploads/presign": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("up"))
		return tid, func() resp {
			return c.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 5})
		}
	},
	"POST /api/v1/attachments/{id}/complete": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("uc"))
		r := c.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 5}).must(t, 201)
		require.Equal(t, 200, upload(t, r.body["upload"].(map[string]any), []byte("hello"), nil))
		id := r.body["attachment"].(map[string]any)["id"].(string)
		return tid, func() resp { return c.do("POST", "/api/v1/attachments/"+id+"/complete", nil) }
	},
	"DELETE /api/v1/attachments/{id}": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("ud"))
		r := c.do("POST", "/api/v1/uploads/presign", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 5}).must(t, 201)
		id := r.body["attachment"].(map[string]any)["id"].(string)
		return tid, func() resp { return c.do("DELETE", "/api/v1/attachments/"+id, nil) }
	},
	"POST /api/v1/orders/export": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("ex"))
		return tid, func() resp { return c.do("POST", "/api/v1/orders/export", map[string]any{"format": "csv"}) }
	},
	"DELETE /api/v1/exports/{id}": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("exd"))
		id := c.do("POST", "/api/v1/orders/export", map[string]any{"format": "csv"}).must(t, 202).str("id")
		waitExport(t, c, id)
		return tid, func() resp { return c.do("DELETE", "/api/v1/exports/"+id, nil) }
	},
	"PUT /api/v1/tenant/branding": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("br"))
		return tid, func() resp { return c.do("PUT", "/api/v1/tenant/branding", map[string]any{"tax_id": "X1"}) }
	},
	"PUT /api/v1/tenant/logo": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("lg"))
		return tid, func() resp { return c.do("PUT", "/api/v1/tenant/logo", pngLogo(t)) }
	},
	"DELETE /api/v1/tenant/logo": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("lgd"))
		c.do("PUT", "/api/v1/tenant/logo", pngLogo(t)).must(t, 200)
		return tid, func() resp { return c.do("DELETE", "/api/v1/tenant/logo", nil) }
	},
	"PUT /api/v1/tenant/sso": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("sso"))
		return tid, func() resp {
			return c.do("PUT", "/api/v1/tenant/sso", map[string]any{"issuer": "http://127.0.0.1:9/idp", "client_id": "ordo", "domains": []string{"example.com"}})
		}
	},
	"DELETE /api/v1/tenant/sso": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("ssod"))
		c.do("PUT", "/api/v1/tenant/sso", map[string]any{"issuer": "http://127.0.0.1:9/idp", "client_id": "ordo", "domains": []string{"example.com"}}).must(t, 200)
		return tid, func() resp { return c.do("DELETE", "/api/v1/tenant/sso", nil) }
	},
	"PATCH /api/v1/me/profile": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("pf"))
		return tid, func() resp {
			return c.do("PATCH", "/api/v1/me/profile", map[string]any{"name": "Renamed", "locale": "de"})
		}
	},
	"PUT /api/v1/me/avatar": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("av"))
		return tid, func() resp { return c.do("PUT", "/api/v1/me/avatar", pngLogo(t)) }
	},
	"POST /api/v1/me/totp/confirm": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("tfc"))
		secret := c.do("POST", "/api/v1/me/totp", nil).must(t, 200).str("secret")
		return tid, func() resp {
			return c.do("POST", "/api/v1/me/totp/confirm", map[string]any{"code": totpCode(t, secret, time.Now())})
		}
	},
	"POST /api/v1/me/totp/disable": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("tfd"))
		_, codes := enrolTOTP(t, c)
		return tid, func() resp { return c.do("POST", "/api/v1/me/totp/disable", map[string]any{"code": codes[0]}) }
	},
	"POST /api/v1/me/totp/recovery-codes": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("tfr"))
		secret, _ := enrolTOTP(t, c)
		return tid, func() resp {
			return c.do("POST", "/api/v1/me/totp/recovery-codes", map[string]any{"code": totpCode(t, secret, time.Now().Add(30*time.Second))})
		}
	},
	"POST /api/v1/me/passkeys": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("pka"))
		cred := beginRegistration(t, c, newAuthenticator(t, a))
		return tid, func() resp {
			return c.do("POST", "/api/v1/me/passkeys", map[string]any{"name": "Laptop", "credential": cred})
		}
	},
	"DELETE /api/v1/me/passkeys/{id}": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("pkd"))
		id := registerPasskey(t, c, newAuthenticator(t, a), "Laptop")
		return tid, func() resp { return c.do("DELETE", "/api/v1/me/passkeys/"+id, nil) }
	},
	"POST /api/v1/auth/passkey": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("pkl"))
		auth := newAuthenticator(t, a)
		registerPasskey(t, c, auth, "Laptop")
		b := a.browser()
		r := b.do("POST", "/api/v1/auth/passkey/options", map[string]any{}).must(t, 200)
		cred, err := auth.Get([]byte(r.raw))
		require.NoError(t, err)
		return tid, func() resp { return b.do("POST", "/api/v1/auth/passkey", map[string]any{"credential": cred}) }
	},
	"PUT /api/v1/tenant/security": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("tsec"))
		enrolTOTP(t, c)
		return tid, func() resp { return c.do("PUT", "/api/v1/tenant/security", map[string]any{"require_two_factor": true}) }
	},
	"DELETE /api/v1/me/avatar": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("avd"))
		c.do("PUT", "/api/v1/me/avatar", pngLogo(t)).must(t, 200)
		return tid, func() resp { return c.do("DELETE", "/api/v1/me/avatar", nil) }
	},
	"DELETE /api/v1/me/sessions/{id}": func(t *testing.T, a *app) (string, func() resp) {
		email := uniqueEmail("sr")
		c, _, tid := a.signup(t, email)
		other := a.browser()
		other.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).must(t, 200)
		other.do("GET", "/api/v1/me", nil).must(t, 200)
		var id string
		for _, x := range c.do("GET", "/api/v1/me/sessions", nil).must(t, 200).list() {
			if x["current"] != true {
				id = x["id"].(string)
			}
		}
		require.NotEmpty(t, id)
		return tid, func() resp { return c.do("DELETE", "/api/v1/me/sessions/"+id, nil) }
	},
	"DELETE /api/v1/me": func(t *testing.T, a *app) (string, func() resp) {
		// A member, not the only owner, of another's tenant: the entry is
		// written there (their own tenant, which they own alone, is left
		// first).
		owner, _, tid := a.signup(t, uniqueEmail("dm-owner"))
		c, _ := a.joinAs(t, owner, access.RoleMember)
		return tid, func() resp { return c.do("DELETE", "/api/v1/me", map[string]any{"password": password}) }
	},
	"POST /api/v1/jobs/{id}/retry": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("jr"))
		id := failedJob(t, a, c, tid)
		return tid, func() resp { return c.do("POST", "/api/v1/jobs/"+id+"/retry", nil) }
	},
	"POST /api/v1/orders/{id}/invoice": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("inv"))
		id := c.do("POST", "/api/v1/orders", orderBody("Audit A")).must(t, 201).str("id")
		return tid, func() resp { return c.do("POST", "/api/v1/orders/"+id+"/invoice", nil) }
	},
	"POST /api/v1/webhook-endpoints": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("wh"))
		return tid, func() resp {
			return c.do("POST", "/api/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:9/hook"})
		}
	},
	"PATCH /api/v1/webhook-endpoints/{id}": func(t *testing.T, a *app) (string, func() resp) {
		c, tid, id := newEndpoint(t, a, "http://127.0.0.1:9/hook")
		return tid, func() resp {
			return c.do("PATCH", "/api/v1/webhook-endpoints/"+id, map[string]any{"description": "renamed"})
		}
	},
	"DELETE /api/v1/webhook-endpoints/{id}": func(t *testing.T, a *app) (string, func() resp) {
		c, tid, id := newEndpoint(t, a, "http://127.0.0.1:9/hook")
		return tid, func() resp { return c.do("DELETE", "/api/v1/webhook-endpoints/"+id, nil) }
	},
	"POST /api/v1/webhook-endpoints/{id}/rotate-secret": func(t *testing.T, a *app) (string, func() resp) {
		c, tid, id := newEndpoint(t, a, "http://127.0.0.1:9/hook")
		return tid, func() resp { return c.do("POST", "/api/v1/webhook-endpoints/"+id+"/rotate-secret", nil) }
	},
	"POST /api/v1/webhook-endpoints/{id}/test": func(t *testing.T, a *app) (string, func() resp) {
		c, tid, id := newEndpoint(t, a, "http://127.0.0.1:9/hook")
		return tid, func() resp { return c.do("POST", "/api/v1/webhook-endpoints/"+id+"/test", nil) }
	},
	"POST /api/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/replay": func(t *testing.T, a *app) (string, func() resp) {
		c, tid, id := newEndpoint(t, a, "http://127.0.0.1:9/hook")
		d := c.do("POST", "/api/v1/webhook-endpoints/"+id+"/test", nil).must(t, 202).str("id")
		waitDelivery(t, c, id, d, "failed")
		return tid, func() resp {
			return c.do("POST", "/api/v1/webhook-endpoints/"+id+"/deliveries/"+d+"/replay", nil)
		}
	},
	"POST /api/v1/webhook-endpoints/{id}/replay": func(t *testing.T, a *app) (string, func() resp) {
		c, tid, id := newEndpoint(t, a, "http://127.0.0.1:9/hook")
		d := c.do("POST", "/api/v1/webhook-endpoints/"+id+"/test", nil).must(t, 202).str("id")
		waitDelivery(t, c, id, d, "failed")
		return tid, func() resp {
			return c.do("POST", "/api/v1/webhook-endpoints/"+id+"/replay", map[string]any{"since": "2020-01-01T00:00:00Z"})
		}
	},
	"POST /api/v1/orders": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("oc"))
		return tid, func() resp { return c.do("POST", "/api/v1/orders", orderBody("Audit A")) }
	},
	"PATCH /api/v1/orders/{id}": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("ou"))
		id := c.do("POST", "/api/v1/orders", orderBody("Audit A")).must(t, 201).str("id")
		return tid, func() resp { return c.do("PATCH", "/api/v1/orders/"+id, map[string]any{"notes": "x"}) }
	},
	"DELETE /api/v1/orders/{id}": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("od"))
		id := c.do("POST", "/api/v1/orders", orderBody("Audit A")).must(t, 201).str("id")
		return tid, func() resp { return c.do("DELETE", "/api/v1/orders/"+id, nil) }
	},
	"POST /api/v1/orders/{id}/transitions": func(t *testing.T, a *app) (string, func() resp) {
		c, _, tid := a.signup(t, uniqueEmail("ot"))
		id := c.do("POST", "/api/v1/orders", orderBody("Audit A")).must(t, 201).str("id")
		return tid, func() resp {
			return c.do("POST", "/api/v1/orders/"+id+"/transitions", map[string]any{"to": "processing"})
		}
	},
}

// TestEveryMutationAuditedOnce: each mutating route of the route table
// writes exactly one audit entry, with the action the table names, in the
// same transaction as its change.
func TestEveryMutationAuditedOnce(t *testing.T) {
	t.Parallel()
	a := newApp(t, backends[0], nil)
	ctx := context.Background()
	count := func(tid uuid.UUID) []audit.Entry {
		es, err := a.store.AuditList(ctx, tid, audit.Filter{Limit: 500})
		require.NoError(t, err)
		return es
	}
	for _, rt := range web.Routes() {
		key := rt.Method + " " + rt.Path
		if rt.Method == http.MethodGet {
			require.Empty(t, rt.Audit, "%s reads; it must not declare an audit action", key)
			continue
		}
		if rt.Audit == "" {
			require.True(t, web.NoAudit[key], "%s changes something but declares no audit action (nor is it in web.NoAudit)", key)
			continue
		}
		call, ok := auditCalls[key]
		require.True(t, ok, "route %s writes %q but has no call in auditCalls", key, rt.Audit)
		t.Run(key, func(t *testing.T) {
			tid, do := call(t, a)
			var before []audit.Entry
			if tid != "" {
				before = count(uuid.MustParse(tid))
			}
			r := do()
			require.Less(t, r.status, 300, "%s failed: %s", key, r.raw)
			if tid == "" { // the call made a new tenant
				tid = r.str("tenant", "id")
				if tid == "" {
					tid = r.str("id")
				}
			}
			after := count(uuid.MustParse(tid))
			if rt.Audit == "auth.password_reset_requested" {
				// Written by the job the request enqueues.
				require.Eventually(t, func() bool { after = count(uuid.MustParse(tid)); return len(after) > len(before) }, 10*time.Second, 20*time.Millisecond)
			}
			require.Equal(t, len(before)+1, len(after), "%s must write exactly one entry", key)
			require.Equal(t, rt.Audit, after[0].Action)
		})
	}
}
