// Package mail sends Ordo's e-mail. It holds the Message type, the Sender
// interface and its two implementations: SMTP, for any server named by
// SMTP_URL, and Log, which only logs messages, for development in embedded
// mode without SMTP_URL.
//
// It also says what each e-mail says: Render fills a Message from the
// embedded plain-text and HTML templates of one Kind. Whom an e-mail goes
// to, and queueing and retries, belong to the callers, such as the e-mail
// jobs; IsPermanent tells them which send errors no retry can fix.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/ordo/ordo/internal/apperr"
)

// Message is one e-mail. Text is the plain-text body; HTML, when set, is
// sent as an alternative part.
type Message struct {
	To      []string
	Subject string
	Text    string
	HTML    string
}

// Validate checks that the message can be sent safely: at least one
// recipient, every recipient a valid address, and a non-empty subject
// without CR or LF (which would allow header injection). The error is of
// kind apperr.KindInvalid.
func (m Message) Validate() error {
	var v apperr.Validation
	var details []string
	add := func(field, detail string) {
		v.Add(field, detail)
		details = append(details, field+": "+detail)
	}
	if len(m.To) == 0 {
		add("to", "at least one recipient is required")
	}
	for i, to := range m.To {
		if _, err := netmail.ParseAddress(to); err != nil {
			add(fmt.Sprintf("to[%d]", i), fmt.Sprintf("invalid address %q: %v", to, err))
		}
	}
	switch {
	case strings.TrimSpace(m.Subject) == "":
		add("subject", "is required")
	case strings.ContainsAny(m.Subject, "\r\n"):
		add("subject", "must not contain CR or LF")
	}
	if err := v.Err(); err != nil {
		return fmt.Errorf("invalid mail message (%s): %w", strings.Join(details, "; "), err)
	}
	return nil
}

// Sender sends e-mail.
type Sender interface {
	// Send validates m and delivers it, or returns an error.
	Send(ctx context.Context, m Message) error
}

var (
	_ Sender = (*SMTP)(nil)
	_ Sender = (*Log)(nil)
)

// Timeout bounds connecting to the SMTP server and each step of sending.
const Timeout = 10 * time.Second

// SMTP sends through an SMTP server. Each Send opens its own connection,
// sends one message and closes it, so an SMTP is safe for concurrent use.
type SMTP struct {
	host      string
	port      int
	implicit  bool // smtps: TLS from the first byte
	user      string
	pass      string
	from      string
	tlsConfig *tls.Config
}

// NewSMTP returns a Sender for the server named by rawURL, sending from
// the address from (which may carry a display name, "Ordo <ordo@example.com>").
//
//   - smtp://[user:pass@]host[:port] uses STARTTLS when the server offers it
//     and plain SMTP otherwise (as local test servers such as mailpit need);
//     the port defaults to 587.
//   - smtps://[user:pass@]host[:port] uses implicit TLS; the port defaults
//     to 465.
//
// With user info, the client authenticates with the best mechanism the
// server offers; PLAIN and LOGIN are only used over TLS, so credentials
// are never sent in the clear. The query parameter
// insecure_skip_verify=true accepts any server certificate, for test
// servers with self-signed certificates only.
//
// Errors never contain the password.
func NewSMTP(rawURL string, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse SMTP URL: %w", urlError(err))
	}
	s := &SMTP{host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		s.port = 587
	case "smtps":
		s.port, s.implicit = 465, true
	default:
		return nil, fmt.Errorf("SMTP URL %s: scheme must be smtp or smtps, got %q", u.Redacted(), u.Scheme)
	}
	if s.host == "" {
		return nil, fmt.Errorf("SMTP URL %s: no host", u.Redacted())
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("SMTP URL %s: invalid port %q", u.Redacted(), p)
		}
		s.port = n
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("SMTP URL %s: unexpected path %q", u.Redacted(), u.Path)
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	s.tlsConfig = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	for k, vs := range u.Query() {
		switch k {
		case "insecure_skip_verify":
			b, err := strconv.ParseBool(vs[len(vs)-1])
			if err != nil {
				return nil, fmt.Errorf("SMTP URL %s: insecure_skip_verify must be true or false", u.Redacted())
			}
			s.tlsConfig.InsecureSkipVerify = b
		default:
			return nil, fmt.Errorf("SMTP URL %s: unknown parameter %q", u.Redacted(), k)
		}
	}
	if from == "" {
		return nil, errors.New("SMTP sender: from address is required")
	}
	if _, err := netmail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("SMTP sender: invalid from address %q: %w", from, err)
	}
	s.from = from
	if _, err := s.client(); err != nil {
		return nil, fmt.Errorf("SMTP URL %s: %w", u.Redacted(), err)
	}
	return s, nil
}

