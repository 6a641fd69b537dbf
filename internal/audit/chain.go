package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The audit log of each tenant is a hash chain, so that an entry edited,
// deleted, inserted or moved by someone with access to the database shows:
//
//	hash(n) = SHA-256(hash(n-1) || Canonical(entry n))
//
// with hash(0), the genesis, 32 zero bytes. Seq numbers a tenant's
// entries 1, 2, 3… in the order they were written; the store assigns
// seq, prev_hash (hash(n-1)) and hash in the writing transaction, holding
// the tenant's head row locked so that two writers cannot both extend the
// same entry. Entries written before the chain began keep seq 0 (NULL in
// the database) and are not covered.
//
// Canonical is meant to be reimplemented elsewhere (an offline verifier):
// a JSON array written as "[" + elements joined by ", " + "]", elements in
// this order:
//
//	"ordo-audit-1", seq (a number), tenant_id, id, created_at,
//	actor_type, actor_id (or null), actor_name, actor_email, action,
//	entity_type, entity_id, order_id (or null), ip, user_agent,
//	request_id, metadata
//
// ids are lower-case canonical UUID strings, created_at is UTC as
// "YYYY-MM-DDTHH:MM:SS.ffffffZ" (microseconds), and metadata is the stored
// JSON text as a string. Strings escape only '"' and '\' (as \" and \\)
// and control characters below U+0020 (\b \f \n \r \t, others as \u00XX
// in lower-case hex); everything else, non-ASCII included, is written as
// UTF-8. This is PostgreSQL's json_build_array(…)::text, which computes
// the hash there in a trigger.

// GenesisHash is the prev_hash of a tenant's first chained entry.
var GenesisHash = make([]byte, sha256.Size)

// canonicalTag names the version of the canonical form.
const canonicalTag = "ordo-audit-1"

// TimeLayout is how created_at and signed_at are written in the canonical
// forms.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Canonical is e's canonical form at seq.
func Canonical(e Entry) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	str(&b, canonicalTag)
	b.WriteString(", " + strconv.FormatInt(e.Seq, 10))
	for _, s := range []string{e.TenantID.String(), e.ID.String(), e.CreatedAt.UTC().Format(TimeLayout), e.ActorType} {
		b.WriteString(", ")
		str(&b, s)
	}
	b.WriteString(", ")
	optUUID(&b, e.ActorID)
	for _, s := range []string{e.ActorName, e.ActorEmail, e.Action, e.EntityType, e.EntityID} {
		b.WriteString(", ")
		str(&b, s)
	}
	b.WriteString(", ")
	optUUID(&b, e.OrderID)
	for _, s := range []string{e.IP, e.UserAgent, e.RequestID, string(e.Metadata)} {
		b.WriteString(", ")
		str(&b, s)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// Hash is the hash of e following prev.
func Hash(prev []byte, e Entry) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(Canonical(e))
	return h.Sum(nil)
}

func optUUID(b *bytes.Buffer, id *uuid.UUID) {
	if id == nil {
		b.WriteString("null")
		return
	}
	str(b, id.String())
}

// str writes s as a JSON string the way PostgreSQL's escape_json does.
func str(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

// Head is a tenant's last chained entry: its seq and hash.
type Head struct {
	TenantID uuid.UUID
	Seq      int64
	Hash     []byte
}

// Checkpoint is a signed statement that a tenant's chain had hash Hash at
// Seq: an attacker who rewrites the whole chain (recomputing every hash)
// cannot make it match a checkpoint without the signing key.
type Checkpoint struct {
	TenantID  uuid.UUID
	Seq       int64
	Hash      []byte
	SignedAt  time.Time
	Signature []byte // Ed25519 over CheckpointMessage

	// Cut marks a retention cut (retention.go): the entries up to Seq
	// were pruned on purpose and the chain now starts at Seq+1, linking
	// to Hash. It is signed under another tag than a checkpoint, so that
	// a checkpoint (of which there are many) cannot be passed off as the
	// licence to delete the entries before it.
	Cut bool
}

// CheckpointMessage is what a checkpoint's signature signs, in the
// canonical form's notation:
//
//	["ordo-audit-checkpoint-1", tenant_id, seq, hash in lower-case hex, signed_at]
//
// and a retention cut's, the same with the tag "ordo-audit-cut-1".
func CheckpointMessage(c Checkpoint) []byte {
	tag := "ordo-audit-checkpoint-1"
	if c.Cut {
		tag = "ordo-audit-cut-1"
	}
	var b bytes.Buffer
	b.WriteByte('[')
	str(&b, tag)
	b.WriteString(", ")
	str(&b, c.TenantID.String())
	b.WriteString(", " + strconv.FormatInt(c.Seq, 10) + ", ")
	str(&b, hex.EncodeToString(c.Hash))
	b.WriteString(", ")
	str(&b, c.SignedAt.UTC().Format(TimeLayout))
	b.WriteByte(']')
	return b.Bytes()
}

// Sign signs a checkpoint of h at signedAt (truncated to microseconds, as
// stored).
func Sign(key ed25519.PrivateKey, h Head, signedAt time.Time) Checkpoint {
	c := Checkpoint{TenantID: h.TenantID, Seq: h.Seq, Hash: h.Hash, SignedAt: signedAt.UTC().Truncate(time.Microsecond)}
	c.Signature = ed25519.Sign(key, CheckpointMessage(c))
	return c
}

// SignCut signs a retention cut at h: the entries up to h.Seq may go, and
// the chain goes on from h.Hash.
func SignCut(key ed25519.PrivateKey, h Head, signedAt time.Time) Checkpoint {
	c := Checkpoint{TenantID: h.TenantID, Seq: h.Seq, Hash: h.Hash, SignedAt: signedAt.UTC().Truncate(time.Microsecond), Cut: true}
	c.Signature = ed25519.Sign(key, CheckpointMessage(c))
	return c
}

// SigningKey is the checkpoints' key: the base64 Ed25519 seed configured
// (ORDO_AUDIT_SIGNING_KEY), or, when none is, one derived from the
// instance secret, which is stable for the instance's life and kept in
// the data directory in embedded mode, so no second secret needs keeping.
func SigningKey(configured, secret string) (ed25519.PrivateKey, error) {
	if configured != "" {
		seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(configured))
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("audit signing key: want the base64 of a %d-byte Ed25519 seed", ed25519.SeedSize)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if secret == "" {
		return nil, fmt.Errorf("audit signing key: neither a key nor the secret is configured")
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("ordo audit signing key 1"))
	return ed25519.NewKeyFromSeed(m.Sum(nil)), nil
}
