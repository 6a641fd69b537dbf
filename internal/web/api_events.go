package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/realtime"
)

// How the event stream paces itself.
const (
	eventPoll      = 5 * time.Second  // read the outbox even without a notification
	eventHeartbeat = 15 * time.Second // keep proxies from closing an idle stream
	eventBatch     = 200

	// DefaultEventRecheck is how often an open stream re-authenticates its
	// caller even when no event comes: a revoked key, a removed member, an
	// ended session or a suspended tenant has its stream closed within
	// this (plus one read), well inside the 5 s the security policy
	// allows. (Events themselves are never sent without a fresh check.)
	DefaultEventRecheck = 2 * time.Second
	// DefaultEventMaxLifetime is how long one stream lasts; then the
	// client reconnects with Last-Event-ID and misses nothing.
	DefaultEventMaxLifetime = 15 * time.Minute
	// eventReconnect is the retry: hint sent when a stream ends by age.
	eventReconnect = time.Second
)

// eventAction is the permission an event type needs: nobody sees an
// event about what they may not read.
func eventAction(typ string) access.Action {
	switch {
	case strings.HasPrefix(typ, "member."):
		return access.ActMemberRead
	default:
		return access.ActOrderRead
	}
}

// handleEvents streams the tenant's events as Server-Sent Events. Each
// event's id is its outbox id, so a client that reconnects with
// Last-Event-ID (or ?last_event_id=) gets everything it missed that the
// outbox still holds.
//
// Access is not decided once: every eventRecheck the stream
// re-authenticates its caller as a new request would, and ends without
// sending anything more when that fails or the caller may no longer read
// events. After eventMaxLifetime it ends anyway, telling the client where
// to resume.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	if !p.InTenant() {
		return p.NoTenant()
	}
	if !p.Can(access.ActOrderRead) {
		return apperr.Forbidden("your role (%s) may not read events", apperr.Word(p.Role))
	}
	after := event.IDAt(time.Now().Add(-time.Millisecond))
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last_event_id")
	}
	if last != "" {
		id, err := uuid.Parse(last)
		if err != nil {
			return apperr.Invalid("Last-Event-ID", "is not an event id from this stream")
		}
		after = id
	}
	cred := s.streamCredOf(r, p)
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
	// From here the response has begun: the stream ends by returning nil,
	// with nothing more to tell a client that may have gone.
	if err := rc.Flush(); err != nil {
		return nil
	}

	poll := time.NewTicker(eventPoll)
	defer poll.Stop()
	beat := time.NewTicker(eventHeartbeat)
	defer beat.Stop()
	recheck := time.NewTicker(s.eventRecheck)
	defer recheck.Stop()
	expire := time.NewTimer(s.eventMaxLifetime)
	defer expire.Stop()
	// Every batch of events is written under a principal checked just
	// before it (through the auth cache, which each change invalidates),
	// so that nothing is sent after a revocation has committed; the
	// ticker ends a quiet stream too.
	authorize := func() bool {
		var ok bool
		p, ok = s.recheckStream(ctx, cred, p)
		return ok
	}
	for {
		var err error
		if after, err = s.sendEvents(w, r, &p, after, authorize); err != nil {
			return nil
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-wake:
			if !ok {
				wake = nil // subscription ended; keep polling
			}
		case <-poll.C:
		case <-recheck.C:
			if !authorize() {
				return nil
			}
		case <-expire.C:
			// An event without data sets the client's last event id
			// without being dispatched, so that even a stream that sent
			// nothing resumes where it stopped.
			fmt.Fprintf(w, "id: %s\nretry: %d\n\n", after, eventReconnect.Milliseconds())
			_ = rc.Flush()
			return nil
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
		}
	}
}

// streamCred is what a stream was authenticated with, to authenticate it
// again: an API key, or a session.
type streamCred struct {
	apiKey string
	// session is the session token; userID, tenantID and epoch are what
	// the session held at connect.
	session          string
	userID, tenantID uuid.UUID
	epoch            int64
	method           string
}

