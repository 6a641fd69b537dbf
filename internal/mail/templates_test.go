package mail_test

import (
	"fmt"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/ordo/ordo/internal/mail"
)

const evil = `<script>alert("x")</script>`

// sample returns data for kind with url as its link and name in every
// field a user controls.
func sample(kind mail.Kind, url, name string) any {
	switch kind {
	case mail.KindVerifyEmail:
		return mail.VerifyData{Name: name, URL: url, ValidFor: 48 * time.Hour}
	case mail.KindPasswordReset:
		return mail.ResetData{Name: name, URL: url, ValidFor: time.Hour}
	case mail.KindInvitation:
		return mail.InviteData{TenantName: name, InviterName: name, Role: "admin", URL: url, ValidFor: 7 * 24 * time.Hour}
	case mail.KindEmailChange:
		return mail.EmailChangeData{Name: name, URL: url, ValidFor: time.Hour}
	case mail.KindEmailChanged:
		return mail.EmailChangedData{Name: name, NewEmail: "new@example.com", URL: url}
	case mail.KindExportReady:
		return mail.ExportReadyData{TenantName: name, Format: "csv", Orders: 1234, Rows: 12345, URL: url}
	case mail.KindAccountExists:
		return mail.AccountExistsData{Name: name, URL: url}
	case mail.KindAuditBroken:
		return mail.AuditBrokenData{TenantName: name, Problem: "audit chain broken at seq 3: edited entry 0193", URL: url}
	case mail.KindEndpointDisabled:
		return mail.EndpointDisabledData{TenantName: name, EndpointURL: "https://hooks.example.com/ordo", Reason: name, URL: url}
	}
	panic("no sample for " + kind)
}

func TestRender(t *testing.T) {
	t.Parallel()
	for _, kind := range mail.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			url := "https://ordo.example.com/" + string(kind) + "?token=tok_" + string(kind)
			to := []string{"ann@example.com"}
			m, err := mail.Render(kind, to, sample(kind, url, "Ann Example"))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if len(m.To) != 1 || m.To[0] != to[0] {
				t.Errorf("To = %q, want %q", m.To, to)
			}
			if err := m.Validate(); err != nil {
				t.Errorf("rendered message is invalid: %v", err)
			}
			if strings.TrimSpace(m.Text) == "" || strings.TrimSpace(m.HTML) == "" {
				t.Fatalf("empty part: text %d bytes, HTML %d bytes", len(m.Text), len(m.HTML))
			}
			// The text part has the link on a line of its own, so that
			// every client makes it clickable.
			if !strings.Contains(m.Text, "\n"+url+"\n") {
				t.Errorf("text does not have %s on its own line:\n%s", url, m.Text)
			}
			if !strings.Contains(m.HTML, `href="`+url+`"`) {
				t.Errorf("HTML has no link to %s:\n%s", url, m.HTML)
			}
			// The link is written out too, for clients without buttons.
			if !strings.Contains(m.HTML, ">"+url+"</a>") {
				t.Errorf("HTML does not show %s as text:\n%s", url, m.HTML)
			}
			for part, body := range map[string]string{"text": m.Text, "HTML": m.HTML} {
				if !strings.Contains(body, "Ordo") {
					t.Errorf("%s does not name Ordo", part)
				}
				if !strings.Contains(body, "You received this e-mail because") {
					t.Errorf("%s has no footer saying why", part)
				}
				if strings.Contains(body, "<no value>") || strings.Contains(body, "%!") {
					t.Errorf("%s has a rendering artefact:\n%s", part, body)
				}
			}
			if !strings.HasPrefix(m.HTML, "<!DOCTYPE html>") || !strings.Contains(m.HTML, "</html>") {
				t.Errorf("HTML is not a whole document:\n%s", m.HTML)
			}
			if !strings.Contains(m.HTML, "<title>"+html.EscapeString(m.Subject)+"</title>") {
				t.Errorf("HTML title is not the subject %q", m.Subject)
			}
		})
	}
}

func TestRenderEscapesHTML(t *testing.T) {
	t.Parallel()
	for _, kind := range mail.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			url := "https://ordo.example.com/x?token=abc"
			m, err := mail.Render(kind, []string{"ann@example.com"}, sample(kind, url, evil))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if strings.Contains(m.HTML, "<script") {
				t.Errorf("HTML contains an unescaped <script>:\n%s", m.HTML)
			}
			if !strings.Contains(m.HTML, "&lt;script&gt;") {
				t.Errorf("HTML does not show the escaped name:\n%s", m.HTML)
			}
			// Plain text is not HTML: the name is shown as given.
			if !strings.Contains(m.Text, evil) {
				t.Errorf("text does not contain the name as given:\n%s", m.Text)
			}
		})
	}
}

