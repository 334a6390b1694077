package aws

import (
	"context"
	"errors"
	"fmt"
	"math"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/shadowscale/shadowscale/actuator"
)

// API is the part of the Auto Scaling client the driver calls.
// *autoscaling.Client satisfies it; tests pass a fake.
type API interface {
	// DescribeAutoScalingGroups is autoscaling.Client.DescribeAutoScalingGroups.
	DescribeAutoScalingGroups(ctx context.Context, in *autoscaling.DescribeAutoScalingGroupsInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
	// SetDesiredCapacity is autoscaling.Client.SetDesiredCapacity.
	SetDesiredCapacity(ctx context.Context, in *autoscaling.SetDesiredCapacityInput, optFns ...func(*autoscaling.Options)) (*autoscaling.SetDesiredCapacityOutput, error)
}

var _ API = (*autoscaling.Client)(nil)

// Health status the Auto Scaling service reports for a healthy instance.
const healthy = "Healthy"

// Group is an [actuator.Actuator] for one EC2 Auto Scaling group. It holds no
// mutable state and is safe for concurrent use.
type Group struct {
	api  API
	name string
}

var _ actuator.Actuator = (*Group)(nil)

// NewGroup returns an actuator for the Auto Scaling group named name, called
// through api (usually autoscaling.NewFromConfig(cfg)).
func NewGroup(api API, name string) (*Group, error) {
	if api == nil {
		return nil, errors.New("aws: NewGroup: api is nil")
	}
	if name == "" {
		return nil, errors.New("aws: NewGroup: group name is empty")
	}
	return &Group{api: api, name: name}, nil
}

// Name returns the Auto Scaling group's name.
func (g *Group) Name() string { return g.name }

// Scale sets the group's desired capacity to target, without honouring
// cooldowns. It reads the group first, then:
//
//  1. A target outside [MinSize, MaxSize] is clamped to the nearest limit,
//     the group is scaled there, and Scale returns a permanent
//     [*LimitedError] (errors.Is ErrOutsideLimits) saying so: in a surge
//     the group goes to MaxSize instead of staying where it is.
//  2. A change that needs a process an operator suspended (Launch to scale
//     out, Terminate to scale in) is refused with a permanent ErrSuspended
//     naming the process and its reason; the group is left alone.
//  3. A group that already desires the (clamped) target is left alone.
//
// Auto Scaling has no conditional write: a change made by someone else
// between the read and SetDesiredCapacity is overwritten. The SDK's own
// retries are turned off for these calls, so that the caller's retry policy
// (the Controller's) is the only one.
func (g *Group) Scale(ctx context.Context, target int) error {
	if target < 0 || target > math.MaxInt32 {
		return actuator.Permanent(fmt.Errorf("aws: scale group %q to %d: %w", g.name, target, actuator.ErrInvalidTarget))
	}
	grp, err := g.describe(ctx)
	if err != nil {
		return fmt.Errorf("aws: scale group %q to %d: %w", g.name, target, err)
	}
	desired := int(awssdk.ToInt32(grp.DesiredCapacity))
	lo, hi := int(awssdk.ToInt32(grp.MinSize)), int(awssdk.ToInt32(grp.MaxSize))
	applied := min(max(target, lo), hi)
	if applied != desired {
		if p := suspended(grp, applied > desired); p != nil {
			reason := awssdk.ToString(p.SuspensionReason)
			if reason == "" {
				reason = "no reason given"
			}
			return actuator.Permanent(fmt.Errorf("aws: scale group %q from %d to %d: %w: %s (%s)",
				g.name, desired, applied, ErrSuspended, awssdk.ToString(p.ProcessName), reason))
		}
		_, err = g.api.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{
			AutoScalingGroupName: awssdk.String(g.name),
			DesiredCapacity:      awssdk.Int32(int32(applied)),
			HonorCooldown:        awssdk.Bool(false),
		}, noSDKRetries)
		if err != nil {
			return fmt.Errorf("aws: scale group %q to %d: set desired capacity: %w", g.name, applied, classify(err))
		}
	}
	if applied != target {
		return limitedError(g.name, target, applied, lo, hi)
	}
	return nil
}

// Processes whose suspension freezes scaling in one direction.
const (
	processLaunch    = "Launch"
	processTerminate = "Terminate"
)

// suspended returns the suspended process that blocks scaling out (up) or in,
// or nil.
func suspended(grp *types.AutoScalingGroup, up bool) *types.SuspendedProcess {
	want := processTerminate
	if up {
		want = processLaunch
	}
	for i, p := range grp.SuspendedProcesses {
		if awssdk.ToString(p.ProcessName) == want {
			return &grp.SuspendedProcesses[i]
		}
	}
	return nil
}

// noSDKRetries turns off the SDK's retryer for one call: transient errors
// go back to the caller, whose retry policy is the one that applies.
func noSDKRetries(o *autoscaling.Options) { o.Retryer = awssdk.NopRetryer{} }

// Current reports the group's DesiredCapacity and the number of its instances
// that are InService and Healthy. Instances in Standby (or entering or
// leaving it), in a lifecycle hook's wait, being detached, terminated or
// replaced are not ready; warm-pool instances (Warmed:*) are not in service
// and not counted either, and DesiredCapacity does not include them.
func (g *Group) Current(ctx context.Context) (actuator.State, error) {
	grp, err := g.describe(ctx)
	if err != nil {
		return actuator.State{}, fmt.Errorf("aws: read group %q: %w", g.name, err)
	}
	return stateOf(grp), nil
}

// stateOf reads the capacity of a described group.
func stateOf(grp *types.AutoScalingGroup) actuator.State {
	ready := 0
	for _, in := range grp.Instances {
		if in.LifecycleState == types.LifecycleStateInService && awssdk.ToString(in.HealthStatus) == healthy {
			ready++
		}
	}
	return actuator.State{Desired: int(awssdk.ToInt32(grp.DesiredCapacity)), Ready: ready}
}

// describe returns the group, or a permanent ErrGroupNotFound.
func (g *Group) describe(ctx context.Context) (*types.AutoScalingGroup, error) {
	out, err := g.api.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{
		AutoScalingGroupNames: []string{g.name},
	}, noSDKRetries)
	if err != nil {
		return nil, fmt.Errorf("describe: %w", classify(err))
	}
	for i := range out.AutoScalingGroups {
		if awssdk.ToString(out.AutoScalingGroups[i].AutoScalingGroupName) == g.name {
			return &out.AutoScalingGroups[i], nil
		}
	}
	return nil, actuator.Permanent(ErrGroupNotFound)
}
