package audit

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/google/uuid"
)

// Kinds of tampering Verify names.
const (
	Edited    = "edited"    // an entry's fields no longer give its hash
	Deleted   = "deleted"   // seq numbers are missing
	Inserted  = "inserted"  // an entry that is not part of the chain
	Reordered = "reordered" // an entry moved to another place
	// BadCheckpoint is a checkpoint whose signature is wrong, or that
	// does not match the chain: the chain was rewritten or cut.
	BadCheckpoint = "checkpoint"
)

// Problem is the first thing wrong with a chain.
type Problem struct {
	Kind    string
	Seq     int64     // where in the chain
	EntryID uuid.UUID // the entry named, zero when there is none
	Detail  string
}

func (p *Problem) Error() string {
	s := fmt.Sprintf("audit chain broken at seq %d: %s", p.Seq, p.Kind)
	if p.EntryID != uuid.Nil {
		s += " entry " + p.EntryID.String()
	}
	return s + ": " + p.Detail
}

// Report is what Verify found.
type Report struct {
	Chained     int   // entries in the chain
	Unchained   int   // entries from before the chain began, not covered
	Checkpoints int   // checkpoints checked, the retention cut included
	Head        int64 // the last seq
	// Start is the seq the chain starts at: 1, or the one after a
	// retention cut's (the entries before it were pruned).
	Start int64
	// Problem is the first thing wrong, nil when the chain holds.
	Problem *Problem
}

