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
// cooldowns. It first reads the group so that a target outside
// [MinSize, MaxSize] fails with a permanent error naming the limits
// ([ErrOutsideLimits]) instead of the service's validation message; a group
// that already desires target is left alone.
func (g *Group) Scale(ctx context.Context, target int) error {
	if target < 0 || target > math.MaxInt32 {
		return actuator.Permanent(fmt.Errorf("aws: scale group %q to %d: %w", g.name, target, actuator.ErrInvalidTarget))
	}
	grp, err := g.describe(ctx)
	if err != nil {
		return fmt.Errorf("aws: scale group %q to %d: %w", g.name, target, err)
	}
	lo, hi := int(awssdk.ToInt32(grp.MinSize)), int(awssdk.ToInt32(grp.MaxSize))
	if target < lo || target > hi {
		return actuator.Permanent(fmt.Errorf("aws: scale group %q to %d: %w [min %d, max %d]", g.name, target, ErrOutsideLimits, lo, hi))
	}
	if grp.DesiredCapacity != nil && int(*grp.DesiredCapacity) == target {
		return nil
	}
	_, err = g.api.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{
		AutoScalingGroupName: awssdk.String(g.name),
		DesiredCapacity:      awssdk.Int32(int32(target)),
		HonorCooldown:        awssdk.Bool(false),
	})
	if err != nil {
		return fmt.Errorf("aws: scale group %q to %d: set desired capacity: %w", g.name, target, classify(err))
	}
	return nil
}

// Current reports the group's DesiredCapacity and the number of its instances
// that are InService and Healthy.
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
	})
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
