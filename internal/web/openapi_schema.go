package web

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/swaggest/jsonschema-go"
	"github.com/swaggest/openapi-go"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/invoice"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/tenant"
	"github.com/ordo/ordo/internal/webhook"
)

// What the OpenAPI document says beyond the Go types: the values of
// every closed set, the limits of the validators, the names of the
// component schemas and the shared problem responses.

// enumValues are the values of the closed sets, from the constants of
// the packages that define them, so that a new value cannot be missed
// by the document silently (TestOpenAPIEnums checks the Valid methods
// agree).
var enumValues = map[reflect.Type][]any{
	reflect.TypeFor[access.Role]():              {access.RoleOwner, access.RoleAdmin, access.RoleMember, access.RoleViewer},
	reflect.TypeFor[account.InvitationStatus](): {account.InvitationPending, account.InvitationAccepted, account.InvitationRevoked, account.InvitationExpired},
	reflect.TypeFor[order.Status]():             {order.StatusPending, order.StatusProcessing, order.StatusShipped, order.StatusDelivered, order.StatusCancelled},
	reflect.TypeFor[export.Format]():            {export.FormatCSV, export.FormatXLSX, export.FormatPDF, export.FormatArchive},
	reflect.TypeFor[export.Status]():            {export.StatusQueued, export.StatusRunning, export.StatusCompleted, export.StatusFailed, export.StatusCancelled, export.StatusExpired},
	reflect.TypeFor[invoice.Status]():           {invoice.StatusPending, invoice.StatusReady, invoice.StatusFailed},
	reflect.TypeFor[attachment.Status]():        {attachment.StatusPending, attachment.StatusUploaded, attachment.StatusFailed},
	reflect.TypeFor[tenant.Plan]():              {tenant.PlanFree, tenant.PlanPro, tenant.PlanEnterprise},
	reflect.TypeFor[webhook.DeliveryStatus]():   {webhook.DeliveryPending, webhook.DeliverySucceeded, webhook.DeliveryFailed},
}

// eventTypes is the enum of a webhook subscription's event types.
func eventTypes() []any {
	out := make([]any, len(webhook.EventTypes))
	for i, t := range webhook.EventTypes {
		out[i] = t
	}
	return out
}

// schemaRules adds to properties of named schemas what their Go type
// cannot say: the limits order.Validate and the other validators
// enforce (TestOpenAPILimits proves the order limits agree by running
// order.Validate at and past each one), and enums of plain strings.
// Keys are component schema names, then property names; "items."
// prefixes a rule for the elements of an array property.
func schemaRules() map[string]map[string]map[string]any {
	orderText := map[string]map[string]any{
		"customer_name":  {"maxLength": 200, "minLength": 1},
		"customer_email": {"maxLength": 254, "format": "email"},
		"customer_phone": {"maxLength": 50},
		"notes":          {"maxLength": 5000},
		"external_ref":   {"maxLength": 200},
		"currency":       {"pattern": "^[A-Z]{3}$"},
		"discount":       {"minimum": 0},
		"items":          {"maxItems": order.MaxItems, "minItems": 1},
	}
	item := map[string]map[string]any{
		"quantity":    {"minimum": 1, "maximum": order.MaxQuantity},
		"unit_price":  {"minimum": 0, "maximum": order.MaxUnitPrice},
		"tax_rate_bp": {"minimum": 0, "maximum": order.MaxTaxRateBP},
		"sku":         {"maxLength": 100},
		"name":        {"maxLength": 300, "minLength": 1},
		"description": {"maxLength": 2000},
	}
	address := map[string]map[string]any{
		"name": {"maxLength": 200}, "line1": {"maxLength": 200}, "line2": {"maxLength": 200},
		"city": {"maxLength": 200}, "region": {"maxLength": 200}, "postal_code": {"maxLength": 200},
		"country": {"pattern": "^[A-Z]{2}$"},
	}
	events := map[string]map[string]any{"items.": {"enum": eventTypes()}}
	patch := map[string]map[string]any{}
	for k, v := range orderText {
		if k != "items" {
			patch[k] = v
		}
	}
	password := map[string]any{"minLength": account.MinPasswordLen, "maxLength": account.MaxPasswordLen,
		"description": fmt.Sprintf("At least %d characters and at most %d bytes; not a common password nor the e-mail address.", account.MinPasswordLen, account.MaxPasswordLen)}
	// account.Service.SignUp and webhooks count bytes: maxLength (characters)
	// is the bound for ASCII, and never refuses what the server takes.
	return map[string]map[string]map[string]any{
		"SignupRequest":                {"password": password, "name": {"maxLength": 200}, "tenant_name": {"maxLength": 200}},
		"ResetConfirmRequest":          {"password": password},
		"PasswordChangeRequest":        {"new_password": password},
		"OrderCreateRequest":           orderText,
		"OrderUpdateRequest":           patch,
		"OrderItemInput":               item,
		"Address":                      address,
		"PresignUploadRequest":         {"filename": {"minLength": 1}},
		"CreateWebhookEndpointRequest": {"event_types": events["items."], "url": {"format": "uri"}, "description": {"maxLength": 500}},
		"UpdateWebhookEndpointRequest": {"event_types": events["items."], "url": {"format": "uri"}, "description": {"maxLength": 500}},
		"WebhookEndpoint":              {"event_types": events["items."]},
		"WebhookDelivery":              {"event_type": {"enum": append(eventTypes(), webhook.EventTest)}},
		"Tenant":                       {"plan": {"enum": enumValues[reflect.TypeFor[tenant.Plan]()]}},
		"WebhookEndpointList":          {"event_types": events["items."]},
	}
}

