package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator"
)

// fakeAPI is an in-memory Auto Scaling service holding groups by name.
type fakeAPI struct {
	mu          sync.Mutex
	groups      map[string]types.AutoScalingGroup
	describeErr error
	setErr      error
	sets        []autoscaling.SetDesiredCapacityInput
}

var _ API = (*fakeAPI)(nil)

func (f *fakeAPI) DescribeAutoScalingGroups(_ context.Context, in *autoscaling.DescribeAutoScalingGroupsInput, _ ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.describeErr != nil {
		return nil, f.describeErr
	}
	out := &autoscaling.DescribeAutoScalingGroupsOutput{}
	for _, n := range in.AutoScalingGroupNames {
		if g, ok := f.groups[n]; ok {
			out.AutoScalingGroups = append(out.AutoScalingGroups, g)
		}
	}
	return out, nil
}

func (f *fakeAPI) SetDesiredCapacity(_ context.Context, in *autoscaling.SetDesiredCapacityInput, _ ...func(*autoscaling.Options)) (*autoscaling.SetDesiredCapacityOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sets = append(f.sets, *in)
	if f.setErr != nil {
		return nil, f.setErr
	}
	g := f.groups[*in.AutoScalingGroupName]
	g.DesiredCapacity = in.DesiredCapacity
	f.groups[*in.AutoScalingGroupName] = g
	return &autoscaling.SetDesiredCapacityOutput{}, nil
}

func instance(id string, state types.LifecycleState, health string) types.Instance {
	return types.Instance{InstanceId: awssdk.String(id), LifecycleState: state, HealthStatus: awssdk.String(health)}
}

func newFake() *fakeAPI {
	return &fakeAPI{groups: map[string]types.AutoScalingGroup{
		"web": {
			AutoScalingGroupName: awssdk.String("web"),
			MinSize:              awssdk.Int32(1),
			MaxSize:              awssdk.Int32(10),
			DesiredCapacity:      awssdk.Int32(4),
			Instances: []types.Instance{
				instance("i-1", types.LifecycleStateInService, "Healthy"),
				instance("i-2", types.LifecycleStateInService, "Healthy"),
				instance("i-3", types.LifecycleStateInService, "Unhealthy"),
				instance("i-4", types.LifecycleStatePending, "Healthy"),
				instance("i-5", types.LifecycleStateTerminating, "Healthy"),
			},
		},
	}}
}

func TestNewGroupValidates(t *testing.T) {
	_, err := NewGroup(nil, "web")
	require.ErrorContains(t, err, "api is nil")
	_, err = NewGroup(newFake(), "")
	require.ErrorContains(t, err, "group name is empty")
	g, err := NewGroup(newFake(), "web")
	require.NoError(t, err)
	assert.Equal(t, "web", g.Name())
}

func TestCurrentCountsInServiceHealthy(t *testing.T) {
	g, err := NewGroup(newFake(), "web")
	require.NoError(t, err)
	st, err := g.Current(context.Background())
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 4, Ready: 2}, st)
}

func TestUnknownGroupIsPermanent(t *testing.T) {
	g, err := NewGroup(newFake(), "nope")
	require.NoError(t, err)
	_, err = g.Current(context.Background())
	require.ErrorIs(t, err, ErrGroupNotFound)
	assert.True(t, actuator.IsPermanent(err))
	assert.Contains(t, err.Error(), `"nope"`)

	err = g.Scale(context.Background(), 3)
	require.ErrorIs(t, err, ErrGroupNotFound)
	assert.True(t, actuator.IsPermanent(err))
}

func TestScaleSetsDesiredCapacity(t *testing.T) {
	f := newFake()
	g, err := NewGroup(f, "web")
	require.NoError(t, err)
	require.NoError(t, g.Scale(context.Background(), 7))
	require.Len(t, f.sets, 1)
	assert.Equal(t, "web", awssdk.ToString(f.sets[0].AutoScalingGroupName))
	assert.Equal(t, int32(7), awssdk.ToInt32(f.sets[0].DesiredCapacity))
	require.NotNil(t, f.sets[0].HonorCooldown)
	assert.False(t, *f.sets[0].HonorCooldown)

	st, err := g.Current(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 7, st.Desired)

	// Idempotent: the group already desires 7, no second call.
	require.NoError(t, g.Scale(context.Background(), 7))
	assert.Len(t, f.sets, 1)
}