// Verify checks a tenant's entries as AuditChain gives them (unchained
// ones first, then by seq and id), against the head the store keeps and
// the checkpoints signed with pub, and names the first entry that was
// tampered with. It is a pure function over rows, so that an exported log
// verifies the same way as the database.
//
// The chain starts at seq 1 from the genesis hash or, when retention has
// pruned its start, at the seq after the retention cut (the checkpoint
// with Cut set; the latest one if there are several) from the cut's hash.
// The cut must be signed by pub: without one, entries missing at the
// start are deletions like any other.
//
// Going up the chain, at each entry with want = previous seq + 1:
//   - seq below want (a second entry at a seq): the one that does not
//     link on (its hash is not the next entry's prev_hash, or its own
//     hash or link is wrong) was inserted;
//   - seq above want: the entries in between were deleted;
//   - its hash is wrong and so is its link: it was moved (reordered);
//   - its hash is wrong: it was edited;
//   - only its link is wrong: it was inserted in the place of another.
//
// Then the chain's end must be the head (else entries at the end were
// deleted), and each checkpoint must be signed by pub and name an entry
// of the chain with the same hash (one before the cut names a pruned
// entry and is only checked for its signature; one at the cut must have
// the cut's hash).
func Verify(entries []Entry, head Head, checkpoints []Checkpoint, pub ed25519.PublicKey) Report {
	var r Report
	var cut *Checkpoint
	var plain []Checkpoint
	for k := range checkpoints {
		c := &checkpoints[k]
		if !c.Cut {
			plain = append(plain, *c)
			continue
		}
		r.Checkpoints++
		if !ed25519.Verify(pub, CheckpointMessage(*c), c.Signature) {
			r.Problem = &Problem{Kind: BadCheckpoint, Seq: c.Seq, Detail: "the retention cut's signature does not verify with this public key"}
			return r
		}
		if cut == nil || c.Seq > cut.Seq {
			cut = c
		}
	}
	prevSeq, prevHash := int64(0), GenesisHash
	if cut != nil {
		prevSeq, prevHash = cut.Seq, cut.Hash
	}
	r.Start = prevSeq + 1

	i := 0
	var firstChained *Entry
	for ; i < len(entries) && entries[i].Seq == 0; i++ {
		r.Unchained++
	}
	if i < len(entries) {
		firstChained = &entries[i]
	}
	// An entry without seq written after the chain began was slipped in
	// past the store; so was any once retention cut the chain, since the
	// first cut prunes every entry from before the chain with it.
	for _, e := range entries[:i] {
		if cut != nil {
			r.Problem = &Problem{Kind: Inserted, EntryID: e.ID, Detail: "an entry outside the chain, though retention pruned those"}
			return r
		}
		if firstChained != nil && e.CreatedAt.After(firstChained.CreatedAt) {
			r.Problem = &Problem{Kind: Inserted, EntryID: e.ID, Detail: "an entry outside the chain, written after the chain began"}
			return r
		}
	}
	chain := entries[i:]
	hashAt := make(map[int64][]byte, len(chain)+1)
	if cut != nil {
		hashAt[cut.Seq] = cut.Hash
	}
	for j := 0; j < len(chain); j++ {
		e := chain[j]
		want := prevSeq + 1
		ok := bytes.Equal(Hash(e.PrevHash, e), e.Hash)
		linked := bytes.Equal(e.PrevHash, prevHash)
		switch {
		case e.Seq < want && j == 0:
			// An entry at or before the retention cut, which pruned
			// them all (or, in a forged export, a seq below 1).
			r.Problem = &Problem{Kind: Inserted, Seq: e.Seq, EntryID: e.ID, Detail: fmt.Sprintf("the chain starts at seq %d, yet this entry is there", want)}
			if cut != nil {
				r.Problem.Detail = fmt.Sprintf("the chain was cut at seq %d by retention, yet this entry is there", cut.Seq)
			}
			return r
		case e.Seq < want:
			// Two entries at one seq: the one before passed its checks.
			// This one is the impostor unless it passes them too and the
			// chain goes on from it.
			prev := chain[j-1]
			bad := e
			if ok && bytes.Equal(e.PrevHash, prev.PrevHash) && j+1 < len(chain) && bytes.Equal(chain[j+1].PrevHash, e.Hash) {
				bad = prev
			}
			r.Problem = &Problem{Kind: Inserted, Seq: e.Seq, EntryID: bad.ID, Detail: fmt.Sprintf("seq %d is taken twice", e.Seq)}
			return r
		case e.Seq > want:
			r.Problem = &Problem{Kind: Deleted, Seq: want, EntryID: e.ID,
				Detail: fmt.Sprintf("entries %d to %d are missing before this one", want, e.Seq-1)}
			if e.Seq-1 == want {
				r.Problem.Detail = fmt.Sprintf("entry %d is missing before this one", want)
			}
			if j == 0 && cut == nil {
				r.Problem.Detail += ", and no signed retention cut accounts for them"
			}
			return r
		case !ok && !linked:
			r.Problem = &Problem{Kind: Reordered, Seq: e.Seq, EntryID: e.ID, Detail: "neither its hash nor its link to the entry before holds: it was moved here"}
			return r
		case !ok:
			r.Problem = &Problem{Kind: Edited, Seq: e.Seq, EntryID: e.ID, Detail: "its fields no longer give its hash"}
			return r
		case !linked:
			r.Problem = &Problem{Kind: Inserted, Seq: e.Seq, EntryID: e.ID, Detail: "it does not follow from the entry before"}
			return r
		}
		prevSeq, prevHash = e.Seq, e.Hash
		hashAt[e.Seq] = e.Hash
		r.Chained++
	}
	r.Head = prevSeq
	if head.Seq > prevSeq {
		r.Problem = &Problem{Kind: Deleted, Seq: prevSeq + 1,
			Detail: fmt.Sprintf("the chain ends at seq %d but its head is at %d: the last entries were deleted", prevSeq, head.Seq)}
		return r
	}
	if head.Seq < prevSeq || (head.Seq > 0 && !bytes.Equal(head.Hash, prevHash)) {
		r.Problem = &Problem{Kind: Inserted, Seq: head.Seq + 1,
			Detail: fmt.Sprintf("the chain goes on to seq %d past its head at %d", prevSeq, head.Seq)}
		if head.Seq == prevSeq {
			r.Problem = &Problem{Kind: Edited, Seq: head.Seq, Detail: "the head's hash is not the last entry's"}
		}
		return r
	}
	for _, c := range plain {
		r.Checkpoints++
		if !ed25519.Verify(pub, CheckpointMessage(c), c.Signature) {
			r.Problem = &Problem{Kind: BadCheckpoint, Seq: c.Seq, Detail: "the checkpoint's signature does not verify with this public key"}
			return r
		}
		if cut != nil && c.Seq < cut.Seq {
			continue // it pins an entry retention pruned
		}
		h, ok := hashAt[c.Seq]
		switch {
		case !ok:
			r.Problem = &Problem{Kind: Deleted, Seq: c.Seq,
				Detail: fmt.Sprintf("a checkpoint signed at %s pins seq %d, which the chain no longer has", c.SignedAt.UTC().Format(TimeLayout), c.Seq)}
			return r
		case !bytes.Equal(h, c.Hash):
			r.Problem = &Problem{Kind: BadCheckpoint, Seq: c.Seq,
				Detail: fmt.Sprintf("the chain up to seq %d was rewritten: its hash differs from the checkpoint signed at %s", c.Seq, c.SignedAt.UTC().Format(TimeLayout))}
			return r
		}
	}
	return r
}
