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
//  2. clones the headers (never shared with the primary) and removes
//     Authorization, Proxy-Authorization, Cookie and Config.StripHeaders;
//  3. copies the body while the primary reads it, into a bounded buffer
//     (over Config.MaxBodyBytes the copy is dropped and counted; the
//     primary's body is untouched);
//  4. after the primary handler returns, offers the copy to each shadow's
//     bounded queue without blocking (a full queue drops and counts);
//  5. on that shadow's worker pool: removes hop-by-hop and trace headers
//     (a new W3C traceparent, the original kept in
//     [HeaderOriginTraceparent]), runs Config.Redact, optionally rewrites the
//     Host with Envoy's "-shadow" suffix, adds the marker and an HMAC-SHA256
//     signature, and sends it over a pooled keep-alive transport with a
//     deadline (Config.Timeout) independent of the primary's context.
//
// A panicking transport or Redact hook is recovered and counted; a hanging
// one holds only its own worker. After Config.BreakerFailures consecutive
// transport errors or timeouts a shadow is paused (copies dropped as
// shadow_down without a dial), so a dead shadow costs no CPU. Each shadow has its own queue and workers,
// so a slow shadow cannot starve another. Memory is bounded by
// shadows × (QueueSize + Workers) × (MaxBodyBytes + headers).
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
// must carry a valid, fresh signature (else 403), and handlers call
// [IsMirrored] to suppress side effects (payments, e-mails).
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
