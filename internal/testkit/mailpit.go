package testkit

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Mailpit is a running mailpit (an SMTP server that keeps what it
// receives and shows it over an HTTP API, MIT) for tests.
type Mailpit struct {
	// SMTPURL is the plain SMTP server, smtp://127.0.0.1:port.
	SMTPURL string
	// APIURL is the base of the HTTP API, http://127.0.0.1:port.
	APIURL string
}

// MailpitMessage summarizes one received message.
type MailpitMessage struct {
	ID      string
	From    string
	To      []string
	Subject string
}

// MailpitServer starts a mailpit on free loopback ports, with its database
// in a temporary directory, and stops it when the test ends. Extra
// command-line flags (for example --smtp-tls-cert) are passed through.
// `make tools` installs the binary into .bin/.
func MailpitServer(t testing.TB, flags ...string) Mailpit {
	t.Helper()
	bin := findTool("mailpit")
	if bin == "" {
		Missing(t, "mailpit not found in .bin/ or PATH (run `make tools`)")
	}
	smtpAddr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	httpAddr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	m := Mailpit{SMTPURL: "smtp://" + smtpAddr, APIURL: "http://" + httpAddr}
	args := append([]string{
		"--smtp", smtpAddr,
		"--listen", httpAddr,
		"--database", filepath.Join(t.TempDir(), "mailpit.db"),
		"--disable-version-check",
	}, flags...)
	cmd := exec.Command(bin, args...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("mailpit output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := mailpitReady(m.APIURL, smtpAddr)
		if err == nil {
			return m
		}
		select {
		case <-exited:
			t.Fatalf("mailpit exited: %v\n%s", cmd.ProcessState, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not start: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mailpitReady reports whether both the API and the SMTP port answer.
func mailpitReady(apiURL, smtpAddr string) error {
	resp, err := mailpitHTTP.Get(apiURL + "/api/v1/messages")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /api/v1/messages: %s", resp.Status)
	}
	c, err := net.DialTimeout("tcp", smtpAddr, time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

var mailpitHTTP = &http.Client{Timeout: 5 * time.Second}

// mailpitAddress is an address as mailpit's API returns it.
type mailpitAddress struct {
	Name    string
	Address string
}

// Messages lists the received messages, newest first.
func (m Mailpit) Messages(t testing.TB) []MailpitMessage {
	t.Helper()
	var list struct {
		Messages []struct {
			ID      string
			From    mailpitAddress
			To      []mailpitAddress
			Subject string
		}
	}
	m.get(t, "/api/v1/messages?limit=5000", &list)
	msgs := make([]MailpitMessage, 0, len(list.Messages))
	for _, lm := range list.Messages {
		msg := MailpitMessage{ID: lm.ID, From: lm.From.Address, Subject: lm.Subject}
		for _, a := range lm.To {
			msg.To = append(msg.To, a.Address)
		}
		msgs = append(msgs, msg)
	}
	return msgs
}

// mailpitDetail is the part of GET /api/v1/message/{id} that tests read.
type mailpitDetail struct {
	Text string
	HTML string
}

// Text returns the plain-text body of message id.
func (m Mailpit) Text(t testing.TB, id string) string {
	t.Helper()
	var d mailpitDetail
	m.get(t, "/api/v1/message/"+url.PathEscape(id), &d)
	return d.Text
}

// HTML returns the HTML body of message id, or "" if it has none.
func (m Mailpit) HTML(t testing.TB, id string) string {
	t.Helper()
	var d mailpitDetail
	m.get(t, "/api/v1/message/"+url.PathEscape(id), &d)
	return d.HTML
}

// WaitFor polls until a message to the address to has arrived and returns
// the newest such message; it fails the test if none arrives within the
// given time.
func (m Mailpit) WaitFor(t testing.TB, to string, within time.Duration) MailpitMessage {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, msg := range m.Messages(t) {
			for _, a := range msg.To {
				if strings.EqualFold(a, to) {
					return msg
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s arrived within %s", to, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m Mailpit) get(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := mailpitHTTP.Get(m.APIURL + path)
	if err != nil {
		t.Fatalf("mailpit GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("mailpit GET %s: decode: %v", path, err)
	}
}
