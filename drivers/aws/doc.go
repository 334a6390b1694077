// Package aws is an [actuator.Actuator] for an Amazon EC2 Auto Scaling group.
//
// [Group] scales a group with SetDesiredCapacity (cooldowns not honoured: the
// Controller owns the timing) and reports its capacity with
// DescribeAutoScalingGroups: Desired is the group's DesiredCapacity, Ready
// counts the instances that are InService and Healthy.
//
// The driver calls the AWS SDK for Go v2 through [API], a two-method
// interface that *autoscaling.Client satisfies, so tests can pass a fake.
//
// A target outside the group's MinSize/MaxSize is clamped to the nearest
// limit and reported with a [*LimitedError]; a change that needs a suspended
// process (Launch to scale out, Terminate to scale in) is refused with
// [ErrSuspended].
//
// Errors are classified for the core's retry logic: validation errors, access
// denied, an unknown group, a limited target and a suspended process are
// wrapped with [actuator.Permanent]; throttling, server faults (5xx) and
// connection errors are returned unwrapped, as transient. The SDK's own
// retryer is turned off for the driver's calls, so the caller's retry policy
// is the only one.
//
// IAM permissions needed: autoscaling:DescribeAutoScalingGroups and
// autoscaling:SetDesiredCapacity (the latter may be restricted to the group's
// ARN).
package aws
