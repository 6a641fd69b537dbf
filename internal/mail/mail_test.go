package mail_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/mail"
	"github.com/ordo/ordo/internal/testkit"
)

const from = "Ordo <ordo@example.com>"

func newSMTP(t *testing.T, rawURL string) *mail.SMTP {
	t.Helper()
	s, err := mail.NewSMTP(rawURL, from)
	if err != nil {
		t.Fatalf("NewSMTP(%q): %v", rawURL, err)
	}
	return s
}

func TestSMTPSend(t *testing.T) {
	t.Parallel()
	mp := testkit.MailpitServer(t)
	s := newSMTP(t, mp.SMTPURL)

	tests := []struct {
		name string
		msg  mail.Message
	}{
		{"text only", mail.Message{
			To:      []string{"text@example.com"},
			Subject: "Reset your password",
			Text:    "Open http://localhost:3000/reset?token=abc to reset.",
		}},
		{"text and HTML", mail.Message{
			To:      []string{"html@example.com"},
			Subject: "Invoice 42 — Grüße",
			Text:    "Your invoice is ready.",
			HTML:    "<p>Your <b>invoice</b> is ready.</p>",
		}},
		{"two recipients", mail.Message{
			To:      []string{"Ann <ann@example.com>", "bob@example.com"},
			Subject: "Order shipped",
			Text:    "Shipped.",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := s.Send(context.Background(), tt.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := mp.WaitFor(t, tt.msg.To[len(tt.msg.To)-1], 10*time.Second)
			var want []string
			for _, to := range tt.msg.To {
				want = append(want, bareAddr(to))
			}
			if !slices.Equal(got.To, want) {
				t.Errorf("To = %q, want %q", got.To, want)
			}
			if got.From != "ordo@example.com" {
				t.Errorf("From = %q, want ordo@example.com", got.From)
			}
			if got.Subject != tt.msg.Subject {
				t.Errorf("Subject = %q, want %q", got.Subject, tt.msg.Subject)
			}
			if text := strings.TrimSpace(mp.Text(t, got.ID)); text != tt.msg.Text {
				t.Errorf("Text = %q, want %q", text, tt.msg.Text)
			}
			if html := strings.TrimSpace(mp.HTML(t, got.ID)); html != tt.msg.HTML {
				t.Errorf("HTML = %q, want %q", html, tt.msg.HTML)
			}
		})
	}
}

// bareAddr turns "Name <a@example.com>" into "a@example.com".
func bareAddr(s string) string {
	if i := strings.IndexByte(s, '<'); i >= 0 {
		return strings.TrimSuffix(s[i+1:], ">")
	}
	return s
}

// TestSMTPTLS covers STARTTLS with authentication and implicit TLS against
// a mailpit with a self-signed certificate.
func TestSMTPTLS(t *testing.T) {
	t.Parallel()
	cert, key := selfSigned(t)
	tlsFlags := []string{"--smtp-tls-cert", cert, "--smtp-tls-key", key, "--smtp-auth-accept-any"}

	t.Run("starttls with auth", func(t *testing.T) {
		t.Parallel()
		mp := testkit.MailpitServer(t, append(tlsFlags, "--smtp-require-starttls")...)
		u := strings.Replace(mp.SMTPURL, "smtp://", "smtp://user:s3cret@", 1) + "?insecure_skip_verify=true"
		sendAndCheck(t, mp, newSMTP(t, u), "starttls@example.com")
	})
	t.Run("smtps", func(t *testing.T) {
		t.Parallel()
		mp := testkit.MailpitServer(t, append(tlsFlags, "--smtp-require-tls")...)
		u := strings.Replace(mp.SMTPURL, "smtp://", "smtps://user:s3cret@", 1) + "?insecure_skip_verify=true"
		sendAndCheck(t, mp, newSMTP(t, u), "smtps@example.com")
	})
	t.Run("unverified certificate is refused", func(t *testing.T) {
		t.Parallel()
		mp := testkit.MailpitServer(t, tlsFlags...)
		s := newSMTP(t, strings.Replace(mp.SMTPURL, "smtp://", "smtp://user:s3cret@", 1))
		err := s.Send(context.Background(), mail.Message{To: []string{"x@example.com"}, Subject: "s", Text: "t"})
		if err == nil {
			t.Fatal("Send succeeded with a self-signed certificate and no insecure_skip_verify")
		}
		t.Logf("error (expected): %v", err)
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error contains the password: %v", err)
		}
	})
}

