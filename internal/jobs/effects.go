package jobs

import (
	"context"
	"time"
)

// Effects is a ledger of side effects done outside the database, such as
// an e-mail handed to the SMTP server. A job records its effect as soon as
// it is done, before the queue marks the job complete, so that a job run
// again after a crash in between sees it and does not repeat it. The
// window left, between the effect and its record, is milliseconds.
type Effects interface {
	// EffectDone reports whether the effect with key was recorded.
	EffectDone(ctx context.Context, key string) (bool, error)
	// EffectRecord records the effect; recording it twice is not an error.
	EffectRecord(ctx context.Context, key string, at time.Time) error
}
