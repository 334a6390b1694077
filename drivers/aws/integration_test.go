//go:build integration

package aws_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/drivers/aws"
)

// The suite runs against moto_server (pip package moto[server]), started on
// a free loopback port; the SDK reaches it through AWS_ENDPOINT_URL with
// dummy credentials. The binary is $MOTO_SERVER, else moto_server on PATH.
// Without it the tests fail when CI=true and skip otherwise.
//
// moto is looser than AWS: it accepts a desired capacity above MaxSize and
// puts instances InService at once. What it does not model (throttling,
// AWS's ValidationError) is covered by the httptest cases in query_test.go.

var (
	client     *autoscaling.Client
	skipReason string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	bin, err := motoBinary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "aws integration tests: %v (CI=true: install moto[server])\n", err)
			return 1
		}
		skipReason = fmt.Sprintf("no moto_server to test against: %v (pip install 'moto[server]', or set MOTO_SERVER)", err)
		return m.Run()
	}
	stop, logs, endpoint, err := startMoto(bin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "aws integration tests: %v\n%s", err, logs())
		return 1
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            endpoint,
		"AWS_ACCESS_KEY_ID":           "testing",
		"AWS_SECRET_ACCESS_KEY":       "testing",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		os.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		stop()
		fmt.Fprintf(os.Stderr, "aws integration tests: load config: %v\n", err)
		return 1
	}
	client = autoscaling.NewFromConfig(cfg)
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "moto_server log:\n%s", logs())
	}
	stop()
	http.DefaultClient.CloseIdleConnections()
	if err := goleak.Find(); err != nil {
		fmt.Fprintf(os.Stderr, "aws integration tests: %v\n", err)
		return 1
	}
	return code
}

func motoBinary() (string, error) {
	if p := os.Getenv("MOTO_SERVER"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("$MOTO_SERVER: %w", err)
		}
		return p, nil
	}
	p, err := exec.LookPath("moto_server")
	if err != nil {
		return "", errors.New("moto_server not on PATH and $MOTO_SERVER not set")
	}
	return p, nil
}

// startMoto starts moto_server in its own process group on a free port and
// waits until it answers. stop kills the group and waits.
func startMoto(bin string) (stop func(), logs func() string, endpoint string, err error) {
	logs = func() string { return "" }
	lf, err := os.CreateTemp("", "moto-server-*.log")
	if err != nil {
		return nil, logs, "", err
	}
	defer lf.Close()
	logs = func() string { b, _ := os.ReadFile(lf.Name()); return string(b) }
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, logs, "", err
	}
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", port)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, logs, "", fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		_ = os.Remove(lf.Name())
	}
	endpoint = "http://127.0.0.1:" + port
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			return nil, logs, "", fmt.Errorf("moto_server exited before it answered: %v", err)
		case <-deadline.C:
			stop()
			return nil, logs, "", errors.New("moto_server did not answer within 60s")
		case <-tick.C:
		}
		resp, err := http.Get(endpoint + "/moto-api/")
		if err != nil {
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return stop, logs, endpoint, nil
	}
}

// newASG creates a group of its own for one test, with its instances
// InService (moto starts them at once).
func newASG(t *testing.T, minSize, maxSize, desired int32) string {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	ctx := context.Background()
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	_, err := client.CreateLaunchConfiguration(ctx, &autoscaling.CreateLaunchConfigurationInput{
		LaunchConfigurationName: awssdk.String(name),
		ImageId:                 awssdk.String("ami-12c6146b"),
		InstanceType:            awssdk.String("t3.micro"),
	})
	require.NoError(t, err)
	_, err = client.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName:    awssdk.String(name),
		LaunchConfigurationName: awssdk.String(name),
		MinSize:                 awssdk.Int32(minSize),
		MaxSize:                 awssdk.Int32(maxSize),
		DesiredCapacity:         awssdk.Int32(desired),
		AvailabilityZones:       []string{"us-east-1a"},
	})
	require.NoError(t, err)
	return name
}

func describe(t *testing.T, name string) types.AutoScalingGroup {
	t.Helper()
	out, err := client.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	require.NoError(t, err)
	require.Len(t, out.AutoScalingGroups, 1)
	return out.AutoScalingGroups[0]
}

func TestIntegrationCurrentAndScale(t *testing.T) {
	name := newASG(t, 1, 10, 3)
	g, err := aws.NewGroup(client, name)
	require.NoError(t, err)
	ctx := context.Background()

	st, err := g.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 3, Ready: 3}, st)

	require.NoError(t, g.Scale(ctx, 6))
	st, err = g.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 6, Ready: 6}, st)

	require.NoError(t, g.Scale(ctx, 2))
	st, err = g.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 2, Ready: 2}, st)
}