// requiredFields are the fields of request bodies that order.Validate
// refuses to miss (TestOpenAPILimits sends each body without each).
var requiredFields = map[string][]string{
	"OrderCreateRequest": {"customer_name", "customer_email", "currency", "items"},
	"OrderItemInput":     {"name", "quantity"},
}

// schemaNames renames the component schemas whose Go names would read
// badly to an integrator.
var schemaNames = map[string]string{
	"OrderView":               "Order",
	"OrderItemView":           "OrderItem",
	"OrderAddress":            "Address",
	"ApperrFieldError":        "FieldError",
	"ApiKeyJSON":              "APIKey",
	"ApiKeyList":              "APIKeyList",
	"ApiKeyReq":               "APIKeyCreateRequest",
	"ApiKeyCreatorJSON":       "APIKeyCreator",
	"EndpointJSON":            "WebhookEndpoint",
	"EndpointList":            "WebhookEndpointList",
	"DeliveryJSON":            "WebhookDelivery",
	"DeliveryList":            "WebhookDeliveryList",
	"AttemptJSON":             "WebhookAttempt",
	"MeJSON":                  "Me",
	"StatusJSON":              "Accepted",
	"AccessRole":              "Role",
	"AccountInvitationStatus": "InvitationStatus",
	"TenantPlan":              "Plan",
	"BrandingPutReq":          "BrandingInput", // the body; If-Match is a header
	"ProfilePatchReq":         "ProfileRequest",
	"ProfileResp":             "Profile", // the body; ETag is a header
	// The data of webhook events (eventData).
	"AttachmentUploadedEvent":  "AttachmentUploadedEventData",
	"ExportProgressEvent":      "ExportEventData",
	"InvoiceGeneratedEvent":    "InvoiceGeneratedEventData",
	"TenantMemberAddedEvent":   "MemberAddedEventData",
	"TenantMemberRemovedEvent": "MemberRemovedEventData",
}

// schemaName names a component schema after its Go type: the package
// prefix of this package goes, JSON suffixes go, Req and Resp are
// spelled out.
func schemaName(t reflect.Type, name string) string {
	if strings.HasSuffix(t.PkgPath(), "/internal/web") {
		name = strings.TrimPrefix(name, "Web")
	}
	if n, ok := schemaNames[name]; ok {
		return n
	}
	name = strings.TrimSuffix(name, "JSON")
	if s, ok := strings.CutSuffix(name, "Req"); ok {
		name = s + "Request"
	} else if s, ok := strings.CutSuffix(name, "Resp"); ok {
		name = s + "Response"
	}
	return name
}

