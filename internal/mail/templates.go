package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
)

// Kind names one of the e-mails Ordo sends. Each has a plain-text and an
// HTML template in templates/ and a data struct that Render takes.
type Kind string

const (
	// KindVerifyEmail asks a new user to confirm the address; VerifyData.
	KindVerifyEmail Kind = "verify_email"
	// KindPasswordReset carries a password-reset link; ResetData.
	KindPasswordReset Kind = "password_reset"
	// KindInvitation invites someone to a tenant; InviteData.
	KindInvitation Kind = "invitation"
	// KindEmailChange asks the new address to confirm an address change;
	// EmailChangeData.
	KindEmailChange Kind = "email_change"
	// KindEmailChanged tells the old address that the change happened;
	// EmailChangedData.
	KindEmailChanged Kind = "email_changed"
	// KindExportReady says an export finished; ExportReadyData.
	KindExportReady Kind = "export_ready"
	// KindEndpointDisabled says a webhook endpoint was disabled;
	// EndpointDisabledData.
	KindEndpointDisabled Kind = "endpoint_disabled"
	// KindAccountExists tells the owner of an address that someone tried
	// to use it for a new account (a sign-up, or an e-mail change of
	// another account), which is answered as if it were free;
	// AccountExistsData.
	KindAccountExists Kind = "account_exists"
	// KindAuditBroken tells a tenant's owners that the nightly check of
	// its audit log found it tampered with; AuditBrokenData.
	KindAuditBroken Kind = "audit_broken"
)

// Kinds lists every kind, in a stable order.
func Kinds() []Kind {
	return []Kind{KindVerifyEmail, KindPasswordReset, KindInvitation, KindEmailChange, KindEmailChanged, KindExportReady, KindEndpointDisabled, KindAccountExists, KindAuditBroken}
}

// VerifyData is the data of KindVerifyEmail.
type VerifyData struct {
	Name     string        // the user's name; may be empty
	URL      string        // the confirmation link
	ValidFor time.Duration // how long the link works; 0 leaves it unsaid
}

// ResetData is the data of KindPasswordReset.
type ResetData struct {
	Name     string
	URL      string // the reset link
	ValidFor time.Duration
}

// InviteData is the data of KindInvitation.
type InviteData struct {
	TenantName  string
	InviterName string // a name, or the inviter's address
	Role        string
	URL         string // the accept link
	ValidFor    time.Duration
}

// EmailChangeData is the data of KindEmailChange, sent to the new address.
type EmailChangeData struct {
	Name     string
	URL      string // the confirmation link
	ValidFor time.Duration
}

// EmailChangedData is the data of KindEmailChanged, sent to the old
// address.
type EmailChangedData struct {
	Name     string
	NewEmail string
	URL      string // where to reset the password if the change was not wanted
}

// ExportReadyData is the data of KindExportReady.
type ExportReadyData struct {
	TenantName string
	Format     string // "csv", "xlsx"; shown upper-cased
	Orders     int64  // the orders in the file
	Rows       int64  // the file's data rows (a CSV has one per item)
	URL        string // the exports page
}

// EndpointDisabledData is the data of KindEndpointDisabled.
type EndpointDisabledData struct {
	TenantName  string
	EndpointURL string
	Reason      string
	URL         string // the webhooks page
}

func (d VerifyData) link() string           { return d.URL }
func (d ResetData) link() string            { return d.URL }
func (d InviteData) link() string           { return d.URL }
func (d EmailChangeData) link() string      { return d.URL }
func (d EmailChangedData) link() string     { return d.URL }
func (d ExportReadyData) link() string      { return d.URL }
func (d EndpointDisabledData) link() string { return d.URL }

// AuditBrokenData is the data of KindAuditBroken.
type AuditBrokenData struct {
	TenantName string
	Problem    string // what audit.Verify found, naming the entry
	URL        string // the audit log page
}

func (d AuditBrokenData) link() string { return d.URL }

// AccountExistsData is the data of KindAccountExists.
type AccountExistsData struct {
	Name string // the account's user's name; may be empty
	URL  string // the page to ask for a password reset
}

func (d AccountExistsData) link() string { return d.URL }

