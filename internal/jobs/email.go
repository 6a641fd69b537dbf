package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/mail"
	"github.com/ordo/ordo/internal/plan"
)

// EmailArgs sends one e-mail. It is inserted in the transaction that
// decides to send it (a sign-up, an invitation), so the mail goes out if
// and only if that change commits. Delivery is at least once: a crash
// after the SMTP server accepted the message but before the job is marked
// done sends it again.
type EmailArgs struct {
	// TenantID is the tenant the mail is about, if any: its owners and
	// admins see the job if it fails.
	TenantID *uuid.UUID `json:"tenant_id,omitempty"`
	To       []string   `json:"to"`
	Subject  string     `json:"subject"`
	Text     string     `json:"text"`
	HTML     string     `json:"html,omitempty"`
	// Sealed is the body (text and HTML) encrypted by a Sealer, when it
	// carries a secret; Text and HTML are then empty.
	Sealed []byte `json:"sealed,omitempty"`
}

func (EmailArgs) Kind() string { return KindEmail }

// Email is the job that sends m; tenantID is the tenant it is about, if
// any. The body is stored as it is: a message that carries a secret (a
// link with a token) must use Sealer.Email instead.
func Email(m mail.Message, tenantID *uuid.UUID) EmailArgs {
	return EmailArgs{TenantID: tenantID, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML}
}

func (EmailArgs) InsertOpts() Opts {
	return Opts{Queue: QueueEmail, MaxAttempts: 10}
}

// EmailWorker sends EmailArgs through the configured sender. A message
// that is invalid or that the server refuses permanently (mail.IsPermanent)
// is cancelled at once; other failures are retried.
type EmailWorker struct {
	Sender mail.Sender
	// Effects, when set, records each sent message so that a job run
	// again after a crash does not send it twice.
	Effects Effects
	// Sealer opens sealed bodies; nil opens none.
	Sealer *Sealer
	Log    *slog.Logger
	// Usage counts a sent e-mail about a tenant in its month (emails_sent);
	// nil counts nothing.
	Usage plan.Adder
}

func (w *EmailWorker) Timeout(*Job[EmailArgs]) time.Duration { return 30 * time.Second }

func (w *EmailWorker) Work(ctx context.Context, job *Job[EmailArgs]) error {
	m, err := w.Sealer.open(job.Args)
	if err != nil {
		// Retrying cannot open it: the key is not the one it was sealed
		// with.
		return Cancel(fmt.Errorf("e-mail: %w", err))
	}
	if err := m.Validate(); err != nil {
		// Retrying cannot fix a malformed message.
		return Cancel(fmt.Errorf("invalid e-mail: %w", err))
	}
	key := fmt.Sprintf("email:%d", job.ID)
	if w.Effects != nil {
		if done, err := w.Effects.EffectDone(ctx, key); err != nil {
			return err
		} else if done {
			return nil // sent before a crash; the queue did not hear of it
		}
	}
	if err := w.Sender.Send(ctx, m); err != nil {
		err = fmt.Errorf("send e-mail: %w", err)
		if mail.IsPermanent(err) {
			// The server refused it for good (a 5xx reply, such as an
			// unknown recipient): the same message would be refused again.
			return Cancel(err)
		}
		// Anything else (a timeout, a 4xx reply) is retried with River's
		// backoff, up to MaxAttempts.
		return err
	}
	if w.Effects != nil {
		if err := w.Effects.EffectRecord(context.WithoutCancel(ctx), key, time.Now().UTC()); err != nil && w.Log != nil {
			// The message is out: retrying would send it again.
			w.Log.WarnContext(ctx, "record sent e-mail", "job_id", job.ID, "err", err)
		}
	}
	if w.Usage != nil && job.Args.TenantID != nil {
		// Counting is best effort: the message is out, and failing the
		// job would send it again.
		if err := w.Usage.UsageAdd(context.WithoutCancel(ctx), *job.Args.TenantID, time.Now(), plan.CountEmailsSent, 1); err != nil && w.Log != nil {
			w.Log.WarnContext(ctx, "count sent e-mail", "job_id", job.ID, "err", err)
		}
	}
	return nil
}