func TestScaleClampsToTheLimitsAndReportsIt(t *testing.T) {
	cases := []struct {
		target, applied int
		sets            int
	}{
		{0, 1, 1},   // below MinSize: scaled in to MinSize
		{11, 10, 1}, // above MaxSize: scaled out to MaxSize
		{50, 10, 1},
	}
	for _, c := range cases {
		f := newFake()
		g, err := NewGroup(f, "web")
		require.NoError(t, err)
		err = g.Scale(context.Background(), c.target)
		require.ErrorIs(t, err, ErrOutsideLimits)
		assert.True(t, actuator.IsPermanent(err), "asking again gives the same answer")
		var lim *LimitedError
		require.ErrorAs(t, err, &lim)
		_, limited := actuator.AsLimited(err)
		assert.True(t, limited, "detectable without importing the driver")
		assert.Equal(t, LimitedError{Driver: "aws", Group: "web", Requested: c.target, Applied: c.applied, Min: 1, Max: 10, Err: ErrOutsideLimits}, *lim)
		assert.Contains(t, err.Error(), fmt.Sprintf(`group "web": target %d limited to %d [min 1, max 10]`, c.target, c.applied))
		require.Len(t, f.sets, c.sets)
		assert.Equal(t, int32(c.applied), awssdk.ToInt32(f.sets[0].DesiredCapacity))

		// Already at the limit: no call, still reported.
		err = g.Scale(context.Background(), c.target)
		require.ErrorIs(t, err, ErrOutsideLimits)
		assert.Len(t, f.sets, c.sets)
	}
}

func TestScaleHonoursSuspendedProcesses(t *testing.T) {
	suspend := func(f *fakeAPI, names ...string) {
		g := f.groups["web"]
		for _, n := range names {
			g.SuspendedProcesses = append(g.SuspendedProcesses, types.SuspendedProcess{ProcessName: awssdk.String(n), SuspensionReason: awssdk.String("User suspended at 2026-03-02T10:00:00Z")})
		}
		f.groups["web"] = g
	}
	cases := []struct {
		name      string
		suspended []string
		target    int
		refused   string // the blocking process, "" when allowed
	}{
		{"launch blocks scale-out", []string{"Launch"}, 6, "Launch"},
		{"launch allows scale-in", []string{"Launch"}, 2, ""},
		{"terminate blocks scale-in", []string{"Terminate"}, 2, "Terminate"},
		{"terminate allows scale-out", []string{"Terminate"}, 6, ""},
		{"both block both", []string{"Launch", "Terminate"}, 2, "Terminate"},
		{"others do not matter", []string{"AZRebalance", "AlarmNotification", "ScheduledActions", "HealthCheck"}, 6, ""},
		{"launch blocks clamped scale-out", []string{"Launch"}, 50, "Launch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake()
			suspend(f, c.suspended...)
			g, err := NewGroup(f, "web")
			require.NoError(t, err)
			err = g.Scale(context.Background(), c.target)
			if c.refused == "" {
				require.NoError(t, err)
				require.Len(t, f.sets, 1)
				return
			}
			require.ErrorIs(t, err, ErrSuspended)
			assert.True(t, actuator.IsPermanent(err))
			assert.Contains(t, err.Error(), c.refused+" (User suspended at 2026-03-02T10:00:00Z)")
			assert.Contains(t, err.Error(), `scale group "web" from 4 to`)
			assert.Empty(t, f.sets, "the group is left alone")
		})
	}
	// A suspended process does not matter when nothing changes.
	f := newFake()
	suspend(f, "Launch", "Terminate")
	g, err := NewGroup(f, "web")
	require.NoError(t, err)
	require.NoError(t, g.Scale(context.Background(), 4))
}

