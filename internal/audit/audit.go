// Package audit holds the audit log's entry type and store contract. Every
// change a tenant's people (or keys) make is recorded here, in the same
// transaction as the change itself.
package audit

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Entry is one audit log line.
type Entry struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	ActorType  string     // "user", "api_key" or "system"
	ActorID    *uuid.UUID // user or API key; nil for the system
	ActorName  string
	ActorEmail string
	Action     string // e.g. "member.role_changed", "auth.login"
	EntityType string // e.g. "membership", "api_key"
	EntityID   string
	OrderID    *uuid.UUID
	IP         string
	UserAgent  string
	RequestID  string
	Metadata   json.RawMessage // a JSON object: old/new values and details
	CreatedAt  time.Time

	// The entry's place in its tenant's hash chain (chain.go), set by the
	// store as it writes the entry and read back only by AuditChain. Seq
	// 0 is an entry written before the chain began.
	Seq            int64
	PrevHash, Hash []byte
}

// Filter selects entries of one tenant, newest first.
type Filter struct {
	Action     string
	EntityType string
	EntityID   string
	ActorID    *uuid.UUID
	OrderID    *uuid.UUID // entries about one order (its attachments too)
	From, To   *time.Time // created_at range, [From, To)
	// Before is the keyset cursor: only entries with a smaller id.
	Before *uuid.UUID
	// After is the cursor of the previous page: only entries with a
	// larger id, the Limit oldest of them, still listed newest first.
	After *uuid.UUID
	Limit int
}

// Store is what the audit log needs from persistence.
type Store interface {
	Writer
	AuditList(ctx context.Context, tenantID uuid.UUID, f Filter) ([]Entry, error)

	// AuditChain is every entry of the tenant with its chain columns, in
	// the chain's order (seq, then id), those from before the chain
	// (seq 0) first; and the tenant's head, zero when nothing is chained.
	AuditChain(ctx context.Context, tenantID uuid.UUID) ([]Entry, Head, error)
	// AuditChainPage is the next page of at most limit entries in the
	// order AuditChain lists them, after the entry at (afterSeq, afterID)
	// (0 and uuid.Nil: from the start), except that the entries from
	// before the chain (seq 0) come by id. An export streams the log
	// page by page with it.
	AuditChainPage(ctx context.Context, tenantID uuid.UUID, afterSeq int64, afterID uuid.UUID, limit int) ([]Entry, error)
	// AuditHeadGet is the tenant's head, zero when nothing is chained.
	AuditHeadGet(ctx context.Context, tenantID uuid.UUID) (Head, error)
	// AuditChainTenants lists at most limit tenants that have a chain, by
	// id, after the id given (uuid.Nil: from the first).
	AuditChainTenants(ctx context.Context, after uuid.UUID, limit int) ([]uuid.UUID, error)
	// AuditCheckpointInsert records a signed checkpoint; one the tenant
	// already has at its seq is left as it is.
	AuditCheckpointInsert(ctx context.Context, c Checkpoint) error
	// AuditCheckpoints lists the tenant's retention cut, if retention
	// pruned its chain (Cut set), then its checkpoints by seq.
	AuditCheckpoints(ctx context.Context, tenantID uuid.UUID) ([]Checkpoint, error)
	// AuditPrune applies a signed retention cut in one transaction: it
	// deletes the tenant's chained entries up to cut.Seq, every entry of
	// it from before the chain (all older than the chain), and its
	// checkpoints before cut.Seq, and records cut as the tenant's
	// retention cut in place of any earlier one. It refuses (and changes
	// nothing) unless the entry at cut.Seq still has hash cut.Hash, the
	// cut is past the tenant's last one, and a checkpoint at or after
	// cut.Seq pins what remains. It returns how many entries it deleted.
	AuditPrune(ctx context.Context, cut Checkpoint) (int, error)
	// AuditHeadsToCheckpoint lists the heads that moved past their
	// tenant's last checkpoint, at most limit of them.
	AuditHeadsToCheckpoint(ctx context.Context, limit int) ([]Head, error)
}

// Writer writes audit entries: every domain's transaction has it, so that
// a change and its entry commit together.
type Writer interface {
	AuditInsert(ctx context.Context, e Entry) error
	// PlatformAuditInsert records an operator's action in the platform
	// audit log (e.TenantID may be zero for one on no tenant).
	PlatformAuditInsert(ctx context.Context, e Entry) error
}
