package web

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/order"
)

// apiRoute is one JSON API route: the mux pattern, its handler, and what
// the OpenAPI document and the audit test need to know about it.
type apiRoute struct {
	method, path string
	handler      func(*Server) http.HandlerFunc
	op           operation
}

// operation documents a route.
type operation struct {
	id, summary, tag string
	// public routes need no authentication.
	public bool
	// req is a struct whose fields tagged path/query/header are parameters
	// and whose json fields are the body; nil for none.
	req any
	// resp is the success body (nil for 204) and status its code.
	resp   any
	status int
	// errs are the problem statuses the route may answer.
	errs []int
	// audit is the audit action one successful call writes; "" for reads
	// and for the session-only changes listed in NoAudit.
	audit string
	// action is the permission the route needs in the tenant, the one its
	// service requires first. It is checked again before an idempotent
	// replay (withIdempotency). "" for routes of the user rather than the
	// tenant (the account, creating and switching tenants), which need
	// only authentication; every other POST route must name one
	// (TestPostRoutesNamePermission).
	action access.Action
	// deprecated is the day the operation was announced as deprecated
	// and sunset the day it stops answering (zero: neither). A deprecated
	// operation is marked so in the document, and its responses carry
	// Deprecation (RFC 9745), Sunset (RFC 8594) and a Link to the notes;
	// see docs/api-versioning.md for the notice owed.
	deprecated, sunset time.Time
}

// NoAudit lists the routes that change no data, only which tenant a
// session works in, or nothing yet in force (a TOTP set-up waiting for
// its first code: confirming it is audited), and so write no audit entry.
var NoAudit = map[string]bool{
	"POST /api/v1/tenants/{id}/switch": true,
	"POST /api/v1/me/totp":             true,
	// A passkey ceremony's first step only keeps its challenge in the
	// session.
	"POST /api/v1/me/passkeys/options":  true,
	"POST /api/v1/auth/passkey/options": true,
}

// Request shapes, for the OpenAPI document. The handlers decode the same
// body types.
type (
	idPath struct {
		ID uuid.UUID `path:"id" description:"The object's id."`
	}
	userIDPath struct {
		UserID uuid.UUID `path:"user_id" description:"The member's user id."`
	}
	idempotencyHeader struct {
		IdempotencyKey string `header:"Idempotency-Key" description:"Makes a POST safe to retry: the first response is replayed for 24 h, to a principal that may still make the request. A response holding a secret is not kept: its retry is 409 (idempotency-secret-withheld), and the request is not run again."`
	}
	ifMatchHeader struct {
		IfMatch string `header:"If-Match" description:"The ETag of the version you edited; 412 if it changed since. Optional: without it the change is made whatever the version."`
	}
	ifNoneMatchHeader struct {
		IfNoneMatch string `header:"If-None-Match" description:"An ETag you hold: 304 if it is still the current one."`
	}
	tenantRenameReq struct {
		ifMatchHeader
		tenantPatchReq
	}
	signupReq struct {
		Email      string `json:"email" required:"true" format:"email"`
		Password   string `json:"password" required:"true"`
		Name       string `json:"name"`
		TenantName string `json:"tenant_name"`
	}
	loginReq struct {
		Email    string `json:"email" required:"true"`
		Password string `json:"password" required:"true"`
		Code     string `json:"code,omitempty" description:"For a user with two-factor sign-in: the current 6-digit TOTP code, or an unused recovery code."`
	}
	tokenReq struct {
		Token string `json:"token" required:"true"`
	}
	emailReq struct {
		Email string `json:"email" required:"true"`
	}
	resetConfirmReq struct {
		Token    string `json:"token" required:"true"`
		Password string `json:"password" required:"true"`
	}
	passwordChangeReq struct {
		CurrentPassword string `json:"current_password" required:"true"`
		NewPassword     string `json:"new_password" required:"true"`
	}
	emailChangeReq struct {
		Email    string `json:"email" required:"true"`
		Password string `json:"password" required:"true"`
	}
	nameReq struct {
		Name string `json:"name" required:"true"`
	}
	tenantDeleteReq struct {
		Confirm string `json:"confirm" description:"The tenant's slug, typed to confirm the deletion." minLength:"1"`
	}
	tenantPatchReq struct {
		Name             *string `json:"name,omitempty" nullable:"false"`
		DefaultTaxRateBP *int64  `json:"default_tax_rate_bp,omitempty" nullable:"false" minimum:"0" maximum:"10000"`
	}
	roleReq struct {
		userIDPath
		ifMatchHeader
		Role access.Role `json:"role" required:"true"`
	}
	inviteReq struct {
		idempotencyHeader
		Email string      `json:"email" required:"true"`
		Role  access.Role `json:"role" required:"true"`
	}
	acceptReq struct {
		Token    string `json:"token" required:"true"`
		Name     string `json:"name"`
		Password string `json:"password" description:"Required when accepting as a new user."`
	}
	apiKeyReq struct {
		idempotencyHeader
		Name      string      `json:"name" required:"true"`
		Role      access.Role `json:"role" required:"true"`
		ExpiresAt *time.Time  `json:"expires_at"`
	}
	auditListReq struct {
		Action     string `query:"action"`
		EntityType string `query:"entity_type"`
		EntityID   string `query:"entity_id"`
		ActorID    string `query:"actor_id" format:"uuid"`
		From       string `query:"from" format:"date-time"`
		To         string `query:"to" format:"date-time"`
		Cursor     string `query:"cursor" description:"next_cursor (older entries) or prev_cursor (newer entries) of another page."`
		Limit      int    `query:"limit" minimum:"1" maximum:"200"`
	}
	eventsReq struct {
		LastEventID string `header:"Last-Event-ID" description:"Resume after this event id."`
		// EventSource cannot send headers on its first connection.
		LastEventIDQuery string `query:"last_event_id" description:"Last-Event-ID, for clients that cannot send it as a header."`
	}
	orderCreateReq struct {
		idempotencyHeader
		orderInput
	}
	orderGetReq struct {
		idPath
		IfNoneMatch string `header:"If-None-Match" description:"An ETag you hold: 304 if the order is unchanged."`
	}
	orderListReq struct {
		Limit         int          `query:"limit" minimum:"1" maximum:"200" default:"50"`
		Cursor        string       `query:"cursor" description:"next_cursor (or prev_cursor) of the page before (or after) the one wanted."`
		Sort          string       `query:"sort" enum:"created_at,-created_at,total,-total,number,-number" default:"created_at" description:"The field to sort by, descending unless direction=asc (a leading - also says descending); ties are broken by id. A cursor is only valid with the sort it came from."`
		Direction     string       `query:"direction" enum:"asc,desc" default:"desc" description:"The sort's order: desc (the default: newest, largest, highest number first) or asc."`
		Status        order.Status `query:"status"`
		CreatedAfter  string       `query:"created_after" format:"date-time"`
		CreatedBefore string       `query:"created_before" format:"date-time"`
		CreatedFrom   string       `query:"created_from" format:"date" description:"Orders created on this UTC day or later."`
		CreatedTo     string       `query:"created_to" format:"date" description:"Orders created on this UTC day or earlier; not before created_from."`
		CustomerEmail string       `query:"customer_email"`
		Q             string       `query:"q" description:"Free text over number, customer and reference."`
	}
	orderUpdateReq struct {
		idPath
		ifMatchHeader
		orderPatch
	}
	transitionReq struct {
		idPath
		ifMatchHeader
		idempotencyHeader
		To order.Status `json:"to" required:"true"`
	}
)

