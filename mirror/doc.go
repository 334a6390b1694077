// Package mirror copies a sample of production HTTP traffic to shadow
// services without ever slowing or failing the production path, and
// reports how the shadows perform.
//
// # The tee
//
// [Tee] is an http.Handler middleware ([Tee.Wrap]) and a reverse proxy
// ([Tee.ReverseProxy], on net/http/httputil.ReverseProxy). Every request
// goes to the primary. For a sampled request the Tee:
//
//  1. strips a client-sent [HeaderMarker] and [HeaderSignature];
//  2. refuses the copy (counted) if the Tee is closed, every shadow's
//     breaker is open, the declared body is over Config.MaxBodyBytes, or
//     the copy does not fit in Config.MemoryBudget;
//  3. snapshots the headers (never shared with the primary) without
//     credentials: [DefaultStripHeaders], [DefaultStripHeaderPrefixes], any
//     name containing one of [SensitiveHeaderWords], and
//     Config.StripHeaders; or, in allow-list mode, only
//     Config.ForwardHeaders. Hop-by-hop and trace headers are dropped, the
//     client's X-Forwarded-*, Forwarded and X-Real-Ip are replaced by
//     X-Forwarded-For/Host/Proto built from what the Tee saw, and the values
//     of [DefaultRedactQuery] and Config.RedactQuery parameters are replaced
//     by [RedactedValue], in the query and in a Referer's query;
//  4. copies the body while the primary reads it, into a buffer charged to
//     the budget (over the limit or the budget the copy is dropped and
//     counted; the primary's body is untouched);
//  5. after the primary handler returns, offers the copy to each shadow's
//     bounded queue without blocking (a full queue drops and counts);
//  6. on that shadow's worker pool: asks the breaker, runs Config.Redact,
//     starts a new W3C traceparent (the original kept in
//     [HeaderOriginTraceparent]), optionally rewrites the Host with Envoy's
//     "-shadow" suffix, adds the marker, an RFC 9530 [HeaderContentDigest]
//     and an HMAC-SHA256 signature over method, Host, path, query, body
//     digest, time and a unique nonce ([SignedRequest]), and sends it with
//     a deadline (Config.Timeout) independent of the primary's context:
//     to an http shadow over the worker's own keep-alive HTTP/1.1
//     connection, to an https one over a pooled keep-alive transport.
//
// A panicking transport or Redact hook is recovered and counted; a hanging
// one holds only its own worker. After Config.BreakerFailures consecutive
// transport errors or timeouts a shadow's breaker opens: its queue is
// purged, its in-flight sends cancelled, and copies are dropped as
// shadow_down without a dial, so a dead shadow costs no CPU; after the
// pause a single probe decides whether it closes or stays open for twice
// as long. Each shadow has its own queue and workers, so a slow shadow
// cannot starve another. Memory for copies (header snapshots and bodies
// being captured, queued or in flight) is bounded by Config.MemoryBudget
// for the whole Tee.
//
// [Tee.Flush] waits until every copy taken has been sent or dropped (Stats
// are exact afterwards); [Tee.Close] drains for up to Config.DrainTimeout.
//
// # Sampling
//
// Only GET, HEAD and OPTIONS are mirrored unless Config.Methods opts in to
// others. The rate is a global fraction changed at runtime with
// [Tee.SetFraction] (0 is the kill switch), or a per-route rate
// (Config.Routes, longest prefix). The draw is consistent by key when
// Config.KeyHeader, KeyCookie or KeyClientAddr is set, so a session is
// mirrored whole or not at all. Config.MaxRate caps copies per second.
// Config.Stratify keeps rare strata (route and method) represented: each
// gets at least one copy per window and the cap is shared equally;
// [Tee.Mix] reports the achieved mix against the traffic mix.
//
// # Shadows
//
// A shadow service wraps its handler with a [Verifier]: marked requests
// must carry a valid, fresh, never-seen signature whose body digest
// matches the body (else 403); the current and the previous key are
// accepted during a rotation. Handlers call [IsMirrored] to suppress side
// effects (payments, e-mails). README.md next to this file states the
// threat model.
//
// # Measurement
//
// [Tee.Stats] implements [Mirror] over a sliding window (Config.Window,
// time from [WithClock]); [Tee.Report] adds per-shadow detail: 5xx,
// transport errors, timeouts, panics, drops by [DropReason], and with
// Config.Compare the status and body-hash mismatch rate against the
// primary, plus a noise rate between two shadows of the same
// Target.Version.
//
// OpenTelemetry instruments (meter [ScopeName]; provider from
// [WithMeterProvider], default otel.GetMeterProvider()):
//
//	shadowscale.mirror.requests     counter   {request}  copies completed; attrs shadow, outcome (ok, status_5xx, transport_error, timeout, panic)
//	shadowscale.mirror.duration     histogram s          shadow latency of ok and 5xx copies; attr shadow
//	shadowscale.mirror.dropped      counter   {request}  copies dropped; attrs shadow ("*" for per-request drops), reason (see DropReason)
//	shadowscale.mirror.sampled      counter   {request}  requests selected for mirroring
//	shadowscale.mirror.mismatches   counter   {request}  answers differing from the primary's; attrs shadow, kind (status, body)
//	shadowscale.mirror.fraction     gauge     1          global sampling fraction in force
//	shadowscale.mirror.queue.depth  gauge     {request}  copies waiting in a shadow's queue; attr shadow
//
// Measured performance (benchmarks and a load test against nginx's mirror
// module) is in README.md next to this file.
package mirror
