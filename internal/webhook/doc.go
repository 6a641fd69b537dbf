// Package webhook runs tenants' outbound webhooks. Its pure part is
// signing (Standard Webhooks, https://www.standardwebhooks.com), SSRF
// protection for tenant-supplied URLs, the retry schedule, and one HTTP
// delivery attempt (attempt.go). Its Service (service.go) manages
// endpoints, lists and replays deliveries, and works the delivery job
// (worker.go) with its attempt log and automatic disabling. The fan-out of
// an event into deliveries, in the transaction that wrote the event, is
// outbox.Emit, which calls CreateDelivery here for each subscribed
// endpoint; the service writes its own events (an endpoint disabled, the
// test event) itself, since they are never fanned out.
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