func TestCurrentCountsOnlyInServiceHealthy(t *testing.T) {
	f := newFake()
	grp := f.groups["web"]
	grp.DesiredCapacity = awssdk.Int32(3)
	grp.Instances = []types.Instance{
		instance("i-1", types.LifecycleStateInService, "Healthy"),
		instance("i-2", types.LifecycleStateStandby, "Healthy"),
		instance("i-3", types.LifecycleStateEnteringStandby, "Healthy"),
		instance("i-4", types.LifecycleStatePendingWait, "Healthy"),
		instance("i-5", types.LifecycleStatePendingProceed, "Healthy"),
		instance("i-6", types.LifecycleStateWarmedRunning, "Healthy"),
		instance("i-7", types.LifecycleStateWarmedStopped, "Healthy"),
		instance("i-8", types.LifecycleStateDetaching, "Healthy"),
		instance("i-9", types.LifecycleStateTerminatingWait, "Healthy"),
		instance("i-10", types.LifecycleStateInService, "Unhealthy"),
		instance("i-11", types.LifecycleStateInService, "Healthy"),
	}
	f.groups["web"] = grp
	g, err := NewGroup(f, "web")
	require.NoError(t, err)
	st, err := g.Current(context.Background())
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 3, Ready: 2}, st)
}

func TestScaleRejectsInvalidTarget(t *testing.T) {
	f := newFake()
	g, err := NewGroup(f, "web")
	require.NoError(t, err)
	err = g.Scale(context.Background(), -1)
	require.ErrorIs(t, err, actuator.ErrInvalidTarget)
	assert.True(t, actuator.IsPermanent(err))
	assert.Empty(t, f.sets)
}

func TestScaleErrorsAreWrapped(t *testing.T) {
	f := newFake()
	f.setErr = &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded", Fault: smithy.FaultClient}
	g, err := NewGroup(f, "web")
	require.NoError(t, err)
	err = g.Scale(context.Background(), 5)
	require.Error(t, err)
	assert.False(t, actuator.IsPermanent(err))
	assert.Contains(t, err.Error(), `aws: scale group "web" to 5: set desired capacity`)
	var api smithy.APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, "Throttling", api.ErrorCode())

	f.describeErr = &smithy.GenericAPIError{Code: "AccessDenied", Message: "no", Fault: smithy.FaultClient}
	_, err = g.Current(context.Background())
	require.Error(t, err)
	assert.True(t, actuator.IsPermanent(err))
	assert.Contains(t, err.Error(), `aws: read group "web": describe`)
}

func httpErr(status int, err error) error {
	return &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      err,
	}
}

func TestClassify(t *testing.T) {
	api := func(code string, fault smithy.ErrorFault) error {
		return &smithy.GenericAPIError{Code: code, Message: "m", Fault: fault}
	}
	cases := []struct {
		name      string
		err       error
		permanent bool
	}{
		{"validation", httpErr(400, api("ValidationError", smithy.FaultClient)), true},
		{"access denied", httpErr(403, api("AccessDenied", smithy.FaultClient)), true},
		{"bad token", api("InvalidClientTokenId", smithy.FaultClient), true},
		{"unknown client fault", api("SomethingNew", smithy.FaultClient), true},
		{"throttling", httpErr(400, api("Throttling", smithy.FaultClient)), false},
		{"scaling in progress", httpErr(400, api("ScalingActivityInProgress", smithy.FaultClient)), false},
		{"contention", httpErr(500, api("ResourceContention", smithy.FaultServer)), false},
		{"server 503", httpErr(503, errors.New("unavailable")), false},
		{"too many requests", httpErr(429, errors.New("slow down")), false},
		{"bare 403", httpErr(403, errors.New("forbidden")), true},
		{"canceled", context.Canceled, false},
		{"other", errors.New("connection reset"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := classify(c.err)
			assert.Equal(t, c.permanent, actuator.IsPermanent(got))
			assert.ErrorIs(t, got, c.err)
		})
	}
	assert.NoError(t, classify(nil))
}