// urlError drops the URL, which may hold the password, from a parse error.
func urlError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	var ee url.EscapeError
	if errors.As(ue.Err, &ee) {
		return errors.New("invalid percent-escape")
	}
	return ue.Err
}

// Addr returns the server's host:port, for logs.
func (s *SMTP) Addr() string { return fmt.Sprintf("%s:%d", s.host, s.port) }

func (s *SMTP) client() (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(Timeout),
		gomail.WithTLSConfig(s.tlsConfig),
	}
	if s.implicit {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.user != "" {
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.user),
			gomail.WithPassword(s.pass),
		)
	}
	return gomail.NewClient(s.host, opts...)
}

// Send validates m, then connects, sends it and disconnects.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("mail from %q: %w", s.from, err)
	}
	if err := msg.To(m.To...); err != nil {
		return fmt.Errorf("mail to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}

	c, err := s.client()
	if err != nil {
		return fmt.Errorf("send mail via %s: %w", s.Addr(), err)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		err = fmt.Errorf("send mail %q via %s: %w", m.Subject, s.Addr(), err)
		if code := permanentCode(err); code != 0 {
			return &PermanentError{Code: code, Err: err}
		}
		return err
	}
	return nil
}

// PermanentError is a send error that retrying cannot fix: the server
// refused the sender, a recipient or the message with a 5xx reply.
type PermanentError struct {
	Code int // the SMTP reply code, 500–599
	Err  error
}

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err, or an error it wraps, is a
// PermanentError: sending the same message again would fail the same way.
// Everything else (timeouts, refused connections, 4xx replies) may pass on
// a later try.
func IsPermanent(err error) bool {
	var pe *PermanentError
	return errors.As(err, &pe)
}

// permanentCode returns the 5xx reply code of a delivery error from
// go-mail, or 0 if err is not one. go-mail marks 4xx replies as temporary
// and records the reply code; errors it raises itself have code 0, and
// failures while connecting or authenticating are not SendErrors, so
// those stay retryable.
func permanentCode(err error) int {
	var se *gomail.SendError
	if !errors.As(err, &se) || se.IsTemp() {
		return 0
	}
	if code := se.ErrorCode(); code >= 500 && code <= 599 {
		return code
	}
	return 0
}

// Log is a Sender for development: it sends nothing and logs each message
// (recipients, subject and text body) at INFO, so that a developer running
// embedded mode without SMTP_URL can follow the links in the log. Never use
// it in production: the log then holds sign-in and reset links.
type Log struct {
	log *slog.Logger
}

// NewLog returns a Sender that writes messages to log. It is for
// development only.
func NewLog(log *slog.Logger) *Log {
	return &Log{log: log}
}

// Send validates m and logs it.
func (l *Log) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	l.log.InfoContext(ctx, "mail not sent (no SMTP_URL); logged for development",
		"to", strings.Join(m.To, ", "),
		"subject", m.Subject,
		"text", m.Text,
		"html_bytes", len(m.HTML),
	)
	return nil
}
