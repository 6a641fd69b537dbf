package cache

import (
	"bytes"
	"context"
	"log/slog"
	"time"

	"github.com/ordo/ordo/internal/pubsub"
)

// NearTTL bounds how long a process serves an entry from its own memory:
// a deletion whose message a process missed (pub/sub is at most once) is
// seen there within this time all the same.
const NearTTL = time.Second

// forgetChannel carries the keys a process deleted, one per line.
const forgetChannel = "cache:forget"

// Near keeps what it reads from a shared cache (Redis) in process memory
// for up to NearTTL, so that a hot entry, such as the API key of a busy
// client, costs no round trip on most requests. Delete drops the keys from
// the shared cache and from this process, then tells every other process
// to drop them too; until the message arrives (or, if it is lost, until
// NearTTL has passed) another process may still answer from its copy.
type Near struct {
	shared Cache
	local  *Memory
	ps     pubsub.PubSub
	log    *slog.Logger
}

var _ Cache = (*Near)(nil)

// NewNear returns a near cache in front of shared, holding at most max
// entries, and listens on ps for other processes' deletions until ctx
// ends.
func NewNear(ctx context.Context, shared Cache, ps pubsub.PubSub, max int, log *slog.Logger) *Near {
	n := &Near{shared: shared, local: NewMemory(max), ps: ps, log: log}
	go n.listen(ctx)
	return n
}

// listen drops the keys other processes delete. It subscribes again after
// a failure; go-redis itself reconnects a subscription that drops.
func (n *Near) listen(ctx context.Context) {
	for wait := 100 * time.Millisecond; ctx.Err() == nil; wait = min(2*wait, 5*time.Second) {
		msgs, cancel, err := n.ps.Subscribe(ctx, forgetChannel)
		if err != nil {
			n.log.WarnContext(ctx, "near cache: cannot hear deletions; entries are kept at most "+NearTTL.String(), "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			continue
		}
		for msg := range msgs {
			for key := range bytes.Lines(msg) {
				_ = n.local.Delete(ctx, string(bytes.TrimSuffix(key, []byte("\n"))))
			}
		}
		cancel()
	}
}

func (n *Near) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if v, ok, _ := n.local.Get(ctx, key); ok {
		return v, true, nil
	}
	v, ok, err := n.shared.Get(ctx, key)
	if err != nil || !ok {
		return v, ok, err
	}
	_ = n.local.Set(ctx, key, v, NearTTL)
	return v, true, nil
}

func (n *Near) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := n.shared.Set(ctx, key, value, ttl); err != nil {
		return err
	}
	return n.local.Set(ctx, key, value, min(ttl, NearTTL))
}

// Delete drops keys everywhere. It fails if the shared cache or the
// message to the other processes failed: callers log that loudly.
func (n *Near) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	_ = n.local.Delete(ctx, keys...)
	if err := n.shared.Delete(ctx, keys...); err != nil {
		return err
	}
	var msg bytes.Buffer
	for _, k := range keys {
		msg.WriteString(k)
		msg.WriteByte('\n')
	}
	return n.ps.Publish(ctx, forgetChannel, msg.Bytes())
}