func (s *Server) streamCredOf(r *http.Request, p access.Principal) streamCred {
	if p.IsAPIKey() {
		_, key, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		return streamCred{apiKey: strings.TrimSpace(key)}
	}
	epoch, _ := s.sessions.Get(r.Context(), sessEpoch).(int64)
	return streamCred{session: s.sessions.Token(r.Context()), userID: p.UserID, tenantID: p.TenantID, epoch: epoch, method: s.sessionMethod(r.Context())}
}

// recheckStream authenticates a stream's caller again, through the same
// code as withPrincipal (whose cache every change invalidates), and
// returns their current principal; ok is false when the stream must end:
// the key is revoked or its creator gone, the session ended (logout,
// expiry, log out everywhere), the member was removed, the tenant is
// suspended, or the role may no longer read events. An error ends the
// stream too: the client reconnects, and is let in only if still allowed.
func (s *Server) recheckStream(ctx context.Context, c streamCred, was access.Principal) (access.Principal, bool) {
	var p access.Principal
	var err error
	if c.apiKey != "" {
		p, err = s.auth.AuthenticateAPIKey(ctx, c.apiKey)
	} else {
		var alive bool
		if alive, err = s.sessionAlive(ctx, c); err == nil && !alive {
			err = apperr.ErrUnauthorized
		}
		if err == nil {
			p, err = s.auth.Resolve(ctx, c.userID, c.epoch, c.tenantID, c.method)
		}
	}
	switch {
	case err != nil:
		if !errors.Is(err, apperr.ErrUnauthorized) && ctx.Err() == nil {
			s.log.WarnContext(ctx, "event stream: re-authentication failed; closing", "err", err)
		}
		return p, false
	case p.TenantID != was.TenantID || !p.Can(access.ActOrderRead):
		return p, false
	}
	return p, true
}

// sessionAlive reports whether the session a stream was opened with still
// exists, has not expired, and still holds the same user, tenant and epoch
// (logging out destroys it; switching tenants changes it).
func (s *Server) sessionAlive(ctx context.Context, c streamCred) (bool, error) {
	if c.session == "" {
		return false, nil
	}
	// A fresh context: Load does nothing on one that holds a session
	// already, as the stream's request does. scs finds the session as any
	// request would (hashed token, expiry, codec); a gone or expired one
	// comes back empty.
	lctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	lctx, err := s.sessions.Load(lctx, c.session)
	if err != nil {
		return false, fmt.Errorf("load session: %w", err)
	}
	epoch, _ := s.sessions.Get(lctx, sessEpoch).(int64)
	return time.Now().Before(s.sessions.Deadline(lctx)) && s.sessions.GetString(lctx, sessUserID) == c.userID.String() &&
		s.sessions.GetString(lctx, sessTenantID) == c.tenantID.String() && epoch == c.epoch, nil
}

// errStreamRevoked ends a stream whose caller lost access.
var errStreamRevoked = errors.New("event stream: access revoked")

// sendEvents writes every event after the given id that the principal
// may see, and returns the id to continue after. Before writing a batch it
// asks authorize, which re-resolves *p; when that fails it writes nothing
// and returns errStreamRevoked.
func (s *Server) sendEvents(w http.ResponseWriter, r *http.Request, p *access.Principal, after uuid.UUID, authorize func() bool) (uuid.UUID, error) {
	for {
		evs, err := s.auth.EventsAfter(r.Context(), *p, after, eventBatch)
		if err != nil {
			s.log.WarnContext(r.Context(), "read events", "err", err)
			return after, nil // try again at the next wake-up or poll
		}
		if len(evs) > 0 && !authorize() {
			return after, errStreamRevoked
		}
		for _, e := range evs {
			// The principal's own removal ends the stream at that event,
			// whatever the auth cache still says: the event can reach this
			// stream before the cache forgets the membership.
			if e.Type == event.MemberRemoved && removes(*p, e.EntityID) {
				return after, errStreamRevoked
			}
			after = e.ID
			// The current role decides, event by event.
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

// removes reports whether a member.removed event about userID ends p's
// access: p is that user, or an API key acting for them.
func removes(p access.Principal, userID string) bool {
	id, err := uuid.Parse(userID)
	if err != nil {
		return false
	}
	return (p.UserID != uuid.Nil && p.UserID == id) || (p.IsAPIKey() && p.APIKeyCreatedBy == id)
}