func TestRenderSubject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind mail.Kind
		data any
		want string
	}{
		// auth's tests find mails by these subjects.
		{mail.KindVerifyEmail, mail.VerifyData{URL: "u"}, "Confirm your e-mail address for Ordo"},
		{mail.KindPasswordReset, mail.ResetData{URL: "u"}, "Reset your Ordo password"},
		{mail.KindInvitation, mail.InviteData{TenantName: "Acme", URL: "u"}, "You are invited to Acme on Ordo"},
		{mail.KindEmailChange, mail.EmailChangeData{URL: "u"}, "Confirm your new e-mail address for Ordo"},
		{mail.KindEmailChanged, mail.EmailChangedData{URL: "u"}, "Your Ordo e-mail address was changed"},
		{mail.KindExportReady, mail.ExportReadyData{TenantName: "Acme", Format: "xlsx", URL: "u"}, "Your XLSX export from Acme is ready"},
		{mail.KindEndpointDisabled, mail.EndpointDisabledData{TenantName: "Acme", URL: "u"}, "A webhook endpoint of Acme was disabled"},
		{mail.KindAccountExists, mail.AccountExistsData{URL: "u"}, "Someone tried to sign up to Ordo with your address"},
		// A line break in user content cannot end the header.
		{mail.KindInvitation, mail.InviteData{TenantName: "Acme\r\nBcc: evil@example.com", URL: "u"}, "You are invited to Acme Bcc: evil@example.com on Ordo"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			m, err := mail.Render(tt.kind, []string{"a@example.com"}, tt.data)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if m.Subject != tt.want {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.want)
			}
		})
	}
}

func TestRenderDetails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind mail.Kind
		data any
		want []string // in both parts
	}{
		{"verify 48 hours", mail.KindVerifyEmail, mail.VerifyData{Name: "Ann", URL: "u", ValidFor: 48 * time.Hour}, []string{"Hi Ann,", "within 48 hours"}},
		{"verify without name", mail.KindVerifyEmail, mail.VerifyData{URL: "u"}, []string{"Hi,"}},
		{"reset 1 hour", mail.KindPasswordReset, &mail.ResetData{URL: "u", ValidFor: time.Hour}, []string{"within 1 hour"}},
		{"invite", mail.KindInvitation, mail.InviteData{TenantName: "Acme", InviterName: "Bob", Role: "viewer", URL: "u", ValidFor: 7 * 24 * time.Hour},
			[]string{"Bob", "Acme", "viewer", "within 7 days"}},
		{"changed", mail.KindEmailChanged, mail.EmailChangedData{NewEmail: "new@example.com", URL: "u"}, []string{"new@example.com"}},
		{"export one row", mail.KindExportReady, mail.ExportReadyData{TenantName: "Acme", Format: "csv", Orders: 1, Rows: 1, URL: "u"}, []string{"CSV", "1 order (1 row in the file)."}},
		{"export many rows", mail.KindExportReady, mail.ExportReadyData{TenantName: "Acme", Format: "csv", Orders: 5, Rows: 1234567, URL: "u"}, []string{"5 orders (1,234,567 rows in the file)"}},
		{"endpoint", mail.KindEndpointDisabled, mail.EndpointDisabledData{TenantName: "Acme", EndpointURL: "https://hooks.example.com/in", Reason: "410 Gone", URL: "u"},
			[]string{"https://hooks.example.com/in", "410 Gone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := mail.Render(tt.kind, []string{"a@example.com"}, tt.data)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(m.Text, w) {
					t.Errorf("text does not contain %q:\n%s", w, m.Text)
				}
				if !strings.Contains(m.HTML, w) {
					t.Errorf("HTML does not contain %q:\n%s", w, m.HTML)
				}
			}
		})
	}
}

func TestRenderBad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind mail.Kind
		data any
		want string
	}{
		{"unknown kind", mail.Kind("nope"), mail.VerifyData{URL: "u"}, "unknown kind"},
		{"wrong data", mail.KindVerifyEmail, mail.ResetData{URL: "u"}, "mail.ResetData"},
		{"nil data", mail.KindVerifyEmail, nil, "data"},
		{"nil pointer", mail.KindVerifyEmail, (*mail.VerifyData)(nil), "data"},
		{"no URL", mail.KindInvitation, mail.InviteData{TenantName: "Acme"}, "URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := mail.Render(tt.kind, []string{"a@example.com"}, tt.data)
			if err == nil {
				t.Fatalf("Render = %+v, want an error", m)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

// A javascript: link never becomes clickable in the HTML part.
func TestRenderUnsafeURL(t *testing.T) {
	t.Parallel()
	m, err := mail.Render(mail.KindVerifyEmail, []string{"a@example.com"}, mail.VerifyData{URL: "javascript:alert(1)"})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if strings.Contains(m.HTML, `href="javascript:`) {
		t.Errorf("HTML links to javascript:\n%s", m.HTML)
	}
}

func ExampleRender() {
	m, err := mail.Render(mail.KindExportReady, []string{"ann@example.com"}, mail.ExportReadyData{
		TenantName: "Acme", Format: "csv", Orders: 500, Rows: 1200, URL: "https://ordo.example.com/app/exports",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Subject)
	fmt.Print(m.Text)
	// Output:
	// Your CSV export from Acme is ready
	// Your CSV export from Acme is ready: 500 orders (1,200 rows in the file).
	//
	// Download it from the exports page:
	//
	// https://ordo.example.com/app/exports
	//
	// ---
	// You received this e-mail because you started an export in Acme on Ordo.
}
