// Package gcp is an [actuator.Actuator] for a Compute Engine managed
// instance group (MIG), zonal or regional.
//
// [Group] scales with instanceGroupManagers.resize (returning when the
// operation is done, or with Config.NoWait once it is accepted) and reports
// its capacity with one instanceGroupManagers.get (Desired = targetSize,
// Ready = currentActions.none, the instances running with no current
// action), so both come from the same snapshot of the group. A group with
// a standby pool (targetStoppedSize or targetSuspendedSize) is read with
// instanceGroupManagers.listManagedInstances as well: its stopped and
// suspended instances have no current action either, and Ready counts the
// instances RUNNING with currentAction NONE.
//
// The driver calls the official google.golang.org/api/compute/v1 client; pass
// a *compute.Service built with the usual options (default credentials in
// production; option.WithEndpoint, option.WithoutAuthentication and
// option.WithHTTPClient against a test server such as gcptest's, a fake
// whose every request and answer is checked against the Compute discovery
// document).
//
// Scale refuses a group with an autoscaler attached ([ErrAutoscalerAttached])
// and clamps a target outside Config.MinSize/MaxSize, reporting it with a
// [*LimitedError].
//
// Errors are classified for the core's retry logic: a reason in the error
// decides first (resourceNotReady and rate limits are transient, even as a
// 403; quotaExceeded is permanent), then the HTTP status: 400, 401, 403 and
// 404 are wrapped with [actuator.Permanent]; 409, 412, 429 and 5xx, like
// network errors, stay transient. A failed resize operation is an
// [*OperationError], classified by its codes the same way.
//
// IAM permissions needed: compute.instanceGroupManagers.get (get and
// listManagedInstances) and compute.instanceGroupManagers.update (resize);
// roles/compute.instanceAdmin.v1 on the project includes them.
package gcp