// Response shapes.
type (
	meJSON struct {
		Principal map[string]any `json:"principal"`
		Tenant    *tenantJSON    `json:"tenant"`
		Role      *access.Role   `json:"role"`
	}
	userEnvelope struct {
		User userJSON `json:"user"`
	}
	statusJSON struct {
		Status string `json:"status"`
	}
	memberRoleJSON struct {
		ETag   string      `header:"ETag" description:"The membership's version; send it back as If-Match."`
		UserID uuid.UUID   `json:"user_id"`
		Role   access.Role `json:"role"`
	}
	// The lists page by keyset: next_cursor and prev_cursor are the
	// cursor of the page after and before this one, null when there is
	// none (see pageRequest).
	tenantList struct {
		Data       []tenantJSON `json:"data"`
		NextCursor *string      `json:"next_cursor"`
		PrevCursor *string      `json:"prev_cursor"`
	}
	memberList struct {
		Data       []memberJSON `json:"data"`
		NextCursor *string      `json:"next_cursor"`
		PrevCursor *string      `json:"prev_cursor"`
	}
	invitationList struct {
		Data       []invitationJSON `json:"data"`
		NextCursor *string          `json:"next_cursor"`
		PrevCursor *string          `json:"prev_cursor"`
	}
	apiKeyList struct {
		Data       []apiKeyJSON `json:"data"`
		NextCursor *string      `json:"next_cursor"`
		PrevCursor *string      `json:"prev_cursor"`
	}
	auditList struct {
		Data       []auditJSON `json:"data"`
		NextCursor string      `json:"next_cursor,omitempty"`
		PrevCursor string      `json:"prev_cursor,omitempty"`
	}
	historyList struct {
		Data       []statusChangeJSON `json:"data"`
		NextCursor *string            `json:"next_cursor"`
		PrevCursor *string            `json:"prev_cursor"`
	}
	// eventStream documents the text/event-stream body: lines of id,
	// event (the type) and data (the entity as JSON).
	eventStream string
	// auditExport documents the application/x-ndjson body: a header
	// line, the entries, the checkpoints (audit.WriteExport).
	auditExport  string
	endpointResp struct {
		ETag string `header:"ETag" description:"The endpoint's version; send it back as If-Match."`
		endpointJSON
	}
	failedJobsReq struct {
		Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"50" description:"Jobs per page."`
		Cursor string `query:"cursor" description:"The next_cursor of the page before."`
	}
	brandingPutReq struct {
		ifMatchHeader
		brandingInput
	}
	brandingResp struct {
		ETag string `header:"ETag" description:"The branding's version; send it back as If-Match."`
		brandingJSON
	}
	tenantResp struct {
		ETag string `header:"ETag" description:"The tenant's version; send it back as If-Match."`
		tenantJSON
	}
	profileResp struct {
		ETag string `header:"ETag" description:"The profile's version; send it back as If-Match."`
		profileJSON
	}
	profilePatchReq struct {
		ifMatchHeader
		profileReq
	}
	orderResp struct {
		ETag string `header:"ETag" description:"The order's version; send it back as If-Match."`
		order.View
	}
	orderCreatedResp struct {
		Location           string `header:"Location" description:"The new order's URL."`
		IdempotentReplayed string `header:"Idempotent-Replayed" description:"true when this is a replay of an earlier response."`
		orderResp
	}
	attachmentList struct {
		Data       []attachmentJSON `json:"data"`
		NextCursor *string          `json:"next_cursor"`
		PrevCursor *string          `json:"prev_cursor"`
	}
	versionJSON struct {
		Version string `json:"version"`
	}
)

var (
	errsAuth   = []int{401, 403, 404, 413, 422, 429}
	errsPublic = []int{413, 422, 429}
)

// apiRoutes is every route of the JSON API. Grep a path to find its
// handler.
func apiRoutes() []apiRoute {
	// h binds a handler to its Server through the adapter (Server.api),
	// which answers a returned error as a problem.
	h := func(f func(*Server, http.ResponseWriter, *http.Request) error) func(*Server) http.HandlerFunc {
		return func(s *Server) http.HandlerFunc {
			return s.api(func(w http.ResponseWriter, r *http.Request) error { return f(s, w, r) })
		}
	}
	return []apiRoute{
		{"GET", "/api/v1/version", h((*Server).handleVersion), operation{id: "getVersion", summary: "Ordo's version", tag: "meta", public: true, resp: versionJSON{}, status: 200}},

		{"POST", "/api/v1/auth/signup", h((*Server).handleSignup), operation{id: "signUp", summary: "Create a user and their first tenant, and e-mail a confirmation link; log in once the address is confirmed (the same answer for a registered address, which is e-mailed instead)", tag: "auth", public: true, req: signupReq{}, resp: statusJSON{}, status: 202, errs: errsPublic, audit: "tenant.created"}},
		{"POST", "/api/v1/auth/login", h((*Server).handleLogin), operation{id: "logIn", summary: "Log in and start a session. A user with two-factor sign-in sends the code too: without it the answer is 401 with a problem of type …/mfa-required, with a wrong one …/mfa-invalid. A member, not an owner, of a tenant that requires single sign-on gets 403 …/sso-required", tag: "auth", public: true, req: loginReq{}, resp: meJSON{}, status: 200, errs: append(errsPublic, 401, 403), audit: "auth.login"}},
		{"POST", "/api/v1/auth/passkey/options", h((*Server).handlePasskeyLoginBegin), operation{id: "beginPasskeyLogin", summary: "Start signing in with a passkey: the options for navigator.credentials.get; the challenge is kept in this session (keep its cookie) for five minutes, for one POST /api/v1/auth/passkey. Without second_factor any passkey signs in alone (passwordless, the way API clients sign in with one); with it, the log-in waiting in this browser session after its password (409 if none)", tag: "auth", public: true, req: passkeyLoginOptionsReq{}, resp: passkeyOptionsJSON{}, status: 200, errs: append(errsPublic, 401, 409)}},
		{"POST", "/api/v1/auth/passkey", h((*Server).handlePasskeyLoginFinish), operation{id: "logInWithPasskey", summary: "Finish signing in with a passkey with the authenticator's answer and start a session (method passkey, or password+passkey as the second factor); 401 if the passkey is not accepted, 409 without a sign-in started in this session", tag: "auth", public: true, req: passkeyLoginReq{}, resp: meJSON{}, status: 200, errs: append(errsPublic, 401, 403, 409), audit: "auth.login"}},
		{"POST", "/api/v1/auth/logout", h((*Server).handleLogout), operation{id: "logOut", summary: "End this session", tag: "auth", public: true, status: 204, audit: "auth.logout"}},
		{"POST", "/api/v1/auth/logout-everywhere", h((*Server).handleLogoutEverywhere), operation{id: "logOutEverywhere", summary: "End every session of the user", tag: "auth", status: 204, errs: errsAuth, audit: "auth.logout_everywhere"}},
		{"POST", "/api/v1/auth/verify-email", h((*Server).handleVerifyEmail), operation{id: "verifyEmail", summary: "Confirm an e-mail address with the e-mailed token", tag: "auth", public: true, req: tokenReq{}, resp: userEnvelope{}, status: 200, errs: errsPublic, audit: "user.email_verified"}},
		{"POST", "/api/v1/auth/verify-email/resend", h((*Server).handleResendVerification), operation{id: "resendVerification", summary: "E-mail a new confirmation link", tag: "auth", status: 202, errs: errsAuth, audit: "user.verification_sent"}},
		{"POST", "/api/v1/auth/password-reset", h((*Server).handlePasswordResetRequest), operation{id: "requestPasswordReset", summary: "E-mail a password reset link (same answer for unknown addresses)", tag: "auth", public: true, req: emailReq{}, resp: statusJSON{}, status: 202, errs: errsPublic, audit: "auth.password_reset_requested"}},
		{"POST", "/api/v1/auth/password-reset/confirm", h((*Server).handlePasswordResetConfirm), operation{id: "resetPassword", summary: "Set a new password with the e-mailed token; ends every session", tag: "auth", public: true, req: resetConfirmReq{}, status: 204, errs: errsPublic, audit: "auth.password_reset"}},
		{"POST", "/api/v1/auth/password", h((*Server).handlePasswordChange), operation{id: "changePassword", summary: "Change the password; ends the other sessions", tag: "auth", req: passwordChangeReq{}, status: 204, errs: errsAuth, audit: "auth.password_changed"}},
		{"POST", "/api/v1/auth/email", h((*Server).handleEmailChangeRequest), operation{id: "requestEmailChange", summary: "E-mail a confirmation link to a new address", tag: "auth", req: emailChangeReq{}, resp: statusJSON{}, status: 202, errs: errsAuth, audit: "user.email_change_requested"}},
		{"POST", "/api/v1/auth/email/confirm", h((*Server).handleEmailChangeConfirm), operation{id: "confirmEmailChange", summary: "Switch to the new address with the e-mailed token", tag: "auth", public: true, req: tokenReq{}, resp: userEnvelope{}, status: 200, errs: errsPublic, audit: "user.email_changed"}},
		{"GET", "/api/v1/me", h((*Server).handleMe), operation{id: "getMe", summary: "Who is asking: principal, tenant and role (403 tenant-suspended for a key of a suspended tenant)", tag: "auth", resp: meJSON{}, status: 200, errs: []int{401, 403}}},
		// The user's own profile (api_profile.go).
		{"GET", "/api/v1/me/profile", h((*Server).handleProfileGet), operation{id: "getProfile", summary: "The logged-in user's profile: name, language, avatar", tag: "profile", req: ifNoneMatchHeader{}, resp: profileResp{}, status: 200, errs: append(errsAuth, 304)}},
		{"PATCH", "/api/v1/me/profile", h((*Server).handleProfileUpdate), operation{id: "updateProfile", summary: "Change the name or UI language; fields left out stay as they are", tag: "profile", req: profilePatchReq{}, resp: profileResp{}, status: 200, errs: append(errsAuth, 412), audit: "user.profile_updated"}},
		{"PUT", "/api/v1/me/avatar", h((*Server).handleAvatarPut), operation{id: "setAvatar", summary: "Upload the user's picture as the request body: a PNG, JPEG or WebP of at most 512 KiB", tag: "profile", resp: profileResp{}, status: 200, errs: errsAuth, audit: "user.avatar_updated"}},
		{"DELETE", "/api/v1/me/avatar", h((*Server).handleAvatarDelete), operation{id: "deleteAvatar", summary: "Remove the user's picture", tag: "profile", status: 204, errs: errsAuth, audit: "user.avatar_updated"}},
		{"GET", "/api/v1/me/sessions", h((*Server).handleSessionList), operation{id: "listSessions", summary: "The user's logged-in sessions, most recently seen first", tag: "profile", resp: sessionList{}, status: 200, errs: errsAuth}},
		{"DELETE", "/api/v1/me/sessions/{id}", h((*Server).handleSessionRevoke), operation{id: "revokeSession", summary: "End one of the user's sessions; its next request is logged out", tag: "profile", req: idPath{}, status: 204, errs: errsAuth, audit: "auth.session_revoked"}},
		{"GET", "/api/v1/me/two-factor", h((*Server).handleTwoFactorGet), operation{id: "getTwoFactor", summary: "The user's two-factor sign-in: TOTP on or not, recovery codes left", tag: "profile", resp: twoFactorJSON{}, status: 200, errs: errsAuth}},
		{"POST", "/api/v1/me/totp", h((*Server).handleTOTPStart), operation{id: "startTOTP", summary: "Start setting up TOTP two-factor sign-in: a new secret and its otpauth:// URL (409 while TOTP is on)", tag: "profile", resp: totpStartJSON{}, status: 200, errs: append(errsAuth, 409)}},
		{"POST", "/api/v1/me/totp/confirm", h((*Server).handleTOTPConfirm), operation{id: "confirmTOTP", summary: "Finish the set-up with a code from the app: TOTP is on, and ten recovery codes are returned this once", tag: "profile", req: totpCodeReq{}, resp: recoveryCodesJSON{}, status: 200, errs: append(errsAuth, 409), audit: "user.two_factor_enabled"}},
		{"POST", "/api/v1/me/totp/disable", h((*Server).handleTOTPDisable), operation{id: "disableTOTP", summary: "Turn TOTP off, with a current code or an unused recovery code", tag: "profile", req: totpCodeReq{}, status: 204, errs: append(errsAuth, 409), audit: "user.two_factor_disabled"}},
		{"POST", "/api/v1/me/totp/recovery-codes", h((*Server).handleRecoveryCodes), operation{id: "regenerateRecoveryCodes", summary: "Replace the recovery codes with ten new ones, with a current code from the app", tag: "profile", req: totpCodeReq{}, resp: recoveryCodesJSON{}, status: 200, errs: append(errsAuth, 409), audit: "user.recovery_codes_regenerated"}},
		{"GET", "/api/v1/me/passkeys", h((*Server).handlePasskeyList), operation{id: "listPasskeys", summary: "The user's passkeys, oldest first", tag: "profile", resp: passkeyList{}, status: 200, errs: errsAuth}},
		{"POST", "/api/v1/me/passkeys/options", h((*Server).handlePasskeyRegisterBegin), operation{id: "beginPasskeyRegistration", summary: "Start registering a passkey: the options for navigator.credentials.create; the challenge is kept in this session for five minutes, for one POST /api/v1/me/passkeys (409 with 20 passkeys)", tag: "profile", resp: passkeyOptionsJSON{}, status: 200, errs: append(errsAuth, 409)}},
		{"POST", "/api/v1/me/passkeys", h((*Server).handlePasskeyRegisterFinish), operation{id: "registerPasskey", summary: "Finish registering a passkey with the authenticator's answer, under a name (409 without a registration started in this session)", tag: "profile", req: passkeyRegisterReq{}, resp: passkeyJSON{}, status: 201, errs: append(errsAuth, 409), audit: "user.passkey_added"}},
		{"DELETE", "/api/v1/me/passkeys/{id}", h((*Server).handlePasskeyDelete), operation{id: "deletePasskey", summary: "Remove one of the user's passkeys", tag: "profile", req: idPath{}, status: 204, errs: errsAuth, audit: "user.passkey_removed"}},
		{"DELETE", "/api/v1/me", h((*Server).handleDeleteMe), operation{id: "deleteMe", summary: "Delete the user's account, memberships and sessions (409 while the only owner of a tenant)", tag: "profile", req: deleteMeReq{}, status: 204, errs: append(errsAuth, 409), audit: "user.deleted"}},

		{"GET", "/api/v1/tenants", h((*Server).handleTenantList), operation{id: "listTenants", summary: "Tenants of the user (or the key's tenant)", tag: "tenants", req: pageReq{}, resp: tenantList{}, status: 200, errs: errsAuth}},
		{"POST", "/api/v1/tenants", h((*Server).handleTenantCreate), operation{id: "createTenant", summary: "Create a tenant owned by the user", tag: "tenants", req: struct {
			idempotencyHeader
			nameReq
		}{}, resp: tenantJSON{}, status: 201, errs: errsAuth, audit: "tenant.created"}},
		{"POST", "/api/v1/tenants/{id}/switch", h((*Server).handleTenantSwitch), operation{id: "switchTenant", summary: "Make another of the user's tenants current", tag: "tenants", req: idPath{}, resp: meJSON{}, status: 200, errs: errsAuth}},
		{"GET", "/api/v1/tenant", h((*Server).handleTenantGet), operation{id: "getTenant", summary: "The current tenant", tag: "tenants", req: ifNoneMatchHeader{}, resp: tenantResp{}, status: 200, errs: append(errsAuth, 304)}},
		{"PATCH", "/api/v1/tenant", h((*Server).handleTenantRename), operation{id: "renameTenant", summary: "Rename the current tenant or set its default tax rate (fields left out stay)", tag: "tenants", req: tenantRenameReq{}, resp: tenantResp{}, status: 200, errs: append(errsAuth, 412), audit: "tenant.renamed"}},
		{"GET", "/api/v1/usage", h((*Server).handleUsage), operation{id: "getUsage", summary: "The tenant's plan, its usage against each of the plan's limits, and the month's counters (owners and admins)", tag: "tenants", resp: usageJSON{}, status: 200, errs: errsAuth}},
		{"POST", "/api/v1/tenant/deletion", h((*Server).handleTenantDelete), operation{id: "deleteTenant", summary: "Delete the current tenant (owners): its members and keys lose access at once (403 tenant-deleted) and its data and files are purged for good after the grace period (30 days by default); confirm with the tenant's slug", tag: "tenants", req: tenantDeleteReq{}, resp: tenantJSON{}, status: 202, errs: append(errsAuth, 409), audit: "tenant.deletion_scheduled", action: access.ActTenantDelete}},
		{"DELETE", "/api/v1/tenant/deletion", h((*Server).handleTenantRestore), operation{id: "cancelTenantDeletion", summary: "Cancel the deletion of the tenant the session or key names, before it is purged (owners): everything works again as before", tag: "tenants", resp: tenantJSON{}, status: 200, errs: append(errsAuth, 409), audit: "tenant.deletion_cancelled"}},
		{"GET", "/api/v1/members", h((*Server).handleMemberList), operation{id: "listMembers", summary: "Members of the current tenant", tag: "members", req: pageReq{}, resp: memberList{}, status: 200, errs: errsAuth}},
		{"PATCH", "/api/v1/members/{user_id}", h((*Server).handleMemberUpdate), operation{id: "changeMemberRole", summary: "Change a member's role", tag: "members", req: roleReq{}, resp: memberRoleJSON{}, status: 200, errs: append(errsAuth, 409, 412), audit: "member.role_changed"}},
		{"DELETE", "/api/v1/members/{user_id}", h((*Server).handleMemberRemove), operation{id: "removeMember", summary: "Remove a member (or leave, with your own id)", tag: "members", req: userIDPath{}, status: 204, errs: append(errsAuth, 409), audit: "member.removed"}},

		{"GET", "/api/v1/invitations", h((*Server).handleInvitationList), operation{id: "listInvitations", summary: "Invitations of the current tenant, with status", tag: "invitations", req: pageReq{}, resp: invitationList{}, status: 200, errs: errsAuth}},
		{"POST", "/api/v1/invitations", h((*Server).handleInvitationCreate), operation{id: "invite", summary: "Invite someone by e-mail", tag: "invitations", req: inviteReq{}, resp: invitationJSON{}, status: 201, errs: errsAuth, audit: "invitation.created", action: access.ActInviteManage}},
		{"POST", "/api/v1/invitations/{id}/resend", h((*Server).handleInvitationResend), operation{id: "resendInvitation", summary: "Send a fresh link; the old one stops working", tag: "invitations", req: idPath{}, resp: invitationJSON{}, status: 200, errs: append(errsAuth, 409), audit: "invitation.resent", action: access.ActInviteManage}},
		{"DELETE", "/api/v1/invitations/{id}", h((*Server).handleInvitationRevoke), operation{id: "revokeInvitation", summary: "Revoke an open invitation", tag: "invitations", req: idPath{}, status: 204, errs: append(errsAuth, 409), audit: "invitation.revoked"}},
		{"POST", "/api/v1/invitations/accept", h((*Server).handleInvitationAccept), operation{id: "acceptInvitation", summary: "Accept as the logged-in user, or as a new user with a password", tag: "invitations", public: true, req: acceptReq{}, resp: meJSON{}, status: 200, errs: append(errsPublic, 403, 409), audit: "invitation.accepted"}},

		{"GET", "/api/v1/api-keys", h((*Server).handleAPIKeyList), operation{id: "listAPIKeys", summary: "API keys of the current tenant (never their secrets)", tag: "api-keys", req: pageReq{}, resp: apiKeyList{}, status: 200, errs: errsAuth}},
		{"POST", "/api/v1/api-keys", h((*Server).handleAPIKeyCreate), operation{id: "createAPIKey", summary: "Create a key; the secret is in this response only", tag: "api-keys", req: apiKeyReq{}, resp: apiKeyJSON{}, status: 201, errs: append(errsAuth, 409), audit: "api_key.created", action: access.ActAPIKeyManage}},
		{"DELETE", "/api/v1/api-keys/{id}", h((*Server).handleAPIKeyRevoke), operation{id: "revokeAPIKey", summary: "Revoke a key at once", tag: "api-keys", req: idPath{}, status: 204, errs: errsAuth, audit: "api_key.revoked"}},
		{"GET", "/api/v1/audit-log", h((*Server).handleAuditList), operation{id: "listAuditLog", summary: "The tenant's audit log, newest first", tag: "audit", req: auditListReq{}, resp: auditList{}, status: 200, errs: errsAuth}},
		{"GET", "/api/v1/audit-log/export", h((*Server).handleAuditExport), operation{id: "exportAuditLog", summary: "The tenant's whole audit log with its proofs (hash chain and signed checkpoints) as JSON Lines, to verify offline (see the README's Audit log)", tag: "audit", resp: auditExport(""), status: 200, errs: errsAuth}},

		{"GET", "/api/v1/orders", h((*Server).handleOrderList), operation{id: "listOrders", summary: "A page of orders", tag: "orders", req: orderListReq{}, resp: orderList{}, status: 200, errs: errsAuth}},
		{"POST", "/api/v1/orders", h((*Server).handleOrderCreate), operation{id: "createOrder", summary: "Create an order; totals are computed by the server", tag: "orders", req: orderCreateReq{}, resp: orderCreatedResp{}, status: 201, errs: append(errsAuth, 409), audit: "order.created", action: access.ActOrderWrite}},
		{"GET", "/api/v1/orders/{id}", h((*Server).handleOrderGet), operation{id: "getOrder", summary: "One order, with its ETag", tag: "orders", req: orderGetReq{}, resp: orderResp{}, status: 200, errs: append(errsAuth, 304)}},
		{"PATCH", "/api/v1/orders/{id}", h((*Server).handleOrderUpdate), operation{id: "updateOrder", summary: "Change an order (items only while pending)", tag: "orders", req: orderUpdateReq{}, resp: orderResp{}, status: 200, errs: append(errsAuth, 409, 412), audit: "order.updated"}},
		{"DELETE", "/api/v1/orders/{id}", h((*Server).handleOrderDelete), operation{id: "deleteOrder", summary: "Delete an order (owners and admins); an invoiced order cannot be deleted (409): cancel it instead", tag: "orders", req: idPath{}, status: 204, errs: append(errsAuth, 409), audit: "order.deleted"}},
		{"POST", "/api/v1/orders/{id}/transitions", h((*Server).handleOrderTransition), operation{id: "transitionOrder", summary: "Move an order along pending → processing → shipped → delivered, or cancel it", tag: "orders", req: transitionReq{}, resp: orderResp{}, status: 200, errs: append(errsAuth, 409, 412), audit: "order.status_changed", action: access.ActOrderWrite}},
		{"POST", "/api/v1/uploads/presign", h((*Server).handlePresign), operation{id: "presignUpload", summary: "Record a pending attachment and sign an upload straight to storage (PUT with exactly the given headers)", tag: "attachments", req: struct {
			idempotencyHeader
			presignInput
		}{}, resp: presignJSON{}, status: 201, errs: errsAuth, audit: "attachment.presigned", action: access.ActAttachmentWrite}},
		{"POST", "/api/v1/attachments/{id}/complete", h((*Server).handleAttachmentComplete), operation{id: "completeUpload", summary: "Check the uploaded object and make the attachment available", tag: "attachments", req: idPath{}, resp: attachmentJSON{}, status: 200, errs: append(errsAuth, 409), audit: "attachment.uploaded", action: access.ActAttachmentWrite}},
		{"GET", "/api/v1/attachments", h((*Server).handleAttachmentList), operation{id: "listAttachments", summary: "A page of attachments, newest first, of one order with order_id", tag: "attachments", req: struct {
			OrderID string `query:"order_id" format:"uuid"`
			pageReq
		}{}, resp: attachmentList{}, status: 200, errs: errsAuth}},
		{"GET", "/api/v1/attachments/{id}", h((*Server).handleAttachmentGet), operation{id: "getAttachment", summary: "An attachment, with a short-lived download_url once uploaded", tag: "attachments", req: idPath{}, resp: attachmentJSON{}, status: 200, errs: errsAuth}},
		{"DELETE", "/api/v1/attachments/{id}", h((*Server).handleAttachmentDelete), operation{id: "deleteAttachment", summary: "Delete an attachment and its file", tag: "attachments", req: idPath{}, status: 204, errs: errsAuth, audit: "attachment.deleted"}},
		{"POST", "/api/v1/orders/export", h((*Server).handleExportCreate), operation{id: "createExport", summary: "Export the orders a filter selects, as CSV, XLSX or PDF (at most 5,000 orders), in the background", tag: "exports", req: struct {
			idempotencyHeader
			exportInput
		}{}, resp: struct {
			Location string `header:"Location"`
			exportJSON
		}{}, status: 202, errs: errsAuth, audit: "export.created", action: access.ActExportCreate}},
		{"POST", "/api/v1/tenant/archive", h((*Server).handleArchiveCreate), operation{id: "createTenantArchive", summary: "Export the tenant's whole data (owners): every entity as JSON Lines plus attachments, invoice PDFs and the logo, in one zip built in the background (format archive; see docs/tenant-archive.md). Users' password hashes are left out. Poll the export, or listen for export.completed, then download it", tag: "exports", req: idempotencyHeader{}, resp: struct {
			Location string `header:"Location"`
			exportJSON
		}{}, status: 202, errs: errsAuth, audit: "export.created", action: access.ActTenantExport}},
		{"GET", "/api/v1/tenant/security", h((*Server).handleTenantSecurityGet), operation{id: "getTenantSecurity", summary: "How the tenant's members must sign in", tag: "tenants", resp: tenantSecurityJSON{}, status: 200, errs: errsAuth}},
		{"PUT", "/api/v1/tenant/security", h((*Server).handleTenantSecurityPut), operation{id: "setTenantSecurity", summary: "Require (or stop requiring) two-factor sign-in of the tenant's members (owners; 409 unless the owner's own session signed in with a second factor)", tag: "tenants", req: tenantSecurityReq{}, resp: tenantSecurityJSON{}, status: 200, errs: append(errsAuth, 409), audit: "tenant.two_factor_required", action: access.ActTenantSecurity}},
		{"GET", "/api/v1/tenant/branding", h((*Server).handleBrandingGet), operation{id: "getBranding", summary: "The tenant's invoice branding, with its ETag", tag: "invoices", req: ifNoneMatchHeader{}, resp: brandingResp{}, status: 200, errs: append(errsAuth, 304)}},
		{"PUT", "/api/v1/tenant/branding", h((*Server).handleBrandingPut), operation{id: "setBranding", summary: "Set the tenant's invoice address, tax id, accent colour and footer", tag: "invoices", req: brandingPutReq{}, resp: brandingResp{}, status: 200, errs: append(errsAuth, 412), audit: "tenant.branding_updated"}},
		{"PUT", "/api/v1/tenant/logo", h((*Server).handleLogoPut), operation{id: "setLogo", summary: "Upload the invoice logo as the request body: a PNG or JPEG of at most 512 KiB", tag: "invoices", resp: brandingJSON{}, status: 200, errs: errsAuth, audit: "tenant.branding_updated"}},
		{"DELETE", "/api/v1/tenant/logo", h((*Server).handleLogoDelete), operation{id: "deleteLogo", summary: "Remove the invoice logo", tag: "invoices", status: 204, errs: errsAuth, audit: "tenant.branding_updated"}},
		{"GET", "/api/v1/tenant/sso", h((*Server).handleSSOGet), operation{id: "getSSO", summary: "The tenant's single sign-on (OpenID Connect provider), without its client secret, and the redirect URI to register at the provider (owners)", tag: "tenants", resp: ssoJSON{}, status: 200, errs: errsAuth, action: access.ActSSOManage}},
		{"PUT", "/api/v1/tenant/sso", h((*Server).handleSSOPut), operation{id: "setSSO", summary: "Set the tenant's single sign-on: issuer, client, allowed e-mail domains, just-in-time provisioning, and whether it is required (owners)", tag: "tenants", req: ssoInput{}, resp: ssoJSON{}, status: 200, errs: errsAuth, audit: "tenant.sso_updated", action: access.ActSSOManage}},
		{"DELETE", "/api/v1/tenant/sso", h((*Server).handleSSODelete), operation{id: "deleteSSO", summary: "Remove the tenant's single sign-on: members sign in with passwords again (owners)", tag: "tenants", status: 204, errs: errsAuth, audit: "tenant.sso_deleted", action: access.ActSSOManage}},
		{"POST", "/api/v1/orders/{id}/invoice", h((*Server).handleInvoiceCreate), operation{id: "createInvoice", summary: "Generate (or regenerate) the order's PDF invoice in the background; shipping an order does it too", tag: "invoices", req: idPath{}, resp: invoiceJSON{}, status: 202, errs: errsAuth, audit: "invoice.requested", action: access.ActInvoiceCreate}},
		{"GET", "/api/v1/orders/{id}/invoice", h((*Server).handleInvoiceGet), operation{id: "getInvoice", summary: "The order's invoice, with a download_url once ready; 404 before one was requested", tag: "invoices", req: idPath{}, resp: invoiceJSON{}, status: 200, errs: errsAuth}},
		{"POST", "/api/v1/webhook-endpoints", h((*Server).handleEndpointCreate), operation{id: "createWebhookEndpoint", summary: "Add a webhook endpoint; the answer holds its signing secret, shown only now", tag: "webhooks", req: struct {
			idempotencyHeader
			endpointInput
		}{}, resp: endpointJSON{}, status: 201, errs: append(errsAuth, 409), audit: "webhook_endpoint.created", action: access.ActWebhookManage}},
		{"GET", "/api/v1/webhook-endpoints", h((*Server).handleEndpointList), operation{id: "listWebhookEndpoints", summary: "The tenant's webhook endpoints, and the event types they may subscribe to", tag: "webhooks", req: pageReq{}, resp: endpointList{}, status: 200, errs: errsAuth}},
		{"GET", "/api/v1/webhook-endpoints/{id}", h((*Server).handleEndpointGet), operation{id: "getWebhookEndpoint", summary: "One webhook endpoint, with its ETag", tag: "webhooks", req: struct {
			idPath
			ifNoneMatchHeader
		}{}, resp: endpointResp{}, status: 200, errs: append(errsAuth, 304)}},
		{"PATCH", "/api/v1/webhook-endpoints/{id}", h((*Server).handleEndpointUpdate), operation{id: "updateWebhookEndpoint", summary: "Edit a webhook endpoint, or enable or disable it", tag: "webhooks", req: struct {
			idPath
			ifMatchHeader
			endpointInput
		}{}, resp: endpointResp{}, status: 200, errs: append(errsAuth, 412), audit: "webhook_endpoint.updated"}},
		{"DELETE", "/api/v1/webhook-endpoints/{id}", h((*Server).handleEndpointDelete), operation{id: "deleteWebhookEndpoint", summary: "Remove a webhook endpoint and its delivery log", tag: "webhooks", req: idPath{}, status: 204, errs: errsAuth, audit: "webhook_endpoint.deleted"}},
		{"POST", "/api/v1/webhook-endpoints/{id}/rotate-secret", h((*Server).handleEndpointRotate), operation{id: "rotateWebhookSecret", summary: "Give the endpoint a new secret; the old one keeps signing too for 24 hours", tag: "webhooks", req: struct {
			idPath
			idempotencyHeader
		}{}, resp: endpointJSON{}, status: 200, errs: append(errsAuth, 409), audit: "webhook_endpoint.secret_rotated", action: access.ActWebhookManage}},
		{"POST", "/api/v1/webhook-endpoints/{id}/test", h((*Server).handleEndpointTest), operation{id: "testWebhookEndpoint", summary: "Send a webhook.test event to the endpoint", tag: "webhooks", req: idPath{}, resp: deliveryJSON{}, status: 202, errs: errsAuth, audit: "webhook_endpoint.tested", action: access.ActWebhookManage}},
		{"GET", "/api/v1/webhook-endpoints/{id}/deliveries", h((*Server).handleDeliveryList), operation{id: "listWebhookDeliveries", summary: "The endpoint's deliveries with every attempt, newest first", tag: "webhooks", req: deliveryListReq{}, resp: deliveryList{}, status: 200, errs: errsAuth}},
		{"POST", "/api/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/replay", h((*Server).handleDeliveryReplay), operation{id: "replayWebhookDelivery", summary: "Send one delivery again", tag: "webhooks", req: replayPath{}, resp: deliveryJSON{}, status: 202, errs: errsAuth, audit: "webhook_delivery.replayed", action: access.ActWebhookManage}},
		{"POST", "/api/v1/webhook-endpoints/{id}/replay", h((*Server).handleReplayFailed), operation{id: "replayFailedWebhookDeliveries", summary: "Send again every failed delivery since a time", tag: "webhooks", req: replayFailedReq{}, resp: replayFailedJSON{}, status: 202, errs: errsAuth, audit: "webhook_delivery.replayed", action: access.ActWebhookManage}},
		{"GET", "/api/v1/jobs/failed", h((*Server).handleJobsFailed), operation{id: "listFailedJobs", summary: "A page of the tenant's background jobs that failed (waiting to retry, or given up), newest first, with their last error; and its failing webhook deliveries", tag: "jobs", req: failedJobsReq{}, resp: jobList{}, status: 200, errs: errsAuth}},
		{"POST", "/api/v1/jobs/{id}/retry", h((*Server).handleJobRetry), operation{id: "retryJob", summary: "Run a failed job again now", tag: "jobs", req: jobIDPath{}, resp: jobJSON{}, status: 200, errs: errsAuth, audit: "job.retried", action: access.ActJobManage}},
		{"GET", "/api/v1/exports", h((*Server).handleExportList), operation{id: "listExports", summary: "A page of the tenant's exports, newest first", tag: "exports", req: pageReq{}, resp: exportList{}, status: 200, errs: errsAuth}},
		{"GET", "/api/v1/exports/{id}", h((*Server).handleExportGet), operation{id: "getExport", summary: "An export's status and progress, with a download_url when completed", tag: "exports", req: idPath{}, resp: exportJSON{}, status: 200, errs: errsAuth}},
		{"DELETE", "/api/v1/exports/{id}", h((*Server).handleExportDelete), operation{id: "deleteExport", summary: "Cancel a running export, or delete a finished one and its file", tag: "exports", req: idPath{}, status: 204, errs: errsAuth, audit: "export.deleted"}},
		{"GET", "/api/v1/events", h((*Server).handleEvents), operation{id: "streamEvents", summary: "Server-Sent Events of the tenant (order and member changes); resume with Last-Event-ID", tag: "events", req: eventsReq{}, resp: eventStream(""), status: 200, errs: errsAuth}},
		{"GET", "/api/v1/dashboard", h((*Server).handleDashboard), operation{id: "getDashboard", summary: "Orders and revenue per currency for today, 7 and 30 days, orders per day over 30 days, and the newest orders; cancelled orders count nowhere", tag: "orders", resp: dashboardJSON{}, status: 200, errs: errsAuth}},
		{"GET", "/api/v1/orders/{id}/history", h((*Server).handleOrderHistory), operation{id: "getOrderHistory", summary: "A page of an order's status history, oldest first", tag: "orders", req: struct {
			idPath
			pageReq
		}{}, resp: historyList{}, status: 200, errs: errsAuth}},
	}
}

// RouteInfo describes an API route for tests and tools.
type RouteInfo struct {
	Method, Path string
	// Audit is the audit action that one successful call writes; empty
	// for reads and session switches.
	Audit string
	// Public routes need no authentication.
	Public bool
	// Action is the permission the route needs in the tenant; empty for
	// public routes and routes of the user.
	Action access.Action
}

// Routes lists the API routes.
func Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range apiRoutes() {
		out = append(out, RouteInfo{Method: rt.method, Path: rt.path, Audit: rt.op.audit, Public: rt.op.public, Action: rt.op.action})
	}
	return out
}
