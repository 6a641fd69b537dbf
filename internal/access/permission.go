// Package access says who is acting and what they may do: the Principal
// of a request (a user in a tenant, or an API key), where the request came
// from (Meta), the four roles and THE permission table. Every domain
// service starts with p.Require(action); the UI and the API ask the same
// table. It imports only leaf packages, so that every domain may import it.
package access

import "sort"

// Role is a member's role within one tenant.
type Role string

const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
	RoleViewer Role = "viewer"
)

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleAdmin, RoleMember, RoleViewer:
		return true
	}
	return false
}

// Action is something a principal may try to do within a tenant.
type Action string

// Every action that a role may or may not perform. Add new actions here
// and to the table below; the role-matrix test is generated from it.
const (
	ActTenantRead   Action = "tenant.read"
	ActTenantUpdate Action = "tenant.update" // rename, settings, branding
	ActTenantLeave  Action = "tenant.leave"
	ActTenantDelete Action = "tenant.delete" // schedule the tenant's deletion, or cancel it
	ActTenantExport Action = "tenant.export" // download the tenant's whole data (its archive)
	// ActTenantSecurity sets how members sign in: two-factor required,
	// single sign-on.
	ActTenantSecurity Action = "tenant.security"

	ActMemberRead   Action = "member.read"
	ActMemberManage Action = "member.manage" // change roles below owner, remove non-owners
	ActOwnerManage  Action = "owner.manage"  // make or unmake owners
	ActInviteManage Action = "invitation.manage"

	ActAPIKeyRead   Action = "api_key.read"
	ActAPIKeyManage Action = "api_key.manage"

	ActAuditRead Action = "audit.read"

	ActOrderRead       Action = "order.read"
	ActOrderWrite      Action = "order.write" // create, edit, transition
	ActOrderDelete     Action = "order.delete"
	ActAttachmentWrite Action = "attachment.write"
	ActExportCreate    Action = "export.create"
	ActInvoiceCreate   Action = "invoice.create"

	ActWebhookRead   Action = "webhook.read"
	ActWebhookManage Action = "webhook.manage"

	ActJobManage Action = "job.manage" // see and retry the tenant's failed background jobs

	ActSSOManage Action = "sso.manage" // the tenant's identity provider: who can sign in as whom
)

// permissions is THE permission table: for each action, the roles that
// may perform it. The UI and the API both ask Can; nothing else decides.
var permissions = map[Action][]Role{
	ActTenantRead:     {RoleOwner, RoleAdmin, RoleMember, RoleViewer},
	ActTenantUpdate:   {RoleOwner, RoleAdmin},
	ActTenantLeave:    {RoleOwner, RoleAdmin, RoleMember, RoleViewer},
	ActTenantDelete:   {RoleOwner},
	ActTenantExport:   {RoleOwner},
	ActTenantSecurity: {RoleOwner},

	ActMemberRead:   {RoleOwner, RoleAdmin, RoleMember, RoleViewer},
	ActMemberManage: {RoleOwner, RoleAdmin},
	ActOwnerManage:  {RoleOwner},
	ActInviteManage: {RoleOwner, RoleAdmin},

	ActAPIKeyRead:   {RoleOwner, RoleAdmin},
	ActAPIKeyManage: {RoleOwner, RoleAdmin},

	ActAuditRead: {RoleOwner, RoleAdmin},

	ActOrderRead:       {RoleOwner, RoleAdmin, RoleMember, RoleViewer},
	ActOrderWrite:      {RoleOwner, RoleAdmin, RoleMember},
	ActOrderDelete:     {RoleOwner, RoleAdmin},
	ActAttachmentWrite: {RoleOwner, RoleAdmin, RoleMember},
	ActExportCreate:    {RoleOwner, RoleAdmin, RoleMember},
	ActInvoiceCreate:   {RoleOwner, RoleAdmin, RoleMember},

	ActWebhookRead:   {RoleOwner, RoleAdmin},
	ActWebhookManage: {RoleOwner, RoleAdmin},

	ActJobManage: {RoleOwner, RoleAdmin},

	ActSSOManage: {RoleOwner},
}

// Can reports whether role may perform action. Unknown actions and roles
// are denied.
func Can(role Role, action Action) bool {
	for _, r := range permissions[action] {
		if r == role {
			return true
		}
	}
	return false
}

// Actions lists every action in the table, sorted.
func Actions() []Action {
	out := make([]Action, 0, len(permissions))
	for a := range permissions {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Roles lists the roles from most to least powerful.
func Roles() []Role { return []Role{RoleOwner, RoleAdmin, RoleMember, RoleViewer} }

// rank orders roles: a higher rank may do at least what a lower one may.
func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 4
	case RoleAdmin:
		return 3
	case RoleMember:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// AtLeast reports whether r is as powerful as other, e.g. so that nobody
// mints an API key more powerful than themselves.
func (r Role) AtLeast(other Role) bool { return r.rank() >= other.rank() }

// Weaker returns the less powerful of r and other: what an API key may do
// is bounded by both its own role and its creator's current one.
func (r Role) Weaker(other Role) Role {
	if r.rank() <= other.rank() {
		return r
	}
	return other
}
