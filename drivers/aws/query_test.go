package aws

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator"
)

const describeXML = `<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">
  <DescribeAutoScalingGroupsResult>
    <AutoScalingGroups>
      <member>
        <AutoScalingGroupName>web</AutoScalingGroupName>
        <MinSize>1</MinSize>
        <MaxSize>10</MaxSize>
        <DesiredCapacity>%d</DesiredCapacity>
        <Instances>
          <member><InstanceId>i-1</InstanceId><LifecycleState>InService</LifecycleState><HealthStatus>Healthy</HealthStatus></member>
          <member><InstanceId>i-2</InstanceId><LifecycleState>InService</LifecycleState><HealthStatus>Healthy</HealthStatus></member>
          <member><InstanceId>i-3</InstanceId><LifecycleState>Pending</LifecycleState><HealthStatus>Healthy</HealthStatus></member>
        </Instances>
      </member>
    </AutoScalingGroups>
  </DescribeAutoScalingGroupsResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
</DescribeAutoScalingGroupsResponse>`

const setXML = `<SetDesiredCapacityResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">
  <ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata>
</SetDesiredCapacityResponse>`

const errorXML = `<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">
  <Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>
  <RequestId>r-3</RequestId>
</ErrorResponse>`

// queryServer speaks the AWS Query protocol of the Auto Scaling service for
// one group named "web".
type queryServer struct {
	mu      sync.Mutex
	desired int
	forms   []url.Values
	// fail, when set, answers SetDesiredCapacity with this status and code.
	failStatus int
	failCode   string
}

func (s *queryServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.forms = append(s.forms, r.PostForm)
	w.Header().Set("Content-Type", "text/xml")
	switch r.PostForm.Get("Action") {
	case "DescribeAutoScalingGroups":
		_, _ = fmt.Fprintf(w, describeXML, s.desired)
	case "SetDesiredCapacity":
		if s.failStatus != 0 {
			w.WriteHeader(s.failStatus)
			_, _ = fmt.Fprintf(w, errorXML, s.failCode, "refused by test")
			return
		}
		_, _ = fmt.Sscan(r.PostForm.Get("DesiredCapacity"), &s.desired)
		_, _ = fmt.Fprint(w, setXML)
	default:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, errorXML, "InvalidAction", "unknown action")
	}
}

func newQueryClient(t *testing.T, s *queryServer) *autoscaling.Client {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return autoscaling.New(autoscaling.Options{
		Region:           "eu-west-1",
		BaseEndpoint:     awssdk.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       srv.Client(),
	})
}

func TestQueryProtocolRoundTrip(t *testing.T) {
	s := &queryServer{desired: 3}
	g, err := NewGroup(newQueryClient(t, s), "web")
	require.NoError(t, err)
	ctx := context.Background()

	st, err := g.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 3, Ready: 2}, st)

	require.NoError(t, g.Scale(ctx, 6))
	st, err = g.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, 6, st.Desired)

	s.mu.Lock()
	defer s.mu.Unlock()
	var set url.Values
	for _, f := range s.forms {
		if f.Get("Action") == "SetDesiredCapacity" {
			set = f
		}
	}
	require.NotNil(t, set, "SetDesiredCapacity was not called")
	assert.Equal(t, "web", set.Get("AutoScalingGroupName"))
	assert.Equal(t, "6", set.Get("DesiredCapacity"))
	assert.Equal(t, "false", set.Get("HonorCooldown"))
	assert.Equal(t, "web", s.forms[0].Get("AutoScalingGroupNames.member.1"))
}

func TestQueryProtocolErrors(t *testing.T) {
	cases := []struct {
		status    int
		code      string
		permanent bool
	}{
		{http.StatusBadRequest, "ValidationError", true},
		{http.StatusForbidden, "AccessDenied", true},
		{http.StatusBadRequest, "Throttling", false},
		{http.StatusBadRequest, "ScalingActivityInProgress", false},
		{http.StatusServiceUnavailable, "ServiceUnavailable", false},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			s := &queryServer{desired: 3, failStatus: c.status, failCode: c.code}
			g, err := NewGroup(newQueryClient(t, s), "web")
			require.NoError(t, err)
			err = g.Scale(context.Background(), 5)
			require.Error(t, err)
			assert.Equal(t, c.permanent, actuator.IsPermanent(err), "error: %v", err)
			assert.Contains(t, err.Error(), c.code)
		})
	}
}

// The SDK's retryer would try a throttled or failing call three times per
// attempt of the caller; the driver turns it off so the caller's retry
// policy is the only one.
func TestOneRetryLayer(t *testing.T) {
	for _, c := range []struct {
		status int
		code   string
	}{
		{http.StatusBadRequest, "Throttling"},
		{http.StatusServiceUnavailable, "ServiceUnavailable"},
		{http.StatusInternalServerError, "InternalFailure"},
	} {
		t.Run(c.code, func(t *testing.T) {
			s := &queryServer{desired: 3, failStatus: c.status, failCode: c.code}
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			client := autoscaling.New(autoscaling.Options{ // the SDK's default retryer
				Region:       "eu-west-1",
				BaseEndpoint: awssdk.String(srv.URL),
				Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
				HTTPClient:   srv.Client(),
			})
			g, err := NewGroup(client, "web")
			require.NoError(t, err)
			err = g.Scale(context.Background(), 5)
			require.Error(t, err)
			assert.False(t, actuator.IsPermanent(err))
			s.mu.Lock()
			defer s.mu.Unlock()
			sets := 0
			for _, f := range s.forms {
				if f.Get("Action") == "SetDesiredCapacity" {
					sets++
				}
			}
			assert.Equal(t, 1, sets, "SetDesiredCapacity sent once")
		})
	}
}
