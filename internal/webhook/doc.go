// Package webhook is the pure library part of outbound webhooks: signing
// (Standard Webhooks, https://www.standardwebhooks.com), SSRF protection for
// tenant-supplied URLs, the retry schedule, and one HTTP delivery attempt.
//
// It holds no state and does no persistence: the outbox table, the worker
// that picks deliveries and the API that manages endpoints live elsewhere
// and build on the functions here.
//
// # Delivery semantics
//
// Delivery is at-least-once. An attempt whose response is lost (a timeout
// after the receiver committed, a dropped connection, a crash before the
// outcome is recorded) is retried, so a receiver can see the same message
// more than once. Every attempt of one message carries the same webhook-id
// header, and receivers de-duplicate on it. Messages are not ordered either:
// a retry of an older message can arrive after a newer one, so receivers
// should compare the payload's timestamp or refetch the resource.
//
// Each attempt is signed afresh with the time of that attempt in
// webhook-timestamp (see [Request.Timestamp]); receivers reject timestamps
// more than a few minutes old to stop replays, so re-sending an old
// signature would fail.
//
// # Flow for callers
//
//  1. On endpoint create/update: [Guard.CheckURL]; map [ErrURLNotAllowed]
//     to a 422 on field "url". Store a secret from [NewSecret].
//  2. On an event: build a [Payload], [Payload.Marshal] it once and keep
//     the bytes; every attempt sends exactly those bytes.
//  3. Per attempt: [Send] with a client from [Guard.Client]; on failure,
//     [NextDelay] gives the wait before the next attempt or says to stop.
//     A [Result.Gone] (410) means the receiver asks to be disabled.
package webhook
