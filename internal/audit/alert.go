package audit

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/mail"
)

// AlertTx is what e-mailing a tenant's owners needs, in one transaction.
type AlertTx interface {
	jobs.Inserter
	// WebhookOwners is the tenant's name and its owners' addresses.
	WebhookOwners(ctx context.Context, tenantID uuid.UUID) (tenantName string, emails []string, err error)
}

// AlertDB runs a transaction as an AlertTx (store.Narrow[AlertTx]).
type AlertDB interface {
	InTx(ctx context.Context, fn func(AlertTx) error) error
}

// MailOwners is the AlertFunc that e-mails each owner of the tenant
// (mail.KindAuditBroken, through the e-mail job), with a link to the
// audit log page under baseURL.
func MailOwners(db AlertDB, baseURL string) AlertFunc {
	return func(ctx context.Context, tenantID uuid.UUID, p *Problem) error {
		return db.InTx(ctx, func(tx AlertTx) error {
			name, emails, err := tx.WebhookOwners(ctx, tenantID)
			if err != nil {
				return err
			}
			for _, email := range emails {
				m, err := mail.Render(mail.KindAuditBroken, []string{email}, mail.AuditBrokenData{TenantName: name, Problem: p.Error(), URL: baseURL + "/app/audit"})
				if err != nil {
					return err
				}
				if _, err := tx.JobInsert(ctx, jobs.Email(m, &tenantID), nil); err != nil {
					return fmt.Errorf("mail %s: %w", email, err)
				}
			}
			return nil
		})
	}
}
