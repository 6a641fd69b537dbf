package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// sse is a minimal Server-Sent Events reader for tests.
type sseEvent struct{ id, typ, data string }

func openStream(t *testing.T, url, key, lastID string) (<-chan sseEvent, func()) {
	t.Helper()
	return openStreamWith(t, http.DefaultClient, url, key, lastID)
}

// openStreamAs opens the stream as c: with its API key or its session.
func openStreamAs(t *testing.T, c *client, lastID string) (<-chan sseEvent, func()) {
	t.Helper()
	return openStreamWith(t, c.http, c.a.url, c.bearer, lastID)
}

// openStreamWith opens the stream through hc, with the key unless it is
// empty. Events without a type (only an id) are delivered too: the
// server's last word before it ends a stream by age.
func openStreamWith(t *testing.T, hc *http.Client, url, key, lastID string) (<-chan sseEvent, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/v1/events", nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := hc.Do(req)
	require.NoError(t, err)
	require.Equal(t, 200, res.StatusCode)
	require.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	out := make(chan sseEvent, 100)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.typ != "" || ev.id != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return out, cancel
}

// eventWait bounds the wait for an event that must come. It is generous
// because a loaded machine running -race can take over a second; that
// events come at once, not at the next poll, is TestEventsAcrossProcesses'
// (cmd/ordo) to prove.
const eventWait = 10 * time.Second

func next(t *testing.T, ch <-chan sseEvent, within time.Duration) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		require.True(t, ok, "stream closed")
		return ev
	case <-time.After(within):
		t.Fatalf("no event within %s", within)
		return sseEvent{}
	}
}

func TestEventStream(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a *app) {
		owner, _, _ := a.signup(t, uniqueEmail("sse"))
		key := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "sse", "role": "viewer"}).must(t, 201).str("key")
		stream, stop := openStream(t, a.url, key, "")
		defer stop()

		id := owner.do("POST", "/api/v1/orders", orderBody("Live L")).must(t, 201).str("id")
		ev := next(t, stream, eventWait)
		require.Equal(t, "order.created", ev.typ)
		require.Contains(t, ev.data, id)
		first := ev.id

		owner.do("POST", "/api/v1/orders/"+id+"/transitions", map[string]any{"to": "processing"}).must(t, 200)
		ev = next(t, stream, eventWait)
		require.Equal(t, "order.status_changed", ev.typ)
		var data map[string]any
		require.NoError(t, json.Unmarshal([]byte(ev.data), &data))
		require.Equal(t, "processing", data["status"])
		stop()

		// Reconnecting with Last-Event-ID replays what came after it.
		owner.do("PATCH", "/api/v1/orders/"+id, map[string]any{"notes": "while away"}).must(t, 200)
		again, stop2 := openStream(t, a.url, key, first)
		defer stop2()
		require.Equal(t, "order.status_changed", next(t, again, eventWait).typ)
		require.Equal(t, "order.updated", next(t, again, eventWait).typ)

		// Another tenant's events never show.
		other, _, _ := a.signup(t, uniqueEmail("other"))
		other.do("POST", "/api/v1/orders", orderBody("Elsewhere E")).must(t, 201)
		select {
		case ev := <-again:
			t.Fatalf("got another tenant's event: %+v", ev)
		case <-time.After(300 * time.Millisecond):
		}
	})
}
