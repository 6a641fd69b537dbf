package jobs_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/mail"
)

type captured struct{ msgs []mail.Message }

func (c *captured) Send(_ context.Context, m mail.Message) error {
	c.msgs = append(c.msgs, m)
	return nil
}

// TestSealedEmail: a sealed job's stored arguments do not contain the
// body's link, and the worker sends the body as it was rendered; a
// worker with another key cancels the job instead of sending garbage.
func TestSealedEmail(t *testing.T) {
	t.Parallel()
	const link = "http://localhost/reset-password?token=Zm9vYmFyYmF6cXV4c2VjcmV0dG9rZW4"
	m, err := mail.Render(mail.KindPasswordReset, []string{"ann@example.com"}, mail.ResetData{Name: "Ann", URL: link, ValidFor: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s, err := jobs.NewSealer("the-first-secret-of-at-least-32-chars")
	if err != nil {
		t.Fatal(err)
	}
	args, err := s.Email(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored), "Zm9vYmFyYmF6cXV4c2VjcmV0dG9rZW4") || strings.Contains(string(stored), "reset-password") {
		t.Fatalf("the stored arguments carry the link: %s", stored)
	}
	var back jobs.EmailArgs
	if err := json.Unmarshal(stored, &back); err != nil {
		t.Fatal(err)
	}
	run := func(sealer *jobs.Sealer) (*captured, error) {
		c := &captured{}
		w := &jobs.EmailWorker{Sender: c, Sealer: sealer}
		return c, w.Work(context.Background(), &jobs.Job[jobs.EmailArgs]{ID: 1, Attempt: 1, Args: back})
	}

	c, err := run(s)
	if err != nil {
		t.Fatalf("Work: %v", err)
	}
	if len(c.msgs) != 1 || c.msgs[0].Text != m.Text || c.msgs[0].HTML != m.HTML || c.msgs[0].Subject != m.Subject {
		t.Fatalf("sent %+v, want the rendered message", c.msgs)
	}

	other, err := jobs.NewSealer("another-secret-of-at-least-32-chars!")
	if err != nil {
		t.Fatal(err)
	}
	for _, sealer := range []*jobs.Sealer{other, nil} {
		c, err = run(sealer)
		if !isCancel(err) || len(c.msgs) != 0 {
			t.Fatalf("with another key or none: err %v, sent %d; want a cancelled job and nothing sent", err, len(c.msgs))
		}
	}

	// The body is bound to its recipients: moved to another job, it
	// does not open.
	back.To = []string{"mallory@example.com"}
	if c, err = run(s); !isCancel(err) || len(c.msgs) != 0 {
		t.Fatalf("moved body: err %v, sent %d", err, len(c.msgs))
	}
}

func TestNewSealerNeedsASecret(t *testing.T) {
	t.Parallel()
	if _, err := jobs.NewSealer(""); err == nil {
		t.Fatal("an empty secret must be refused")
	}
}

// TestSealText: a sealed value opens only as what it was sealed as; a
// value stored before sealing began reads as it is.
func TestSealText(t *testing.T) {
	t.Parallel()
	s, err := jobs.NewSealer("the-first-secret-of-at-least-32-chars")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"
	sealed, err := s.SealText(secret, "webhook secret A")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, secret) || strings.Contains(sealed, "c2VjcmV0") {
		t.Fatalf("sealed value shows the secret: %s", sealed)
	}
	if got, err := s.OpenText(sealed, "webhook secret A"); err != nil || got != secret {
		t.Fatalf("OpenText = %q, %v", got, err)
	}
	if _, err := s.OpenText(sealed, "webhook secret B"); err == nil {
		t.Fatal("a value sealed for A opened as B")
	}
	var none *jobs.Sealer
	if _, err := none.OpenText(sealed, "webhook secret A"); err == nil {
		t.Fatal("opened without a key")
	}
	if got, err := s.OpenText(secret, "webhook secret A"); err != nil || got != secret {
		t.Fatalf("a value never sealed: %q, %v", got, err)
	}
}
