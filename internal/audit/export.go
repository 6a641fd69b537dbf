package audit

import (
	"bufio"
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"
)

// An export is a tenant's audit log with its proofs, in JSON Lines, one
// object a line, each with a "type":
//
//	{"type":"header","format":"ordo-audit-export-1","tenant_id":…,"tenant_slug":…,
//	 "exported_at":…,"head":{"seq":N,"hash":"hex"},"public_key":"base64"}
//	{"type":"cut","seq":N,"hash":"hex","signed_at":…,"signature":"hex"}
//	… only when retention pruned the chain's start: the signed retention
//	  cut, after which the chain starts (at seq N+1, linking to hash)
//	{"type":"entry","seq":1,"prev_hash":"hex","hash":"hex","id":…,"tenant_id":…,
//	 "created_at":…,"actor_type":…,"actor_id":…|null,"actor_name":…,"actor_email":…,
//	 "action":…,"entity_type":…,"entity_id":…,"order_id":…|null,"ip":…,
//	 "user_agent":…,"request_id":…,"metadata":"the stored JSON text"}
//	… every entry, those from before the chain first (seq 0, hashes null),
//	  then by seq
//	{"type":"checkpoint","seq":N,"hash":"hex","signed_at":…,"signature":"hex"}
//	… every checkpoint up to the head, by seq
//
// Every field of an entry's canonical form is there as the canonical form
// writes it (created_at in TimeLayout, metadata as a string), so that a
// verifier rebuilds it from the fields alone; public_key verifies the
// checkpoints' and the cut's signatures over CheckpointMessage.
// ReadExport reads one back for Verify.

// ExportFormat is the header's format.
const ExportFormat = "ordo-audit-export-1"

// exportPage is how many entries one query reads.
const exportPage = 1000

// ExportHeader is an export's first line.
type ExportHeader struct {
	Type       string    `json:"type"`
	Format     string    `json:"format"`
	TenantID   uuid.UUID `json:"tenant_id"`
	TenantSlug string    `json:"tenant_slug"`
	ExportedAt string    `json:"exported_at"`
	Head       struct {
		Seq  int64   `json:"seq"`
		Hash *string `json:"hash"`
	} `json:"head"`
	PublicKey string `json:"public_key"`
}

type exportEntry struct {
	Type       string     `json:"type"`
	Seq        int64      `json:"seq"`
	PrevHash   *string    `json:"prev_hash"`
	Hash       *string    `json:"hash"`
	ID         uuid.UUID  `json:"id"`
	TenantID   uuid.UUID  `json:"tenant_id"`
	CreatedAt  string     `json:"created_at"`
	ActorType  string     `json:"actor_type"`
	ActorID    *uuid.UUID `json:"actor_id"`
	ActorName  string     `json:"actor_name"`
	ActorEmail string     `json:"actor_email"`
	Action     string     `json:"action"`
	EntityType string     `json:"entity_type"`
	EntityID   string     `json:"entity_id"`
	OrderID    *uuid.UUID `json:"order_id"`
	IP         string     `json:"ip"`
	UserAgent  string     `json:"user_agent"`
	RequestID  string     `json:"request_id"`
	Metadata   string     `json:"metadata"`
}

type exportCheckpoint struct {
	Type      string `json:"type"`
	Seq       int64  `json:"seq"`
	Hash      string `json:"hash"`
	SignedAt  string `json:"signed_at"`
	Signature string `json:"signature"`
}

// ExportStore is what an export reads.
type ExportStore interface {
	AuditHeadGet(ctx context.Context, tenantID uuid.UUID) (Head, error)
	AuditChainPage(ctx context.Context, tenantID uuid.UUID, afterSeq int64, afterID uuid.UUID, limit int) ([]Entry, error)
	AuditCheckpoints(ctx context.Context, tenantID uuid.UUID) ([]Checkpoint, error)
}

func hexOrNull(b []byte) *string {
	if b == nil {
		return nil
	}
	s := hex.EncodeToString(b)
	return &s
}

