package aws_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/shadowscale/shadowscale/drivers/aws"
)

// staticASG answers for one group with a fixed set of instances and
// remembers the desired capacity it was given.
type staticASG struct{ desired int32 }

func (s *staticASG) DescribeAutoScalingGroups(context.Context, *autoscaling.DescribeAutoScalingGroupsInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error) {
	return &autoscaling.DescribeAutoScalingGroupsOutput{AutoScalingGroups: []types.AutoScalingGroup{{
		AutoScalingGroupName: awssdk.String("web"),
		MinSize:              awssdk.Int32(2),
		MaxSize:              awssdk.Int32(20),
		DesiredCapacity:      awssdk.Int32(s.desired),
		Instances: []types.Instance{
			{LifecycleState: types.LifecycleStateInService, HealthStatus: awssdk.String("Healthy")},
			{LifecycleState: types.LifecycleStatePending, HealthStatus: awssdk.String("Healthy")},
		},
	}}}, nil
}

func (s *staticASG) SetDesiredCapacity(_ context.Context, in *autoscaling.SetDesiredCapacityInput, _ ...func(*autoscaling.Options)) (*autoscaling.SetDesiredCapacityOutput, error) {
	s.desired = *in.DesiredCapacity
	return &autoscaling.SetDesiredCapacityOutput{}, nil
}

// A Group scales through any implementation of the two Auto Scaling calls;
// here an in-memory one.
func ExampleGroup() {
	ctx := context.Background()
	g, err := aws.NewGroup(&staticASG{desired: 2}, "web")
	if err != nil {
		log.Fatal(err)
	}
	if err := g.Scale(ctx, 5); err != nil {
		log.Fatal(err)
	}
	st, err := g.Current(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("desired %d, ready %d\n", st.Desired, st.Ready)

	// Above MaxSize: the group goes to MaxSize and the error says so.
	err = g.Scale(ctx, 50)
	var lim *aws.LimitedError
	if errors.As(err, &lim) {
		fmt.Printf("limited: asked %d, set %d\n", lim.Requested, lim.Applied)
	}
	fmt.Println(err)
	// Output:
	// desired 5, ready 1
	// limited: asked 50, set 20
	// permanent: aws: group "web": target 50 limited to 20 [min 2, max 20]
}

// In production the Group wraps the SDK client built from the default
// credential chain (environment, shared config, instance role).
func ExampleNewGroup() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("eu-west-1"))
	if err != nil {
		log.Fatal(err)
	}
	g, err := aws.NewGroup(autoscaling.NewFromConfig(cfg), "web-asg")
	if err != nil {
		log.Fatal(err)
	}
	st, err := g.Current(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Desired, st.Ready)
}