// dataCheckers checks, per kind, that Render got that kind's data struct
// (or a non-nil pointer to it) and returns it with its link.
var dataCheckers = map[Kind]func(any) (any, string, bool){
	KindVerifyEmail:      checkData[VerifyData],
	KindPasswordReset:    checkData[ResetData],
	KindInvitation:       checkData[InviteData],
	KindEmailChange:      checkData[EmailChangeData],
	KindEmailChanged:     checkData[EmailChangedData],
	KindExportReady:      checkData[ExportReadyData],
	KindEndpointDisabled: checkData[EndpointDisabledData],
	KindAccountExists:    checkData[AccountExistsData],
	KindAuditBroken:      checkData[AuditBrokenData],
}

func checkData[T interface{ link() string }](data any) (any, string, bool) {
	switch d := data.(type) {
	case T:
		return d, d.link(), true
	case *T:
		if d != nil {
			return *d, (*d).link(), true
		}
	}
	return nil, "", false
}

//go:embed templates
var templateFS embed.FS

// kindTemplates are one kind's templates, each a clone of the layout with
// the kind's "subject" (text only), "content" and "reason" added.
type kindTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// templates is parsed once, from the embedded files, and never changed.
var templates = parseTemplates()

func parseTemplates() map[Kind]kindTemplates {
	funcs := map[string]any{
		"duration": duration,
		"rows":     rows,
		"orders":   orders,
		"upper":    strings.ToUpper,
		"button":   func(url, label string) button { return button{URL: url, Label: label} },
	}
	text := texttemplate.Must(texttemplate.New("layout.txt").Funcs(funcs).Option("missingkey=error").
		ParseFS(templateFS, "templates/layout.txt"))
	html := htmltemplate.Must(htmltemplate.New("layout.html").Funcs(funcs).Option("missingkey=error").
		ParseFS(templateFS, "templates/layout.html"))
	m := make(map[Kind]kindTemplates)
	for _, k := range Kinds() {
		m[k] = kindTemplates{
			text: texttemplate.Must(texttemplate.Must(text.Clone()).ParseFS(templateFS, "templates/"+string(k)+".txt")),
			html: htmltemplate.Must(htmltemplate.Must(html.Clone()).ParseFS(templateFS, "templates/"+string(k)+".html")),
		}
	}
	return m
}

// button is a call to action in the HTML layout.
type button struct {
	URL   string
	Label string
}

// layoutData is what the layouts execute with.
type layoutData struct {
	Subject string
	Data    any
}

// Render fills in the e-mail of the given kind for the recipients to:
// its subject, plain-text body and HTML body. data must be the kind's data
// struct (VerifyData for KindVerifyEmail, and so on), or a pointer to it,
// with URL set. The HTML template escapes everything in data; the text
// part shows it as is. The message is not validated: Send does that.
func Render(kind Kind, to []string, data any) (Message, error) {
	check, ok := dataCheckers[kind]
	if !ok {
		return Message{}, fmt.Errorf("render mail: unknown kind %q", kind)
	}
	d, link, ok := check(data)
	if !ok {
		return Message{}, fmt.Errorf("render mail %s: data is %T, not the kind's data struct", kind, data)
	}
	if link == "" {
		return Message{}, fmt.Errorf("render mail %s: URL is empty", kind)
	}
	t := templates[kind]

	var buf bytes.Buffer
	if err := t.text.ExecuteTemplate(&buf, "subject", d); err != nil {
		return Message{}, fmt.Errorf("render mail %s subject: %w", kind, err)
	}
	// One line, whatever the data holds: CR or LF would end the header.
	subject := strings.Join(strings.Fields(buf.String()), " ")

	buf.Reset()
	if err := t.text.ExecuteTemplate(&buf, "layout.txt", layoutData{Subject: subject, Data: d}); err != nil {
		return Message{}, fmt.Errorf("render mail %s text: %w", kind, err)
	}
	text := buf.String()

	buf.Reset()
	if err := t.html.ExecuteTemplate(&buf, "layout.html", layoutData{Subject: subject, Data: d}); err != nil {
		return Message{}, fmt.Errorf("render mail %s HTML: %w", kind, err)
	}
	return Message{To: to, Subject: subject, Text: text, HTML: buf.String()}, nil
}

// duration says how long a link works: "1 hour", "48 hours", "7 days".
func duration(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= 3*day && d%day == 0:
		return plural(int64(d/day), "day", "days")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour", "hours")
	default:
		return plural(int64(d.Round(time.Minute)/time.Minute), "minute", "minutes")
	}
}

// rows says how many rows there are: "1 row", "12,345 rows".
func rows(n int64) string { return plural(n, "row", "rows") }

func orders(n int64) string { return plural(n, "order", "orders") }

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return group(n) + " " + many
}

// group writes n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
