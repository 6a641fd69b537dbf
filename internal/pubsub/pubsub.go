// Package pubsub fans messages out to every subscriber of a channel: to
// every Ordo process through Redis when REDIS_URL is set, within the
// process otherwise. Delivery is best effort (a slow subscriber loses
// messages rather than stalling publishers); whoever needs every message,
// such as the realtime event stream, resumes from the events table.
package pubsub

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// PubSub publishes and subscribes to named channels.
type PubSub interface {
	Publish(ctx context.Context, channel string, msg []byte) error
	// Subscribe returns a channel of messages and a function that ends
	// the subscription and closes the channel. Messages published after
	// Subscribe returns are delivered.
	Subscribe(ctx context.Context, channel string) (<-chan []byte, func(), error)
}

// bufferSize is how many messages a subscriber may fall behind by.
const bufferSize = 256

// Memory is in-process pub/sub.
type Memory struct {
	mu   sync.Mutex
	subs map[string]map[*memSub]struct{}
}

type memSub struct {
	ch     chan []byte
	closed bool
}

var _ PubSub = (*Memory)(nil)

// NewMemory returns in-process pub/sub.
func NewMemory() *Memory { return &Memory{subs: map[string]map[*memSub]struct{}{}} }

func (m *Memory) Publish(ctx context.Context, channel string, msg []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for s := range m.subs[channel] {
		select {
		case s.ch <- append([]byte(nil), msg...):
		default: // subscriber too slow: drop, as Redis would disconnect it
		}
	}
	return nil
}

func (m *Memory) Subscribe(ctx context.Context, channel string) (<-chan []byte, func(), error) {
	s := &memSub{ch: make(chan []byte, bufferSize)}
	m.mu.Lock()
	if m.subs[channel] == nil {
		m.subs[channel] = map[*memSub]struct{}{}
	}
	m.subs[channel][s] = struct{}{}
	m.mu.Unlock()
	var once sync.Once
	cancel := func() {
		once.Do(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			delete(m.subs[channel], s)
			if len(m.subs[channel]) == 0 {
				delete(m.subs, channel)
			}
			close(s.ch)
		})
	}
	return s.ch, cancel, nil
}

// Redis is pub/sub across processes through Redis PUBLISH/SUBSCRIBE.
type Redis struct {
	client *redis.Client
	prefix string
}

var _ PubSub = (*Redis)(nil)

// NewRedis returns pub/sub on client with channel names under prefix.
func NewRedis(client *redis.Client, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

func (r *Redis) Publish(ctx context.Context, channel string, msg []byte) error {
	return r.client.Publish(ctx, r.prefix+channel, msg).Err()
}

func (r *Redis) Subscribe(ctx context.Context, channel string) (<-chan []byte, func(), error) {
	ps := r.client.Subscribe(ctx, r.prefix+channel)
	// Wait for the subscription to be confirmed, so that nothing
	// published after we return is missed.
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, nil, err
	}
	out := make(chan []byte, bufferSize)
	done := make(chan struct{})
	go func() {
		defer close(out)
		in := ps.Channel(redis.WithChannelSize(bufferSize))
		for {
			select {
			case <-done:
				return
			case m, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- []byte(m.Payload):
				default:
				}
			}
		}
	}()
	var once sync.Once
	cancel := func() {
		once.Do(func() {
			close(done)
			_ = ps.Close()
		})
	}
	return out, cancel, nil
}