// interceptSchema gives the closed sets their enum.
func interceptSchema(p jsonschema.InterceptSchemaParams) (bool, error) {
	if !p.Processed || !p.Value.IsValid() {
		return false, nil
	}
	if vals, ok := enumValues[p.Value.Type()]; ok {
		p.Schema.Enum = vals
	}
	return false, nil
}

// interceptProp marks the properties of a response that are always
// present as required: every json field without omitempty (a pointer
// without omitempty is present too, as null). Request bodies keep the
// required tags their decoders enforce.
func interceptProp(p jsonschema.InterceptPropParams) error {
	if !p.Processed || p.ParentSchema == nil {
		return nil
	}
	if p.Field.Tag.Get("emptyEnum") == "true" && p.PropertySchema != nil {
		// One value of a closed set, or "" where there is none (the
		// from of an order's first status).
		ref := *p.PropertySchema
		desc := ref.Description
		ref.Description = nil
		*p.PropertySchema = jsonschema.Schema{Description: desc, AnyOf: []jsonschema.SchemaOrBool{
			ref.ToSchemaOrBool(),
			(&jsonschema.Schema{}).WithType(jsonschema.String.Type()).WithEnum("").ToSchemaOrBool(),
		}}
	}
	// An int64 that may be null (a PATCH's discount) keeps its format,
	// which the reflector gives only the plain int64.
	if ft := p.Field.Type; p.PropertySchema != nil && p.PropertySchema.Format == nil {
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Int64 {
			p.PropertySchema.WithFormat("int64")
		}
	}
	oc, ok := openapi.OperationCtx(p.Context)
	if !ok || !oc.IsProcessingResponse() {
		return nil
	}
	tag, ok := p.Field.Tag.Lookup("json")
	if !ok || tag == "-" {
		return nil
	}
	if _, opts, _ := strings.Cut(tag, ","); strings.Contains(","+opts+",", ",omitempty,") {
		return nil
	}
	if !slices.Contains(p.ParentSchema.Required, p.Name) {
		p.ParentSchema.Required = append(p.ParentSchema.Required, p.Name)
	}
	return nil
}

// problemResponse is one shared problem response of components.
type problemResponse struct {
	name, description string
	headers           []string
}