func TestIntegrationClampsToTheLimits(t *testing.T) {
	name := newASG(t, 2, 5, 3)
	g, err := aws.NewGroup(client, name)
	require.NoError(t, err)
	ctx := context.Background()

	// moto would take 50; the driver sets MaxSize and says so.
	err = g.Scale(ctx, 50)
	var lim *aws.LimitedError
	require.ErrorAs(t, err, &lim)
	assert.Equal(t, aws.LimitedError{Driver: "aws", Group: name, Requested: 50, Applied: 5, Min: 2, Max: 5, Err: aws.ErrOutsideLimits}, *lim)
	assert.True(t, actuator.IsPermanent(err))
	assert.Equal(t, int32(5), awssdk.ToInt32(describe(t, name).DesiredCapacity))

	err = g.Scale(ctx, 0)
	require.ErrorAs(t, err, &lim)
	assert.Equal(t, 2, lim.Applied)
	assert.Equal(t, int32(2), awssdk.ToInt32(describe(t, name).DesiredCapacity))
}

func TestIntegrationSuspendedProcesses(t *testing.T) {
	name := newASG(t, 1, 10, 3)
	g, err := aws.NewGroup(client, name)
	require.NoError(t, err)
	ctx := context.Background()

	_, err = client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: awssdk.String(name), ScalingProcesses: []string{"Launch"}})
	require.NoError(t, err)
	err = g.Scale(ctx, 6)
	require.ErrorIs(t, err, aws.ErrSuspended)
	assert.True(t, actuator.IsPermanent(err))
	assert.Contains(t, err.Error(), "Launch")
	assert.Equal(t, int32(3), awssdk.ToInt32(describe(t, name).DesiredCapacity), "left alone")
	require.NoError(t, g.Scale(ctx, 2), "scale-in needs Terminate only")

	_, err = client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: awssdk.String(name), ScalingProcesses: []string{"Terminate"}})
	require.NoError(t, err)
	err = g.Scale(ctx, 1)
	require.ErrorIs(t, err, aws.ErrSuspended)
	assert.Contains(t, err.Error(), "Terminate")
	assert.Equal(t, int32(2), awssdk.ToInt32(describe(t, name).DesiredCapacity))

	_, err = client.ResumeProcesses(ctx, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: awssdk.String(name)})
	require.NoError(t, err)
	require.NoError(t, g.Scale(ctx, 6))
	assert.Equal(t, int32(6), awssdk.ToInt32(describe(t, name).DesiredCapacity))
}

func TestIntegrationStandbyAndUnhealthyAreNotReady(t *testing.T) {
	name := newASG(t, 0, 10, 4)
	g, err := aws.NewGroup(client, name)
	require.NoError(t, err)
	ctx := context.Background()
	ids := make([]string, 0, 4)
	for _, in := range describe(t, name).Instances {
		ids = append(ids, awssdk.ToString(in.InstanceId))
	}
	require.Len(t, ids, 4)

	_, err = client.EnterStandby(ctx, &autoscaling.EnterStandbyInput{
		AutoScalingGroupName:           awssdk.String(name),
		InstanceIds:                    ids[:1],
		ShouldDecrementDesiredCapacity: awssdk.Bool(true),
	})
	require.NoError(t, err)
	_, err = client.SetInstanceHealth(ctx, &autoscaling.SetInstanceHealthInput{
		InstanceId:               awssdk.String(ids[1]),
		HealthStatus:             awssdk.String("Unhealthy"),
		ShouldRespectGracePeriod: awssdk.Bool(false),
	})
	require.NoError(t, err)

	states := map[string]string{}
	for _, in := range describe(t, name).Instances {
		states[awssdk.ToString(in.InstanceId)] = string(in.LifecycleState) + "/" + awssdk.ToString(in.HealthStatus)
	}
	st, err := g.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 3, Ready: 2}, st, "instances: %v", states)
}

func TestIntegrationUnknownGroup(t *testing.T) {
	if skipReason != "" {
		t.Skip(skipReason)
	}
	g, err := aws.NewGroup(client, "no-such-group")
	require.NoError(t, err)
	_, err = g.Current(context.Background())
	require.ErrorIs(t, err, aws.ErrGroupNotFound)
	assert.True(t, actuator.IsPermanent(err))
	err = g.Scale(context.Background(), 3)
	require.ErrorIs(t, err, aws.ErrGroupNotFound)
}
