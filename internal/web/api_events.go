package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/auth"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/realtime"
)

// How the event stream paces itself.
const (
	eventPoll      = 5 * time.Second  // read the outbox even without a notification
	eventHeartbeat = 15 * time.Second // keep proxies from closing an idle stream
	eventBatch     = 200
)

// eventAction is the permission an event type needs: nobody sees an
// event about what they may not read.
func eventAction(typ string) account.Action {
	switch {
	case strings.HasPrefix(typ, "member."):
		return account.ActMemberRead
	default:
		return account.ActOrderRead
	}
}

// handleEvents streams the tenant's events as Server-Sent Events. Each
// event's id is its outbox id, so a client that reconnects with
// Last-Event-ID (or ?last_event_id=) gets everything it missed that the
// outbox still holds.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requirePrincipal(w, r)
	if !ok {
		return
	}
	if !p.InTenant() {
		s.fail(w, r, p.NoTenant())
		return
	}
	if !p.Can(account.ActOrderRead) {
		s.fail(w, r, apperr.Forbidden("your role (%s) may not read events", p.Role))
		return
	}
	after := event.IDAt(time.Now().Add(-time.Millisecond))
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last_event_id")
	}
	if last != "" {
		id, err := uuid.Parse(last)
		if err != nil {
			s.fail(w, r, apperr.Invalid("Last-Event-ID", "is not an event id from this stream"))
			return
		}
		after = id
	}
	ctx := r.Context()
	wake, cancel, err := s.pubsub.Subscribe(ctx, realtime.Channel(p.TenantID))
	if err != nil {
		// Without pub/sub the stream still works, on the poll alone.
		s.log.WarnContext(ctx, "event stream without notifications", "err", err)
		wake, cancel = nil, func() {}
	}
	defer cancel()

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 3000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}

	poll := time.NewTicker(eventPoll)
	defer poll.Stop()
	beat := time.NewTicker(eventHeartbeat)
	defer beat.Stop()
	for {
		var err error
		if after, err = s.sendEvents(w, r, p, after); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case _, ok := <-wake:
			if !ok {
				wake = nil // subscription ended; keep polling
			}
		case <-poll.C:
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
		}
	}
}

// sendEvents writes every event after the given id that the principal
// may see, and returns the id to continue after.
func (s *Server) sendEvents(w http.ResponseWriter, r *http.Request, p auth.Principal, after uuid.UUID) (uuid.UUID, error) {
	for {
		evs, err := s.store.EventListAfter(r.Context(), p.TenantID, after, eventBatch)
		if err != nil {
			s.log.WarnContext(r.Context(), "read events", "err", err)
			return after, nil // try again at the next wake-up or poll
		}
		for _, e := range evs {
			after = e.ID
			if !p.Can(eventAction(e.Type)) {
				continue
			}
			if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", e.ID, e.Type, e.Data); err != nil {
				return after, err
			}
		}
		if len(evs) < eventBatch {
			return after, nil
		}
	}
}