func sendAndCheck(t *testing.T, mp testkit.Mailpit, s *mail.SMTP, to string) {
	t.Helper()
	msg := mail.Message{To: []string{to}, Subject: "Over TLS", Text: "Encrypted."}
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := mp.WaitFor(t, to, 10*time.Second)
	if got.Subject != msg.Subject {
		t.Errorf("Subject = %q, want %q", got.Subject, msg.Subject)
	}
	if text := strings.TrimSpace(mp.Text(t, got.ID)); text != msg.Text {
		t.Errorf("Text = %q, want %q", text, msg.Text)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, returning
// their paths.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestSMTPErrorsHidePassword(t *testing.T) {
	t.Parallel()
	t.Run("server without AUTH", func(t *testing.T) {
		t.Parallel()
		mp := testkit.MailpitServer(t)
		s := newSMTP(t, strings.Replace(mp.SMTPURL, "smtp://", "smtp://user:s3cret@", 1))
		err := s.Send(context.Background(), mail.Message{To: []string{"x@example.com"}, Subject: "s", Text: "t"})
		if err == nil {
			t.Fatal("Send succeeded, want an error: the server offers no AUTH")
		}
		t.Logf("error (expected): %v", err)
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error contains the password: %v", err)
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		t.Parallel()
		s := newSMTP(t, fmt.Sprintf("smtp://user:s3cret@127.0.0.1:%d", testkit.FreePort(t)))
		err := s.Send(context.Background(), mail.Message{To: []string{"x@example.com"}, Subject: "s", Text: "t"})
		if err == nil {
			t.Fatal("Send succeeded with nothing listening")
		}
		t.Logf("error (expected): %v", err)
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error contains the password: %v", err)
		}
		if !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("error does not name the server: %v", err)
		}
	})
}

