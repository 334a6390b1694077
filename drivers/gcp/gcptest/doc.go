// Package gcptest is a fake Compute Engine v1 API for managed instance
// groups, in the spirit of net/http/httptest, whose every request and
// answer is checked against the Compute discovery document shipped in
// google.golang.org/api/compute/v1 — so that the fake, and the code
// tested against it, cannot drift from the real API unnoticed.
//
// # Conformance
//
// The document ([Compute], from google.golang.org/api [SDKVersion]) is
// embedded without its prose; a test regenerates it from the module cache
// and fails when the build's google.golang.org/api has another. For every
// request, [Spec.CheckRequest] finds the discovery method by HTTP method
// and flat path template under the service path /compute/v1/, then checks
// path and query parameters (unknown ones, required ones missing, types,
// int32/uint32 ranges, minimum and maximum, enums, patterns, repetition),
// the x-goog-api-version header, and the JSON body against the method's
// request schema (types, int64 and uint64 as strings, byte, enums,
// patterns, unknown fields at any depth, fields the schema marks required
// for that method). Every answer the fake gives with a 2xx status —
// modelled or injected with a [Fault] — is checked by [Spec.CheckResponse]
// against the method's response schema the same way. A request or answer
// that does not conform is reported ([Config.Report], t.Errorf with
// [Start]) as a [*ConformanceError] and answered with a 400 or a 500 that
// carries the message. A conforming request for a method the fake does not
// serve is reported as [ErrNotModelled].
//
// # What it models
//
// Zonal and regional managed instance groups ([Group]) in one project:
// instanceGroupManagers and regionInstanceGroupManagers get, resize and
// listManagedInstances, and zoneOperations and regionOperations get and
// wait ([Modelled]). On the fake's clock ([Config.Now], phases in
// [Lifecycle]):
//
//   - resize answers with an operation RUNNING, DONE after
//     Lifecycle.Operation; targetSize changes at once;
//   - a new instance is CREATING/PROVISIONING, CREATING/STAGING, then
//     RUNNING with currentAction VERIFYING (when Lifecycle.Verifying is
//     set) and NONE; a removed one is DELETING/STOPPING, then gone; a
//     resize down removes instances not yet serving first, newest first;
//   - get reports targetSize, currentActions, status.isStable and
//     status.autoscaler; listManagedInstances is one page (PAGELESS, the
//     default) or pages of maxResults (PAGINATED);
//   - unknown projects, groups and operations are 404 notFound.
//
// A [Fault] injects an HTTP error in the API's format, a raw body, or an
// operation that fails (DONE with its error at once, or RUNNING and then
// DONE with it), leaving the group as it was.
//
// It does not model: autoscalers (only the attached URL), instance
// templates and versions, quotas and stockouts surfacing on instances
// (lastAttempt errors), filters and orderBy, wait blocking (it answers
// at once, with the operation as of [WaitDeadline] later), long-running
// PENDING operations,
// ETags and fingerprints as preconditions, requestId deduplication, or
// authentication.
package gcptest