// WriteExport writes the tenant's export to w, reading the log a page at
// a time. It covers the chain up to the head it reads first: entries
// written meanwhile are left for the next export.
func WriteExport(ctx context.Context, w io.Writer, s ExportStore, tenantID uuid.UUID, slug string, pub ed25519.PublicKey, now time.Time) error {
	head, err := s.AuditHeadGet(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	h := ExportHeader{Type: "header", Format: ExportFormat, TenantID: tenantID, TenantSlug: slug,
		ExportedAt: now.UTC().Format(TimeLayout), PublicKey: base64.StdEncoding.EncodeToString(pub)}
	h.Head.Seq, h.Head.Hash = head.Seq, hexOrNull(head.Hash)
	if err := enc.Encode(h); err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	// The retention cut, read before the entries: the chain streamed
	// next starts after it. A prune between here and the end would make
	// the export start at entries it no longer has; that is checked below.
	cps, err := s.AuditCheckpoints(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	cut := cutOf(cps)
	if cut != nil {
		if err := enc.Encode(exportCheckpoint{Type: "cut", Seq: cut.Seq, Hash: hex.EncodeToString(cut.Hash),
			SignedAt: cut.SignedAt.UTC().Format(TimeLayout), Signature: hex.EncodeToString(cut.Signature)}); err != nil {
			return fmt.Errorf("audit export: %w", err)
		}
	}
	afterSeq, afterID := int64(0), uuid.Nil
	for {
		page, err := s.AuditChainPage(ctx, tenantID, afterSeq, afterID, exportPage)
		if err != nil {
			return fmt.Errorf("audit export: %w", err)
		}
		for _, e := range page {
			if e.Seq > head.Seq {
				break
			}
			if err := enc.Encode(exportEntry{Type: "entry", Seq: e.Seq, PrevHash: hexOrNull(e.PrevHash), Hash: hexOrNull(e.Hash),
				ID: e.ID, TenantID: e.TenantID, CreatedAt: e.CreatedAt.UTC().Format(TimeLayout), ActorType: e.ActorType, ActorID: e.ActorID,
				ActorName: e.ActorName, ActorEmail: e.ActorEmail, Action: e.Action, EntityType: e.EntityType, EntityID: e.EntityID,
				OrderID: e.OrderID, IP: e.IP, UserAgent: e.UserAgent, RequestID: e.RequestID, Metadata: string(e.Metadata)}); err != nil {
				return fmt.Errorf("audit export: %w", err)
			}
		}
		if len(page) < exportPage || page[len(page)-1].Seq > head.Seq {
			break
		}
		afterSeq, afterID = page[len(page)-1].Seq, page[len(page)-1].ID
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("audit export: %w", err)
		}
	}
	if cps, err = s.AuditCheckpoints(ctx, tenantID); err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	if now := cutOf(cps); now != nil && (cut == nil || now.Seq != cut.Seq) {
		// Retention pruned the log while it was read: the entries
		// written may start before the new cut or after the old one.
		// Better an error than a file that reads as tampered with.
		return fmt.Errorf("audit export: %w", ErrPrunedDuringExport)
	}
	for _, c := range cps {
		if c.Cut {
			continue
		}
		if c.Seq > head.Seq {
			break
		}
		if err := enc.Encode(exportCheckpoint{Type: "checkpoint", Seq: c.Seq, Hash: hex.EncodeToString(c.Hash),
			SignedAt: c.SignedAt.UTC().Format(TimeLayout), Signature: hex.EncodeToString(c.Signature)}); err != nil {
			return fmt.Errorf("audit export: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	return nil
}

// ErrPrunedDuringExport is the error of an export that retention's prune
// overtook: exporting again gives a whole one.
var ErrPrunedDuringExport = errors.New("the audit log was pruned by retention while it was exported: export it again")

// cutOf is the retention cut among cps (the latest, should there be
// several), nil when there is none.
func cutOf(cps []Checkpoint) *Checkpoint {
	var cut *Checkpoint
	for k := range cps {
		if cps[k].Cut && (cut == nil || cps[k].Seq > cut.Seq) {
			cut = &cps[k]
		}
	}
	return cut
}

// Export is an export read back: what Verify takes.
type Export struct {
	Header      ExportHeader
	Entries     []Entry
	Head        Head
	Checkpoints []Checkpoint
	PublicKey   ed25519.PublicKey
}

// ReadExport reads an export written by WriteExport. It fails on a line
// that is not one (malformed JSON, an unknown type, a bad hash); what the
// lines say is Verify's to judge.
func ReadExport(r io.Reader) (Export, error) {
	var x Export
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		if err := x.readLine(n, line); err != nil {
			return x, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return x, fmt.Errorf("line %d: %w", n+1, err)
	}
	if x.Header.Format == "" {
		return x, errors.New("not an audit export: no header line")
	}
	// The chain's order is its seq numbers' (the entries from before the
	// chain, seq 0, first), as the database lists it: lines moved in the
	// file without their seq move nothing in the chain.
	slices.SortStableFunc(x.Entries, func(a, b Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	return x, nil
}

func unhex(s *string) ([]byte, error) {
	if s == nil {
		return nil, nil
	}
	return hex.DecodeString(*s)
}

func (x *Export) readLine(n int, line []byte) error {
	var t struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(line, &t); err != nil {
		return err
	}
	if n == 1 && t.Type != "header" {
		return errors.New("not an audit export: the first line is not its header")
	}
	switch t.Type {
	case "header":
		if n != 1 {
			return errors.New("a second header")
		}
		if err := json.Unmarshal(line, &x.Header); err != nil {
			return err
		}
		if x.Header.Format != ExportFormat {
			return fmt.Errorf("format %q, want %q", x.Header.Format, ExportFormat)
		}
		pub, err := base64.StdEncoding.DecodeString(x.Header.PublicKey)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			return errors.New("public_key is not the base64 of an Ed25519 public key")
		}
		x.PublicKey = pub
		x.Head = Head{TenantID: x.Header.TenantID, Seq: x.Header.Head.Seq}
		if x.Head.Hash, err = unhex(x.Header.Head.Hash); err != nil {
			return fmt.Errorf("head hash: %w", err)
		}
	case "entry":
		var e exportEntry
		if err := json.Unmarshal(line, &e); err != nil {
			return err
		}
		at, err := time.Parse(TimeLayout, e.CreatedAt)
		if err != nil {
			return fmt.Errorf("created_at: %w", err)
		}
		prev, err := unhex(e.PrevHash)
		if err != nil {
			return fmt.Errorf("prev_hash: %w", err)
		}
		hash, err := unhex(e.Hash)
		if err != nil {
			return fmt.Errorf("hash: %w", err)
		}
		x.Entries = append(x.Entries, Entry{ID: e.ID, TenantID: e.TenantID, ActorType: e.ActorType, ActorID: e.ActorID,
			ActorName: e.ActorName, ActorEmail: e.ActorEmail, Action: e.Action, EntityType: e.EntityType, EntityID: e.EntityID,
			OrderID: e.OrderID, IP: e.IP, UserAgent: e.UserAgent, RequestID: e.RequestID, Metadata: json.RawMessage(e.Metadata),
			CreatedAt: at, Seq: e.Seq, PrevHash: prev, Hash: hash})
	case "checkpoint", "cut":
		var c exportCheckpoint
		if err := json.Unmarshal(line, &c); err != nil {
			return err
		}
		at, err := time.Parse(TimeLayout, c.SignedAt)
		if err != nil {
			return fmt.Errorf("signed_at: %w", err)
		}
		hash, err := hex.DecodeString(c.Hash)
		if err != nil {
			return fmt.Errorf("hash: %w", err)
		}
		sig, err := hex.DecodeString(c.Signature)
		if err != nil {
			return fmt.Errorf("signature: %w", err)
		}
		x.Checkpoints = append(x.Checkpoints, Checkpoint{TenantID: x.Header.TenantID, Seq: c.Seq, Hash: hash, SignedAt: at, Signature: sig, Cut: t.Type == "cut"})
	default:
		return fmt.Errorf("unknown type %q", t.Type)
	}
	return nil
}