// TestSMTPRejected checks how refusals are classified: a 5xx reply is
// permanent, a 4xx reply and a connection failure are not.
func TestSMTPRejected(t *testing.T) {
	t.Parallel()
	msg := func(to ...string) mail.Message {
		return mail.Message{To: to, Subject: "Hello", Text: "Hi."}
	}
	t.Run("recipient refused with 550", func(t *testing.T) {
		t.Parallel()
		mp := testkit.MailpitServer(t, "--smtp-allowed-recipients", `@allowed\.example\.com$`)
		s := newSMTP(t, mp.SMTPURL)
		err := s.Send(context.Background(), msg("nobody@rejected.example.com"))
		if err == nil {
			t.Fatal("Send to a refused recipient succeeded")
		}
		t.Logf("error (expected): %v", err)
		if !mail.IsPermanent(err) {
			t.Errorf("IsPermanent(%v) = false, want true", err)
		}
		var pe *mail.PermanentError
		if !errors.As(err, &pe) || pe.Code != 550 {
			t.Errorf("error = %#v, want a PermanentError with code 550", err)
		}
		// Wrapped again, as callers do, it is still permanent.
		if !mail.IsPermanent(fmt.Errorf("job: %w", err)) {
			t.Error("IsPermanent is false for a wrapped permanent error")
		}

		// One refused recipient refuses the whole message.
		err = s.Send(context.Background(), msg("ann@allowed.example.com", "nobody@rejected.example.com"))
		if !mail.IsPermanent(err) {
			t.Errorf("IsPermanent(%v) = false for a partly refused message, want true", err)
		}
		// The allowed address still works.
		if err := s.Send(context.Background(), msg("ann@allowed.example.com")); err != nil {
			t.Fatalf("Send to an allowed recipient: %v", err)
		}
		mp.WaitFor(t, "ann@allowed.example.com", 10*time.Second)
		if n := len(mp.Messages(t)); n != 1 {
			t.Errorf("mailpit holds %d messages, want 1", n)
		}
	})
	t.Run("recipient refused with 451", func(t *testing.T) {
		t.Parallel()
		mp := testkit.MailpitServer(t, "--chaos-triggers", "Recipient:451:100")
		err := newSMTP(t, mp.SMTPURL).Send(context.Background(), msg("ann@example.com"))
		if err == nil {
			t.Fatal("Send succeeded, want the 451 the chaos trigger gives")
		}
		t.Logf("error (expected): %v", err)
		if !strings.Contains(err.Error(), "451") {
			t.Errorf("error %q does not carry the 451", err)
		}
		if mail.IsPermanent(err) {
			t.Errorf("IsPermanent(%v) = true for a 4xx reply, want false", err)
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		t.Parallel()
		s := newSMTP(t, fmt.Sprintf("smtp://127.0.0.1:%d", testkit.FreePort(t)))
		err := s.Send(context.Background(), msg("ann@example.com"))
		if err == nil {
			t.Fatal("Send succeeded with nothing listening")
		}
		if mail.IsPermanent(err) {
			t.Errorf("IsPermanent(%v) = true for a connection failure, want false", err)
		}
	})
}

// TestSMTPSendRendered sends every kind of templated e-mail through a real
// SMTP server and reads it back: subject, recipient, both parts, and the
// link in each.
func TestSMTPSendRendered(t *testing.T) {
	t.Parallel()
	mp := testkit.MailpitServer(t)
	s := newSMTP(t, mp.SMTPURL)
	for _, kind := range mail.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			to := string(kind) + "@example.com"
			url := "http://localhost:3000/" + string(kind) + "?token=tok-" + string(kind)
			m, err := mail.Render(kind, []string{to}, sample(kind, url, "Ann <Example>"))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if err := s.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := mp.WaitFor(t, to, 10*time.Second)
			if got.Subject != m.Subject {
				t.Errorf("Subject = %q, want %q", got.Subject, m.Subject)
			}
			if !slices.Equal(got.To, []string{to}) {
				t.Errorf("To = %q, want %q", got.To, to)
			}
			text, body := mp.Text(t, got.ID), mp.HTML(t, got.ID)
			if text == "" || body == "" {
				t.Fatalf("want both parts; text %d bytes, HTML %d bytes", len(text), len(body))
			}
			if links := linkRE.FindAllString(text, -1); !slices.Contains(links, url) {
				t.Errorf("text links %q, want %s:\n%s", links, url, text)
			}
			if !strings.Contains(body, `href="`+url+`"`) {
				t.Errorf("HTML has no link to %s:\n%s", url, body)
			}
			if !strings.Contains(body, "Ann &lt;Example&gt;") || strings.Contains(body, "Ann <Example>") {
				t.Errorf("HTML does not escape the name:\n%s", body)
			}
		})
	}
}

