package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/mail"
	"github.com/ordo/ordo/internal/testkit"
)

// work runs the e-mail worker once on args, after a JSON round trip as
// River stores them.
func work(t *testing.T, s mail.Sender, args jobs.EmailArgs) error {
	t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	var stored jobs.EmailArgs
	if err := json.Unmarshal(b, &stored); err != nil {
		t.Fatal(err)
	}
	w := &jobs.EmailWorker{Sender: s}
	return w.Work(context.Background(), &jobs.Job[jobs.EmailArgs]{ID: 1, Attempt: 1, Args: stored})
}

func isCancel(err error) bool {
	var ce *rivertype.JobCancelError
	return errors.As(err, &ce)
}

func TestEmailWorker(t *testing.T) {
	t.Parallel()
	mp := testkit.MailpitServer(t, "--smtp-allowed-recipients", `@allowed\.example\.com$`)
	s, err := mail.NewSMTP(mp.SMTPURL, "Ordo <ordo@example.com>")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("templated mail is delivered", func(t *testing.T) {
		t.Parallel()
		const to, url = "ann@allowed.example.com", "http://localhost:3000/invitations/accept?token=abc_123"
		m, err := mail.Render(mail.KindInvitation, []string{to}, mail.InviteData{
			TenantName: "Acme & Co", InviterName: "Bob", Role: "admin", URL: url, ValidFor: 7 * 24 * time.Hour,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := work(t, s, jobs.EmailArgs{To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML}); err != nil {
			t.Fatalf("Work: %v", err)
		}
		got := mp.WaitFor(t, to, 10*time.Second)
		if got.Subject != "You are invited to Acme & Co on Ordo" {
			t.Errorf("Subject = %q", got.Subject)
		}
		// SMTP carries lines ending in CRLF.
		if text := strings.ReplaceAll(mp.Text(t, got.ID), "\r\n", "\n"); !strings.Contains(text, "\n"+url+"\n") {
			t.Errorf("text has no link %s:\n%s", url, text)
		}
		if html := mp.HTML(t, got.ID); !strings.Contains(html, `href="`+url+`"`) || !strings.Contains(html, "Acme &amp; Co") {
			t.Errorf("HTML lacks the link or the escaped tenant name:\n%s", html)
		}
	})
	t.Run("permanent refusal cancels the job", func(t *testing.T) {
		t.Parallel()
		err := work(t, s, jobs.EmailArgs{To: []string{"ann@rejected.example.com"}, Subject: "Hello", Text: "Hi."})
		if !isCancel(err) {
			t.Fatalf("Work = %v, want a JobCancel error", err)
		}
		if !mail.IsPermanent(err) {
			t.Errorf("the cancel error does not wrap the permanent send error: %v", err)
		}
	})
	t.Run("invalid message cancels the job", func(t *testing.T) {
		t.Parallel()
		err := work(t, s, jobs.EmailArgs{To: []string{"not an address"}, Subject: "Hello", Text: "Hi."})
		if !isCancel(err) {
			t.Fatalf("Work = %v, want a JobCancel error", err)
		}
	})
}

func TestEmailWorkerRetriesTemporaryErrors(t *testing.T) {
	t.Parallel()
	args := jobs.EmailArgs{To: []string{"ann@example.com"}, Subject: "Hello", Text: "Hi."}
	t.Run("4xx reply", func(t *testing.T) {
		t.Parallel()
		mp := testkit.MailpitServer(t, "--chaos-triggers", "Recipient:451:100")
		s, err := mail.NewSMTP(mp.SMTPURL, "ordo@example.com")
		if err != nil {
			t.Fatal(err)
		}
		err = work(t, s, args)
		if err == nil || isCancel(err) {
			t.Fatalf("Work = %v, want a retryable error", err)
		}
	})
	t.Run("server down", func(t *testing.T) {
		t.Parallel()
		s, err := mail.NewSMTP(fmt.Sprintf("smtp://127.0.0.1:%d", testkit.FreePort(t)), "ordo@example.com")
		if err != nil {
			t.Fatal(err)
		}
		err = work(t, s, args)
		if err == nil || isCancel(err) {
			t.Fatalf("Work = %v, want a retryable error", err)
		}
	})
}

func TestEmailArgsInsertOpts(t *testing.T) {
	t.Parallel()
	o := jobs.EmailArgs{}.InsertOpts()
	if o.Queue != jobs.QueueEmail || o.MaxAttempts != 10 {
		t.Errorf("InsertOpts = %+v, want queue %s with 10 attempts", o, jobs.QueueEmail)
	}
}

// memEffects is an in-memory effects ledger (a unit-test fake; the
// stores' ledgers are in the conformance suite).
type memEffects struct{ done map[string]bool }

func (m *memEffects) EffectDone(_ context.Context, key string) (bool, error) { return m.done[key], nil }

func (m *memEffects) EffectRecord(_ context.Context, key string, _ time.Time) error {
	m.done[key] = true
	return nil
}

// countingSender counts messages.
type countingSender struct{ n int }

func (c *countingSender) Send(context.Context, mail.Message) error { c.n++; return nil }

// A job run again after its e-mail went out (a crash before the queue
// recorded it) does not send it twice.
func TestEmailWorkerSendsOnce(t *testing.T) {
	t.Parallel()
	s, fx := &countingSender{}, &memEffects{done: map[string]bool{}}
	w := &jobs.EmailWorker{Sender: s, Effects: fx}
	job := &jobs.Job[jobs.EmailArgs]{ID: 42, Attempt: 1,
		Args: jobs.EmailArgs{To: []string{"a@example.com"}, Subject: "Hi", Text: "Hello"}}
	for range 2 {
		if err := w.Work(context.Background(), job); err != nil {
			t.Fatal(err)
		}
	}
	if s.n != 1 || !fx.done["email:42"] {
		t.Fatalf("sent %d times; ledger %v", s.n, fx.done)
	}
}