var problemResponses = map[int]problemResponse{
	http.StatusUnauthorized:          {"Unauthorized", "No valid API key or session. At log-in, a user with two-factor sign-in who sent no code gets type `https://ordo.dev/problems/mfa-required`, and a wrong or reused code `…/mfa-invalid`.", nil},
	http.StatusForbidden:             {"Forbidden", "The principal's role does not allow this, the user is no longer a member, or the tenant is suspended (type `https://ordo.dev/problems/tenant-suspended`: no role helps until the operator resumes it), or it requires two-factor sign-in and the session did not give a second factor (type `…/two-factor-required`).", nil},
	http.StatusNotFound:              {"NotFound", "No such object in this tenant (another tenant's ids are not found either).", nil},
	http.StatusConflict:              {"Conflict", "The object's state forbids this, or a request with the same Idempotency-Key is still running.", nil},
	http.StatusPreconditionFailed:    {"PreconditionFailed", "If-Match does not match the current ETag: fetch the object again.", nil},
	http.StatusRequestEntityTooLarge: {"TooLarge", "The request body is too large.", nil},
	http.StatusUnprocessableEntity:   {"ValidationFailed", "The request is not valid; `errors` names each field at fault.", nil},
	http.StatusTooManyRequests:       {"TooManyRequests", "A rate limit is exhausted; retry after Retry-After seconds.", []string{"Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}},
	http.StatusInternalServerError:   {"InternalError", "An unexpected failure; the request_id identifies it in Ordo's logs.", nil},
	http.StatusServiceUnavailable:    {"Unavailable", "A service Ordo depends on is briefly unavailable; retry after Retry-After seconds (a POST with the same Idempotency-Key).", []string{"Retry-After"}},
}

// headerDefs are the shared response headers.
var headerDefs = map[string]map[string]any{
	"Retry-After":         {"description": "Seconds to wait before retrying.", "schema": map[string]any{"type": "integer", "minimum": 1}},
	"RateLimit-Limit":     {"description": "Requests allowed in the current window.", "schema": map[string]any{"type": "integer", "minimum": 0}},
	"RateLimit-Remaining": {"description": "Requests left in the current window.", "schema": map[string]any{"type": "integer", "minimum": 0}},
	"RateLimit-Reset":     {"description": "Seconds until the window resets.", "schema": map[string]any{"type": "integer", "minimum": 0}},
	"Idempotent-Replayed": {"description": "`true` when this response is the replay of an earlier one with the same Idempotency-Key.", "schema": map[string]any{"type": "string", "enum": []any{"true"}}},
}

func headerRefs(names ...string) map[string]any {
	out := map[string]any{}
	for _, n := range names {
		out[n] = map[string]any{"$ref": "#/components/headers/" + n}
	}
	return out
}

// finishDocument completes the reflected document: the shared problem
// responses and headers, named schemas for the inline request and
// response bodies, one schema for identical shapes, the rules of
// schemaRules and the logo's binary body.
func finishDocument(doc map[string]any, problems map[string][]int) error {
	comps := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	if schemas == nil {
		schemas = map[string]any{}
		comps["schemas"] = schemas
	}
	comps["headers"] = headerDefs
	responses := map[string]any{}
	for st, pr := range problemResponses {
		resp := map[string]any{
			"description": pr.description,
			"content": map[string]any{"application/problem+json": map[string]any{
				"schema": map[string]any{"$ref": "#/components/schemas/Problem"},
			}},
		}
		if len(pr.headers) > 0 {
			resp["headers"] = headerRefs(pr.headers...)
		}
		responses[pr.name] = resp
		_ = st
	}
	comps["responses"] = responses
	doc["servers"] = []any{map[string]any{"url": "/", "description": "The Ordo server that serves this document."}}
	info := doc["info"].(map[string]any)
	info["contact"] = map[string]any{"name": "Ordo", "url": "https://ordo.dev"}
	tags := map[string]bool{}

	paths := doc["paths"].(map[string]any)
	for _, path := range sortedKeys(paths) {
		item := paths[path].(map[string]any)
		for _, method := range sortedKeys(item) {
			op := item[method].(map[string]any)
			id, _ := op["operationId"].(string)
			opName := upperFirst(id)
			if _, ok := op["description"]; !ok {
				op["description"] = op["summary"]
			}
			for _, t := range op["tags"].([]any) {
				tags[t.(string)] = true
			}
			resps := op["responses"].(map[string]any)
			for _, st := range problems[id] {
				pr, ok := problemResponses[st]
				if !ok {
					return fmt.Errorf("%s: no shared response for status %d", id, st)
				}
				resps[strconv.Itoa(st)] = map[string]any{"$ref": "#/components/responses/" + pr.name}
			}
			idempotent := false
			if params, ok := op["parameters"].([]any); ok {
				for _, p := range params {
					if p.(map[string]any)["name"] == "Idempotency-Key" {
						idempotent = true
					}
				}
			}
			for code, r := range resps {
				if !strings.HasPrefix(code, "2") {
					continue
				}
				resp := r.(map[string]any)
				hs, _ := resp["headers"].(map[string]any)
				if hs == nil {
					hs = map[string]any{}
				}
				for k, v := range headerRefs("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset") {
					hs[k] = v
				}
				if idempotent {
					hs["Idempotent-Replayed"] = headerRefs("Idempotent-Replayed")["Idempotent-Replayed"]
				}
				resp["headers"] = hs
				nameInline(schemas, resp, opName+"Response")
			}
			if rb, ok := op["requestBody"].(map[string]any); ok {
				// decodeJSON refuses an empty body: every JSON body is required.
				rb["required"] = true
				nameInline(schemas, rb, opName+"Request")
			}
		}
	}
	var tagList []any
	for _, t := range slices.Sorted(maps.Keys(tags)) {
		tagList = append(tagList, map[string]any{"name": t})
	}
	doc["tags"] = tagList
	logo := paths["/api/v1/tenant/logo"].(map[string]any)["put"].(map[string]any)
	logo["requestBody"] = map[string]any{
		"required":    true,
		"description": fmt.Sprintf("The logo image itself, PNG or JPEG, at most %d KiB and %d pixels.", invoice.MaxLogoBytes>>10, invoice.MaxLogoPixels),
		"content": map[string]any{
			"image/png":  map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": "image/png"}},
			"image/jpeg": map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": "image/jpeg"}},
		},
	}
	avatar := paths["/api/v1/me/avatar"].(map[string]any)["put"].(map[string]any)
	avatar["requestBody"] = map[string]any{
		"required":    true,
		"description": fmt.Sprintf("The picture itself, PNG, JPEG or WebP, at most %d KiB and %d pixels.", account.MaxAvatarBytes>>10, account.MaxAvatarPixels),
		"content": map[string]any{
			"image/png":  map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": "image/png"}},
			"image/jpeg": map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": "image/jpeg"}},
			"image/webp": map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": "image/webp"}},
		},
	}
	for name, req := range requiredFields {
		s, ok := schemas[name].(map[string]any)
		if !ok {
			return fmt.Errorf("requiredFields: no schema %s", name)
		}
		var list []any
		for _, f := range req {
			list = append(list, f)
		}
		s["required"] = list
	}
	for name, props := range schemaRules() {
		s, ok := schemas[name].(map[string]any)
		if !ok {
			return fmt.Errorf("schemaRules: no schema %s", name)
		}
		ps, _ := s["properties"].(map[string]any)
		for prop, rule := range props {
			p, ok := ps[prop].(map[string]any)
			if !ok {
				return fmt.Errorf("schemaRules: no property %s.%s", name, prop)
			}
			target := p
			if _, isArray := rule["enum"]; isArray {
				if it, ok := p["items"].(map[string]any); ok {
					target = it
				}
			}
			for k, v := range rule {
				target[k] = v
			}
		}
	}
	shareParameters(doc, comps)
	problem, err := problemSchema()
	if err != nil {
		return err
	}
	schemas["Problem"] = problem
	fixNullableRefs(doc)
	dedupeSchemas(doc, schemas)
	return nil
}

// problemSchema is the schema of Problem, with FieldError inline.
func problemSchema() (map[string]any, error) {
	r := jsonschema.Reflector{}
	s, err := r.Reflect(Problem{}, jsonschema.InlineRefs)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	var req []any
	for _, n := range alwaysPresent(reflect.TypeFor[Problem]()) {
		req = append(req, n)
	}
	out["required"] = req
	props := out["properties"].(map[string]any)
	typ := props["type"].(map[string]any)
	typ["format"] = "uri"
	typ["description"] = "A stable URI of the kind of problem, such as https://ordo.dev/problems/validation; about:blank when only the status says it."
	st := props["status"].(map[string]any)
	st["minimum"], st["maximum"] = 400, 599
	items := props["errors"].(map[string]any)["items"].(map[string]any)
	var itemReq []any
	for _, n := range alwaysPresent(reflect.TypeFor[apperr.FieldError]()) {
		itemReq = append(itemReq, n)
	}
	items["required"] = itemReq
	return out, nil
}

// alwaysPresent are the json names of t's fields without omitempty:
// the rule interceptProp applies to response bodies.
func alwaysPresent(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		tag, ok := f.Tag.Lookup("json")
		if !ok || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if !strings.Contains(","+opts+",", ",omitempty,") {
			out = append(out, name)
		}
	}
	return out
}

// fixNullableRefs drops the "type" the reflector keeps beside an
// anyOf of null and a $ref: type object there would refuse the null.
func fixNullableRefs(v any) {
	switch v := v.(type) {
	case map[string]any:
		if alts, ok := v["anyOf"].([]any); ok {
			nullable := false
			for _, a := range alts {
				if m, ok := a.(map[string]any); ok {
					if m["type"] == "null" {
						nullable = true
					}
					if m["$ref"] != nil {
						delete(m, "type")
					}
				}
			}
			if nullable {
				delete(v, "type")
			}
		}
		for _, x := range v {
			fixNullableRefs(x)
		}
	case []any:
		for _, x := range v {
			fixNullableRefs(x)
		}
	}
}

// shareParameters moves the header and path parameters that several
// operations declare alike (Idempotency-Key, If-Match, the id in the
// path) to components.parameters, each operation pointing to it, and
// drops the copy of a parameter's description from its schema.
func shareParameters(doc, comps map[string]any) {
	type use struct {
		body  string
		count int
	}
	uses := map[string]*use{} // component name → the first variant
	name := func(p map[string]any) string {
		var b strings.Builder
		for _, part := range strings.FieldsFunc(p["name"].(string), func(r rune) bool { return r == '-' || r == '_' }) {
			b.WriteString(upperFirst(part))
		}
		if p["in"] == "path" {
			b.WriteString("Path")
		}
		return b.String()
	}
	var all []map[string]any
	paths := doc["paths"].(map[string]any)
	for _, path := range sortedKeys(paths) {
		item := paths[path].(map[string]any)
		for _, method := range sortedKeys(item) {
			params, _ := item[method].(map[string]any)["parameters"].([]any)
			for _, x := range params {
				p := x.(map[string]any)
				if sc, ok := p["schema"].(map[string]any); ok && sc["description"] == p["description"] {
					delete(sc, "description")
				}
				if p["in"] != "header" && p["in"] != "path" {
					continue
				}
				all = append(all, p)
				b, _ := json.Marshal(p)
				n := name(p)
				if u, ok := uses[n]; !ok {
					uses[n] = &use{body: string(b), count: 1}
				} else if u.body == string(b) {
					u.count++
				}
			}
		}
	}
	shared := map[string]any{}
	for _, p := range all {
		n := name(p)
		b, _ := json.Marshal(p)
		if u := uses[n]; u.count < 2 || u.body != string(b) {
			continue
		}
		shared[n] = maps.Clone(p)
		clear(p)
		p["$ref"] = "#/components/parameters/" + n
	}
	if len(shared) > 0 {
		comps["parameters"] = shared
	}
}

// nameInline moves an inline JSON body schema of holder (a response or
// a request body) to components.schemas under name, so that every body
// has a named schema a client generator can turn into a type.
func nameInline(schemas map[string]any, holder map[string]any, name string) {
	content, _ := holder["content"].(map[string]any)
	mt, _ := content["application/json"].(map[string]any)
	s, _ := mt["schema"].(map[string]any)
	if s == nil || s["$ref"] != nil || s["type"] != "object" {
		return
	}
	schemas[name] = s
	mt["schema"] = map[string]any{"$ref": "#/components/schemas/" + name}
}

// dedupeSchemas keeps one schema of identical ones (the order's body is
// the same whether it is read, created or changed), named by the
// shortest name, and points every reference at it.
func dedupeSchemas(doc map[string]any, schemas map[string]any) {
	for {
		byBody := map[string][]string{}
		for name, s := range schemas {
			b, _ := json.Marshal(s)
			byBody[string(b)] = append(byBody[string(b)], name)
		}
		rename := map[string]string{}
		for _, names := range byBody {
			if len(names) < 2 {
				continue
			}
			sort.Slice(names, func(i, j int) bool {
				if len(names[i]) != len(names[j]) {
					return len(names[i]) < len(names[j])
				}
				return names[i] < names[j]
			})
			for _, n := range names[1:] {
				rename["#/components/schemas/"+n] = "#/components/schemas/" + names[0]
				delete(schemas, n)
			}
		}
		if len(rename) == 0 {
			return
		}
		rewriteRefs(doc, rename)
	}
}

func rewriteRefs(v any, rename map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok {
			if to, ok := rename[ref]; ok {
				v["$ref"] = to
			}
		}
		for _, x := range v {
			rewriteRefs(x, rename)
		}
	case []any:
		for _, x := range v {
			rewriteRefs(x, rename)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