var linkRE = regexp.MustCompile(`https?://\S+`)

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := mail.Message{To: []string{"a@example.com"}, Subject: "Hello", Text: "Hi."}
	tests := []struct {
		name  string
		edit  func(m *mail.Message)
		field string // "" when valid
	}{
		{"valid", func(m *mail.Message) {}, ""},
		{"valid with display name", func(m *mail.Message) { m.To = []string{"Ann Example <ann@example.com>"} }, ""},
		{"no recipients", func(m *mail.Message) { m.To = nil }, "to"},
		{"bad address", func(m *mail.Message) { m.To = []string{"not-an-address"} }, "to[0]"},
		{"second address bad", func(m *mail.Message) { m.To = []string{"a@example.com", "b@"} }, "to[1]"},
		{"CRLF in address", func(m *mail.Message) { m.To = []string{"a@example.com\r\nBcc: evil@example.com"} }, "to[0]"},
		{"empty subject", func(m *mail.Message) { m.Subject = "" }, "subject"},
		{"blank subject", func(m *mail.Message) { m.Subject = "  " }, "subject"},
		{"CRLF in subject", func(m *mail.Message) { m.Subject = "Hi\r\nBcc: evil@example.com" }, "subject"},
		{"LF in subject", func(m *mail.Message) { m.Subject = "Hi\nthere" }, "subject"},
	}
	// Nothing listens here: an invalid message must fail before dialling.
	s := newSMTP(t, fmt.Sprintf("smtp://127.0.0.1:%d", testkit.FreePort(t)))
	l := mail.NewLog(slog.New(slog.DiscardHandler))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := ok
			m.To = slices.Clone(ok.To)
			tt.edit(&m)
			err := m.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			e, isApp := apperr.As(err)
			if !isApp || e.Kind != apperr.KindInvalid {
				t.Fatalf("Validate = %v, want an apperr.KindInvalid error", err)
			}
			if len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
				t.Errorf("fields = %+v, want %s", e.Fields, tt.field)
			}
			for name, sender := range map[string]mail.Sender{"SMTP": s, "Log": l} {
				if err := sender.Send(context.Background(), m); !strings.Contains(fmt.Sprint(err), "invalid mail message") {
					t.Errorf("%s.Send = %v, want the validation error", name, err)
				}
			}
		})
	}
}

func TestNewSMTP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		addr string
	}{
		{"smtp://mail.example.com", "mail.example.com:587"},
		{"smtp://mail.example.com:25", "mail.example.com:25"},
		{"smtp://user:pass@mail.example.com:2525/", "mail.example.com:2525"},
		{"SMTP://mail.example.com", "mail.example.com:587"},
		{"smtps://mail.example.com", "mail.example.com:465"},
		{"smtps://u:p@mail.example.com:4650?insecure_skip_verify=true", "mail.example.com:4650"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			if got := newSMTP(t, tt.url).Addr(); got != tt.addr {
				t.Errorf("Addr() = %q, want %q", got, tt.addr)
			}
		})
	}
}

func TestNewSMTPBad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  string
		from string
		want string // substring of the error
	}{
		{"wrong scheme", "http://user:s3cret@mail.example.com", from, "scheme"},
		{"no scheme", "mail.example.com", from, "scheme"},
		{"no host", "smtp://", from, "no host"},
		{"no host with user", "smtp://user:s3cret@:25", from, "no host"},
		{"bad port", "smtp://user:s3cret@mail.example.com:99999", from, "port"},
		{"path", "smtp://mail.example.com/inbox", from, "path"},
		{"unknown parameter", "smtp://user:s3cret@mail.example.com?tls=off", from, "unknown parameter"},
		{"bad insecure_skip_verify", "smtp://mail.example.com?insecure_skip_verify=maybe", from, "insecure_skip_verify"},
		{"unparseable", "smtp://user:s3cret@mail.example.com:x y", from, "parse SMTP URL"},
		{"bad escape", "smtp://user:s3cret%zz@mail.example.com", from, "parse SMTP URL"},
		{"no from", "smtp://mail.example.com", "", "from"},
		{"bad from", "smtp://mail.example.com", "ordo", "from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := mail.NewSMTP(tt.url, tt.from)
			if err == nil {
				t.Fatalf("NewSMTP(%q) = %v, want an error", tt.url, s)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			t.Logf("error (expected): %v", err)
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error contains the password: %v", err)
			}
		})
	}
}

func TestLog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := mail.NewLog(slog.New(slog.NewTextHandler(&buf, nil)))
	m := mail.Message{
		To:      []string{"dev@example.com"},
		Subject: "Confirm your e-mail",
		Text:    "Open http://localhost:3000/confirm?token=xyz",
		HTML:    "<p>html</p>",
	}
	if err := l.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	out := buf.String()
	for _, want := range []string{"level=INFO", "dev@example.com", m.Subject, "http://localhost:3000/confirm?token=xyz"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q does not contain %q", out, want)
		}
	}
}
