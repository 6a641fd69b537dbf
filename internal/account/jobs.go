package account

import (
	"context"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/jobs"
)

// PasswordResetArgs asks for a reset link for an address that may or may
// not be registered. The request only enqueues it, so that a registered
// and an unknown address look the same from outside.
type PasswordResetArgs struct {
	Email     string `json:"email"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
	RequestID string `json:"request_id"`
}

func (PasswordResetArgs) Kind() string { return jobs.KindPasswordReset }

func (PasswordResetArgs) InsertOpts() jobs.Opts {
	return jobs.Opts{Queue: jobs.QueueEmail, MaxAttempts: 5}
}

// PasswordResetWorker works PasswordResetArgs.
type PasswordResetWorker struct {
	Service *Service
}

func (w *PasswordResetWorker) Work(ctx context.Context, job *jobs.Job[PasswordResetArgs]) error {
	a := job.Args
	return w.Service.SendPasswordReset(ctx, a.Email, access.Meta{IP: a.IP, UserAgent: a.UserAgent, RequestID: a.RequestID})
}

// RegisterWorkers adds the account jobs' workers.
func (s *Service) RegisterWorkers(w *jobs.Workers) {
	jobs.Register[PasswordResetArgs](w, &PasswordResetWorker{Service: s})
}
